"""Branch pages: the county's list and export, a branch's members and secretary, activities,
attendance (page, fragment, no JS), QR check-in, the member's record; scope and bad input."""
import datetime
import io
import json

import pytest
from openpyxl import load_workbook
from PIL import Image

from tests.helpers import hours, make_activity, soup, text_of
from webapp.accounts.models import AuditEvent, RoleGrant
from webapp.branches import attendance as roll
from webapp.branches.models import (ActivityAttendance, ActivityPhoto, Branch, BranchActivity,
                                    BranchMember)
from webapp.db import utcnow
from webapp.i18n import local_today
from webapp.ledger.models import Entry
from webapp.checkin import codes as qr


@pytest.fixture(autouse=True)
def _fast(fast_passwords):  # noqa: F811
    """Cheap password hashing: these tests are about pages, not hashing cost."""


def section(page, title):
    return next(s for s in page.find_all("section") if text_of(s.find("h2")) == title)


def counts_of(node):
    return {dd["data-count"]: text_of(dd) for dd in node.select("dd[data-count]")}


def audit_actions():
    return [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]


# ------------------------------------------------------------------ county admin

def test_admin_list_shows_only_the_county_and_who_lags(client, party):
    make_activity(party["branch"])
    client.login(party["admin_a"])
    page = soup(client.get("/branches"))
    names = [text_of(a) for a in page.select("#branches h3 a")]
    assert names == [party["branch"].name]
    assert party["branch_b"].name not in page.get_text()
    row = page.find(id=f"branch-{party['branch'].id}")
    assert "Theme party days: 1 of 12" in text_of(row)
    assert len(row.select("ol.month-strip > li")) == 12
    assert not row.select(".status-at_risk")  # four full members
    assert text_of(page.select_one("#quiet .status-word")) == \
        "Every branch has held an activity this month."
    nav = page.select_one("nav.section-nav a[aria-current=page]")
    assert text_of(nav) == "Branches"


def test_admin_list_says_when_a_branch_has_too_few_and_where_branches_are_needed(
        client, party, make_user):
    Branch.create(name="河口所党支部", county=party["a"])
    for i in range(3):
        make_user(firm=party["firm_a2"], party_member=True, name=f"河口党员{i}")
    client.login(party["admin_a"])
    page = soup(client.get("/branches"))
    (small,) = [a for a in page.select("#branches article") if "河口所党支部" in text_of(a)]
    assert "Fewer than 3 full members" in text_of(small.select_one(".status-at_risk"))
    hints = [text_of(li) for li in page.select("#hints li")]
    assert any(h.startswith("甲县河口法律服务所 has 3 party members and no branch: set up its own")
               for h in hints), hints
    assert any(h.startswith("甲县城关法律服务所 has 4 party members and is in the joint branch")
               for h in hints), hints
    quiet = [text_of(li) for li in page.select("#quiet li")]
    assert set(quiet) == {party["branch"].name, "河口所党支部"}


def test_other_county_admin_gets_404(client, party):
    activity = make_activity(party["branch"])
    client.login(party["admin_b"])
    branch_id = party["branch"].id
    for url in (f"/branches/{branch_id}", f"/branches/{branch_id}/edit",
                f"/branch/activities/{activity.id}"):
        assert client.get(url).status_code == 404, url
    member = BranchMember.get(BranchMember.user == party["members"][0])
    for url, data in [(f"/branches/{branch_id}/members", {"user_id": party["outsider"].id}),
                      (f"/branches/{branch_id}/members/{member.id}", {"action": "remove"}),
                      (f"/branches/{branch_id}/secretary", {"user_id": party["members"][0].id}),
                      (f"/branches/{branch_id}/edit", {"name": "改名", "kind": "joint"})]:
        assert client.post(url, data).status_code == 404, url
    assert AuditEvent.select().count() == 0
    assert BranchMember.get_by_id(member.id).left_on is None


def test_admin_creates_and_edits_a_branch(client, party):
    client.login(party["admin_a"])
    page = soup(client.get("/branches/new"))
    assert [i["value"] for i in page.select("input[name=firm_ids]")] == sorted(
        [str(party["firm_a"].id), str(party["firm_a2"].id)], key=lambda v: {
            str(party["firm_a"].id): "甲县城关", str(party["firm_a2"].id): "甲县河口"}[v])
    response = client.post("/branches/new", {"name": "河口所党支部", "kind": "independent",
                                             "firm_ids": party["firm_a2"].id})
    assert response.status_code == 303
    branch = Branch.get(Branch.name == "河口所党支部")
    assert response.headers["Location"].endswith(f"/branches/{branch.id}")
    response = client.post(f"/branches/{branch.id}/edit", {
        "name": "河口联合党支部", "kind": "joint", "firm_ids": party["firm_a2"].id,
        "justice_office": "1"})
    assert response.status_code == 303
    branch = Branch.get_by_id(branch.id)
    assert (branch.name, branch.kind, branch.includes_justice_office) == (
        "河口联合党支部", "joint", True)
    assert audit_actions() == ["branch.create", "branch.update"]
    detail = soup(client.get(f"/branches/{branch.id}"))
    assert "township justice office" in text_of(detail.select_one(".facts"))
    assert "This branch has 0 full members" in text_of(detail.select_one("#rule"))


@pytest.mark.parametrize("data, message", [
    ({"name": "", "kind": "independent"}, "Fill in the branch's name."),
    ({"name": "新支部", "kind": "independent"}, "An independent branch covers exactly one firm."),
    ({"name": "新支部", "kind": "joint", "firm_ids": "FIRM"},
     "A joint branch covers two or more firms, or firms and the township justice office."),
    ({"name": "新支部", "kind": "independent", "firm_ids": "OTHER"}, "Choose firms from the list."),
    ({"name": "新支部", "kind": "independent", "firm_ids": "FIRM"},
     "甲县城关法律服务所 is already in the branch “甲县联合支部”."),
])
def test_branch_form_bad_input(client, party, data, message):
    client.login(party["admin_a"])
    data = dict(data)
    if data.get("firm_ids") == "FIRM":
        data["firm_ids"] = party["firm_a"].id
    if data.get("firm_ids") == "OTHER":
        data["firm_ids"] = party["firm_b"].id
    before = Branch.select().count()
    response = client.post("/branches/new", data)
    assert response.status_code in (400, 409)
    page = soup(response)
    assert message in [text_of(p) for p in page.select(".form-error, .field-error")]
    assert Branch.select().count() == before
    assert AuditEvent.select().count() == 0


def test_branch_form_error_is_translated(make_client, party):
    client = make_client("zh-CN")
    client.login(party["admin_a"])
    response = client.post("/branches/new", {"name": "", "kind": "independent"})
    assert response.status_code == 400
    assert "请填写支部名称。" in [text_of(p) for p in soup(response).select(".field-error")]


def test_admin_manages_members_and_secretary(client, party, make_user):
    branch = party["branch"]
    newcomer = make_user(firm=party["firm_a2"], name="新人")
    client.login(party["admin_a"])
    page = soup(client.get(f"/branches/{branch.id}"))
    options = [o["value"] for o in page.select("#f-user_id option")]
    assert str(newcomer.id) in options and str(party["members"][0].id) not in options
    assert str(party["member_b"].id) not in options
    response = client.post(f"/branches/{branch.id}/members", {
        "user_id": newcomer.id, "standing": "probationary", "joined_on": "2025-07-01"})
    assert response.status_code == 303
    member = BranchMember.get(BranchMember.user == newcomer)
    assert member.standing == "probationary"
    # a probationary member cannot be secretary
    response = client.post(f"/branches/{branch.id}/secretary", {"user_id": newcomer.id})
    assert response.status_code == 400
    assert "A probationary member cannot be the branch secretary." in text_of(
        soup(response).select_one("#secretary .field-error"))
    assert client.post(f"/branches/{branch.id}/members/{member.id}", {
        "action": "standing", "standing": "full"}).status_code == 303
    assert client.post(f"/branches/{branch.id}/secretary",
                       {"user_id": newcomer.id}).status_code == 303
    assert [gr.user_id for gr in RoleGrant.select().where(RoleGrant.role == "secretary")] == [
        newcomer.id]
    old = BranchMember.get(BranchMember.user == party["secretary"])
    assert client.post(f"/branches/{branch.id}/members/{old.id}",
                       {"action": "remove"}).status_code == 303
    assert BranchMember.get_by_id(old.id).left_on == local_today()
    # the new secretary cannot be removed
    response = client.post(f"/branches/{branch.id}/members/{member.id}", {"action": "remove"})
    assert response.status_code == 400
    assert BranchMember.get_by_id(member.id).left_on is None
    assert audit_actions() == ["branch.member_add", "branch.member_standing",
                               "branch.secretary", "branch.member_remove"]
    # a person already in the branch is refused, nothing written
    response = client.post(f"/branches/{branch.id}/members", {"user_id": party["members"][1].id})
    assert response.status_code in (400, 409)
    assert len(audit_actions()) == 4


def test_export_xlsx(client, party):
    activity = make_activity(party["branch"], topic="学习党章")
    roll.mark(party["secretary"], activity, party["members"][0].id, "present")
    roll.mark(party["secretary"], activity, party["members"][1].id, "excused", "出差")
    client.login(party["admin_a"])
    response = client.get("/branches/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    branches, activities = book.worksheets
    rows = list(branches.iter_rows(values_only=True))
    assert rows[0][0] == "Branch" and len(rows) == 2
    assert rows[1][0] == party["branch"].name and rows[1][4] == 4
    acts = list(activities.iter_rows(values_only=True))
    assert acts[1][6] == "学习党章"
    assert acts[1][8:12] == (4, 1, 1, 2)


# ------------------------------------------------------------------ secretary: activities

def test_secretary_home_has_the_primary_action(client, party):
    client.login(party["secretary"])
    page = soup(client.get("/home/branch"))
    this_month = section(page, "This month")
    button = this_month.select_one("a.btn-primary")
    assert text_of(button) == "Record an activity"
    assert button["href"] == "/branch/activities/new"


def test_secretary_records_a_past_theme_day_then_attendance(client, party):
    client.login(party["secretary"])
    yesterday = (local_today() - datetime.timedelta(days=1)).isoformat()
    photo = io.BytesIO()
    Image.new("RGB", (60, 40), (10, 90, 200)).save(photo, "JPEG")
    response = client.post("/branch/activities/new", {
        "kind": "theme_day", "date": yesterday, "start": "14:30", "end": "16:30",
        "topic": "学习二十届全会精神", "place": "所会议室", "summary": "书记主持",
        "photos": (io.BytesIO(photo.getvalue()), "p.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 303
    activity = BranchActivity.get(BranchActivity.topic == "学习二十届全会精神")
    assert response.headers["Location"].endswith(f"/branch/activities/{activity.id}/attendance")
    assert activity.status == "held" and activity.branch_id == party["branch"].id
    assert ActivityPhoto.select().where(ActivityPhoto.activity == activity).count() == 1
    page = soup(client.get(f"/branch/activities/{activity.id}/attendance"))
    assert counts_of(page.select_one("#att-counts")) == {
        "expected": "4", "present": "0", "excused": "0", "absent": "4"}
    assert len(page.select("li.att-row")) == 4
    member = party["members"][0]
    response = client.post(f"/branch/activities/{activity.id}/attendance",
                           {"user_id": member.id, "status": "present"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"#m-{member.id}")
    entry = Entry.get(Entry.user == member)
    assert (entry.kind, entry.status, entry.hours) == ("party_activity", "recorded", 2)
    detail = soup(client.get(f"/branch/activities/{activity.id}"))
    assert counts_of(detail.select_one("#att-counts"))["present"] == "1"
    photo_row = ActivityPhoto.get()
    thumb = client.get(f"/branch/photos/{photo_row.id}?size=thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    thumb.close()


def test_planned_activity_goes_to_its_page(client, party):
    client.login(party["secretary"])
    later = (local_today() + datetime.timedelta(days=5)).isoformat()
    response = client.post("/branch/activities/new", {
        "kind": "party_lecture", "date": later, "start": "09:00", "end": "11:00",
        "topic": "党课：党的光辉历程"})
    activity = BranchActivity.get(BranchActivity.topic == "党课：党的光辉历程")
    assert activity.status == "planned"
    assert response.headers["Location"].endswith(f"/branch/activities/{activity.id}")
    page = soup(client.get(f"/branch/activities/{activity.id}/attendance"))
    assert "This activity has not started yet." in text_of(page.select_one(".notice"))
    response = client.post(f"/branch/activities/{activity.id}/attendance",
                           {"user_id": party["members"][0].id, "status": "present"})
    assert response.status_code == 400
    assert ActivityAttendance.select().count() == 0


@pytest.mark.parametrize("change, message", [
    ({"kind": ""}, "Choose the type of activity."),
    ({"topic": ""}, "Fill in the topic."),
    ({"end": "13:00"}, "The end time must be after the start time."),
    ({"date": "next week"}, "Enter the date of the activity."),
])
def test_activity_form_bad_input(client, party, change, message):
    client.login(party["secretary"])
    data = {"kind": "theme_day", "date": local_today().isoformat(), "start": "14:30",
            "end": "16:30", "topic": "主题党日"}
    data.update(change)
    response = client.post("/branch/activities/new", data)
    assert response.status_code == 400
    assert message in [text_of(p) for p in soup(response).select(".field-error, .form-error")]
    assert BranchActivity.select().count() == 0
    assert AuditEvent.select().count() == 0


def test_activity_form_refuses_a_non_photo(client, party):
    client.login(party["secretary"])
    response = client.post("/branch/activities/new", {
        "kind": "theme_day", "date": local_today().isoformat(), "start": "08:00", "end": "09:00",
        "topic": "主题党日", "photos": (io.BytesIO(b"MZ\x90\x00 not a photo"), "x.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert "x.jpg is not a photo. Send JPEG or PNG photos." in text_of(
        soup(response).select_one(".field-error"))
    assert BranchActivity.select().count() == 0


def test_attendance_fragment_and_oob_counts(client, party):
    activity = make_activity(party["branch"])
    client.login(party["secretary"])
    fragment = client.htmx_get(f"/branch/activities/{activity.id}/attendance")
    assert fragment.headers["Vary"] == "HX-Request" or "HX-Request" in fragment.headers["Vary"]
    page = soup(fragment)
    assert page.find("html") is None and page.select_one("#attendance") is not None
    member = party["members"][1]
    response = client.post(f"/branch/activities/{activity.id}/attendance",
                           {"user_id": member.id, "status": "excused", "reason": "出差"},
                           htmx=True)
    assert response.status_code == 200
    part = soup(response)
    row = part.select_one(f"li#m-{member.id}")
    assert "state-excused" in row["class"]
    assert row.select_one("button[aria-pressed=true]")["value"] == "excused"
    oob = part.select_one("#att-counts")
    assert oob["hx-swap-oob"] == "true"
    assert counts_of(oob) == {"expected": "4", "present": "0", "excused": "1", "absent": "3"}
    rest = part.select_one("#att-rest")
    assert rest["hx-swap-oob"] == "true"
    assert text_of(rest.find("button")) == "Mark the 3 members not yet marked as present"


def test_excused_without_reason_is_refused_in_the_row(client, party):
    activity = make_activity(party["branch"])
    member = party["members"][1]
    client.login(party["secretary"])
    url = f"/branch/activities/{activity.id}/attendance"
    response = client.post(url, {"user_id": member.id, "status": "excused"}, htmx=True)
    assert response.status_code == 400
    row = soup(response).select_one(f"li#m-{member.id}")
    assert text_of(row.select_one(".field-error")) == "Write why this member is excused."
    response = client.post(url, {"user_id": member.id, "status": "excused"})
    assert response.status_code == 400
    assert soup(response).select_one(f"#m-{member.id} .field-error") is not None
    assert ActivityAttendance.select().count() == 0 and AuditEvent.select().count() == 0


def test_correcting_attendance_withdraws_the_entry(client, party):
    activity = make_activity(party["branch"])
    member = party["members"][0]
    client.login(party["secretary"])
    url = f"/branch/activities/{activity.id}/attendance"
    assert client.post(url, {"action": "rest"}).status_code == 303
    assert Entry.select().where(Entry.activity == activity.id).count() == 4
    client.post(url, {"user_id": member.id, "status": "absent"})
    entry = Entry.get(Entry.user == member)
    assert entry.status == "withdrawn"
    client.post(url, {"user_id": member.id, "status": "present"})
    assert Entry.get_by_id(entry.id).status == "recorded"
    assert Entry.select().where(Entry.user == member).count() == 1
    corrections = [json.loads(e.detail) for e in AuditEvent.select().where(
        AuditEvent.action == "attendance.correct")]
    assert [(c["before"], c["after"]) for c in corrections] == [
        ("present", "absent"), ("absent", "present")]


def test_secretary_manages_only_their_branch(client, party, make_user):
    other_branch = Branch.create(name="河口所党支部", county=party["a"])
    other_secretary = make_user("secretary", branch=other_branch, name="另一书记")
    BranchMember.delete().where(BranchMember.user == other_secretary,
                                BranchMember.branch == party["branch"]).execute()
    mine = make_activity(party["branch"])
    theirs = make_activity(other_branch)
    client.login(party["secretary"])
    assert client.get(f"/branch/activities/{mine.id}").status_code == 200
    for url in (f"/branch/activities/{theirs.id}", f"/branch/activities/{theirs.id}/attendance",
                f"/branch/activities/{theirs.id}/edit",
                f"/branch/activities/{theirs.id}/projector"):
        assert client.get(url).status_code == 404, url
    response = client.post(f"/branch/activities/{theirs.id}/attendance",
                           {"user_id": other_secretary.id, "status": "present"})
    assert response.status_code == 404
    assert client.post(f"/branch/activities/{theirs.id}/cancel").status_code == 404
    assert ActivityAttendance.select().count() == 0
    assert BranchActivity.get_by_id(theirs.id).status == "held"
    # a county admin sees the activity but does not mark attendance
    admin = client.__class__(client.c.application.test_client())
    admin.c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    admin.login(party["admin_a"])
    page = soup(admin.get(f"/branch/activities/{mine.id}"))
    assert not page.select("a[href$='/attendance']")
    assert admin.post(f"/branch/activities/{mine.id}/attendance", {
        "user_id": party["members"][0].id, "status": "present"}).status_code == 403


# ------------------------------------------------------------------ QR check-in

def scan(client, activity):
    response = client.get(qr.path_of(qr.current_code(activity, 'in', None, 'activity')))
    assert response.status_code == 303 and response.headers["Location"].endswith("/party/checkin")
    return response


def outcome_of(response):
    node = soup(response).find(class_="result")
    return node["data-outcome"], text_of(node.find(class_="result-message"))


def test_projector_reuses_the_trainings_script(client, party):
    activity = make_activity(party["branch"], start=utcnow() - hours(1))
    client.login(party["secretary"])
    page = soup(client.get(f"/branch/activities/{activity.id}/projector"))
    root = page.select_one("#projector")
    assert root["data-training"] == f"a/{activity.id}"
    assert root["data-secret"] == activity.secret
    assert page.find("script", src=lambda s: s and "js/projector.js" in s)
    first = page.select_one("#qr-box")["data-first-url"]
    assert qr.parse(first) is not None
    live = client.get(f"/branch/activities/{activity.id}/live").get_json()
    assert (live["in"], live["expected"]) == (0, 4)


def test_member_scans_signs_in_and_checks_in(client, party):
    activity = make_activity(party["branch"], start=utcnow() - hours(1))
    member = party["members"][0]
    scan(client, activity)
    page = soup(client.get("/party/checkin"))
    assert text_of(page.find("h1")) == activity.topic
    assert page.select_one("form[action='/login'] input[name=next]")["value"] == "/party/checkin"
    client.login(member)
    response = client.post("/party/checkin")
    assert response.status_code == 303
    code, message = outcome_of(client.get("/party/checkin/result"))
    assert code == "checked_in" and message.startswith("Checked in at")
    row = ActivityAttendance.get(ActivityAttendance.user == member)
    assert (row.status, row.method) == ("present", "qr")
    scan(client, activity)
    client.post("/party/checkin")
    code, _message = outcome_of(client.get("/party/checkin/result"))
    assert code == "already_in"
    assert Entry.select().where(Entry.user == member).count() == 1


def test_only_members_check_in(client, party):
    activity = make_activity(party["branch"], start=utcnow() - hours(1))
    client.login(party["outsider"])
    scan(client, activity)
    client.post("/party/checkin")
    code, message = outcome_of(client.get("/party/checkin/result"))
    assert code == "not_member"
    assert message == ("You are not a member of this party branch. Ask the branch secretary if "
                       "you should be.")
    assert ActivityAttendance.select().count() == 0


def test_bad_activity_codes(client, party):
    activity = make_activity(party["branch"], start=utcnow() - hours(1))
    code = qr.current_code(activity, 'in', None, 'activity')
    tampered = f"/c/a/{activity.id}/in/{code.slice_no}/{'0' * 16}"
    response = client.get(tampered)
    assert response.status_code == 400 and outcome_of(response)[0] == "invalid"
    old = qr.current_code(activity, 'in', qr.now_seconds() - 3 * activity.rotation_seconds, 'activity')
    response = client.get(qr.path_of(old))
    assert response.status_code == 410 and outcome_of(response)[0] == "expired"
    # no ticket: back to the Scan tab
    assert client.get("/party/checkin").status_code == 302


def test_typed_code_and_offline_scan_through_the_scan_tab(client, party):
    activity = make_activity(party["branch"], start=utcnow() - hours(1))
    member = party["members"][0]
    client.login(member)
    typed = qr.typed_code(activity.secret, "in", qr.slice_of(qr.now_seconds(),
                                                             qr.TYPED_SLICE_SECONDS))
    response = client.post("/checkin/code", {"code": typed})
    assert response.status_code == 303 and response.headers["Location"].endswith(
        "/party/checkin/result")
    assert outcome_of(client.get("/party/checkin/result"))[0] == "checked_in"
    # an offline scan by another member, sent later to the trainings' sync endpoint
    other = party["members"][1]
    client.logout()
    client.login(other)
    now_ms = int(qr.now_seconds() * 1000)
    path = qr.path_of(qr.current_code(activity, 'in', now_ms / 1000, 'activity'))
    response = client.c.post("/checkin/sync", json={"url": path, "scanned_at": now_ms,
                                                    "key": "k" * 16},
                             headers={"X-CSRF-Token": client.csrf()})
    assert response.status_code == 200
    assert response.get_json()["code"] == "checked_in"
    assert response.get_json()["title"] == activity.topic
    assert ActivityAttendance.get(ActivityAttendance.user == other).method == "offline"


# ------------------------------------------------------------------ members

def test_member_sees_only_their_own_record(client, party):
    secretary, branch = party["secretary"], party["branch"]
    member, other = party["members"][:2]
    one = make_activity(branch, topic="第一次")
    two = make_activity(branch, start=utcnow() - hours(30), topic="第二次")
    roll.mark(secretary, one, member.id, "present")
    roll.mark(secretary, two, member.id, "excused", "出差")
    roll.mark(secretary, two, other.id, "present")
    client.login(member)
    me = soup(client.get("/me"))
    link = me.find("a", href="/party/record")
    assert link is not None and text_of(link) == "My party record"
    page = soup(client.get("/party/record"))
    assert counts_of(page.select_one("#summary")) == {
        "present": "1", "excused": "1", "absent": "0", "hours": "2"}
    rows = {text_of(li.select_one("span")): text_of(li.select_one(".status-word"))
            for li in page.select("#record li")}
    assert len(rows) == 2 and set(rows.values()) == {"Attended", "Excused"}
    assert other.name not in page.get_text()
    # the year is a parameter of the page, not of whose record it is
    assert client.get("/party/record?year=1990").status_code == 404


def test_non_member_has_no_link_and_an_empty_record(client, party):
    client.login(party["outsider"])
    assert soup(client.get("/me")).find("a", href="/party/record") is None
    page = soup(client.get("/party/record"))
    assert "You are not in a party branch." in text_of(page.select_one(".empty"))


def test_a_planned_activity_whose_time_has_come_offers_attendance(client, party):
    past = make_activity(party["branch"], start=utcnow() - hours(30), status="planned")
    soon = make_activity(party["branch"], start=utcnow() + hours(30), status="planned")
    client.login(party["secretary"])
    home = soup(client.get("/home/branch"))
    assert [a["href"] for a in home.select("#unrecorded a")] == [
        f"/branch/activities/{past.id}/attendance"]
    assert [a["href"] for a in home.select("#upcoming a")] == [f"/branch/activities/{soon.id}"]
    page = soup(client.get(f"/branch/activities/{past.id}"))
    assert page.select_one(f"a[href='/branch/activities/{past.id}/attendance']") is not None
    page = soup(client.get(f"/branch/activities/{soon.id}"))
    assert page.select_one(f"a[href='/branch/activities/{soon.id}/attendance']") is None
    client.post(f"/branch/activities/{past.id}/attendance",
                {"user_id": party["members"][0].id, "status": "present"})
    assert BranchActivity.get_by_id(past.id).status == "held"


@pytest.mark.parametrize("value", ["99999999999999999999", "²", "-1"])
def test_secretary_and_member_with_an_id_that_is_not_an_id_are_refused(client, party, value):
    branch = party["branch"]
    client.login(party["admin_a"])
    for path in (f"/branches/{branch.id}/secretary", f"/branches/{branch.id}/members"):
        response = client.post(path, {"user_id": value})
        assert response.status_code == 400
        assert text_of(soup(response).select_one(".field-error, .form-error, [role=alert]"))
    assert audit_actions() == []
    assert Branch.get_by_id(branch.id).secretary_id == party["secretary"].id
