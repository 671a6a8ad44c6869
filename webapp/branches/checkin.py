"""QR check-in to a branch activity: the trainings' rotating codes, under /c/a/<activity>/...

The codes are made and checked by webapp.trainings.qr from the activity's own secret (an
activity carries `secret` and `rotation_seconds` like a training), so a code for an activity
can never pass for a training's or the other way round. Only the branch's members may check in.
"""
import datetime
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from peewee import IntegrityError

from ..accounts.models import User
from ..db import db, utcnow, write_transaction
from ..i18n import to_local
from ..trainings import qr
from . import services
from .models import ActivityAttendance, Branch, BranchActivity, BranchMember

PURPOSE = "in"   # an activity has check-in only; its length is the scheduled time
OFFLINE_MAX_DELAY = datetime.timedelta(hours=72)
OFFLINE_CLOCK_SKEW = datetime.timedelta(minutes=2)
URL_RE = re.compile(r"/c/a/(\d{1,10})/(in)/(\d{1,12})/([0-9a-f]{%d})/?$" % qr.MAC_CHARS)

CHECKED_IN, ALREADY_IN, EXPIRED, INVALID = "checked_in", "already_in", "expired", "invalid"
NOT_OPEN, CLOSED, NOT_MEMBER, CANCELLED = "not_open", "closed", "not_member", "cancelled"
TOO_OLD, TIME_MISMATCH = "too_old", "time_mismatch"
GOOD = (CHECKED_IN, ALREADY_IN)


def current_code(activity, unix_time=None):
    """Return the code the projector shows now (Code.training_id holds the activity's id)."""
    return qr.current_code(activity, PURPOSE, unix_time)


def path_of(code):
    """Return the URL path an activity's code is carried in."""
    return f"/c/a/{code.training_id}/{code.purpose}/{code.slice_no}/{code.mac}"


def parse(text):
    """Read an activity's code from a scanned URL or path; None when it is not one."""
    match = URL_RE.search((text or "").strip().split("?")[0].split("#")[0])
    if not match:
        return None
    return qr.Code(int(match.group(1)), match.group(2), int(match.group(3)), match.group(4))


def _unix(dt):
    return dt.replace(tzinfo=datetime.UTC).timestamp()


def window(activity):
    """Return (opens, closes): from half an hour before the start to the end."""
    return activity.start_at - services.CHECKIN_OPENS_BEFORE, activity.end_at


@dataclass
class Outcome:
    """What a scan did, with what the message needs."""
    code: str
    activity: BranchActivity = None
    at: datetime.datetime = None

    @property
    def ok(self):
        return self.code in GOOD

    def to_dict(self):
        """Return a JSON-safe form (kept in the session for the result page)."""
        return {"code": self.code, "ok": self.ok,
                "activity": self.activity.id if self.activity else None,
                "at": self.at.isoformat() if self.at else None}

    @classmethod
    def from_dict(cls, data):
        """Rebuild an outcome from to_dict() output."""
        activity = (BranchActivity.get_or_none(BranchActivity.id == data.get("activity"))
                    if data.get("activity") else None)
        at = datetime.datetime.fromisoformat(data["at"]) if data.get("at") else None
        return cls(code=data.get("code", INVALID), activity=activity, at=at)


def message(outcome):
    """Return the translated sentence for an outcome."""
    code = outcome.code
    hhmm = to_local(outcome.at).strftime("%H:%M") if outcome.at else ""
    if code == CHECKED_IN:
        return _("Checked in at %(time)s.", time=hhmm)
    if code == ALREADY_IN:
        if outcome.at:
            return _("You already checked in at %(time)s. Nothing has changed.", time=hhmm)
        return _("You are already marked present. Nothing has changed.")
    if code == EXPIRED:
        return _("This code has expired. Scan the code on the screen again.")
    if code == NOT_OPEN:
        return _("Not open yet. It opens at %(time)s.", time=hhmm)
    if code == CLOSED:
        return _("Check-in has closed. Ask the branch secretary to mark you present.")
    if code == NOT_MEMBER:
        return _("You are not a member of this party branch. Ask the branch secretary if you "
                 "should be.")
    if code == CANCELLED:
        return _("This activity was cancelled.")
    if code == TOO_OLD:
        return _("This scan was kept on the phone for more than 72 hours and can no longer be "
                 "accepted. Ask the branch secretary to mark you present.")
    if code == TIME_MISMATCH:
        return _("The time of this scan does not match the code. Ask the branch secretary to "
                 "mark you present.")
    return _("This code is not valid. Scan the code on the screen again.")


def is_member(activity, user):
    """Say whether the person is a current member of the activity's branch."""
    return BranchMember.select().where(BranchMember.branch == activity.branch_id,
                                       BranchMember.user == user.id,
                                       BranchMember.left_on.is_null()).exists()


def check_in(activity, user, at, method="qr"):
    """Mark a member present at `at` (the scan time); scanning again changes nothing."""
    if activity.status == "cancelled":
        return Outcome(CANCELLED, activity)
    if not is_member(activity, user):
        return Outcome(NOT_MEMBER, activity)
    row = ActivityAttendance.get_or_none(ActivityAttendance.activity == activity.id,
                                         ActivityAttendance.user == user.id)
    if row is not None and row.status == "present":
        return Outcome(ALREADY_IN, activity, row.checked_in_at)
    opens, closes = window(activity)
    if at < opens:
        return Outcome(NOT_OPEN, activity, opens)
    if at > closes:
        return Outcome(CLOSED, activity)
    with write_transaction():
        try:
            with db.atomic():
                ActivityAttendance.create(activity=activity, user=user, status="present",
                                          checked_in_at=at, method=method, updated_at=utcnow())
        except IntegrityError:
            # Marked excused or absent earlier, but here after all: only one request wins.
            taken = (ActivityAttendance.update(status="present", reason="", checked_in_at=at,
                                               method=method, updated_at=utcnow())
                     .where(ActivityAttendance.activity == activity.id,
                            ActivityAttendance.user == user.id,
                            ActivityAttendance.status != "present").execute())
            if not taken:
                row = ActivityAttendance.get(ActivityAttendance.activity == activity.id,
                                             ActivityAttendance.user == user.id)
                return Outcome(ALREADY_IN, activity, row.checked_in_at)
        services._held(activity)
        services.sync_entry(activity, user.id, True)
    return Outcome(CHECKED_IN, activity, at)


def scan(user, code, scanned_at, method="qr"):
    """Act on an activity's scanned code at its scan time."""
    activity = BranchActivity.get_or_none(BranchActivity.id == code.training_id)
    if activity is None or code.purpose != PURPOSE or not qr.authentic(activity.secret, code):
        return Outcome(INVALID)
    state = qr.check(activity, code, _unix(scanned_at))
    if state == qr.EXPIRED:
        return Outcome(EXPIRED, activity)
    if state not in (qr.FRESH, qr.STALE):
        return Outcome(INVALID, activity)
    return check_in(activity, user, scanned_at, method)


def scan_typed(user, typed, at):
    """Check in with a typed 6-digit code; None when no activity of the person's branches has it."""
    mine = (BranchMember.select(BranchMember.branch)
            .where(BranchMember.user == user.id, BranchMember.left_on.is_null()))
    horizon = datetime.timedelta(hours=2)
    candidates = (BranchActivity.select().join(Branch)
                  .where(BranchActivity.branch.in_(mine), BranchActivity.status != "cancelled",
                         BranchActivity.start_at <= at + horizon,
                         BranchActivity.end_at >= at - horizon)
                  .order_by(BranchActivity.start_at))
    for activity in candidates:
        if qr.match_typed(activity, typed, _unix(at)) == PURPOSE:
            return scan(user, current_code(activity, _unix(at)), at, method="code")
    return None


def sync_offline(user, code, scanned_at, now=None):
    """Accept a scan made offline if the code fits the claimed time and it is recent.

    Check-in is idempotent per (activity, person), so a resend needs no receipt.
    """
    now = now or utcnow()
    activity = BranchActivity.get_or_none(BranchActivity.id == code.training_id)
    if activity is None or not qr.authentic(activity.secret, code):
        return Outcome(INVALID)
    if scanned_at > now + OFFLINE_CLOCK_SKEW or not qr.slice_matches(activity, code,
                                                                     _unix(scanned_at)):
        return Outcome(TIME_MISMATCH, activity)
    if now - scanned_at > OFFLINE_MAX_DELAY:
        return Outcome(TOO_OLD, activity)
    return check_in(activity, user, scanned_at, method="offline")


def live(activity):
    """Counts and the last few names for the projector."""
    totals = services.counts(activity)
    last = (ActivityAttendance.select(User.name).join(User)
            .where(ActivityAttendance.activity == activity.id,
                   ActivityAttendance.status == "present")
            .order_by(ActivityAttendance.updated_at.desc()).limit(5).tuples())
    return {"in": totals["present"], "out": 0, "expected": totals["expected"],
            "names": [n for (n,) in last]}
