"""The one writer of system ledger entries: what a QR check-in, a branch's list or a member's
study records.

A system entry is keyed by its source (`source_key`: a training's or an activity's id and the
person's), so it is written once and then kept in step: `record` inserts it or brings the one
there up to date (a withdrawn entry comes back), `withdraw` marks it withdrawn (never deleted,
so the person's history and the reviewers' trail stay whole). Both sources follow the same
rules: an entry worth nothing (0 hours) is withdrawn, not kept as a 0-hour line.
"""
from ..db import insert_row, insert_row_then, utcnow
from .models import Entry

KINDS = ("training_credit", "party_activity", "political_study")
# The source a system entry is keyed by, and the entry's column naming it (None: the key alone).
SOURCES = {"training_credit": ("training", "training"), "party_activity": ("activity", "activity"),
           "political_study": ("study", None)}
# On a clash on the key, these columns take the new row's values.
ON_CLASH = ("hours", "date", "category", "description", "place", "status", "updated_at")


def source_key(kind, subject_id, user_id):
    """Return the idempotency key of the system entry for one person and one source."""
    return f"{SOURCES[kind][0]}:{subject_id}:{user_id}"


def values(kind, subject_id, user_id, day, hours, category, description, place, now=None):
    """Return the entry's row as insert_row takes it (also used inside a combined statement)."""
    now = now or utcnow()
    column = SOURCES[kind][1]
    row = {"user": user_id, "kind": kind, "date": day, "hours": hours,
           "category": (category or "")[:40], "description": (description or "")[:4000],
           "place": (place or "")[:120], "source": "system",
           "status": "recorded", "idempotency_key": source_key(kind, subject_id, user_id),
           "created_at": now, "updated_at": now}
    if column:
        row[column] = subject_id
    return row


def record(row):
    """Write the entry `values()` describes: insert it, or update the one under its key."""
    if row["hours"] <= 0:
        withdraw(row["idempotency_key"])
        return None
    return insert_row(Entry, row, conflict=("idempotency_key",), update=ON_CLASH)


def insert_with_entry(model, row_values, conflict, entry_row):
    """Insert a row and, only when it went in, its entry, in one statement where the engine can.

    For the check-in hot path: returns the row's id, or None when it clashed on `conflict`
    and nothing was written.
    """
    return insert_row_then(model, row_values, conflict, Entry, entry_row, ("idempotency_key",),
                           ON_CLASH)


def withdraw(key):
    """Withdraw the recorded entry under this key, if there is one; say whether one was."""
    return bool(Entry.update(status="withdrawn", updated_at=utcnow())
                .where(Entry.idempotency_key == key, Entry.status == "recorded").execute())


def refresh(kind, source_field, subject_id, **fields):
    """Bring every entry of one source in step with it (a changed date, length or topic)."""
    return (Entry.update(updated_at=utcnow(), **fields)
            .where(getattr(Entry, source_field) == subject_id, Entry.kind == kind).execute())


def withdraw_all(kind, source_field, subject_id):
    """Withdraw every recorded entry of one source (a cancelled activity); return how many."""
    return (Entry.update(status="withdrawn", updated_at=utcnow())
            .where(getattr(Entry, source_field) == subject_id, Entry.kind == kind,
                   Entry.status == "recorded").execute())
