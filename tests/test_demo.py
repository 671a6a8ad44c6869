"""The demo: it loads, its logins work, and what it recorded obeys the app's own rules."""
from decimal import Decimal

import pytest

from tests.helpers import soup, text_of
from webapp.accounts.models import Firm, Region, User
from webapp.branches.models import ActivityAttendance, Branch, BranchActivity
from webapp.branches.activities import duration_hours
from webapp.demo import DEMO_LOGINS, load_demo
from webapp.i18n import local_today, to_local
from webapp.ledger.models import Entry
from webapp.reports import inspections, quota, selection
from webapp.reports.models import FirmReport
from webapp.trainings.models import Attendance, Training
from webapp.trainings.attendance import compute_credit

HOMES = {
    "City administrator": "/home/city",
    "Firm director": "/home/firm",
    "Branch secretary": "/home/branch",
    "Practitioner": "/home/me",
    "Practitioner, firm director and branch secretary": "/home/branch",
}


@pytest.fixture
def demo():
    return load_demo()


def test_the_demo_city_has_its_shape(demo, make_client):
    assert demo == DEMO_LOGINS
    assert Region.select().where(Region.kind == "county").count() == 3
    assert Firm.select().count() == 12
    assert 70 <= User.select().where(User.firm.is_null(False)).count() <= 90
    assert Branch.select().count() == 4
    statuses = {e.status for e in Entry.select(Entry.status).distinct()}
    assert statuses == {"pending", "approved", "declined", "withdrawn", "recorded"}
    # The projector has something to show today, and more is coming.
    days = {to_local(t.start_at).date() for t in Training.select()}
    assert local_today() in days and max(days) > local_today()
    assert BranchActivity.select().where(BranchActivity.status == "planned").exists()

    _every_login_lands_on_its_home(demo, make_client)
    _training_credit_follows_the_crediting_rule()
    _each_member_present_has_one_party_entry()
    _reports_wait_in_the_queue_and_follow_the_rules(demo, make_client)


def _every_login_lands_on_its_home(logins, make_client):
    for role, phone, password in logins:
        response = make_client().post("/login", {"login": phone, "password": password},
                                      follow_redirects=True)
        assert response.status_code == 200, role
        assert response.request.path == HOMES.get(role, "/home/county"), role


def _training_credit_follows_the_crediting_rule():
    rows = list(Attendance.select(Attendance, Training).join(Training))
    assert len(rows) > 200
    credits = {(e.training_id, e.user_id): e for e in
               Entry.select().where(Entry.kind == "training_credit")}
    for row in rows:
        hours, review = compute_credit(row.training, row)
        assert (row.credited_hours, row.needs_review) == (hours, review), row.id
        entry = credits.pop((row.training_id, row.user_id), None)
        if hours > 0:
            assert entry is not None and entry.hours == hours and entry.status == "recorded"
        else:
            assert entry is None or entry.hours == Decimal("0.00")
    assert not credits, "training credits without an attendance row"
    # The demo has every kind of row: scanned, typed, offline, staff-marked, late, partial.
    methods = {r.method_in for r in rows}
    assert {"qr", "code", "offline", "staff"} <= methods
    assert any(r.late for r in rows) and any(r.needs_review for r in rows)
    assert any(0 < r.credited_hours < r.training.credit_hours for r in rows)


def _each_member_present_has_one_party_entry():
    entries = {}
    for entry in Entry.select().where(Entry.kind == "party_activity",
                                      Entry.status == "recorded"):
        entries.setdefault((entry.activity_id, entry.user_id), []).append(entry)
    marks = list(ActivityAttendance.select(ActivityAttendance, BranchActivity)
                 .join(BranchActivity))
    assert len(marks) > 200
    for mark in marks:
        found = entries.pop((mark.activity_id, mark.user_id), [])
        if mark.status == "present":
            assert len(found) == 1, (mark.activity_id, mark.user_id)
            assert found[0].hours == duration_hours(mark.activity)
        else:
            assert not found, (mark.activity_id, mark.user_id)
    assert not entries, "party-activity entries without a mark"
    assert {m.status for m in marks} == {"present", "excused", "absent"}


def _signed_in(logins, make_client, role):
    phone, password = next((p, pw) for r, p, pw in logins if r == role)
    client = make_client()
    client.post("/login", {"login": phone, "password": password})
    return client


def _reports_wait_in_the_queue_and_follow_the_rules(logins, make_client):
    reports = list(FirmReport.select())
    statuses = {r.status for r in reports}
    assert statuses == {"submitted", "accepted", "returned"} and {r.kind for r in reports} == {
        "info", "case"}
    cutoff = to_local(max(r.submitted_at for r in reports)).date()
    assert cutoff < local_today()
    for report in reports:
        assert report.month.year == local_today().year and report.month <= local_today()
        if report.status != "submitted":
            assert report.reviewed_at >= report.submitted_at, report.id
    returned = [r for r in reports if r.status == "returned"]
    assert len(returned) == 1 and returned[0].return_reason
    # The first county's administrator finds reports waiting in the queue.
    county = _signed_in(logins, make_client, "County administrator, Jiangnan District")
    queue = soup(county.get("/reports/queue"))
    assert queue.select(".report-queue-item")
    # The director's firm: its month counted, the returned report, the inspection's open item.
    director = _signed_in(logins, make_client, "Firm director")
    page = soup(director.get("/reports/"))
    assert page.select(".report-returned") and page.select(".inspection-item")
    firm = Firm.get_by_id(returned[0].firm_id)
    assert len(inspections.open_items(firm)) == 1
    assert any(m.complete for m in quota.month_quota(firm, local_today().year)) or \
        local_today().month == 1
    # One accepted case is recommended for the city's ten best; the city sees it.
    states = selection.selection_state([r for r in reports if r.kind == "case"])
    recommended = [i for i, state in states.items() if state == "recommended"]
    if local_today().month > 1:
        assert len(recommended) == 1
        assert FirmReport.get_by_id(recommended[0]).status == "accepted"
        city = _signed_in(logins, make_client, "City administrator")
        board = soup(city.get("/selection/"))
        assert [li["id"] for li in board.select(".selection-case")] == [f"c-{recommended[0]}"]
        assert "0/10" in text_of(board.select_one(".selection-count"))


def test_load_demo_commands(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo-logins"])
    assert result.exit_code == 0
    assert all(phone in result.output for _role, phone, _pw in DEMO_LOGINS)
    Region.create(name="某市", kind="city")
    result = runner.invoke(args=["load-demo", "--if-empty"])
    assert result.exit_code == 0 and "already present" in result.output
    assert DEMO_LOGINS[0][1] in result.output
    result = runner.invoke(args=["load-demo"])
    assert result.exit_code != 0 and "already has data" in result.output
