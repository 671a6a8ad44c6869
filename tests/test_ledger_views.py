"""The Log tab, the forms, entries, review queue, county rules and My year over HTTP."""
import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests.helpers import categories, key, signed_in, soup, text_of
from webapp.accounts.models import AuditEvent, Notification
from webapp.i18n import local_today
from webapp.ledger.models import Entry, ReviewRule
from webapp.trainings.models import Attendance, Training, TrainingCategory


@pytest.fixture
def today(app):
    return local_today()


@pytest.fixture
def people(world, make_user):
    categories()
    return {
        "p": make_user("practitioner", name="张三"),
        "q": make_user("practitioner", name="李四"),
        "director": make_user("director", name="王所长"),
        "admin": make_user("county_admin", name="县局"),
        "admin_b": make_user("county_admin", county=world["b"], name="乙县局"),
    }


@pytest.fixture
def as_p(app, people):
    return signed_in(app, people["p"])


def form(today, **over):
    data = {"date": today.isoformat(), "hours": "2", "category": "mediation",
            "idempotency_key": key()}
    data.update(over)
    return data


def errors(response):
    page = soup(response)
    return [text_of(e) for e in page.select(".field-error, .form-error")]


# ------------------------------------------------------------------ the Log tab and forms

def test_log_tab_shows_three_tiles_and_is_the_current_tab(as_p):
    response = as_p.get("/ledger/")
    assert response.status_code == 200
    page = soup(response)
    tiles = page.select(".tiles a.tile")
    assert [t["href"] for t in tiles] == ["/ledger/new/public_service", "/ledger/new/legal_aid",
                                          "/ledger/new/education"]
    current = page.select_one(".tabbar a[aria-current=page]")
    assert current["href"] == "/ledger/"
    assert page.select_one("[data-outbox][hidden]") is not None


def test_the_old_log_route_is_gone(as_p):
    assert as_p.get("/home/log").status_code == 404


@pytest.mark.parametrize("kind,fields", [
    ("public_service", {"date", "hours", "category", "place", "people_served", "description",
                        "evidence"}),
    ("legal_aid", {"case_number", "date", "case_type", "case_status", "closed_on",
                   "description", "evidence"}),
    ("education", {"date", "hours", "category", "provider", "topic", "place", "evidence"}),
])
def test_each_form_has_its_fields_defaults_and_a_key(as_p, today, kind, fields):
    page = soup(as_p.get(f"/ledger/new/{kind}"))
    form_el = page.select_one("form[data-ledger-form]")
    assert form_el["method"] == "post" and form_el["action"] == f"/ledger/new/{kind}"
    assert form_el["enctype"] == "multipart/form-data"
    names = {el["name"] for el in form_el.select("input, select, textarea")}
    assert fields <= names
    assert {"csrf_token", "idempotency_key", "for_user"} <= names
    assert len(form_el.select_one("[name=idempotency_key]")["value"]) >= 32
    assert form_el.select_one("[name=date]")["value"] == today.isoformat()
    assert form_el.select_one("[name=date]")["max"] == today.isoformat()
    # Optional fields are folded under "More".
    more = form_el.select_one("details.more")
    assert more is not None and more.select_one("[name=description], [name=place]")
    if kind != "legal_aid":
        hours = form_el.select_one("[name=hours]")
        assert (hours["type"], hours["step"], hours["min"], hours["max"]) == (
            "number", "0.25", "0.25", "12")


def test_two_forms_never_share_a_key(as_p):
    keys = {soup(as_p.get("/ledger/new/public_service")).select_one("[name=idempotency_key]")["value"]
            for _ in range(3)}
    assert len(keys) == 3


def test_the_last_used_category_is_the_default(as_p, today):
    as_p.post("/ledger/new/public_service", form(today, category="petition"))
    page = soup(as_p.get("/ledger/new/public_service"))
    assert page.select_one("input[name=category][checked]")["value"] == "petition"
    education = soup(as_p.get("/ledger/new/education"))
    assert [i["value"] for i in education.select("input[name=category]")] == ["政治理论", "业务技能"]
    assert "Professional skills" in text_of(education.select_one(".choice-tiles"))


def test_saving_goes_back_to_the_log_tab_with_undo(as_p, people, today):
    response = as_p.post("/ledger/new/public_service", form(today))
    assert response.status_code == 303
    entry = Entry.get()
    assert response.headers["Location"] == f"/ledger/?saved={entry.id}"
    assert (entry.user_id, entry.status, entry.category) == (people["p"].id, "pending", "mediation")
    page = soup(as_p.get(response.headers["Location"]))
    card = page.select_one(".saved-card")
    assert "Saved — waiting for review" in text_of(card)
    undo = card.select_one("form")
    assert undo["action"] == f"/ledger/entries/{entry.id}/withdraw"
    back = as_p.post(undo["action"], {"back": "log"})
    assert back.status_code == 303 and back.headers["Location"] == "/ledger/"
    assert Entry.get_by_id(entry.id).status == "withdrawn"
    assert Entry.select().count() == 1


def test_a_double_submit_without_javascript_makes_one_entry(as_p, today):
    data = form(today)
    first = as_p.post("/ledger/new/public_service", data)
    second = as_p.post("/ledger/new/public_service", data)
    assert first.headers["Location"] == second.headers["Location"]
    assert Entry.select().count() == 1


@pytest.mark.parametrize("kind,over,field", [
    ("public_service", {"date": "tomorrow"}, "date"),
    ("public_service", {"date": "2099-01-01"}, "date"),
    ("public_service", {"date": "2001-01-01"}, "date"),
    ("public_service", {"hours": "0"}, "hours"),
    ("public_service", {"hours": "-2"}, "hours"),
    ("public_service", {"hours": "12.5"}, "hours"),
    ("public_service", {"hours": "1.1"}, "hours"),
    ("public_service", {"hours": "9"}, "hours"),
    ("public_service", {"category": "x"}, "category"),
    ("public_service", {"people_served": "lots"}, "people_served"),
    ("public_service", {"description": "身份证320102198001011234"}, "description"),
    ("legal_aid", {"case_number": "", "case_type": "civil", "case_status": "in_progress"},
     "case_number"),
    ("legal_aid", {"case_number": "A1", "case_type": "civil", "case_status": "closed"},
     "closed_on"),
    ("legal_aid", {"case_number": "A1", "case_type": "civil", "case_status": "in_progress",
                   "description": "受援人 11010519491231002X"}, "description"),
    ("education", {"category": "业务技能", "provider": "", "topic": "合同"}, "provider"),
])
def test_bad_input_is_refused_with_a_message_and_nothing_is_written(as_p, today, kind, over,
                                                                    field):
    response = as_p.post(f"/ledger/new/{kind}", form(today, **over))
    assert response.status_code == 400
    page = soup(response)
    wrapper = page.select_one(f"[name={field}]").find_parent(class_="field") or \
        page.select_one(f"[name={field}]").find_parent("fieldset")
    assert "has-error" in wrapper["class"]
    assert text_of(wrapper.select_one(".field-error"))
    assert Entry.select().count() == 0
    # What was typed comes back, with the same key, so nothing is lost.
    assert page.select_one("[name=idempotency_key]")["value"]


def test_the_refusal_is_translated(app, people, today):
    client = signed_in(app, people["p"], language="zh-CN")
    response = client.post("/ledger/new/legal_aid", form(
        today, case_number="A1", case_type="civil", case_status="in_progress",
        description="身份证号码320102198001011234"))
    assert response.status_code == 400
    message = " ".join(errors(response))
    assert "身份证" in message and "identity" not in message
    assert Entry.select().count() == 0


def test_the_outbox_gets_json(as_p, today):
    data = form(today)
    response = as_p.post("/ledger/new/public_service", data,
                         headers={"Accept": "application/json"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "pending" and body["created"] is True
    again = as_p.post("/ledger/new/public_service", data, headers={"Accept": "application/json"})
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    bad = as_p.post("/ledger/new/public_service", form(today, hours="40"),
                    headers={"Accept": "application/json"})
    assert bad.status_code == 400 and bad.get_json()["field"] == "hours"
    assert Entry.select().count() == 1


def test_a_form_filled_for_another_person_is_not_saved(as_p, people, today):
    response = as_p.post("/ledger/new/public_service", form(today, for_user=people["q"].id),
                         headers={"Accept": "application/json"})
    assert response.status_code == 409
    assert Entry.select().count() == 0


def test_unknown_kind_is_404(as_p):
    assert as_p.get("/ledger/new/training_credit").status_code == 404
    assert as_p.post("/ledger/new/party_activity", {}).status_code == 404


# ------------------------------------------------------------------ one entry: see, edit, withdraw

def test_edit_and_withdraw_a_pending_entry(as_p, today):
    as_p.post("/ledger/new/public_service", form(today))
    entry = Entry.get()
    page = soup(as_p.get(f"/ledger/entries/{entry.id}"))
    assert "Waiting for review" in text_of(page.select_one(".entry-status"))
    assert "Self-reported" in text_of(page.select_one(".entry-source"))
    edit_page = soup(as_p.get(f"/ledger/entries/{entry.id}/edit"))
    assert edit_page.select_one("[name=hours]")["value"] == "2"
    assert edit_page.select_one("input[name=category][checked]")["value"] == "mediation"
    response = as_p.post(f"/ledger/entries/{entry.id}/edit", form(today, hours="3.75"))
    assert response.status_code == 303
    assert Entry.get_by_id(entry.id).hours == Decimal("3.75")
    assert as_p.post(f"/ledger/entries/{entry.id}/withdraw").status_code == 303
    assert Entry.get_by_id(entry.id).status == "withdrawn"
    assert as_p.get(f"/ledger/entries/{entry.id}/edit").status_code == 409


def test_an_approved_entry_is_locked(as_p, app, people, today):
    as_p.post("/ledger/new/public_service", form(today))
    entry = Entry.get()
    admin = signed_in(app, people["admin"])
    assert admin.post(f"/ledger/review/{entry.id}/approve").status_code == 303
    page = soup(as_p.get(f"/ledger/entries/{entry.id}"))
    assert page.select_one(f"a[href='/ledger/entries/{entry.id}/edit']") is None
    assert page.select_one("form[action$='/withdraw']") is None
    assert as_p.get(f"/ledger/entries/{entry.id}/edit").status_code == 409
    assert as_p.post(f"/ledger/entries/{entry.id}/edit", form(today, hours="9")).status_code == 409
    assert as_p.post(f"/ledger/entries/{entry.id}/withdraw").status_code == 409
    fresh = Entry.get_by_id(entry.id)
    assert (fresh.status, fresh.hours) == ("approved", Decimal(2))


def test_a_declined_entry_shows_why_and_can_be_sent_again(as_p, app, people, today):
    as_p.post("/ledger/new/public_service", form(today))
    entry = Entry.get()
    admin = signed_in(app, people["admin"])
    assert admin.post(f"/ledger/review/{entry.id}/decline",
                      {"reason": "请补充服务记录"}).status_code == 303
    home = soup(as_p.get("/home/me"))
    assert "请补充服务记录" in text_of(home)
    page = soup(as_p.get(f"/ledger/entries/{entry.id}"))
    assert "请补充服务记录" in text_of(page.select_one(".decline-reason"))
    fix = page.select_one(".decline-reason a")["href"]
    response = as_p.post(fix, form(today, hours="1.5"))
    assert response.status_code == 303
    assert Entry.get_by_id(entry.id).status == "pending"
    # Opening the entry marks its notice read.
    as_p.get(f"/ledger/entries/{entry.id}")
    assert Notification.select().where(Notification.read_at.is_null()).count() == 0


def test_nobody_sees_or_changes_another_persons_entries(app, as_p, people, today):
    as_p.post("/ledger/new/public_service", form(today))
    entry = Entry.get()
    other = signed_in(app, people["q"])
    other_admin = signed_in(app, people["admin_b"])
    for client in (other, other_admin):
        assert client.get(f"/ledger/entries/{entry.id}").status_code == 404
    for url, data in [(f"/ledger/entries/{entry.id}/edit", form(today, hours="9")),
                      (f"/ledger/entries/{entry.id}/withdraw", {}),
                      (f"/ledger/entries/{entry.id}/evidence", {})]:
        assert other.post(url, data).status_code == 404
    assert other.get(f"/ledger/entries/{entry.id}/edit").status_code == 404
    assert other_admin.post(f"/ledger/review/{entry.id}/approve").status_code == 404
    assert other_admin.post(f"/ledger/review/{entry.id}/decline", {"reason": "x"}).status_code == 404
    fresh = Entry.get_by_id(entry.id)
    assert (fresh.status, fresh.hours) == ("pending", Decimal(2))
    assert AuditEvent.select().count() == 0
    # Their own lists do not show it either.
    assert str(entry.id) not in "".join(a["href"] for a in soup(other.get("/ledger/year")).select(".entry-link"))
    assert soup(other_admin.get("/ledger/review")).select(".queue-entry") == []


# ------------------------------------------------------------------ review queue

@pytest.fixture
def waiting(app, people, today):
    client = signed_in(app, people["p"])
    other = signed_in(app, people["q"])
    client.post("/ledger/new/public_service", form(today, hours="1"))
    other.post("/ledger/new/public_service", form(today, hours="2"))
    client.post("/ledger/new/legal_aid", form(today, case_number="A-7", case_type="criminal",
                                              case_status="in_progress"))
    return list(Entry.select().order_by(Entry.id))


def test_the_queue_groups_by_person_and_firm_oldest_first(app, people, waiting):
    admin = signed_in(app, people["admin"])
    response = admin.get("/ledger/review")
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    page = soup(response)
    groups = page.select(".queue-group")
    assert [text_of(g.select_one("h2")).split()[0] for g in groups] == ["张三", "李四"]
    assert [li["id"] for li in groups[0].select(".queue-entry")] == [
        f"q-{waiting[0].id}", f"q-{waiting[2].id}"]
    by_firm = soup(admin.get("/ledger/review?group=firm")).select(".queue-group")
    assert len(by_firm) == 1 and len(by_firm[0].select(".queue-entry")) == 3
    only_cases = soup(admin.get("/ledger/review?kind=legal_aid")).select(".queue-entry")
    assert [li["id"] for li in only_cases] == [f"q-{waiting[2].id}"]
    fragment = admin.htmx_get("/ledger/review?kind=public_service")
    assert fragment.status_code == 200
    frag = soup(fragment)
    assert frag.select_one("html") is None and frag.select_one("#queue") is not None
    assert len(frag.select(".queue-entry")) == 2


def test_approve_and_decline_with_htmx_answer_with_the_row(app, people, waiting):
    admin = signed_in(app, people["admin"])
    first, second = waiting[0], waiting[1]
    response = admin.post(f"/ledger/review/{first.id}/approve", {}, htmx=True)
    assert response.status_code == 200
    row = soup(response).select_one(f"#q-{first.id}")
    assert "decided" in row["class"] and "Approved" in text_of(row)
    empty = admin.post(f"/ledger/review/{second.id}/decline", {"reason": " "}, htmx=True)
    assert empty.status_code == 400
    again = soup(empty).select_one(f"#q-{second.id}")
    assert again.select_one(".form-error") and again.select_one("details.decline[open]")
    assert Entry.get_by_id(second.id).status == "pending"
    ok = admin.post(f"/ledger/review/{second.id}/decline", {"reason": "重复填报"}, htmx=True)
    assert ok.status_code == 200 and "重复填报" in text_of(soup(ok))
    twice = admin.post(f"/ledger/review/{first.id}/approve", {}, htmx=True)
    assert twice.status_code == 409
    assert AuditEvent.select().count() == 2


def test_bulk_approval(app, people, waiting):
    admin = signed_in(app, people["admin"])
    page = soup(admin.get("/ledger/review"))
    picks = [box["value"] for box in page.select("input[name=pick]")][:2]
    assert all(box["form"] == "bulk" for box in page.select("input[name=pick]"))
    response = admin.c.post("/ledger/review/bulk", data={"csrf_token": admin.csrf(), "pick": picks})
    assert response.status_code == 303
    assert Entry.select().where(Entry.status == "approved").count() == 2
    none = admin.post("/ledger/review/bulk", {})
    assert none.status_code == 400
    assert Entry.select().where(Entry.status == "approved").count() == 2


def test_directors_see_the_queue_only_when_allowed(app, people, waiting, world, today):
    director = signed_in(app, people["director"])
    page = soup(director.get("/ledger/review"))
    assert page.select(".queue-entry") == [] and page.select_one(".notice")
    assert director.post(f"/ledger/review/{waiting[0].id}/approve").status_code == 403
    ReviewRule.create(county=world["a"], year=today.year, director_reviews=True)
    assert len(soup(director.get("/ledger/review")).select(".queue-entry")) == 3
    assert director.post(f"/ledger/review/{waiting[0].id}/approve").status_code == 303


def test_practitioners_cannot_review(app, as_p, waiting):
    assert as_p.get("/ledger/review").status_code == 403
    assert as_p.post(f"/ledger/review/{waiting[1].id}/approve").status_code == 403
    assert Entry.select().where(Entry.status == "approved").count() == 0


# ------------------------------------------------------------------ county rules

def test_county_rules_page(app, people, world, today):
    admin = signed_in(app, people["admin"])
    page = soup(admin.get("/ledger/rules"))
    assert page.select_one("[name=max_public_hours_per_day]")["value"] == "8"
    bad = admin.post(f"/ledger/rules?year={today.year}", {
        "max_public_hours_per_day": "30", "outside_education_cap": "20"})
    assert bad.status_code == 400 and errors(bad)
    assert ReviewRule.select().count() == 0
    ok = admin.post(f"/ledger/rules?year={today.year}", {
        "max_public_hours_per_day": "6", "outside_education_cap": "10",
        "education_needs_evidence": "1", "director_reviews": "1"})
    assert ok.status_code == 303
    rule = ReviewRule.get()
    assert (rule.county_id, rule.year, rule.education_needs_evidence, rule.director_reviews) == (
        world["a"].id, today.year, True, True)
    assert signed_in(app, people["admin_b"]).get("/ledger/rules").status_code == 200
    assert ReviewRule.select().count() == 1
    assert signed_in(app, people["director"]).get("/ledger/rules").status_code == 403


# ------------------------------------------------------------------ My year

def _training_credit(user, day, method="qr"):
    cat = TrainingCategory.get(TrainingCategory.name == "业务技能")
    start = datetime.datetime.combine(day, datetime.time(1, 0))
    training = Training.create(title="县局培训", category=cat, organiser=user.county_id,
                               start_at=start, end_at=start + datetime.timedelta(hours=3),
                               credit_hours=3, secret="s")
    Attendance.create(training=training, user=user, checked_in_at=start, method_in=method,
                      credited_hours=3)
    return Entry.create(user=user, kind="training_credit", date=day, hours=3, source="system",
                        status="recorded", training=training, category="业务技能",
                        description="县局培训")


def test_my_year_shows_progress_the_ledger_and_sources(as_p, app, people, today):
    as_p.post("/ledger/new/public_service", form(today))
    _training_credit(people["p"], today)
    _training_credit(people["p"], today - datetime.timedelta(days=1), method="staff")
    response = as_p.get("/ledger/year")
    assert response.status_code == 200
    page = soup(response)
    rows = page.select(".progress-row")
    assert len(rows) == 3
    education = text_of(rows[0])
    assert "6 / " in education
    assert rows[1].select_one("a")["href"].startswith(f"/ledger/year?year={today.year}&kind=public_service")
    lines = page.select("#year-list .entry-row")
    assert len(lines) == 3
    sources = [text_of(li.select_one(".entry-source")) for li in lines]
    assert "Self-reported" in sources and "QR check-in" in sources and "Marked by staff" in sources
    assert "waiting for review" in text_of(rows[1])


def test_my_year_filters_are_a_fragment_for_htmx(as_p, people, today):
    as_p.post("/ledger/new/public_service", form(today))
    as_p.post("/ledger/new/public_service", form(today, hours="1"))
    Entry.update(status="withdrawn").where(Entry.id == Entry.select(Entry.id).limit(1)).execute()
    _training_credit(people["p"], today)
    fragment = as_p.htmx_get("/ledger/year?kind=public_service&status=withdrawn")
    assert fragment.status_code == 200
    page = soup(fragment)
    assert page.select_one("html") is None
    assert len(page.select(".entry-row")) == 1
    response = as_p.get("/ledger/year?status=counted")
    assert response.status_code == 200
    counted = soup(response).select("#year-list .entry-row")
    assert len(counted) == 1
    assert soup(response).select_one("#f-status option[selected]")["value"] == "counted"
    nothing = soup(as_p.get("/ledger/year?kind=legal_aid"))
    assert text_of(nothing.select_one("#year-list .empty"))


def test_earlier_years_are_selectable(as_p, people, today):
    last_year = datetime.date(today.year - 1, 3, 1)
    as_p.post("/ledger/new/public_service", form(today, date=last_year.isoformat()))
    page = soup(as_p.get("/ledger/year"))
    assert [a.get_text() for a in page.select(".year-chips a")] == [str(today.year),
                                                                    str(today.year - 1)]
    earlier = soup(as_p.get(f"/ledger/year?year={today.year - 1}"))
    assert len(earlier.select("#year-list .entry-row")) == 1
    assert "Not reached" in text_of(earlier.select_one(".progress-list"))
    # A year outside the person's range is clamped, not an error.
    assert as_p.get("/ledger/year?year=1990").status_code == 200


def test_my_year_pages_a_long_ledger(as_p, people, today):
    rows = [{"user": people["p"].id, "kind": "public_service", "date": today, "hours": 1,
             "source": "self", "status": "approved", "category": "other"} for _ in range(60)]
    Entry.insert_many(rows).execute()
    first = soup(as_p.get("/ledger/year"))
    assert len(first.select("#year-list .entry-row")) == 50
    second = soup(as_p.get(first.select_one(".pager a")["href"]))
    assert len(second.select("#year-list .entry-row")) == 10


def test_the_annual_summary_and_the_workbook(as_p, app, people, today):
    as_p.post("/ledger/new/public_service", form(today, hours="2.5"))
    as_p.post("/ledger/new/legal_aid", form(today, case_number="甲法援12号", case_type="civil",
                                            case_status="in_progress"))
    admin = signed_in(app, people["admin"])
    for entry in list(Entry.select()):
        admin.post(f"/ledger/review/{entry.id}/approve")
    _training_credit(people["p"], today)
    page = soup(as_p.get(f"/ledger/year/{today.year}/summary"))
    targets = page.select(".summary-targets tbody tr")
    assert [text_of(t.select_one("td")) for t in targets] == ["3", "2.5", "1"]
    assert "甲法援12号" in text_of(page.select_one(".summary"))
    assert len(page.select(".signatures .sign-line")) == 3
    response = as_p.get(f"/ledger/year/{today.year}/summary.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    summary, ledger = book.worksheets
    assert summary["B2"].value == "张三"
    values = [row for row in summary.iter_rows(values_only=True)]
    assert any(row[0] == "Public service" and row[1] == 2.5 for row in values)
    assert ledger.max_row == 1 + 3
    assert as_p.get(f"/ledger/year/{today.year + 1}/summary").status_code == 404


def test_home_links_its_targets_to_my_year(as_p):
    page = soup(as_p.get("/home/me"))
    links = [a["href"] for a in page.select(".progress-row a")]
    assert links and all(link.startswith("/ledger/year?kind=") for link in links)
    assert page.select_one("[data-outbox] [data-outbox-count]") is not None
    me = soup(as_p.get("/me"))
    assert me.select_one("a[href='/ledger/year']") is not None
    assert me.select_one("form[data-logout]")["data-outbox-warning"]


def test_admin_and_director_homes_lead_to_the_queue(app, people):
    for who in ("admin", "director"):
        home = signed_in(app, people[who]).get("/home/county" if who == "admin" else "/home/firm")
        assert soup(home).select_one("main a[href='/ledger/review']") is not None
        nav = soup(home).select_one("nav.tabbar a[href='/ledger/review']")
        assert nav is not None


@pytest.mark.parametrize("value", ["99999999999999999999", "²", "-1"])
def test_ids_that_are_not_ids_in_queries_and_picks_are_ignored(app, people, waiting, value):
    as_p = signed_in(app, people["p"])
    log = as_p.get(f"/ledger/?saved={value}")
    assert log.status_code == 200 and soup(log).select(".tiles a.tile")
    admin = signed_in(app, people["admin"])
    queue = admin.get(f"/ledger/review?firm={value}")
    assert queue.status_code == 200 and soup(queue).select("input[name=pick]")
    bulk = admin.post("/ledger/review/bulk", {"pick": f"{value}:1"})
    assert bulk.status_code == 400
    assert Entry.select().where(Entry.status == "approved").count() == 0
