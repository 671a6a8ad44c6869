"""One scan → confirm → result pipeline for any subject: a scan, a typed code, an offline scan.

The rules every subject shares live here once: a code's MAC and time slice, stale codes,
the check-in and check-out windows, who may check in, idempotent repeats, offline scans
(at most 72 hours old, the claimed time inside the code's slice, once per key). What differs
is asked of the subject's adapter (webapp.trainings.attendance, webapp.branches.attendance).
"""
import datetime
from decimal import Decimal

from flask import current_app, has_app_context
from flask_babel import gettext as _
from peewee import IntegrityError

from ..accounts.models import LoginAttempt
from ..accounts.services import attempts_wait
from ..branches import attendance as activities
from ..db import db, utcnow, write_transaction
from ..errors import DomainError
from ..trainings import attendance as trainings
from ..trainings.geo import GEOFENCE_METRES
from ..trainings.models import ScanReceipt
from ..web import client_address
from . import codes
from .outcomes import (ALREADY_IN, ALREADY_OUT, CANCELLED, CHECKED_IN, CHECKED_OUT, CLOSED, EXCUSED,
                       EXPIRED, INVALID, NOT_CHECKED_IN, NOT_OPEN, OTHER_TRAINING, TIME_MISMATCH,
                       TOO_MANY_CODES, TOO_OLD, WRONG_CODE, Outcome)

ADAPTERS = {trainings.KIND: trainings, activities.KIND: activities}
OFFLINE_MAX_DELAY = datetime.timedelta(hours=72)
OFFLINE_CLOCK_SKEW = datetime.timedelta(minutes=2)
# Wrong typed numbers are kept as failed attempts (the login's table), counted per person and
# per client address: 10 and 30 in 10 minutes, then a wait (config TYPED_*, these when unset).
# Both keys hold a space, which no typed login or request address has, so the sign-in's own
# limits never count them, and typing a login cannot count against someone's typed codes.
TYPED_MAX_WRONG = 10
TYPED_MAX_WRONG_ADDRESS = 30
TYPED_WRONG_WINDOW = datetime.timedelta(minutes=10)
TYPED_FLAG_AFTER_WRONG = 3
TYPED_ADDRESS = "typed code "


def adapter_for(code):
    """Return the adapter of the code's kind of subject."""
    return ADAPTERS[code.kind]


def _unix(dt):
    return dt.replace(tzinfo=datetime.UTC).timestamp()


def load_scanned(code):
    """Return (adapter, subject) for a code whose MAC is right, else (adapter, None)."""
    adapter = adapter_for(code)
    if code.purpose not in adapter.PURPOSES:
        return adapter, None
    subject = adapter.load(code.subject_id)
    if subject is None or not codes.authentic(subject.secret, code):
        return adapter, None
    return adapter, subject


def check_fresh(adapter, subject, code, unix_time=None):
    """Return (state, None) for a code in its time (fresh or stale), else (state, refusal)."""
    state = codes.check(subject, code, unix_time)
    if state == codes.EXPIRED:
        return state, Outcome(EXPIRED, adapter, subject)
    if state not in (codes.FRESH, codes.STALE):
        return state, Outcome(INVALID, adapter, subject)
    return state, None


def resolve_purpose(adapter, subject, code, at):
    """Return 'in' or 'out': the printable code's purpose depends on the time."""
    return adapter.resolve_static(subject, at) if code.purpose == "static" else code.purpose


def scan(user, code, scanned_at, method=None, device="", expected=None, extra_flags="",
         position=None, geofence=GEOFENCE_METRES):
    """Act on a code at its scan time: check in, check out, or say why not.

    `expected` is the training the person meant to scan for (?for=); `position` is the
    phone's, shared with consent on the confirm page (else None).
    """
    adapter, subject = load_scanned(code)
    if subject is None:
        return Outcome(INVALID, adapter)
    if expected is not None and expected.id != subject.id:
        return Outcome(OTHER_TRAINING, adapter, expected, other=subject)
    state, refused = check_fresh(adapter, subject, code, _unix(scanned_at))
    if refused:
        return refused
    flags = extra_flags
    if state == codes.STALE:
        flags = trainings.add_flag(flags, "stale_code")
    method = method or ("static" if code.purpose == "static" else "qr")
    metres = adapter.distance(subject, position, geofence)
    if metres is not None:
        flags = trainings.add_flag(flags, "far")
    purpose = resolve_purpose(adapter, subject, code, scanned_at)
    return record(adapter, subject, user, purpose, scanned_at, method, device, flags, metres)


def _done(code, adapter, subject, row, at):
    return Outcome(code, adapter, subject, row, at, getattr(row, "late", False) or False,
                   getattr(row, "credited_hours", None))


def record(adapter, subject, user, purpose, at, method, device="", flags="", metres=None):
    """Check the person in or out at `at` if the subject, the list and the window allow it."""
    if adapter.cancelled(subject):
        return Outcome(CANCELLED, adapter, subject)
    if not adapter.on_list(subject, user):
        return Outcome(adapter.NOT_ON_LIST, adapter, subject)
    opens, closes = adapter.window(subject, purpose)
    if not opens <= at <= closes:
        row = adapter.existing(subject, user)
        if purpose == "in" and adapter.present(row):
            return _done(ALREADY_IN, adapter, subject, row, row.checked_in_at)
        if purpose == "out" and row is not None and row.checked_out_at is not None:
            return _done(ALREADY_OUT, adapter, subject, row, row.checked_out_at)
        return Outcome(NOT_OPEN if at < opens else CLOSED, adapter, subject,
                       at=opens if at < opens else None)
    if purpose == "in":
        row, took = adapter.check_in(subject, user, at, method, device, flags, metres)
        return _done(CHECKED_IN if took else ALREADY_IN, adapter, subject, row,
                     at if took else row.checked_in_at)
    row, took = adapter.check_out(subject, user, at, method, device, flags, metres)
    if took:
        return _done(CHECKED_OUT, adapter, subject, row, at)
    if row is not None and row.checked_out_at is not None:
        return _done(ALREADY_OUT, adapter, subject, row, row.checked_out_at)
    if row is not None and row.status == "excused":
        return Outcome(EXCUSED, adapter, subject, row)
    return Outcome(NOT_CHECKED_IN, adapter, subject, row)



def check_in(subject, user, at, method="qr", device="", flags="", distance=None, adapter=trainings):
    """Check a person in to a subject at `at`, as a confirmed scan would (staff tools, the demo)."""
    return record(adapter, subject, user, "in", at, method, device, flags, distance)


def check_out(subject, user, at, method="qr", flags="", distance=None, adapter=trainings):
    """Check a person out of a training at `at`, as a confirmed scan would."""
    return record(adapter, subject, user, "out", at, method, "", flags, distance)


def _wrong_typed_key(user):
    return f"typed code:{user.id}"


def _typed_address(address):
    return (TYPED_ADDRESS + address)[:60] if address else None


def typed_limits(config=None):
    """The wrong-number limits: per person, per address, the window, and the flag's threshold."""
    if config is None:
        config = current_app.config if has_app_context() else {}
    window = config.get("TYPED_WRONG_WINDOW_MINUTES")
    return {"person": config.get("TYPED_MAX_WRONG_PERSON", TYPED_MAX_WRONG),
            "address": config.get("TYPED_MAX_WRONG_ADDRESS", TYPED_MAX_WRONG_ADDRESS),
            "window": datetime.timedelta(minutes=window) if window else TYPED_WRONG_WINDOW,
            "flag_after": config.get("TYPED_FLAG_AFTER_WRONG", TYPED_FLAG_AFTER_WRONG)}


def _minutes(wait):
    return -(-wait // datetime.timedelta(minutes=1))


def typed_wait(user, now, address="", limits=None):
    """Return minutes to wait when the person, or anyone at this address, typed too many wrong
    numbers lately, else 0."""
    limits = limits or typed_limits()
    waits = [attempts_wait(LoginAttempt.account == _wrong_typed_key(user), limits["person"],
                           limits["window"], now)]
    if address:
        waits.append(attempts_wait(LoginAttempt.address == _typed_address(address),
                                   limits["address"], limits["window"], now))
    waits = [wait for wait in waits if wait]
    return _minutes(max(waits)) if waits else 0


def _wrong_lately(user, now, limits):
    return (LoginAttempt.select().where(LoginAttempt.account == _wrong_typed_key(user),
                                        LoginAttempt.created_at > now - limits["window"]).count())


def scan_typed(user, typed, at, device="", address=None, limits=None):
    """Act on a typed 6-digit code: the person's trainings first, then their branches' activities.

    A number no screen showed lately is wrong (mistyped), one shown a few minutes ago has
    expired; wrong numbers are counted per person and per client address (the request's when
    `address` is None), so six digits cannot be guessed one after another. A check-in that
    comes after several wrong numbers is flagged for review.
    """
    address = client_address() if address is None else address
    limits = limits or typed_limits()
    now = utcnow()
    wait = typed_wait(user, now, address, limits)
    if wait:
        return Outcome(TOO_MANY_CODES, wait=wait)
    expired = None
    for adapter in ADAPTERS.values():
        for subject in adapter.typed_candidates(user, at, adapter.TYPED_HORIZON):
            purpose = codes.match_typed(subject, typed, _unix(at))
            if purpose in adapter.PURPOSES:
                code = codes.current_code(subject, purpose, _unix(at), adapter.KIND)
                flags = ""
                if limits["flag_after"] and _wrong_lately(user, now, limits) >= limits["flag_after"]:
                    flags = "after_wrong_codes"
                return scan(user, code, at, method="code", device=device, extra_flags=flags)
            shown = expired is None and codes.was_typed_code(subject, typed, _unix(at))
            if shown in adapter.PURPOSES:
                expired = Outcome(EXPIRED, adapter, subject)
    if expired is not None:
        return expired
    LoginAttempt.create(account=_wrong_typed_key(user),
                        address=_typed_address(address) or TYPED_ADDRESS.strip())
    return Outcome(WRONG_CODE)


def sync_offline(user, code, scanned_at, key, device="", now=None):
    """Accept a scan made offline: if the code fits the claimed time, it is recent, and once per key."""
    now = now or utcnow()
    key = (key or "")[:64]
    if not key:
        raise DomainError(_("This scan has no key; it cannot be sent."))
    adapter = adapter_for(code)
    if adapter.KEEPS_RECEIPTS:
        receipt = ScanReceipt.get_or_none(ScanReceipt.key == key)
        if receipt is not None:
            return _from_receipt(adapter, receipt, user)
    adapter, subject = load_scanned(code)
    if subject is None:
        return Outcome(INVALID, adapter)
    if scanned_at > now + OFFLINE_CLOCK_SKEW:
        return Outcome(TIME_MISMATCH, adapter, subject)
    if now - scanned_at > OFFLINE_MAX_DELAY:
        return Outcome(TOO_OLD, adapter, subject)
    if not codes.slice_matches(subject, code, _unix(scanned_at)):
        return Outcome(TIME_MISMATCH, adapter, subject)
    if not adapter.KEEPS_RECEIPTS:
        return scan(user, code, scanned_at, method="offline", device=device)
    with write_transaction():
        # Claim the key first: a concurrent resend waits on it, then reads what this one did.
        try:
            with db.atomic():
                receipt = ScanReceipt.create(key=key, user=user, training=subject,
                                             purpose=code.purpose, scanned_at=scanned_at,
                                             result="pending")
        except IntegrityError:
            return _from_receipt(adapter, ScanReceipt.get(ScanReceipt.key == key), user)
        outcome = scan(user, code, scanned_at, method="offline", device=device)
        ScanReceipt.update(result=outcome.code).where(ScanReceipt.id == receipt.id).execute()
    return outcome


def _from_receipt(adapter, receipt, user):
    if receipt.user_id != user.id:
        return Outcome(INVALID, adapter)
    subject = adapter.load(receipt.training_id)
    row = adapter.existing(subject, user)
    code = receipt.result
    if row is not None and code in (CHECKED_IN, ALREADY_IN):
        return _done(ALREADY_IN, adapter, subject, row, row.checked_in_at)
    if row is not None and code in (CHECKED_OUT, ALREADY_OUT):
        return _done(ALREADY_OUT, adapter, subject, row, row.checked_out_at)
    return Outcome(code, adapter, subject, row)


def outcome_from_dict(data):
    """Rebuild an outcome kept in the session (a subject gone since becomes None)."""
    adapter = ADAPTERS.get(data.get("kind"))
    if adapter is None:
        return Outcome(INVALID)
    subject = adapter.load(data["subject"]) if isinstance(data.get("subject"), int) else None
    other = adapter.load(data["other"]) if isinstance(data.get("other"), int) else None
    at = datetime.datetime.fromisoformat(data["at"]) if data.get("at") else None
    hours = data.get("hours")
    return Outcome(data.get("code", INVALID), adapter, subject, at=at, late=bool(data.get("late")),
                   hours=Decimal(hours) if hours is not None else None, other=other)


def projector_state(adapter, subject, purpose, url_root):
    """What a projector page needs: the first code, the window, the counts and the clock."""
    now = codes.now_seconds()
    code = codes.current_code(subject, purpose, now, adapter.KIND)
    base = url_root.rstrip("/")
    return {"purpose": purpose, "first_url": base + codes.path_of(code), "base_url": base,
            "window": adapter.window(subject, purpose), "counts": adapter.live_counts(subject),
            "typed": codes.typed_code(subject.secret, purpose,
                                      codes.slice_of(now, codes.TYPED_SLICE_SECONDS)),
            "server_ms": int(now * 1000)}


def live(adapter, subject):
    """The projector's tiny poll: counts, the last few names, the server's clock."""
    return dict(adapter.live_counts(subject), names=adapter.recent_names(subject),
                now=int(codes.now_seconds() * 1000))
