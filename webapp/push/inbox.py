"""The in-app inbox: every message to a person goes through `notify`, which also queues it for
push to each of their phones (push is one way to deliver the inbox, not a separate system).

Each kind of message belongs to one switch a person can turn off (`SWITCHES`). A switch off
stops the pushes of its kind; the time-based reminders of that kind are then not written at
all (`muted_people`), while a review decision still lands in the inbox, since it is the record
of what happened to the person's entry or report.
"""
from flask_babel import lazy_gettext as _l
from peewee import fn

from ..accounts.models import Notification
from ..db import insert_row, utcnow, write_transaction
from . import sender
from .models import NotificationMute

# switch -> the message kinds it covers
SWITCHES = {
    "training": ("training_day", "training_hour"),
    "review": ("entry_approved", "entry_declined", "report_accepted", "report_returned"),
    "pace": ("pace",),
    "reports_due": ("reports_due",),
    "review_waiting": ("review_waiting",),
    "study": ("study_new", "study_reminder"),
    "ratings": ("rating_low",),
}
# What each switch covers, in the words of the person who turns it off.
SWITCH_LABELS = {
    "training": _l("Trainings I am expected at (the day before, and one hour before)"),
    "review": _l("My entries and reports approved, declined or returned (with the reason)"),
    "pace": _l("Once a month, when I am behind on a target: what I need each month to catch up"),
    "reports_due": _l("Five days before month end, when the firm's information reports or "
                      "typical cases are still missing"),
    "review_waiting": _l("Entries or reports waiting for my review for more than 7 days"),
    "study": _l("Study material from my party branch or the county: new material and reminders"),
    "ratings": _l("A person served gave my firm's service a low rating (1 or 2)"),
}
CHUNK = 500  # rows a statement writes or ids it names
SWITCH_OF = {kind: switch for switch, kinds in SWITCHES.items() for kind in kinds}


def switch_of(kind):
    """The switch that covers a message kind (None for a kind no switch covers)."""
    return SWITCH_OF.get(kind)


def muted_people(switch):
    """A subquery of the ids of the people who turned `switch` off."""
    return NotificationMute.select(NotificationMute.user).where(
        NotificationMute.switch == switch)


def muted(user, switch):
    """Say whether the person turned `switch` off."""
    return NotificationMute.select().where(
        NotificationMute.user == getattr(user, "id", user),
        NotificationMute.switch == switch).exists()


def switches_off(user):
    """The set of switches the person turned off."""
    return {row.switch for row in NotificationMute.select(NotificationMute.switch).where(
        NotificationMute.user == getattr(user, "id", user))}


def set_switches(user, on, offered):
    """Keep `on` (a set of switch names) on and the rest of `offered` off for the person."""
    user_id = getattr(user, "id", user)
    unknown = set(on) - set(SWITCHES)
    if unknown:
        raise ValueError(sorted(unknown))
    with write_transaction():
        for switch in offered:
            if switch in on:
                NotificationMute.delete().where(NotificationMute.user == user_id,
                                                NotificationMute.switch == switch).execute()
            else:
                insert_row(NotificationMute, {"user": user_id, "switch": switch},
                           conflict=("user", "switch"))


def notify(user, kind, message, link=""):
    """Put a message in the person's inbox and queue it for their phones unless they turned
    its kind off; return it."""
    user_id = getattr(user, "id", user)
    note = Notification.create(user=user_id, kind=kind, message=message, link=link or "")
    deliver([(note.id, user_id, kind)])
    return note


def notify_many(messages):
    """`notify` for many messages at once, each (person id, kind, message, link), in a few
    statements; return the new messages' ids in the same order."""
    if not messages:
        return []
    now = utcnow()
    ids = []
    for start in range(0, len(messages), CHUNK):
        part = messages[start:start + CHUNK]
        # RETURNING gives the rows in the order of VALUES on both engines.
        ids += [row[0] for row in Notification.insert_many([
            {"user": user_id, "kind": kind, "message": message, "link": link or "",
             "created_at": now} for user_id, kind, message, link in part
        ]).returning(Notification.id).tuples().execute()]
    deliver([(note_id, user_id, kind)
             for note_id, (user_id, kind, _message, _link) in zip(ids, messages)])
    return ids


def deliver(notes):
    """Queue each (message id, person id, kind) for the person's phones, unless they turned its
    kind off (the mutes of all the people read at once)."""
    people = list({user_id for _note, user_id, _kind in notes})
    off = set()
    for start in range(0, len(people), CHUNK):
        off |= set(NotificationMute.select(NotificationMute.user, NotificationMute.switch)
                   .where(NotificationMute.user.in_(people[start:start + CHUNK])).tuples())
    sender.enqueue_many([(note_id, user_id) for note_id, user_id, kind in notes
                         if (user_id, switch_of(kind)) not in off])


# ------------------------------------------------------------------ reading the inbox

PER_PAGE = 30
HOME_NOTES = 3


def _mine(user):
    return Notification.user == getattr(user, "id", user)


def page_of(user, page=1):
    """One page of the person's messages, newest first; return (rows, more)."""
    rows = list(Notification.select().where(_mine(user))
                .order_by(Notification.created_at.desc(), Notification.id.desc())
                .limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE))
    return rows[:PER_PAGE], len(rows) > PER_PAGE


def latest_unread(user, limit=HOME_NOTES):
    """The person's newest unread messages (for a home page)."""
    return list(Notification.select().where(_mine(user), Notification.read_at.is_null())
                .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit))


def unread_count(user):
    """How many of the person's messages are unread (one COUNT over the person's rows)."""
    return (Notification.select(fn.COUNT(Notification.id))
            .where(_mine(user), Notification.read_at.is_null()).scalar()) or 0


def open_note(user, note_id):
    """Mark one of the person's messages read and return it; None when it is not theirs."""
    note = Notification.get_or_none(Notification.id == note_id, _mine(user))
    if note is not None and note.read_at is None:
        note.read_at = utcnow()
        (Notification.update(read_at=note.read_at)
         .where(Notification.id == note.id, Notification.read_at.is_null()).execute())
    return note


def mark_all_read(user):
    """Mark every unread message of the person read; return how many."""
    return (Notification.update(read_at=utcnow())
            .where(_mine(user), Notification.read_at.is_null()).execute())
