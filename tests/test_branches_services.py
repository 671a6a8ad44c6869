"""Branch rules without HTTP: branches, members, secretary, the three-member rule, attendance,
ledger entries, QR check-in, overviews and photos."""
import datetime
import io
import json
from decimal import Decimal

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict

from tests.helpers import hours, make_activity
from webapp.accounts.models import AuditEvent, RoleGrant, User
from webapp.branches import attendance as roll
from webapp.branches import activities, services
from webapp.branches import overview as branch_overview
from webapp.checkin import outcomes, pipeline
from webapp.branches.models import (ActivityAttendance, ActivityPhoto, Branch, BranchActivity,
                                    BranchMember)
from webapp.db import utcnow
from webapp.errors import Conflict, DomainError
from webapp.i18n import local_today, to_local, to_utc
from webapp.ledger.models import Entry
from webapp.checkin import codes as qr


@pytest.fixture(autouse=True)
def request_context(app):
    """Messages are translated, so services run inside a request (English, like the client)."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield


def form(**values):
    data = MultiDict()
    for key, value in values.items():
        for item in (value if isinstance(value, list) else [value]):
            data.add(key, item)
    return data


def audits(action):
    return [json.loads(e.detail) for e in AuditEvent.select().where(AuditEvent.action == action)]


# ------------------------------------------------------------------ branches

def test_clean_branch_rules(party):
    firms = services.county_firms(party["a"].id)
    a, a2 = party["firm_a"], party["firm_a2"]
    ok = services.clean_branch(form(name=" 河口所党支部 ", kind="independent", firm_ids=[a2.id]),
                               firms)
    assert (ok["name"], ok["kind"], ok["firms"]) == ("河口所党支部", "independent", [a2])
    joint = services.clean_branch(form(name="联合", kind="joint", firm_ids=[a.id],
                                       justice_office="1"), firms)
    assert joint["includes_justice_office"] and joint["firms"] == [a]
    for data, field in [
        (form(name="", kind="independent", firm_ids=[a.id]), "name"),
        (form(name="x" * 121, kind="independent", firm_ids=[a.id]), "name"),
        (form(name="甲", kind="both", firm_ids=[a.id]), "kind"),
        (form(name="甲", kind="independent", firm_ids=[a.id, a2.id]), "firm_ids"),
        (form(name="甲", kind="independent"), "firm_ids"),
        (form(name="甲", kind="independent", firm_ids=[a.id], justice_office="1"), "justice_office"),
        (form(name="甲", kind="joint", firm_ids=[a.id]), "firm_ids"),
        (form(name="甲", kind="joint", justice_office="1"), "firm_ids"),
        (form(name="甲", kind="joint", firm_ids=[a.id, party["firm_b"].id]), "firm_ids"),
        (form(name="甲", kind="independent", firm_ids=["abc"]), "firm_ids"),
    ]:
        with pytest.raises(DomainError) as caught:
            services.clean_branch(data, firms)
        assert caught.value.field == field, data


def test_save_branch_audits_and_refuses_a_taken_firm_or_name(party):
    admin = party["admin_a"]
    firms = services.county_firms(party["a"].id)
    clean = services.clean_branch(form(name="河口所党支部", kind="independent",
                                       firm_ids=[party["firm_a2"].id]), firms)
    branch = services.save_branch(admin, party["a"].id, clean)
    assert [bf.firm_id for bf in branch.firm_links] == [party["firm_a2"].id]
    assert audits("branch.create") == [{"name": "河口所党支部", "kind": "independent",
                                        "justice_office": False, "firms": [party["firm_a2"].id]}]
    # firm A is in the county's joint branch already
    taken = services.clean_branch(form(name="城关所党支部", kind="independent",
                                       firm_ids=[party["firm_a"].id]), firms)
    with pytest.raises(Conflict):
        services.save_branch(admin, party["a"].id, taken)
    same_name = services.clean_branch(form(name=party["branch"].name, kind="independent",
                                           firm_ids=[party["firm_a2"].id]), firms)
    with pytest.raises(Conflict):
        services.save_branch(admin, party["a"].id, same_name, branch)
    assert Branch.get_by_id(branch.id).name == "河口所党支部"
    # editing: a joint branch taking both firms is refused while firm A is elsewhere
    both = services.clean_branch(form(name="河口所党支部", kind="joint",
                                      firm_ids=[party["firm_a"].id, party["firm_a2"].id]), firms)
    with pytest.raises(Conflict):
        services.save_branch(admin, party["a"].id, both, branch)
    renamed = services.clean_branch(form(name="河口联合党支部", kind="joint",
                                         firm_ids=[party["firm_a2"].id], justice_office="on"),
                                    firms)
    services.save_branch(admin, party["a"].id, renamed, branch)
    (event,) = audits("branch.update")
    assert event["before"]["name"] == "河口所党支部" and event["after"]["justice_office"] is True


# ------------------------------------------------------------------ members and secretary

def test_add_member_flags_party_member_and_refuses_doubles(party, make_user):
    admin, branch = party["admin_a"], party["branch"]
    newcomer = make_user(firm=party["firm_a2"], name="新党员")
    assert not newcomer.party_member
    assert newcomer in services.candidates(branch)
    services.add_member(admin, branch, form(user_id=newcomer.id, standing="probationary",
                                            joined_on="2025-07-01"))
    member = BranchMember.get(BranchMember.user == newcomer)
    assert (member.standing, member.joined_on) == ("probationary", datetime.date(2025, 7, 1))
    assert User.get_by_id(newcomer.id).party_member
    assert audits("branch.member_add")[0]["user"] == newcomer.id
    assert newcomer not in services.candidates(branch)
    with pytest.raises(Conflict):
        services.add_member(admin, branch, form(user_id=newcomer.id))
    # a member of county B's branch, or a person of county B, cannot be added here
    with pytest.raises(DomainError):
        services.add_member(admin, branch, form(user_id=party["member_b"].id))
    other_branch = Branch.create(name="河口所党支部", county=party["a"])
    with pytest.raises(Conflict) as caught:
        services.add_member(admin, other_branch, form(user_id=newcomer.id))
    assert party["branch"].name in caught.value.message
    for bad in (form(user_id="x"), form(user_id=party["outsider"].id, standing="honorary"),
                form(user_id=party["outsider"].id, joined_on="2999-01-01"),
                form(user_id=party["outsider"].id, joined_on="yesterday")):
        with pytest.raises(DomainError):
            services.add_member(admin, branch, bad)
    assert not BranchMember.select().where(BranchMember.user == party["outsider"]).exists()
    assert len(audits("branch.member_add")) == 1


def test_remove_member_keeps_history_and_can_come_back(party):
    admin, branch = party["admin_a"], party["branch"]
    member = BranchMember.get(BranchMember.user == party["members"][0])
    services.remove_member(admin, branch, member, today=local_today())
    assert BranchMember.get_by_id(member.id).left_on == local_today()
    assert party["members"][0].id not in [m.user_id for m in services.active_members(branch)]
    secretary_row = BranchMember.get(BranchMember.user == party["secretary"])
    with pytest.raises(DomainError):
        services.remove_member(admin, branch, secretary_row)
    services.add_member(admin, branch, form(user_id=party["members"][0].id))
    assert BranchMember.get_by_id(member.id).left_on is None
    assert BranchMember.select().where(BranchMember.user == party["members"][0]).count() == 1


def test_set_secretary_moves_the_role(party):
    admin, branch = party["admin_a"], party["branch"]
    old, new = party["secretary"], party["members"][1]
    services.set_secretary(admin, branch, new.id)
    holders = [gr.user_id for gr in RoleGrant.select().where(RoleGrant.role == "secretary")]
    assert holders == [new.id]
    assert Branch.get_by_id(branch.id).secretary_id == new.id
    assert RoleGrant.select().where(RoleGrant.user == old,
                                    RoleGrant.role == "practitioner").exists()
    assert audits("branch.secretary") == [{"before": old.id, "after": new.id, "name": new.name}]
    # naming the same person again changes nothing
    services.set_secretary(admin, Branch.get_by_id(branch.id), new.id)
    assert len(audits("branch.secretary")) == 1
    probationary = BranchMember.get(BranchMember.user == party["members"][2])
    probationary.standing = "probationary"
    probationary.save()
    for user_id in (party["members"][2].id, party["outsider"].id, "nobody"):
        with pytest.raises(DomainError):
            services.set_secretary(admin, Branch.get_by_id(branch.id), user_id)
    holders = RoleGrant.select().where(RoleGrant.role == "secretary")
    assert [gr.user_id for gr in holders] == [new.id]
    # the secretary cannot be made probationary
    secretary_row = BranchMember.get(BranchMember.user == new)
    with pytest.raises(DomainError):
        services.change_standing(admin, Branch.get_by_id(branch.id), secretary_row, "probationary")


def test_three_member_rule_and_firm_hints(party, make_user):
    branch = party["branch"]
    counts = services.member_counts([branch.id])[branch.id]
    assert counts == {"full": 4, "probationary": 0} and not services.too_few(counts)
    for member in BranchMember.select().where(BranchMember.user.in_(
            [m.id for m in party["members"][:2]])):
        member.standing = "probationary"
        member.save()
    counts = services.member_counts([branch.id])[branch.id]
    assert counts == {"full": 2, "probationary": 2} and services.too_few(counts)
    # firm A has 4 party members but is in a joint branch: it can have its own
    # firm A2 has 3 party members and no branch; a new firm with 1 party member has none
    for i in range(3):
        make_user(firm=party["firm_a2"], party_member=True, name=f"河口党员{i}")
    small = party["firm_a2"].__class__.create(name="甲县小所", county=party["a"])
    make_user(firm=small, party_member=True)
    hints = services.firm_hints(party["a"].id, [branch])
    assert [(kind, firm.id, n) for kind, firm, n, _b in hints] == [
        ("own", party["firm_a"].id, 4), ("no_branch_own", party["firm_a2"].id, 3),
        ("no_branch_joint", small.id, 1)]


# ------------------------------------------------------------------ activities

def test_clean_activity(party):
    today = datetime.date(2026, 5, 20)
    good = form(kind="theme_day", date="2026-05-18", start="14:30", end="16:30", topic=" 学习 ",
                place="会议室", summary="")
    clean = activities.clean_activity(good, today)
    assert clean["topic"] == "学习"
    assert to_local(clean["start_at"]).strftime("%Y-%m-%d %H:%M") == "2026-05-18 14:30"
    assert clean["end_at"] - clean["start_at"] == hours(2)
    for change, field in [({"kind": "picnic"}, "kind"), ({"date": ""}, "date"),
                          ({"date": "2024-12-31"}, "date"), ({"date": "2027-06-01"}, "date"),
                          ({"start": "2pm"}, "start"), ({"end": "14:30"}, "end"),
                          ({"topic": " "}, "topic"), ({"topic": "长" * 201}, "topic"),
                          ({"place": "p" * 121}, "place"), ({"summary": "s" * 4001}, "summary")]:
        data = form(**{**{k: good[k] for k in good}, **change})
        with pytest.raises(DomainError) as caught:
            activities.clean_activity(data, today)
        assert caught.value.field == field, change


def test_activity_planned_or_held_and_entries_follow_edits(party):
    secretary, branch = party["secretary"], party["branch"]
    today = local_today()
    later = today + datetime.timedelta(days=3)
    planned = activities.save_activity(secretary, branch, activities.clean_activity(form(
        kind="party_lecture", date=later.isoformat(), start="09:00", end="11:00", topic="党课"),
        today))
    assert planned.status == "planned" and len(planned.secret) == 64
    past = make_activity(branch)
    roll.mark(secretary, past, party["members"][0].id, "present")
    entry = Entry.get(Entry.activity == past.id)
    assert entry.hours == Decimal("2.00")
    earlier = today - datetime.timedelta(days=1)
    activities.save_activity(secretary, branch, activities.clean_activity(form(
        kind="theme_day", date=earlier.isoformat(), start="08:00", end="11:30", topic="改了"),
        today), activity=past)
    entry = Entry.get_by_id(entry.id)
    assert (entry.hours, entry.date, entry.description) == (Decimal("3.50"), earlier, "改了")
    # with someone present it cannot move to a time to come
    with pytest.raises(DomainError):
        activities.save_activity(secretary, branch, activities.clean_activity(form(
            kind="theme_day", date=later.isoformat(), start="08:00", end="09:00", topic="x"),
            today), activity=BranchActivity.get_by_id(past.id))
    assert [e["topic"] for e in audits("activity.update")] == ["改了"]


# ------------------------------------------------------------------ attendance and ledger

def test_attendance_counts(party):
    secretary, activity = party["secretary"], make_activity(party["branch"])
    a, b, c = party["members"]
    assert roll.counts(activity) == {"present": 0, "excused": 0, "absent": 0,
                                         "unmarked": 4, "expected": 4, "missing": 4}
    roll.mark(secretary, activity, a.id, "present")
    roll.mark(secretary, activity, b.id, "excused", "出差")
    roll.mark(secretary, activity, c.id, "absent")
    assert roll.counts(activity) == {"present": 1, "excused": 1, "absent": 1,
                                         "unmarked": 1, "expected": 4, "missing": 2}
    assert roll.mark_rest_present(secretary, activity) == 1
    assert roll.counts(activity)["present"] == 2
    assert ActivityAttendance.get(ActivityAttendance.user == b).reason == "出差"
    # a member who joined after the day is not expected
    late = BranchMember.get(BranchMember.user == c)
    late.joined_on = local_today() + datetime.timedelta(days=1)
    late.save()
    ActivityAttendance.delete().where(ActivityAttendance.user == c).execute()
    assert roll.counts(activity)["expected"] == 3


def test_committee_meeting_counts_only_those_marked(party):
    secretary = party["secretary"]
    meeting = make_activity(party["branch"], kind="committee_meeting")
    roll.mark(secretary, meeting, secretary.id, "present")
    roll.mark(secretary, meeting, party["members"][0].id, "absent")
    totals = roll.counts(meeting)
    assert (totals["expected"], totals["present"], totals["missing"], totals["unmarked"]) == (
        2, 1, 1, 2)


def test_entries_created_once_withdrawn_and_restored(party):
    secretary, activity = party["secretary"], make_activity(party["branch"])
    member = party["members"][0]
    roll.mark(secretary, activity, member.id, "present")
    roll.mark(secretary, activity, member.id, "present")   # the same again: nothing
    roll.mark_rest_present(secretary, activity)
    entries = list(Entry.select().where(Entry.user == member))
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.kind, entry.source, entry.status, entry.hours, entry.activity_id) == (
        "party_activity", "system", "recorded", Decimal("2.00"), activity.id)
    assert Entry.select().where(Entry.activity == activity.id).count() == 4  # everyone present
    roll.mark(secretary, activity, member.id, "excused", "生病")
    assert Entry.get_by_id(entry.id).status == "withdrawn"
    roll.mark(secretary, activity, member.id, "absent")
    assert Entry.get_by_id(entry.id).status == "withdrawn"
    roll.mark(secretary, activity, member.id, "present")
    assert Entry.get_by_id(entry.id).status == "recorded"
    assert Entry.select().where(Entry.user == member).count() == 1
    corrections = audits("attendance.correct")
    assert [(c["before"], c["after"]) for c in corrections] == [
        ("present", "excused"), ("excused", "absent"), ("absent", "present")]


def test_marking_refusals_write_nothing(party, make_user):
    secretary = party["secretary"]
    activity = make_activity(party["branch"])
    future = make_activity(party["branch"], start=utcnow() + hours(5), status="planned")
    cancelled = make_activity(party["branch"], status="cancelled")
    member = party["members"][0]
    for target, user_id, status, reason in [
        (activity, member.id, "excused", ""), (activity, member.id, "excused", "x" * 201),
        (activity, member.id, "late", ""), (activity, party["outsider"].id, "present", ""),
        (activity, party["member_b"].id, "present", ""), (future, member.id, "present", ""),
        (cancelled, member.id, "present", ""), (activity, None, "present", "")]:
        with pytest.raises(DomainError):
            roll.mark(secretary, target, user_id, status, reason)
    assert ActivityAttendance.select().count() == 0
    assert Entry.select().count() == 0
    assert AuditEvent.select().count() == 0


def test_cancel_withdraws_entries(party):
    secretary, activity = party["secretary"], make_activity(party["branch"])
    roll.mark_rest_present(secretary, activity)
    activities.cancel_activity(secretary, activity)
    assert {e.status for e in Entry.select()} == {"withdrawn"}
    assert Entry.select().count() == 4
    with pytest.raises(DomainError):
        activities.cancel_activity(secretary, BranchActivity.get_by_id(activity.id))


# ------------------------------------------------------------------ QR check-in

def test_qr_check_in_once_for_members_only(party):
    activity = make_activity(party["branch"], start=utcnow() - hours(1), status="planned")
    member = party["members"][0]
    code = qr.current_code(activity, 'in', None, 'activity')
    assert qr.parse("https://x.example" + qr.path_of(code)) == code
    now = utcnow()
    outcome = pipeline.scan(member, code, now)
    assert outcome.code == outcomes.CHECKED_IN and outcome.ok
    row = ActivityAttendance.get(ActivityAttendance.user == member)
    assert (row.status, row.method, row.checked_in_at) == ("present", "qr", now)
    assert BranchActivity.get_by_id(activity.id).status == "held"
    again = pipeline.scan(member, qr.current_code(activity, 'in', None, 'activity'), utcnow())
    assert again.code == outcomes.ALREADY_IN
    assert Entry.select().where(Entry.user == member).count() == 1
    assert pipeline.scan(party["outsider"], code, now).code == outcomes.NOT_MEMBER
    assert pipeline.scan(party["member_b"], code, now).code == outcomes.NOT_MEMBER
    assert ActivityAttendance.select().count() == 1
    # excused earlier but came after all
    other = party["members"][1]
    roll.mark(party["secretary"], activity, other.id, "excused", "请假")
    assert pipeline.scan(other, code, now).code == outcomes.CHECKED_IN
    assert ActivityAttendance.get(ActivityAttendance.user == other).reason == ""


def test_qr_codes_do_not_cross_between_activities_and_trainings(party):
    activity = make_activity(party["branch"], start=utcnow() - hours(1))
    member = party["members"][0]
    code = qr.current_code(activity, 'in', None, 'activity')
    forged = qr.Code(code.subject_id, "in", code.slice_no, "0" * 16)
    assert pipeline.scan(member, forged, utcnow()).code == outcomes.INVALID
    assert pipeline.scan(member, qr.Code(code.subject_id, "out", code.slice_no, code.mac),
                        utcnow()).code == outcomes.INVALID
    # an activity's code is not taken for a training of the same id
    as_training = qr.Code(code.subject_id, "in", code.slice_no, code.mac, "training")
    assert pipeline.scan(member, as_training, utcnow()).code == outcomes.INVALID
    old = qr.current_code(activity, 'in', qr.now_seconds() - 3 * activity.rotation_seconds, 'activity')
    assert pipeline.scan(member, old, utcnow()).code == outcomes.EXPIRED
    assert ActivityAttendance.select().count() == 0


def test_qr_window_and_cancelled(party):
    member = party["members"][0]
    early = make_activity(party["branch"], start=utcnow() + hours(2), status="planned")
    outcome = pipeline.scan(member, qr.current_code(early, 'in', None, 'activity'), utcnow())
    assert outcome.code == outcomes.NOT_OPEN
    assert outcome.at == early.start_at - activities.CHECKIN_OPENS_BEFORE
    over = make_activity(party["branch"], start=utcnow() - hours(5))
    assert pipeline.scan(member, qr.current_code(over, 'in', None, 'activity'), utcnow()).code == outcomes.CLOSED
    gone = make_activity(party["branch"], start=utcnow() - hours(1), status="cancelled")
    assert pipeline.scan(member, qr.current_code(gone, 'in', None, 'activity'), utcnow()).code == outcomes.CANCELLED
    assert ActivityAttendance.select().count() == 0


def test_typed_code_and_offline_sync(party):
    activity = make_activity(party["branch"], start=utcnow() - hours(1))
    member, other = party["members"][:2]
    now = utcnow()
    typed = qr.typed_code(activity.secret, "in", qr.slice_of(qr.now_seconds(),
                                                             qr.TYPED_SLICE_SECONDS))
    outcome = pipeline.scan_typed(member, typed, now)
    assert outcome.code == outcomes.CHECKED_IN
    assert ActivityAttendance.get(ActivityAttendance.user == member).method == "code"
    assert pipeline.scan_typed(party["outsider"], typed, now).code == outcomes.WRONG_CODE
    assert pipeline.scan_typed(member, "000000" if typed != "000000" else "111111", now).code == outcomes.WRONG_CODE
    scanned = now - datetime.timedelta(seconds=1)
    code = qr.current_code(activity, 'in', scanned.replace(tzinfo=datetime.UTC).timestamp(), 'activity')
    assert pipeline.sync_offline(other, code, scanned, 'activity-key-1').code == outcomes.CHECKED_IN
    assert pipeline.sync_offline(other, code, scanned, 'activity-key-1').code == outcomes.ALREADY_IN
    assert pipeline.sync_offline(other, code, now + hours(1), 'activity-key-2', now=now).code == outcomes.TIME_MISMATCH
    assert pipeline.sync_offline(other, code, scanned, 'activity-key-3', now=now + hours(73)).code in (
        outcomes.TOO_OLD, outcomes.TIME_MISMATCH)
    assert Entry.select().where(Entry.user == other).count() == 1


# ------------------------------------------------------------------ overviews

def at(*parts):
    """A naive-UTC moment for a local wall-clock time."""
    return to_utc(datetime.datetime(*parts))


def test_secretary_overview_rates_and_three_in_a_row(party):
    secretary, branch = party["secretary"], party["branch"]
    a, b, c = party["members"]
    for day in (10, 11, 12):
        activity = make_activity(branch, start=at(2025, 3, day, 9), kind="members_meeting")
        roll.mark(secretary, activity, a.id, "present")
        roll.mark(secretary, activity, b.id, "excused", "出差")
        roll.mark(secretary, activity, c.id, "absent")
        roll.mark(secretary, activity, secretary.id, "present")
    make_activity(branch, start=at(2025, 12, 3, 9))  # attendance never taken: counts for no one
    make_activity(branch, start=at(2024, 12, 3, 9))  # another year
    overview = branch_overview.secretary_overview(branch, datetime.date(2025, 12, 20))
    stats = {s["member"].name: s for s in overview["stats"]}
    assert overview["stats"][0]["member"].id == secretary.id
    assert (stats["党员甲"]["rate"], stats["党员甲"]["total"]) == (100, 3)
    assert (stats["党员乙"]["rate"], stats["党员乙"]["missed_in_row"]) == (0, 0)
    assert stats["党员丙"]["missed_in_row"] == 3
    assert [s["member"].name for s in overview["missed"]] == ["党员丙"]
    assert overview["this_month_done"]
    assert [state for _m, state in overview["strip"]] == ["missing"] * 11 + ["done"]


def test_county_overview_against_the_target(party):
    branch = party["branch"]
    today = datetime.date(2025, 6, 15)
    make_activity(branch, start=at(2025, 6, 10, 14))
    make_activity(branch, start=at(2025, 2, 10, 14), kind="party_lecture")
    (row,) = branch_overview.county_overview([branch], 2025, today)
    assert row["target"] == Decimal(12)
    assert (row["theme_days"], row["activities"]) == (1, 2)
    assert row["by_month"] == [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    assert not row["none_this_month"] and row["behind"]
    assert row["expected_now"] == Decimal(5)
    assert row["rate"] is None
    (other,) = branch_overview.county_overview([party["branch_b"]], 2025, today)
    assert other["none_this_month"] and other["theme_days"] == 0


def test_the_county_target_replaces_the_default(party):
    from webapp.targets.models import Target
    Target.create(year=2025, metric="theme_days", region=party["a"], value=6, source="县定")
    (row,) = branch_overview.county_overview([party["branch"]], 2025, datetime.date(2025, 7, 15))
    assert row["target"] == Decimal(6) and row["expected_now"] == Decimal(3)
    (other,) = branch_overview.county_overview([party["branch_b"]], 2025, datetime.date(2025, 7, 15))
    assert other["target"] == Decimal(12)


def test_party_record(party):
    secretary, branch = party["secretary"], party["branch"]
    member = party["members"][0]
    one, two, three = (make_activity(branch, start=at(2025, 4, d, 9), topic=t)
                       for d, t in ((1, "一"), (2, "二"), (3, "三")))
    roll.mark(secretary, one, member.id, "present")
    roll.mark(secretary, two, member.id, "excused", "出差")
    roll.mark(secretary, three, secretary.id, "present")  # member not marked: missed
    record = branch_overview.party_record(member, 2025, datetime.date(2025, 12, 1))
    assert [(r["activity"].topic, r["state"]) for r in record["rows"]] == [
        ("三", "absent"), ("二", "excused"), ("一", "present")]
    assert (record["stats"]["present"], record["stats"]["excused"], record["stats"]["absent"]) == (
        1, 1, 1)
    assert record["hours"] == Decimal("2.00")
    assert branch_overview.party_record(member, 2024, datetime.date(2025, 12, 1))["rows"] == []
    make_activity(branch, start=utcnow() + hours(48), status="planned", topic="下周党课")
    planned = branch_overview.party_record(member, local_today().year, local_today())["planned"]
    assert [a.topic for a in planned] == ["下周党课"]
    assert branch_overview.party_record(party["outsider"], 2025, datetime.date(2025, 12, 1))["rows"] == []


# ------------------------------------------------------------------ photos

def _jpeg_with_gps():
    image = Image.new("RGB", (40, 30), (200, 10, 10))
    exif = Image.Exif()
    exif[0x8825] = {2: (30.0, 1.0, 0.0)}  # GPSInfo
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_photos_are_reencoded_without_exif_and_capped(party, app):
    data = _jpeg_with_gps()
    assert Image.open(io.BytesIO(data)).getexif()
    uploads = activities.read_photos([FileStorage(io.BytesIO(data), filename="a.jpg")])
    activity = activities.save_activity(party["secretary"], party["branch"], {
        "kind": "theme_day", "topic": "t", "place": "", "summary": "",
        "start_at": utcnow() - hours(3), "end_at": utcnow() - hours(1)}, uploads)
    photo = ActivityPhoto.get(ActivityPhoto.activity == activity)
    with open(activities.photo_path(photo.stored_name), "rb") as fh:
        stored = Image.open(io.BytesIO(fh.read()))
        assert not stored.getexif()
    with pytest.raises(DomainError):
        activities.read_photos([FileStorage(io.BytesIO(b"%PDF-1.4 x %%EOF"), filename="a.pdf")])
    with pytest.raises(DomainError):
        activities.read_photos([FileStorage(io.BytesIO(b"not an image"), filename="a.jpg")])
    with pytest.raises(DomainError):
        activities.read_photos([FileStorage(io.BytesIO(data), filename=f"{i}.jpg")
                              for i in range(2)], existing=5)
    activities.remove_photo(party["secretary"], activity, photo)
    assert not ActivityPhoto.select().exists()
    import os
    assert not os.path.exists(activities.photo_path(photo.stored_name))


def test_the_database_keeps_one_current_branch_per_person(party):
    from peewee import IntegrityError
    from webapp.db import db
    other = Branch.create(name="河口所党支部", county=party["a"])
    with pytest.raises(IntegrityError):
        with db.atomic():
            BranchMember.create(branch=other, user=party["members"][0])
    member = BranchMember.get(BranchMember.user == party["members"][0])
    member.left_on = local_today()
    member.save()
    BranchMember.create(branch=other, user=party["members"][0])  # left the first: allowed
