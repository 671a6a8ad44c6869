"""Who came to a branch activity: the list, marks by the secretary, scans, and the entries they give.

Every present member has exactly one party-activity entry in their ledger, written by the
ledger's one writer (webapp.ledger.system); a member no longer present has it withdrawn.
"""
import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from ..access import audit
from ..accounts.models import User
from ..db import db, utcnow, write_transaction
from ..errors import DomainError
from ..i18n import to_local
from ..inputs import clean_text
from ..ledger import system
from ..web import object_id
from .models import ActivityAttendance, BranchActivity, BranchMember
from .labels import ATTENDANCE_LABELS
from .activities import CHECKIN_OPENS_BEFORE, WHOLE_BRANCH_KINDS, entry_fields, is_missing

KIND = "activity"
PURPOSES = ("in",)                       # an activity has check-in only; its length is the scheduled time
KEEPS_RECEIPTS = False                   # check-in is idempotent per (activity, person): no receipts
TYPED_HORIZON = datetime.timedelta(hours=2)
NOT_ON_LIST = "not_member"
TEXTS = {
    "cancelled": _l("This activity was cancelled."),
    "closed": _l("Check-in has closed. Ask the branch secretary to mark you present."),
    "not_on_list": _l("You are not a member of this party branch. Ask the branch secretary if "
                      "you should be."),
    "too_old": _l("This scan was kept on the phone for more than 72 hours and can no longer be "
                  "accepted. Ask the branch secretary to mark you present."),
    "time_mismatch": _l("The time of this scan does not match the code. Ask the branch "
                        "secretary to mark you present."),
}


def _as_id(value):
    try:
        return object_id(value)
    except (TypeError, ValueError):
        return None


def sync_entry(activity, user_id, present):
    """Give a present member their one recorded entry; withdraw it (never delete) otherwise."""
    key = system.source_key("party_activity", activity.id, user_id)
    if not present:
        system.withdraw(key)
        return
    fields = entry_fields(activity)
    system.record(system.values("party_activity", activity.id, user_id, fields["date"],
                                fields["hours"], fields["category"], fields["description"],
                                fields["place"]))


def _on_roll(day):
    return (((BranchMember.joined_on.is_null()) | (BranchMember.joined_on <= day))
            & ((BranchMember.left_on.is_null()) | (BranchMember.left_on > day)))


def roster(activity):
    """Everyone on the activity's list: members on its day, and anyone already marked.

    Returns a list of dicts: user, standing, row (ActivityAttendance or None), state
    ('present', 'excused', 'absent' or 'unmarked').
    """
    day = to_local(activity.start_at).date()
    members = {m.user_id: m for m in (
        BranchMember.select(BranchMember, User).join(User)
        .where(BranchMember.branch == activity.branch_id, _on_roll(day)))}
    rows = {r.user_id: r for r in (ActivityAttendance.select(ActivityAttendance, User).join(User)
                                   .where(ActivityAttendance.activity == activity.id))}
    people = {uid: m.user for uid, m in members.items()}
    for uid, row in rows.items():
        people.setdefault(uid, row.user)
    secretary = activity.branch.secretary_id
    result = []
    for uid, person in people.items():
        row = rows.get(uid)
        result.append({"user": person, "row": row,
                       "standing": members[uid].standing if uid in members else "",
                       "state": row.status if row else "unmarked"})
    result.sort(key=lambda r: (r["user"].id != secretary, r["user"].name, r["user"].id))
    return result


def counts_from(activity, entries):
    """Return expected (应到), present (实到), excused, absent and unmarked from a roster."""
    whole = activity.kind in WHOLE_BRANCH_KINDS
    result = {"present": 0, "excused": 0, "absent": 0, "unmarked": 0}
    for item in entries:
        result[item["state"]] += 1
    counted = result["present"] + result["excused"] + result["absent"]
    result["expected"] = counted + (result["unmarked"] if whole else 0)
    result["missing"] = sum(is_missing(activity.kind, item["state"]) for item in entries)
    return result


def counts(activity):
    """Expected and actual attendance of one activity."""
    return counts_from(activity, roster(activity))


def _check_markable(activity, now):
    if activity.status == "cancelled":
        raise DomainError(_("This activity was cancelled."))
    if activity.start_at - CHECKIN_OPENS_BEFORE > now:
        raise DomainError(_("This activity has not started yet. Record attendance when it is "
                            "held."))


def _clean_mark(status, reason):
    if status not in ATTENDANCE_LABELS:
        raise DomainError(_("Choose present, excused or absent."), field="status")
    reason = clean_text(reason, "reason", "", 200, required=status == "excused",
                        missing=_l("Write why this member is excused."),
                        too_long=_l("The reason is too long (at most 200 characters)."))
    return status, reason if status == "excused" else ""


def mark_held(activity):
    """Turn a planned activity into a held one (the first mark or scan does)."""
    if activity.status == "planned":
        (BranchActivity.update(status="held")
         .where(BranchActivity.id == activity.id, BranchActivity.status == "planned").execute())
        activity.status = "held"


def mark(actor, activity, user_id, status, reason="", now=None):
    """Mark one person present, excused (with a reason) or absent; correct an earlier mark."""
    now = now or utcnow()
    _check_markable(activity, now)
    status, reason = _clean_mark(status, reason)
    user_id = _as_id(user_id)
    person = next((r for r in roster(activity) if r["user"].id == user_id), None)
    if person is None:
        raise DomainError(_("This person is not on the branch's list for this activity."),
                          field="user_id")
    with write_transaction():
        row = ActivityAttendance.get_or_none(ActivityAttendance.activity == activity.id,
                                             ActivityAttendance.user == user_id)
        created = False
        if row is None:
            try:
                with db.atomic():
                    row = ActivityAttendance.create(activity=activity, user=user_id,
                                                    status=status, reason=reason, updated_at=now)
                created = True
            except IntegrityError:
                # A scan got there first (PostgreSQL does not queue writers): correct that row.
                row = ActivityAttendance.get(ActivityAttendance.activity == activity.id,
                                             ActivityAttendance.user == user_id)
        before = None if created else (row.status, row.reason)
        if before == (status, reason):
            return row
        if not created:
            row.status, row.reason, row.updated_at = status, reason, now
            if status != "present":
                row.checked_in_at = None
            else:
                row.method = "list"
            row.save()
        mark_held(activity)
        sync_entry(activity, user_id, status == "present")
        audit(actor, "attendance.correct" if before else "attendance.mark", activity,
              activity.branch.county_id,
              {"user": user_id, "name": person["user"].name,
               "before": before[0] if before else None, "after": status,
               "reason": reason})
    return row


def mark_rest_present(actor, activity, now=None):
    """Mark everyone on the list who is not marked yet as present; return how many."""
    now = now or utcnow()
    _check_markable(activity, now)
    rest = [r["user"] for r in roster(activity) if r["state"] == "unmarked"]
    if not rest:
        return 0
    with write_transaction():
        done = []
        for person in rest:
            try:
                with db.atomic():
                    ActivityAttendance.create(activity=activity, user=person, status="present",
                                              updated_at=now)
            except IntegrityError:
                continue  # marked meanwhile (a scan, another phone): keep that mark
            sync_entry(activity, person.id, True)
            done.append(person.id)
        mark_held(activity)
        if done:
            audit(actor, "attendance.mark", activity, activity.branch.county_id,
                  {"users": done, "after": "present"})
    return len(done)


# ------------------------------------------------------------------ QR check-in (webapp.checkin)

def load(activity_id):
    """Load a scanned activity."""
    return BranchActivity.get_or_none(BranchActivity.id == activity_id)


def title(activity):
    """What a person sees the activity called."""
    return activity.topic


def cancelled(activity):
    """Say whether the activity was cancelled."""
    return activity.status == "cancelled"


def window(activity, purpose="in"):
    """Return (opens, closes) of check-in: from half an hour before the start to the end."""
    return activity.start_at - CHECKIN_OPENS_BEFORE, activity.end_at


def distance(activity, position, geofence):
    """Activities keep no venue position, so no scan is 'far'."""
    return None


def present(row):
    """Say whether a row shows the member present (by a scan or on the secretary's list)."""
    return row is not None and row.status == "present"


def on_list(activity, user):
    """Say whether the person is a current member of the activity's branch."""
    return BranchMember.select().where(BranchMember.branch == activity.branch_id,
                                       BranchMember.user == user.id,
                                       BranchMember.left_on.is_null()).exists()


def existing(activity, user):
    """Return the person's attendance row for the activity, if there is one."""
    return ActivityAttendance.get_or_none(ActivityAttendance.activity == activity.id,
                                          ActivityAttendance.user == user.id)


def check_in(activity, user, at, method="qr", device="", flags="", distance=None):
    """Mark a member present at `at` (the scan time); return (row, whether this call did it).

    An activity's row keeps no device, review flags or distance (the arguments are the ones a
    training's check-in takes, so webapp.checkin calls both alike).
    """
    with write_transaction():
        try:
            with db.atomic():
                row = ActivityAttendance.create(activity=activity, user=user, status="present",
                                                checked_in_at=at, method=method,
                                                updated_at=utcnow())
        except IntegrityError:
            # Marked excused or absent earlier, but here after all: only one request wins.
            taken = (ActivityAttendance.update(status="present", reason="", checked_in_at=at,
                                               method=method, updated_at=utcnow())
                     .where(ActivityAttendance.activity == activity.id,
                            ActivityAttendance.user == user.id,
                            ActivityAttendance.status != "present").execute())
            row = existing(activity, user)
            if not taken:
                return row, False
        mark_held(activity)
        sync_entry(activity, user.id, True)
    return row, True


def recent_names(activity, limit=5):
    """The last few people checked in, newest first (for the projector)."""
    return [n for (n,) in (ActivityAttendance.select(User.name).join(User)
                           .where(ActivityAttendance.activity == activity.id,
                                  ActivityAttendance.status == "present")
                           .order_by(ActivityAttendance.updated_at.desc()).limit(limit).tuples())]


def live_counts(activity):
    """The projector's counts: present and expected (no check-out)."""
    totals = counts(activity)
    return {"in": totals["present"], "out": 0, "expected": totals["expected"]}


def typed_candidates(user, at, horizon):
    """Activities of the person's branches around `at`, soonest first (for a typed code)."""
    from_branches = (BranchMember.select(BranchMember.branch)
                     .where(BranchMember.user == user.id, BranchMember.left_on.is_null()))
    return list(BranchActivity.select()
                .where(BranchActivity.branch.in_(from_branches),
                       BranchActivity.status != "cancelled",
                       BranchActivity.start_at <= at + horizon,
                       BranchActivity.end_at >= at - horizon)
                .order_by(BranchActivity.start_at))
