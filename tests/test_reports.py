"""Firm monthly reports: counting by month, return and resubmit, locking, scoping, bad input."""
import datetime
import json
import uuid

import pytest

from tests.helpers import actor_for, signed_in, soup, text_of
from webapp.accounts.models import AuditEvent, Firm, Notification
from webapp.errors import Conflict, DomainError, NotAllowed
from webapp.i18n import local_today
from webapp.reports import services
from webapp.reports.models import FirmReport, FirmReportCredit

TODAY = datetime.date(2026, 6, 15)


def info_form(**over):
    data = {"month": "2026-06", "title": "城关所开展普法进社区", "body": "本月在城关社区开展普法宣传一次。"}
    data.update(over)
    return data


def case_form(**over):
    data = {"month": "2026-06", "title": "一起劳动报酬纠纷的调解", "facts": "务工人员被拖欠工资。",
            "handling": "所里组织双方调解。", "result": "当场结清工资。", "lesson": "及早介入。"}
    data.update(over)
    return data


@pytest.fixture(autouse=True)
def english(app):
    """Services run inside a request (messages in English, audit addresses)."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def firm_a2(world):
    return Firm.create(name="甲县河口法律服务所", county=world["a"])


@pytest.fixture
def people(world, make_user, firm_a2, fast_passwords):
    return {
        "director": make_user("director"),
        "p1": make_user("practitioner"),
        "p2": make_user("practitioner"),
        "director_a2": make_user("director", firm=firm_a2),
        "director_b": make_user("director", county=world["b"]),
        "admin_a": make_user("county_admin"),
        "admin_b": make_user("county_admin", county=world["b"]),
        "city": make_user("city_admin"),
    }


def director(people, name="director"):
    return actor_for(people[name], "director")


def admin(people, name="admin_a"):
    return actor_for(people[name], "county_admin")


def send(people, kind="info", name="director", today=TODAY, credits=(), **over):
    form = info_form(**over) if kind == "info" else case_form(**over)
    report, _created = services.submit(director(people, name), kind, form, credits,
                                       key=uuid.uuid4().hex, today=today)
    return report


# ------------------------------------------------------------------ counting by month

def test_a_report_counts_for_the_month_it_names_once_and_only_when_accepted(world, people):
    firm = world["firm_a"]
    for _n in range(3):
        services.accept(admin(people), send(people, month="2026-05"))
    credited = send(people, "case", month="2026-05",
                    credits=[people["p1"].id, people["p2"].id])
    services.accept(admin(people), credited)
    send(people, month="2026-06")                       # waiting: pending, not counted
    returned = send(people, "case", month="2026-06")
    services.return_report(admin(people), returned, "请补充办理结果")
    services.accept(admin(people), send(people, month="2026-04"))

    months = services.month_quota(firm, 2026, TODAY)
    assert [m.month for m in months] == [datetime.date(2026, n, 1) for n in range(1, 13)]
    may, june, april = months[4], months[5], months[3]
    assert (may.info, may.case, may.complete, may.state) == (3, 1, True, "done")
    assert (june.info, june.case, june.info_pending, june.case_pending) == (0, 0, 1, 0)
    assert (june.complete, june.state) == (False, "open")
    assert (april.info, april.case, april.state) == (1, 0, "short")
    assert months[6].state == "future" and months[0].state == "short"
    assert FirmReportCredit.select().where(FirmReportCredit.report == credited.id).count() == 2
    # Another firm's reports and another year's months count for nothing here.
    services.accept(admin(people), send(people, name="director_a2", month="2026-05"))
    assert services.month_quota(firm, 2026, TODAY)[4].info == 3
    assert all(m.info == m.case == 0 for m in services.month_quota(firm, 2025, TODAY))


def test_the_targets_come_from_the_targets_of_the_year(world, people):
    assert services.targets(world["firm_a"], 2026) == (3, 1)


# ------------------------------------------------------------------ return, resubmit, lock

def test_return_with_a_reason_then_correct_and_send_again(world, people):
    report = send(people, "case")
    with pytest.raises(DomainError) as missing:
        services.return_report(admin(people), report, "  \x00 ")
    assert missing.value.field == "reason"
    returned = services.return_report(admin(people), report, "请补充处理过程")
    assert (returned.status, returned.return_reason) == ("returned", "请补充处理过程")
    assert services.can_edit(director(people), returned)
    with pytest.raises(Conflict):
        services.accept(admin(people), returned)    # it waits for the firm now
    fixed, was_returned = services.edit(director(people), returned,
                                        case_form(handling="所里先后三次组织双方调解。"))
    assert was_returned and fixed.status == "submitted"
    assert fixed.handling == "所里先后三次组织双方调解。"
    assert [r.id for r in services.queue(admin(people))] == [report.id]
    events = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
    assert events == ["report.return"]
    detail = json.loads(AuditEvent.get().detail)
    assert detail["reason"] == "请补充处理过程" and detail["kind"] == "case"
    assert Notification.select().where(Notification.user == people["director"].id).count() == 1


def test_an_accepted_report_is_locked(app, world, people):
    report = send(people)
    accepted = services.accept(admin(people), report)
    assert accepted.status == "accepted" and accepted.reviewed_by_id == people["admin_a"].id
    assert not services.can_edit(director(people), accepted)
    with pytest.raises(Conflict):
        services.edit(director(people), accepted, info_form(title="改标题"))
    with pytest.raises(Conflict):
        services.accept(admin(people), accepted)
    with pytest.raises(Conflict):
        services.return_report(admin(people), accepted, "理由")
    assert FirmReport.get_by_id(report.id).title == info_form()["title"]
    assert [e.action for e in AuditEvent.select()] == ["report.accept"]

    client = signed_in(app, people["director"])
    response = client.post(f"/reports/{report.id}/edit", info_form(title="改标题", kind="info"))
    assert response.status_code == 409
    assert "can no longer change" in text_of(soup(response).find("main"))
    assert FirmReport.get_by_id(report.id).title == info_form()["title"]


def test_a_decision_on_text_that_changed_meanwhile_is_refused(app, world, people):
    report = send(people, today=local_today(), month=local_today().strftime("%Y-%m"))
    county = signed_in(app, people["admin_a"])
    seen = soup(county.get("/reports/queue")).select_one(
        f"#r-{report.id} form[action$='/accept'] input[name=version]")["value"]
    services.edit(director(people), report, info_form(month=local_today().strftime("%Y-%m"),
                                                      body="改过的正文"))
    response = county.post(f"/reports/{report.id}/accept", {"version": seen})
    assert response.status_code == 409
    shown = soup(response).select_one(f"#r-{report.id} .form-error")
    assert "changed this report" in text_of(shown)
    assert FirmReport.get_by_id(report.id).status == "submitted"
    assert county.post(f"/reports/{report.id}/accept").status_code == 303
    again = county.post(f"/reports/{report.id}/accept")
    assert again.status_code == 409
    assert "already decided" in text_of(soup(again).select_one(".form-error"))


def test_the_same_key_twice_sends_one_report(world, people):
    key = uuid.uuid4().hex
    first, created = services.submit(director(people), "info", info_form(), key=key, today=TODAY)
    again, created_again = services.submit(director(people), "info", info_form(), key=key,
                                           today=TODAY)
    assert created and not created_again and first.id == again.id
    assert FirmReport.select().count() == 1


# ------------------------------------------------------------------ who may do what

def test_only_a_director_writes_and_only_a_county_admin_decides(world, people):
    with pytest.raises(NotAllowed):
        services.submit(actor_for(people["p1"], "practitioner"), "info", info_form(),
                        today=TODAY)
    with pytest.raises(NotAllowed):
        services.submit(admin(people), "info", info_form(), today=TODAY)
    report = send(people)
    with pytest.raises(NotAllowed):
        services.accept(admin(people, "admin_b"), report)
    with pytest.raises(NotAllowed):
        services.accept(director(people), report)
    with pytest.raises(NotAllowed):
        services.edit(director(people, "director_a2"), report, info_form())
    assert FirmReport.get_by_id(report.id).status == "submitted"


def test_scoping_director_sees_the_firm_county_sees_its_firms(world, people):
    own = send(people)
    other_firm = send(people, name="director_a2")
    other_county = send(people, name="director_b")

    def seen(actor):
        return {r.id for r in services.firm_reports(actor)}

    assert seen(director(people)) == {own.id}
    assert seen(director(people, "director_a2")) == {other_firm.id}
    assert seen(admin(people)) == {own.id, other_firm.id}
    assert seen(admin(people, "admin_b")) == {other_county.id}
    assert seen(actor_for(people["p1"], "practitioner")) == set()
    assert [r.id for r in services.queue(admin(people))] == [own.id, other_firm.id]
    assert [r.id for r in services.queue(director(people))] == []


def test_pages_are_scoped_too(app, world, people):
    report = send(people, today=local_today(), month=local_today().strftime("%Y-%m"))
    other = signed_in(app, people["director_a2"])
    assert other.get(f"/reports/{report.id}").status_code == 404
    assert other.get(f"/reports/{report.id}/edit").status_code == 404
    foreign = signed_in(app, people["admin_b"])
    assert foreign.get(f"/reports/{report.id}").status_code == 404
    assert foreign.post(f"/reports/{report.id}/accept").status_code == 404
    assert foreign.post(f"/reports/{report.id}/return", {"reason": "x"}).status_code == 404
    queue = soup(foreign.get("/reports/queue"))
    assert not queue.select(".report-queue-item")
    own = signed_in(app, people["admin_a"])
    items = soup(own.get("/reports/queue")).select(".report-queue-item")
    assert [item["id"] for item in items] == [f"r-{report.id}"]
    assert FirmReport.get_by_id(report.id).status == "submitted"
    assert signed_in(app, people["p1"]).get("/reports/").status_code == 403
    assert signed_in(app, people["city"]).get("/reports/queue").status_code == 403


# ------------------------------------------------------------------ the screens

def test_write_accept_and_see_it_counted(app, world, people):
    today = local_today()
    month = today.strftime("%Y-%m")
    director_client = signed_in(app, people["director"])
    choose = soup(director_client.get("/reports/new"))
    assert {a["href"] for a in choose.select(".report-kinds a")} == {
        "/reports/new?kind=info", "/reports/new?kind=case"}
    form = soup(director_client.get("/reports/new?kind=case"))
    assert {t["name"] for t in form.select("form.report-form textarea")} == {
        "facts", "handling", "result", "lesson"}
    assert form.select_one("input[name=csrf_token]")
    response = director_client.post("/reports/new", case_form(
        kind="case", month=month, credits=str(people["p1"].id),
        idempotency_key=uuid.uuid4().hex))
    assert response.status_code == 303
    report = FirmReport.get()
    assert (report.kind, report.month, report.status) == ("case", today.replace(day=1),
                                                          "submitted")
    assert services.credited_ids(report) == [people["p1"].id]

    admin_client = signed_in(app, people["admin_a"])
    assert admin_client.post(f"/reports/{report.id}/return", {"reason": ""}).status_code == 400
    assert admin_client.post(f"/reports/{report.id}/accept").status_code == 303
    assert FirmReport.get_by_id(report.id).status == "accepted"

    page = soup(director_client.get("/reports/"))
    cells = page.select(".report-months .report-month")
    assert len(cells) == 12
    this = cells[today.month - 1]
    assert "Case 1/1" in text_of(this) and "Info 0/3" in text_of(this)
    assert "1 / 1" in text_of(page.select_one(".report-now"))


def test_a_returned_report_shows_the_reason_and_a_link_to_correct_it(app, world, people):
    today = local_today()
    report = send(people, today=today, month=today.strftime("%Y-%m"))
    services.return_report(admin(people), report, "请写明时间地点")
    client = signed_in(app, people["director"])
    page = soup(client.get("/reports/"))
    row = page.select_one(".report-returned")
    assert "请写明时间地点" in text_of(row)
    link = row.select_one("a")["href"]
    assert link == f"/reports/{report.id}/edit"
    edit_page = soup(client.get(link))
    assert edit_page.select_one("#f-title")["value"] == report.title
    response = client.post(link, info_form(kind="info", month=today.strftime("%Y-%m"),
                                           body="六月三日在城关社区开展普法宣传。"))
    assert response.status_code == 303
    assert FirmReport.get_by_id(report.id).status == "submitted"
    assert not soup(client.get("/reports/")).select(".report-returned")


def test_the_reports_page_is_a_page_and_a_fragment(app, world, people):
    client = signed_in(app, people["director"])
    year = local_today().year
    page = client.get(f"/reports/?year={year - 1}")
    assert page.status_code == 200 and "HX-Request" in page.headers["Vary"]
    assert soup(page).find("html") and soup(page).select_one("#report-year")
    fragment = client.htmx_get(f"/reports/?year={year - 1}")
    doc = soup(fragment)
    assert doc.find("html") is None
    assert doc.select_one("#report-year h2").get_text() == f"Reports in {year - 1}"
    for junk in ("abc", "99999", "²０２６", "\x00"):
        assert client.get("/reports/", query_string={"year": junk}).status_code == 200


# ------------------------------------------------------------------ bad input

BAD = [
    ({"title": ""}, "title", "Fill in the title."),
    ({"title": "\x00\x01\u200b"}, "title", "Fill in the title."),
    ({"title": "长" * 121}, "title", "at most 120"),
    ({"body": ""}, "body", "Fill in the text."),
    ({"body": "字" * 5001}, "body", "at most 5000"),
    ({"month": "2026-13"}, "month", "The month is not valid"),
    ({"month": "13"}, "month", "The month is not valid"),
    ({"month": "<script>"}, "month", "The month is not valid"),
    ({"month": ""}, "month", "Choose the month"),
    ({"month": "future"}, "month", "cannot be in the future"),
    ({"month": "long-ago"}, "month", "too long ago"),
    ({"body": "当事人身份证号 110101 19900307 1234"}, "body", "identity number"),
    ({"body": "联系电话138-0013-8000"}, "body", "phone number"),
    ({"kind": "memo"}, None, "Choose an information report or a typical case."),
]


def _month_value(value, today):
    if value == "future":
        nxt = (today.replace(day=28) + datetime.timedelta(days=5)).replace(day=1)
        return nxt.strftime("%Y-%m")
    if value == "long-ago":
        return f"{today.year - 2}-12"
    return value


@pytest.mark.parametrize("over,field,message", BAD)
def test_bad_input_is_refused_with_a_message(app, world, people, over, field, message):
    today = local_today()
    data = info_form(kind="info", month=today.strftime("%Y-%m"),
                     idempotency_key=uuid.uuid4().hex)
    data.update(over)
    data["month"] = _month_value(data["month"], today)
    client = signed_in(app, people["director"])
    response = client.post("/reports/new", data)
    assert response.status_code == 400
    doc = soup(response)
    shown = doc.select_one(f"#{field}-error" if field else ".form-error")
    assert shown is not None and message in text_of(shown), text_of(doc.find("main"))
    assert FirmReport.select().count() == 0


def test_a_case_needs_its_parts_and_credits_must_be_active_people_of_the_firm(world, people,
                                                                            make_user):
    with pytest.raises(DomainError) as missing:
        services.submit(director(people), "case", case_form(result=""), today=TODAY)
    assert missing.value.field == "result"
    report, _ = services.submit(director(people), "case", case_form(lesson=""), today=TODAY)
    assert report.lesson == ""
    gone = make_user("practitioner", active=False)
    for bad in ([people["director_b"].id], [gone.id], ["abc"], ["²"], [str(2 ** 40)]):
        with pytest.raises(DomainError) as refused:
            services.submit(director(people), "info", info_form(), bad, today=TODAY)
        assert refused.value.field == "credits"
    assert FirmReport.select().count() == 1


@pytest.mark.parametrize("value,expected", [
    ("2026-06", datetime.date(2026, 6, 1)), ("2026/6", datetime.date(2026, 6, 1)),
    ("2026年5月", datetime.date(2026, 5, 1)), ("２０２６-０５", datetime.date(2026, 5, 1)),
    ("2025-01", datetime.date(2025, 1, 1)),
])
def test_months_are_read_in_the_usual_ways(value, expected):
    assert services.parse_month(value, TODAY) == expected


@pytest.mark.parametrize("value", ["2026-07", "2024-12", "2026-00", "2026-6-1", "0000-01",
                                   "2026-0٣", "99999-01"])
def test_months_outside_the_window_or_malformed_are_refused(value):
    with pytest.raises(DomainError):
        services.parse_month(value, TODAY)
