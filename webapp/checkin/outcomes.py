"""What a scan did: the outcome codes, one Outcome for any subject, and the sentence for each."""
import datetime
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _

from ..i18n import fmt_hours, to_local

CHECKED_IN, ALREADY_IN, CHECKED_OUT, ALREADY_OUT = "checked_in", "already_in", "checked_out", "already_out"
NOT_CHECKED_IN, EXPIRED, OTHER_TRAINING, INVALID = "not_checked_in", "expired", "other_training", "invalid"
NOT_OPEN, CLOSED, CANCELLED, EXCUSED = "not_open", "closed", "cancelled", "excused"
NOT_AUDIENCE, NOT_MEMBER = "not_audience", "not_member"   # a subject's NOT_ON_LIST
TOO_OLD, TIME_MISMATCH = "too_old", "time_mismatch"
WRONG_CODE, TOO_MANY_CODES = "wrong_code", "too_many_codes"   # a typed code no screen showed
GOOD = (CHECKED_IN, ALREADY_IN, CHECKED_OUT, ALREADY_OUT)
# Codes whose sentence names who to ask, so each kind of subject words it (its TEXTS).
WORDED_BY_SUBJECT = {CANCELLED: "cancelled", CLOSED: "closed", NOT_AUDIENCE: "not_on_list",
                     NOT_MEMBER: "not_on_list", TOO_OLD: "too_old", TIME_MISMATCH: "time_mismatch"}


@dataclass
class Outcome:
    """What a scan did, with what the message needs. `adapter` is the subject's module."""
    code: str
    adapter: object = None
    subject: object = None
    row: object = None
    at: datetime.datetime = None
    late: bool = False
    hours: Decimal = None
    other: object = None
    wait: int = 0          # minutes to wait (TOO_MANY_CODES)

    @property
    def ok(self):
        return self.code in GOOD

    @property
    def kind(self):
        return self.adapter.KIND if self.adapter else None

    @property
    def title(self):
        return self.adapter.title(self.subject) if self.subject is not None else ""

    def to_dict(self):
        """Return a JSON-safe form (kept in the session for the result page)."""
        return {"code": self.code, "ok": self.ok, "kind": self.kind,
                "subject": self.subject.id if self.subject is not None else None,
                "at": self.at.isoformat() if self.at else None, "late": self.late,
                "hours": str(self.hours) if self.hours is not None else None,
                "other": self.other.id if self.other is not None else None}


def _hhmm(at):
    return to_local(at).strftime("%H:%M")


def message(outcome):
    """Return the translated sentence for an outcome."""
    code = outcome.code
    if code in WORDED_BY_SUBJECT and outcome.adapter is not None:
        return str(outcome.adapter.TEXTS[WORDED_BY_SUBJECT[code]])
    if code == CHECKED_IN:
        if outcome.late:
            return _("Checked in at %(time)s — late.", time=_hhmm(outcome.at))
        return _("Checked in at %(time)s.", time=_hhmm(outcome.at))
    if code == ALREADY_IN:
        if outcome.at is None:
            return _("You are already marked present. Nothing has changed.")
        return _("You already checked in at %(time)s. Nothing has changed.", time=_hhmm(outcome.at))
    if code == CHECKED_OUT:
        return _("Checked out at %(time)s. Credited: %(hours)s hours.",
                 time=_hhmm(outcome.at), hours=fmt_hours(outcome.hours))
    if code == ALREADY_OUT:
        return _("You already checked out at %(time)s. Nothing has changed.", time=_hhmm(outcome.at))
    if code == NOT_CHECKED_IN:
        return _("You have not checked in to this training, so you cannot check out. "
                 "Ask the organisers to mark you present.")
    if code == EXPIRED:
        return _("This code has expired. Scan the code on the screen again.")
    if code == WRONG_CODE:
        return _("This number is not right. Check the six digits on the screen and type them "
                 "again.")
    if code == TOO_MANY_CODES:
        return _("Too many wrong numbers. Wait %(minutes)d minutes and try again, or scan the "
                 "code on the screen.", minutes=outcome.wait)
    if code == OTHER_TRAINING:
        return _("This code is for another training: %(title)s.",
                 title=outcome.other.title if outcome.other else "")
    if code == NOT_OPEN:
        if outcome.at:
            return _("Not open yet. It opens at %(time)s.", time=_hhmm(outcome.at))
        return _("Not open yet.")
    if code == EXCUSED:
        return _("You were excused from this training.")
    return _("This code is not valid. Scan the code on the screen again.")
