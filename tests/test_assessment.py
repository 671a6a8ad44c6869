"""The annual assessment: dossiers, who may open them, results, rectification, Excel, printing."""
import datetime
import io
import json
from decimal import Decimal

import openpyxl
import pytest

from tests.helpers import actor_for, signed_in, soup, text_of
from webapp.accounts.models import AuditEvent
from webapp.config import ROOT
from webapp.errors import DomainError, NotAllowed
from webapp.i18n import local_today
from webapp.ledger.models import Entry
from webapp.targets import assessment as service
from webapp.targets import services as targets
from webapp.targets.models import Assessment


@pytest.fixture(autouse=True)
def _fast(fast_passwords):
    """Sessions here are made directly: keep hashing cheap anyway."""


@pytest.fixture(autouse=True)
def request_context(app):
    """Messages are translated, so services run inside a request (English, like the client)."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def today():
    return local_today()


def add(user, kind, amount, status="approved"):
    fields = {"count": amount} if kind == "legal_aid" else {"hours": Decimal(str(amount))}
    return Entry.create(user=user, kind=kind, date=local_today().replace(month=1, day=1),
                        status=status, source="self", **fields)


@pytest.fixture
def person(make_user):
    user = make_user("practitioner", name="王芳")
    add(user, "public_service", 6)
    add(user, "public_service", 2.5)
    add(user, "legal_aid", 2)
    add(user, "public_service", 4, status="pending")
    return user


def admin_of(make_user, county):
    user = make_user("county_admin", county=county)
    return user, actor_for(user, "county_admin")


def later(today, days=30):
    return today + datetime.timedelta(days=days)


# ------------------------------------------------------------------ the dossier

def test_dossier_figures_equal_progress_for(person, today):
    data = service.person_dossier(person, today.year, today)
    expected = targets.progress_for([person], today.year, today)[person.id]
    assert [(p.metric, p.done, p.target, p.status) for p in data["progress"]] == \
        [(p.metric, p.done, p.target, p.status) for p in expected]
    assert data["by_kind"]["public_service"]["hours"] == Decimal("8.5")
    assert data["by_kind"]["legal_aid"]["count"] == 2
    assert data["assessment"] is None


def test_page_shows_the_same_figures(app, world, make_user, person, today):
    admin, _actor = admin_of(make_user, world["a"])
    page = soup(signed_in(app, admin).get(f"/home/assessment/person/{person.id}"))
    expected = targets.progress_for([person], today.year, today)[person.id]
    cells = {row["data-metric"]: row.find("td")["data-done"]
             for row in page.select("table.dossier-targets tr[data-metric]")}
    assert cells == {p.metric: str(p.done) for p in expected}
    # One dossier a printed page: the print rules live in the app's style sheet (no inline CSS).
    assert page.select(".dossier")
    assert "page-break-after" in (ROOT / "static" / "css" / "app.css").read_text()
    assert page.select("form.assessment-form")  # the admin can record


def test_director_sees_own_firm_only(app, world, make_user, person):
    director = make_user("director")
    other = make_user("practitioner", county=world["b"])
    client = signed_in(app, director)
    response = client.get(f"/home/assessment/person/{person.id}")
    assert response.status_code == 200
    assert not soup(response).select("form.assessment-form")  # read-only
    assert client.get(f"/home/assessment/person/{other.id}").status_code == 404
    assert client.get(f"/home/assessment/firm/{world['firm_a'].id}").status_code == 200
    assert client.get(f"/home/assessment/firm/{world['firm_b'].id}").status_code == 404
    assert client.post(f"/home/assessment/person/{person.id}/result",
                       {"result": "competent"}).status_code == 403
    assert Assessment.select().count() == 0


def test_other_county_admin_gets_404(app, world, make_user, person):
    admin, _actor = admin_of(make_user, world["b"])
    client = signed_in(app, admin)
    assert client.get(f"/home/assessment/person/{person.id}").status_code == 404
    assert client.get(f"/home/assessment/firm/{world['firm_a'].id}.xlsx").status_code == 404
    assert client.post(f"/home/assessment/person/{person.id}/result",
                       {"result": "competent"}).status_code == 404
    assert Assessment.select().count() == 0


def test_practitioner_is_refused(app, person):
    client = signed_in(app, person)
    assert client.get(f"/home/assessment/person/{person.id}").status_code == 403


def test_bad_year_falls_back_to_this_year(app, world, make_user, person, today):
    admin, _actor = admin_of(make_user, world["a"])
    client = signed_in(app, admin)
    for year in ("abc", "1999", str(today.year + 1), "２０２５"):
        page = soup(client.get(f"/home/assessment/person/{person.id}?year={year}"))
        assert str(today.year) in text_of(page.find("h1"))


# ------------------------------------------------------------------ recording results

def test_record_result_upserts_and_audits(world, make_user, person, today):
    _admin, actor = admin_of(make_user, world["a"])
    deadline = later(today)
    row = service.record_result(actor, today.year, person, "incompetent", "学时不足", deadline)
    assert (row.result, row.rectify_by, row.county_id) == ("incompetent", deadline, world["a"].id)
    again = service.record_result(actor, today.year, person, "competent", "已达标", None)
    assert again.id == row.id and Assessment.select().count() == 1
    assert (again.result, again.rectify_by, again.comment) == ("competent", None, "已达标")
    events = list(AuditEvent.select().where(AuditEvent.action == "assessment.record")
                  .order_by(AuditEvent.id))
    assert len(events) == 2
    first, second = (json.loads(e.detail) for e in events)
    assert first["before"] is None and first["after"]["result"] == "incompetent"
    assert second["before"]["result"] == "incompetent"
    assert second["before"]["rectify_by"] == deadline.isoformat()
    assert second["after"] == {"result": "competent", "comment": "已达标", "rectify_by": None,
                               "rectified_at": None}
    assert events[0].object_id == row.id and events[0].region_id == world["a"].id


def test_firm_results_are_qualified_or_unqualified(world, make_user, today):
    _admin, actor = admin_of(make_user, world["a"])
    firm = world["firm_a"]
    with pytest.raises(DomainError):
        service.record_result(actor, today.year, firm, "competent", "", None)
    row = service.record_result(actor, today.year, firm, "qualified", "", None)
    assert row.firm_id == firm.id and row.user_id is None


def test_only_own_county_admin_records(world, make_user, person, today):
    _admin, other = admin_of(make_user, world["b"])
    with pytest.raises(NotAllowed):
        service.record_result(other, today.year, person, "competent", "", None)
    director = make_user("director")
    with pytest.raises(NotAllowed):
        service.record_result(actor_for(director, "director"), today.year, person,
                              "competent", "", None)
    assert Assessment.select().count() == 0


@pytest.mark.parametrize("form, words", [
    ({"result": "incompetent", "rectify_by": ""}, "needs a deadline"),
    ({"result": "excellent"}, "Choose one of the results"),
    ({"result": "incompetent", "rectify_by": "2026-13-45"}, "not a date"),
    ({"result": "incompetent", "rectify_by": "٢٠٣٠-٠١-٠١"}, "not a date"),
    ({"result": "incompetent", "rectify_by": "2000-01-01"}, "after today"),
])
def test_bad_results_are_refused(app, world, make_user, person, form, words):
    admin, _actor = admin_of(make_user, world["a"])
    response = signed_in(app, admin).post(f"/home/assessment/person/{person.id}/result", form)
    assert response.status_code == 400
    assert words in text_of(soup(response).find(class_="form-error"))
    assert Assessment.select().count() == 0
    assert AuditEvent.select().count() == 0


def test_deadline_within_two_years(world, make_user, person, today):
    _admin, actor = admin_of(make_user, world["a"])
    with pytest.raises(DomainError):
        service.record_result(actor, today.year, person, "incompetent", "", later(today, 800))
    with pytest.raises(DomainError):
        service.record_result(actor, today.year, person, "incompetent", "", today)


def test_record_through_the_form(app, world, make_user, person, today):
    admin, _actor = admin_of(make_user, world["a"])
    client = signed_in(app, admin)
    deadline = later(today)
    # Full-width digits, as a Chinese keyboard types them, are read.
    typed = deadline.isoformat().translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    response = client.post(f"/home/assessment/person/{person.id}/result",
                           {"year": str(today.year), "result": "incompetent",
                            "comment": "公益服务不足", "rectify_by": typed})
    assert response.status_code == 303
    row = Assessment.get()
    assert row.rectify_by == deadline and row.decided_by_id == admin.id
    page = soup(client.get(response.headers["Location"]))
    notice = page.find(class_="rectification-notice")
    assert notice is not None and str(deadline.year) in text_of(notice)


# ------------------------------------------------------------------ rectification

def test_close_rectification(app, world, make_user, person, today):
    admin, actor = admin_of(make_user, world["a"])
    row = service.record_result(actor, today.year, person, "incompetent", "", later(today))
    assert service.open_rectifications(person) == [row]
    response = signed_in(app, admin).post(f"/home/assessment/{row.id}/close",
                                          {"note": "已补足学时"})
    assert response.status_code == 303
    fresh = Assessment.get_by_id(row.id)
    assert fresh.rectified_at is not None and fresh.rectify_note == "已补足学时"
    assert service.open_rectifications(person) == []
    assert AuditEvent.select().where(AuditEvent.action == "assessment.rectified").count() == 1
    page = soup(signed_in(app, admin).get(f"/home/assessment/person/{person.id}"))
    assert page.find(class_="rectification-notice") is None
    assert "已补足学时" in text_of(page.find(class_="assessment-result"))
    # Closing twice is a conflict, and another county's admin cannot find it.
    with pytest.raises(DomainError):
        service.close_rectification(actor, fresh, "")
    other, _ = admin_of(make_user, world["b"])
    assert signed_in(app, other).post(f"/home/assessment/{row.id}/close", {}).status_code == 404


# ------------------------------------------------------------------ Excel and printing

def test_xlsx_holds_the_page_figures(app, world, make_user, person, today):
    admin, _actor = admin_of(make_user, world["a"])
    response = signed_in(app, admin).get(f"/home/assessment/person/{person.id}.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    rows = {}
    for row in sheet.iter_rows(values_only=True):
        if row and row[0]:
            rows.setdefault(row[0], row)  # the targets table comes first
    for p in targets.progress_for([person], today.year, today)[person.id]:
        assert rows[str(p.label)][1] == float(p.done)
        assert rows[str(p.label)][2] == float(p.target)


def test_firm_xlsx_and_page(app, world, make_user, person, today):
    admin, _actor = admin_of(make_user, world["a"])
    client = signed_in(app, admin)
    page = soup(client.get(f"/home/assessment/firm/{world['firm_a'].id}"))
    assert page.select(f"table.firm-people tr[data-person='{person.id}']")
    response = client.get(f"/home/assessment/firm/{world['firm_a'].id}.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    names = [row[0] for row in book.worksheets[0].iter_rows(values_only=True)]
    assert person.name in names


def test_batch_print_has_one_section_per_person(app, world, make_user, person):
    others = [make_user("practitioner") for _ in range(2)]
    make_user("practitioner", county=world["b"])
    admin, _actor = admin_of(make_user, world["a"])
    page = soup(signed_in(app, admin).get(f"/home/assessment/firm/{world['firm_a'].id}/print"))
    ids = [int(a["data-person"]) for a in page.select("article.dossier")]
    assert sorted(ids) == sorted([person.id] + [o.id for o in others])


def test_pages_render_in_chinese(app, world, make_user, person):
    admin, _actor = admin_of(make_user, world["a"])
    client = signed_in(app, admin, language="zh-CN")
    firm = world["firm_a"].id
    for url in (f"/home/assessment/person/{person.id}", f"/home/assessment/firm/{firm}",
                f"/home/assessment/firm/{firm}/print"):
        assert client.get(url).status_code == 200, url
