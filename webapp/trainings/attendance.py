"""Training attendance: windows, hour crediting, a scan's check-in and check-out, staff marks.

This module is also what webapp.checkin asks about a training (see that package's
docstring for the adapter's names): load, title, cancelled, on_list, window, present,
existing, check_in, check_out, typed_candidates, recent_names, live_counts, distance.
"""
import datetime
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from ..access import audit
from ..accounts.models import User
from ..db import db, hydrate, insert_row, prepared, select_rows, utcnow, width, write_transaction
from ..errors import DomainError
from ..hours import quarter_hours_down
from ..i18n import to_local
from ..inputs import clean_text
from ..ledger import system
from . import geo
from .models import Attendance, Training, TrainingCategory
from .services import audience_people, for_person, in_audience

KIND = "training"
PURPOSES = ("in", "out", "static")
KEEPS_RECEIPTS = True                    # offline scans are answered once per key (ScanReceipt)
TYPED_HORIZON = datetime.timedelta(hours=5)
NOT_ON_LIST = "not_audience"
TEXTS = {
    "cancelled": _l("This training was cancelled."),
    "closed": _l("Already closed. Ask the organisers to mark you present."),
    "not_on_list": _l("You are not on the list for this training. Ask the organisers if you "
                      "should be."),
    "too_old": _l("This scan was kept on the phone for more than 72 hours and can no longer be "
                  "accepted. Ask the organisers to mark you present."),
    "time_mismatch": _l("The time of this scan does not match the code. Ask the organisers to "
                        "mark you present."),
}


# ------------------------------------------------------------------ windows

def checkin_window(training):
    """Return (opens, closes) of check-in."""
    return (training.start_at - datetime.timedelta(minutes=training.checkin_opens_before),
            training.start_at + datetime.timedelta(minutes=training.checkin_closes_after))


def checkout_window(training):
    """Return (opens, closes) of check-out."""
    return (training.end_at - datetime.timedelta(minutes=training.checkout_opens_before),
            training.end_at + datetime.timedelta(minutes=training.checkout_closes_after))


def window_of(training, purpose):
    return checkin_window(training) if purpose == "in" else checkout_window(training)


def is_late(training, at):
    """Say whether a check-in at `at` is late."""
    return at > training.start_at + datetime.timedelta(minutes=training.late_after)


def window(training, purpose):
    """Return (opens, closes) of check-in ('in') or check-out ('out')."""
    return window_of(training, purpose)


def resolve_static(training, at):
    """The printable code checks in until check-in closes, and checks out after that."""
    return "in" if at <= checkin_window(training)[1] else "out"


# ------------------------------------------------------------------ crediting

# Why a row is credited less than the training's hours (Credit.reasons).
LATE, LEFT_EARLY, NO_CHECKOUT = "late", "left_early", "no_checkout"
REASON_LABELS = {
    LATE: _l("arrived late"),
    LEFT_EARLY: _l("left early"),
    NO_CHECKOUT: _l("did not check out"),
}


def reasons_text(reasons):
    """Say the reasons of a Credit in words: 'arrived late and left early'."""
    words = [str(REASON_LABELS[reason]) for reason in reasons]
    if len(words) > 1:
        return _("%(first)s and %(second)s", first=words[0], second=words[1])
    return words[0] if words else ""


@dataclass(frozen=True)
class Credit:
    """A row's credit: the hours, whether staff must look at it, and why it is short."""
    hours: Decimal
    needs_review: bool = False
    reasons: tuple = ()


def assess_credit(training, attendance):
    """Return the Credit of an attendance row: its hours, review flag and reasons."""
    if attendance.status != "present" or attendance.checked_in_at is None:
        return Credit(Decimal("0.00"))
    credit = Decimal(training.credit_hours)
    out = attendance.checked_out_at
    if training.checkout_required and out is None:
        return Credit(Decimal("0.00"), True, (NO_CHECKOUT,))
    on_time = not is_late(training, attendance.checked_in_at)
    out_ok = out is None or out >= checkout_window(training)[0]
    if on_time and out_ok:
        return Credit(credit.quantize(Decimal("0.01")))
    reasons = tuple(reason for reason, short in ((LATE, not on_time), (LEFT_EARLY, not out_ok))
                    if short)
    begin = max(attendance.checked_in_at, training.start_at)
    finish = min(out or training.end_at, training.end_at)
    overlap = max((finish - begin).total_seconds(), 0)
    duration = (training.end_at - training.start_at).total_seconds()
    share = Decimal(overlap) / Decimal(duration)
    return Credit(min(quarter_hours_down(credit * share), credit).quantize(Decimal("0.01")),
                  False, reasons)


def compute_credit(training, attendance):
    """Return (credited hours, needs review) for an attendance row."""
    credit = assess_credit(training, attendance)
    return credit.hours, credit.needs_review


def credit_entry(training, attendance, hours, now=None):
    """The person's system ledger entry for the training, as the ledger's writer takes it."""
    return system.values("training_credit", training.id, attendance.user_id,
                         to_local(training.start_at).date(), hours, _category_name(training),
                         training.title, training.place, now)


def record_credit(training, attendance):
    """Recompute the row's credit and write its one ledger entry (withdrawn when it is 0)."""
    hours, review = compute_credit(training, attendance)
    (Attendance.update(credited_hours=hours, needs_review=review, updated_at=utcnow())
     .where(Attendance.id == attendance.id).execute())
    attendance.credited_hours, attendance.needs_review = hours, review
    system.record(credit_entry(training, attendance, hours))
    return hours


def _category_name(training):
    category = getattr(training, "_category_name", None)
    if category is None:
        category = TrainingCategory.select(TrainingCategory.name).where(
            TrainingCategory.id == training.category_id).scalar() or ""
    return category[:40]


def _training_query():
    return (Training.select(Training, TrainingCategory.name.alias("_category_name"))
            .join(TrainingCategory).where(Training.id == 0))


def load_training(training_id):
    """Load a training with its category name in one query (the check-in path is hot)."""
    rows = select_rows("load_training", _training_query, (int(training_id),))
    if not rows:
        return None
    training = hydrate(Training, rows[0])
    training._category_name = rows[0][width(Training)]
    return training


def load(training_id):
    """Load a scanned training (the check-in path's one read of it)."""
    return load_training(training_id)


def title(training):
    """What a person sees the training called."""
    return training.title


def cancelled(training):
    """Say whether the training was cancelled."""
    return training.status == "cancelled"


def on_list(training, user):
    """Say whether the person is in the training's audience."""
    return in_audience(training, user)


def distance(training, position, geofence):
    """The metres from the venue of a position beyond the geofence, else None."""
    return geo.far_from_venue(training, position, geofence)


# ------------------------------------------------------------------ check-in and check-out

def add_flag(flags, flag):
    """Add a review flag to a comma-separated list, once."""
    parts = [f for f in (flags or "").split(",") if f]
    if flag not in parts:
        parts.append(flag)
    return ",".join(parts)[:200]


def _device_query():
    return (Attendance.select(Attendance.id)
            .where(Attendance.training == 0, Attendance.device == "", Attendance.user != 0)
            .limit(1))


def _device_used_by_another(training_id, device, user_id):
    """Say whether another person already checked in to the training from this device."""
    sql, _params = prepared("device_used", _device_query)
    return db.execute_sql(sql, (training_id, device, user_id, 1)).fetchone() is not None


def existing(training, user):
    """Return the person's attendance row for the training, if there is one."""
    return Attendance.get_or_none(Attendance.training == training.id, Attendance.user == user.id)


def present(row):
    """Say whether a row shows the person checked in."""
    return row is not None and row.checked_in_at is not None


def own_rows(user, trainings):
    """The person's attendance rows for these trainings, by training id."""
    ids = [t.id for t in trainings]
    if not ids:
        return {}
    return {row.training_id: row for row in
            Attendance.select().where(Attendance.user == user.id, Attendance.training.in_(ids))}


def person_state(training, row, now):
    """What a person's home offers for a training now, from their row and the windows.

    'check_in' (not in yet, check-in not closed), 'closed' (never checked in), 'in' (checked
    in, check-out not open yet), 'check_out' (check-out open), 'no_checkout' (check-out
    closed without one), 'done' (nothing more to do), 'excused'.
    """
    if row is not None and row.status == "excused":
        return "excused"
    if not present(row):
        return "closed" if now > checkin_window(training)[1] else "check_in"
    if training.checkout_required and row.checked_out_at is None:
        opens, closes = checkout_window(training)
        return "in" if now < opens else ("check_out" if now <= closes else "no_checkout")
    return "done"


def _farthest(kept, metres):
    values = [d for d in (kept, metres) if d is not None]
    return max(values) if values else None


def check_in(training, user, at, method="qr", device="", flags="", distance=None):
    """Check the person in at `at`; return (row, whether this call did it). Idempotent.

    `distance` is the metres from the venue of a scan flagged 'far'.
    """
    device = (device or "")[:64]
    if device and _device_used_by_another(training.id, device, user.id):
        flags = add_flag(flags, "shared_device")
    late = is_late(training, at)
    fresh = Attendance(training=training.id, user=user.id, checked_in_at=at, method_in=method,
                       late=late, device=device, flags=flags, distance_m=distance)
    fresh.credited_hours, fresh.needs_review = compute_credit(training, fresh)
    # The row and its credit go in together, or, on a clash on (training, person), nothing.
    if fresh.credited_hours > 0:
        fresh.id = system.insert_with_entry(
            Attendance, fresh.__data__, ("training", "user"),
            credit_entry(training, fresh, fresh.credited_hours))
    else:
        fresh.id = insert_row(Attendance, fresh.__data__, conflict=("training", "user"))
    if fresh.id is not None:
        return fresh, True
    with write_transaction():
        row = existing(training, user)
        if row.checked_in_at is not None:
            return row, False
        # An excused person who came after all: only the first request turns it present.
        taken = (Attendance.update(status="present", checked_in_at=at, method_in=method,
                                   late=late, device=device,
                                   flags=add_flag(row.flags, flags) if flags else row.flags,
                                   distance_m=_farthest(row.distance_m, distance),
                                   updated_at=utcnow())
                 .where(Attendance.id == row.id, Attendance.checked_in_at.is_null())
                 .execute())
        row = Attendance.get_by_id(row.id)
        if not taken:
            return row, False
        record_credit(training, row)
    return row, True


def check_out(training, user, at, method="qr", device="", flags="", distance=None):
    """Check the person out at `at` and credit their hours; return (row, whether this call did it)."""
    with write_transaction():
        taken = (Attendance.update(checked_out_at=at, method_out=method, updated_at=utcnow())
                 .where(Attendance.training == training.id, Attendance.user == user.id,
                        Attendance.status == "present", Attendance.checked_in_at.is_null(False),
                        Attendance.checked_out_at.is_null())
                 .execute())
        row = existing(training, user)
        if not taken:
            return row, False
        if flags:
            row.flags = add_flag(row.flags, flags)
            row.distance_m = _farthest(row.distance_m, distance)
            Attendance.update(flags=row.flags, distance_m=row.distance_m).where(
                Attendance.id == row.id).execute()
        record_credit(training, row)
    return row, True


def typed_candidates(user, at, horizon):
    """Trainings around `at`, the person's own first (for a typed code)."""
    candidates = list(Training.select().where(Training.start_at <= at + horizon,
                                              Training.end_at >= at - horizon)
                      .order_by(Training.start_at))
    mine = {t.id for t in for_person(user).where(Training.id.in_([t.id for t in candidates] or [0]))}
    candidates.sort(key=lambda t: t.id not in mine)
    return candidates


def recent_names(training, limit=5):
    """The last few people checked in, newest first (for the projector)."""
    return [n for (n,) in (Attendance.select(User.name).join(User)
                           .where(Attendance.training == training.id,
                                  Attendance.checked_in_at.is_null(False))
                           .order_by(Attendance.updated_at.desc()).limit(limit).tuples())]


def counts(training):

    """Return live counts for the projector and the sheet header."""
    rows = Attendance.select(Attendance.status, Attendance.checked_in_at, Attendance.checked_out_at,
                             Attendance.late, Attendance.flags, Attendance.needs_review) \
        .where(Attendance.training == training.id).tuples()
    result = {"in": 0, "late": 0, "out": 0, "flagged": 0, "excused": 0, "review": 0}
    for status, in_at, out_at, late, flags, review in rows:
        if status == "excused":
            result["excused"] += 1
            continue
        if in_at:
            result["in"] += 1
        if late:
            result["late"] += 1
        if out_at:
            result["out"] += 1
        if flags:
            result["flagged"] += 1
        if review:
            result["review"] += 1
    result["expected"] = audience_people(training).count()
    result["absent"] = max(result["expected"] - result["in"] - result["excused"], 0)
    return result


def live_counts(training):
    """The projector's counts: in, out and expected."""
    totals = counts(training)
    return {"in": totals["in"], "out": totals["out"], "expected": totals["expected"]}


# ------------------------------------------------------------------ staff actions

def _person_in(training, person_id):
    person = audience_people(training).where(User.id == person_id).first()
    if person is None:
        raise DomainError(_("This person is not on the list for this training."), field="user")
    return person


def _reason(text, missing):
    return clean_text(text, "reason", "", 500, required=True, multiline=True, missing=missing,
                      too_long=_l("The reason is too long (at most 500 characters)."))


def mark_present(actor, training, person_id, reason):
    """Mark someone present by hand for the whole training, with a reason."""
    reason = _reason(reason, _l("Say why you are marking this person present."))
    person = _person_in(training, person_id)
    if training.status == "cancelled":
        raise DomainError(_("This training was cancelled."))
    out = training.end_at if training.checkout_required else None
    with write_transaction():
        try:
            with db.atomic():
                row = Attendance.create(training=training, user=person, checked_in_at=training.start_at,
                                        checked_out_at=out, method_in="staff",
                                        method_out="staff" if out else None, note=reason,
                                        marked_by=actor)
        except IntegrityError:
            row = existing(training, person)
            if row.status == "present" and row.checked_in_at is not None:
                raise DomainError(_("%(name)s is already checked in.", name=person.name)) from None
            row.status, row.checked_in_at, row.method_in = "present", training.start_at, "staff"
            row.checked_out_at, row.method_out = out, ("staff" if out else None)
            row.note, row.marked_by, row.updated_at = reason, actor, utcnow()
            row.save()
        record_credit(training, row)
        audit(actor, "attendance.mark_present", row, training.organiser_id,
              {"training": training.id, "user": person.id, "reason": reason})
    return row


def excuse(actor, training, person_id, note):
    """Excuse someone from the training with a note (no credit)."""
    note = _reason(note, _l("Write a note saying why this person is excused."))
    person = _person_in(training, person_id)
    with write_transaction():
        try:
            with db.atomic():
                row = Attendance.create(training=training, user=person, status="excused",
                                        method_in="staff", note=note, marked_by=actor)
        except IntegrityError:
            row = existing(training, person)
            row.status, row.checked_in_at, row.checked_out_at = "excused", None, None
            row.note, row.marked_by, row.updated_at = note, actor, utcnow()
            row.save()
        record_credit(training, row)
        audit(actor, "attendance.excuse", row, training.organiser_id,
              {"training": training.id, "user": person.id, "note": note})
    return row


def correct_times(actor, training, attendance, checked_in_at, checked_out_at, reason):
    """Correct a row's check-in/out times (naive UTC) and recompute its credit."""
    reason = _reason(reason, _l("Say why you are correcting the time."))
    if checked_in_at is None:
        raise DomainError(_("Enter the check-in time."), field="in_time")
    day = datetime.timedelta(hours=12)
    if not (training.start_at - day <= checked_in_at <= training.end_at + day):
        raise DomainError(_("The check-in time must be on the day of the training."), field="in_time")
    if checked_out_at is not None and checked_out_at <= checked_in_at:
        raise DomainError(_("The check-out time must be after the check-in time."), field="out_time")
    if checked_out_at is not None and checked_out_at > training.end_at + day:
        raise DomainError(_("The check-out time must be on the day of the training."), field="out_time")
    before = {"in": attendance.checked_in_at, "out": attendance.checked_out_at}
    with write_transaction():
        attendance.status = "present"
        attendance.checked_in_at, attendance.checked_out_at = checked_in_at, checked_out_at
        attendance.late = is_late(training, checked_in_at)
        if checked_out_at is not None and not attendance.method_out:
            attendance.method_out = "staff"
        attendance.note = reason
        attendance.marked_by, attendance.updated_at = actor, utcnow()
        attendance.save()
        record_credit(training, attendance)
        audit(actor, "attendance.correct", attendance, training.organiser_id,
              {"training": training.id, "user": attendance.user_id, "before": before,
               "after": {"in": checked_in_at, "out": checked_out_at}, "reason": reason})
    return attendance
