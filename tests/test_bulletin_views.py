"""The monthly bulletin's screens: who reads which, preview and snapshot, issue, print, export."""
import datetime
import io
import json
import os
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from tests.helpers import actor_for, signed_in, soup, text_of
from webapp import access
from webapp.accounts.models import AuditEvent
from webapp.i18n import local_today
from webapp.ledger.models import Entry
from webapp.reports import bulletin as service
from webapp.reports.bulletin_models import Bulletin
from webapp.reports.models import FirmReport


def _last_month():
    # The app's zone (config TIMEZONE); local_today() needs an app, the module has none yet.
    today = datetime.datetime.now(ZoneInfo(os.environ.get("TIMEZONE", "Asia/Shanghai"))).date()
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


LAST = _last_month()
YM = LAST.strftime("%Y-%m")


@pytest.fixture
def town(app, world, make_user, fast_passwords):
    """County A with a director, two practitioners and last month's reports and entries; a
    director and an administrator in county B."""
    director = make_user("director", name="甲所主任")
    p1, p2 = make_user(name="张三"), make_user(name="李四")
    for kind, status in (("info", "accepted"), ("info", "accepted"), ("info", "submitted"),
                         ("case", "accepted")):
        FirmReport.create(firm=world["firm_a"], author=director, kind=kind, month=LAST,
                          title="t", status=status)
    Entry.create(user=p1, kind="legal_aid", date=LAST + datetime.timedelta(days=2), count=2,
                 status="approved", source="self")
    Entry.create(user=p1, kind="public_service", date=LAST + datetime.timedelta(days=4),
                 hours=Decimal("6.5"), status="approved", source="self")
    return {**world, "app": app, "director": director, "p1": p1, "p2": p2,
            "admin": make_user("county_admin", name="甲县管理员"),
            "admin_b": make_user("county_admin", county=world["b"]),
            "director_b": make_user("director", county=world["b"], name="乙所主任")}


def _client(app, user):
    return signed_in(app, user)


def _issue(town, remarks="本月总体良好。", admin="admin", county="a", month=None):
    """Issue through the service, inside a request (messages, the audit's address)."""
    with town["app"].test_request_context("/", headers={"Accept-Language": "en"}):
        return service.issue(actor_for(town[admin], "county_admin"), town[county],
                             month or LAST, remarks, local_today())


def _page_figures(response):
    """The county figures and firm cells as the page shows them."""
    page = soup(response)
    county = {row["data-metric"]: {td["data-figure"]: text_of(td).split(" ")[0]
                                   for td in row.select("td[data-figure]")}
              for row in page.select("#bulletin-county tr[data-metric]")}
    firms = {int(row["data-firm"]): {td["data-figure"]: text_of(td)
                                     for td in row.select("td[data-figure]")}
             for row in page.select("#bulletin-firms tr[data-firm]")}
    return county, firms


# ------------------------------------------------------------------ who reads which

def test_admin_sees_a_live_preview_with_the_issue_form(app, town):
    response = _client(app, town["admin"]).get(f"/bulletins/{YM}")
    assert response.status_code == 200
    page = soup(response)
    assert page.select_one(".bulletin-state-preview") is not None
    form = page.select_one(f"form[action='/bulletins/{YM}/issue']")
    assert form is not None and form.select_one("textarea[name=remarks]") is not None
    assert form.select_one("input[name=csrf_token]") is not None
    county, firms = _page_figures(response)
    assert firms[town["firm_a"].id] == {"info": "2 / 3", "case": "1 / 1", "pending": "1"}
    assert county["legal_aid_cases"]["month"] == "2"
    assert county["public_service_hours"]["month"] == "6.5"
    assert "trainings" in county
    # Printable: the print button's script is a file, never inline.
    assert page.select_one("button[data-print]") is not None
    assert all(s.get("src") for s in page.select("script"))


def test_director_reads_only_issued_bulletins_of_the_firms_county(app, town):
    director = _client(app, town["director"])
    assert director.get(f"/bulletins/{YM}").status_code == 404
    assert director.get(f"/bulletins/{YM}.xlsx").status_code == 404
    _issue(town)
    response = director.get(f"/bulletins/{YM}")
    assert response.status_code == 200
    page = soup(response)
    assert page.select_one(".bulletin-state-issued") is not None
    assert page.select_one("form[action$='/issue']") is None
    assert "本月总体良好。" in text_of(page.select_one(".bulletin-remarks"))
    # The director of another county's firm: county A's bulletin does not exist for them.
    other = _client(app, town["director_b"])
    response = other.get(f"/bulletins/{YM}")
    assert response.status_code == 404
    assert town["a"].name not in response.get_data(as_text=True)
    assert other.get(f"/bulletins/{YM}.xlsx").status_code == 404
    assert soup(other.get("/bulletins/")).select(".bulletin-link") == []


def test_the_lists_newest_first(app, town):
    _issue(town)
    earlier = (LAST - datetime.timedelta(days=1)).replace(day=1)
    _issue(town, "", month=earlier)
    page = soup(_client(app, town["admin"]).get("/bulletins/"))
    rows = page.select(".bulletin-months .bulletin-link")
    months = [text_of(r.select_one("strong")) for r in rows]
    assert months[0] == local_today().strftime("%Y-%m") and months[1] == YM
    assert months == sorted(months, reverse=True)
    assert months[-1] == f"{local_today().year - 1}-01"
    issued = [text_of(r.select_one("strong")) for r in rows if r.select_one(".bulletin-issued")]
    assert issued == [YM, earlier.strftime("%Y-%m")]
    page = soup(_client(app, town["director"]).get("/bulletins/"))
    assert [text_of(r.select_one("strong")) for r in page.select(".bulletin-link")] == [
        YM, earlier.strftime("%Y-%m")]


def test_scoping_helper(town):
    _issue(town)
    _issue(town, "", admin="admin_b", county="b")
    Bulletin.create(county=town["a"], month=LAST - datetime.timedelta(days=40), status="draft")
    a, b = town["a"].id, town["b"].id

    def seen(user, role):
        return sorted((x.county_id, x.status)
                      for x in access.bulletins(actor_for(user, role), Bulletin))
    assert seen(town["admin"], "county_admin") == [(a, "draft"), (a, "issued")]
    assert seen(town["director"], "director") == [(a, "issued")]
    assert seen(town["director_b"], "director") == [(b, "issued")]
    assert seen(town["director"], "practitioner") == []
    assert list(access.bulletins(None, Bulletin)) == []


def test_links_from_the_county_home_and_the_reports_page(app, town):
    page = soup(_client(app, town["admin"]).get("/home/county"))
    assert page.select_one("a[href='/bulletins/']") is not None
    page = soup(_client(app, town["director"]).get("/reports/"))
    assert page.select_one("a[href='/bulletins/']") is not None


# ------------------------------------------------------------------ issuing

def test_issue_from_the_page_then_the_snapshot(app, town):
    admin = _client(app, town["admin"])
    response = admin.post(f"/bulletins/{YM}/issue", {"remarks": "  请各所按时报送。\x00 "})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/bulletins/{YM}")
    bulletin = service.issued(town["a"], LAST)
    assert bulletin.remarks == "请各所按时报送。" and bulletin.issued_by_id == town["admin"].id
    assert AuditEvent.select().where(AuditEvent.action == "bulletin.issue").count() == 1
    page = soup(admin.get(f"/bulletins/{YM}"))
    state = text_of(page.select_one(".bulletin-state-issued"))
    assert town["admin"].name in state
    assert page.select_one("form[action$='/issue']") is None


def test_issued_page_does_not_change_with_new_data(app, town):
    _issue(town)
    admin = _client(app, town["admin"])
    before = text_of(soup(admin.get(f"/bulletins/{YM}")).select_one("article.bulletin"))
    FirmReport.create(firm=town["firm_a"], author=town["director"], kind="info", month=LAST,
                      title="late", status="accepted")
    Entry.create(user=town["p2"], kind="legal_aid", date=LAST + datetime.timedelta(days=9),
                 count=3, status="approved", source="self")
    after = text_of(soup(admin.get(f"/bulletins/{YM}")).select_one("article.bulletin"))
    assert after == before
    live = service.build(town["a"], LAST, local_today())
    assert live["figures"]["legal_aid_cases"]["month"] == 5   # the data did change


def test_issue_twice_is_a_conflict(app, town):
    admin = _client(app, town["admin"])
    assert admin.post(f"/bulletins/{YM}/issue", {"remarks": "一"}).status_code == 303
    response = admin.post(f"/bulletins/{YM}/issue", {"remarks": "二"})
    assert response.status_code == 409
    alert = soup(response).select_one("[role=alert]")
    assert "already been issued" in text_of(alert)
    assert service.issued(town["a"], LAST).remarks == "一"
    assert Bulletin.select().count() == 1


def test_issue_needs_the_csrf_token(app, town):
    response = _client(app, town["admin"]).post(f"/bulletins/{YM}/issue", {"remarks": "x"},
                                                 csrf=False)
    assert response.status_code == 400
    assert Bulletin.select().count() == 0


def test_issue_is_for_the_county_admin_only(app, town):
    assert _client(app, town["director"]).post(f"/bulletins/{YM}/issue",
                                               {"remarks": "x"}).status_code == 403
    assert Bulletin.select().count() == 0


def test_remarks_too_long_are_refused_and_kept(app, town):
    response = _client(app, town["admin"]).post(f"/bulletins/{YM}/issue",
                                                {"remarks": "字" * 4001})
    assert response.status_code == 400
    page = soup(response)
    assert text_of(page.select_one("[role=alert]"))
    assert len(page.select_one("textarea[name=remarks]").get_text()) == 4001
    assert Bulletin.select().count() == 0


@pytest.mark.parametrize("month", ["2026-13", "abc", "2026-00", "3000-01", "1999-01",
                                   "%E4%BA%94%E6%9C%88"])
def test_bad_or_future_month_refused(app, town, month):
    admin = _client(app, town["admin"])
    for url in (f"/bulletins/{month}", f"/bulletins/{month}.xlsx"):
        response = admin.get(url)
        assert response.status_code == 400, url
        assert text_of(soup(response).select_one("[role=alert] h1"))
    assert admin.post(f"/bulletins/{month}/issue", {"remarks": ""}).status_code == 400
    assert Bulletin.select().count() == 0


def test_next_month_is_in_the_future(app, town):
    today = local_today()
    following = (today.replace(day=28) + datetime.timedelta(days=5)).strftime("%Y-%m")
    response = _client(app, town["admin"]).get(f"/bulletins/{following}")
    assert response.status_code == 400
    assert "future" in text_of(soup(response).select_one("[role=alert] h1"))
    assert _client(app, town["admin"]).get(
        f"/bulletins/{today.strftime('%Y-%m')}").status_code == 200


# ------------------------------------------------------------------ the workbook

def _workbook(response):
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return load_workbook(io.BytesIO(response.data))


def _rows(sheet):
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def _number(text):
    return float(text.replace(",", ""))


@pytest.mark.parametrize("issued", [False, True])
def test_xlsx_cells_equal_the_page(app, town, issued):
    if issued:
        _issue(town)
    admin = _client(app, town["admin"])
    response = admin.get(f"/bulletins/{YM}")
    county, firms = _page_figures(response)
    people = [[text_of(cell) for cell in row.select("th, td")]
              for row in soup(response).select(".bulletin-people tbody tr")]
    book = _workbook(admin.get(f"/bulletins/{YM}.xlsx"))
    sheet = _rows(book["People behind"])
    start = next(i for i, r in enumerate(sheet) if r[0] == "Name") + 1
    assert people and len(sheet) - start == len(people)
    for cells, shown in zip(sheet[start:], people):
        assert [cells[0], cells[1], cells[3], cells[6]] == [shown[0], shown[1], shown[3],
                                                            shown[6]]
        assert [cells[2], cells[4], cells[5]] == [_number(shown[2]), _number(shown[4]),
                                                  _number(shown[5])]
    assert book.sheetnames == ["Firm reports", "County figures", "Firms behind",
                               "People behind", "No theme party day", "Service quality"]
    firm_rows = {r[0]: r for r in _rows(book["Firm reports"])}
    row = firm_rows[town["firm_a"].name]
    page = firms[town["firm_a"].id]
    assert f"{row[1]} / {row[2]}" == page["info"] and f"{row[3]} / {row[4]}" == page["case"]
    assert str(row[5]) == page["pending"]
    county_rows = {r[0]: r for r in _rows(book["County figures"])}
    labels = {"education_hours": "Continuing education",
              "public_service_hours": "Public service", "legal_aid_cases": "Legal-aid cases",
              "trainings": "Trainings held"}
    for metric, label in labels.items():
        cells = county_rows[label]
        assert [cells[1], cells[2]] == [_number(county[metric]["month"]),
                                        _number(county[metric]["year"])], metric
        if metric != "trainings":
            assert cells[3] == _number(county[metric]["pace"])
    status = [r for r in _rows(book["Firm reports"]) if r[0] and str(r[0]).startswith(
        ("Issued", "Preview"))]
    assert status and str(status[0][0]).startswith("Issued" if issued else "Preview")


def test_xlsx_comes_from_the_snapshot(app, town):
    _issue(town)
    FirmReport.create(firm=town["firm_a"], author=town["director"], kind="case", month=LAST,
                      title="late", status="accepted")
    book = _workbook(_client(app, town["director"]).get(f"/bulletins/{YM}.xlsx"))
    row = {r[0]: r for r in _rows(book["Firm reports"])}[town["firm_a"].name]
    assert row[3] == 1


def test_an_old_snapshot_without_trainings_still_reads(app, town):
    bulletin = _issue(town)
    data = json.loads(bulletin.data)
    data.pop("trainings")
    Bulletin.update(data=json.dumps(data)).where(Bulletin.id == bulletin.id).execute()
    admin = _client(app, town["admin"])
    response = admin.get(f"/bulletins/{YM}")
    assert response.status_code == 200
    county, _firms = _page_figures(response)
    assert "trainings" not in county and "legal_aid_cases" in county
    book = _workbook(admin.get(f"/bulletins/{YM}.xlsx"))
    assert "Trainings held" not in {r[0] for r in _rows(book["County figures"])}
