"""Time-based reminders, found by the `send-reminders` run: for now, a training a person is
expected at, the day before and one hour before. Each is written once per person, kind and
period (a ReminderSent row, unique), so a second run, or a run on another server, writes nothing.
"""
import dataclasses
import datetime

from flask import current_app, url_for
from flask_babel import force_locale, format_datetime, format_time
from flask_babel import gettext as _

from ..accounts.models import User
from ..db import insert_row, write_transaction
from ..trainings.models import Training
from ..trainings.services import audience_people
from .inbox import notify
from .models import ReminderSent

DAY_BEFORE = datetime.timedelta(hours=24)
HOUR_BEFORE = datetime.timedelta(hours=1)


@dataclasses.dataclass
class Due:
    """One reminder to write: to whom, what kind, for which period, and about what."""
    user: object
    kind: str
    period: str
    training: object


def _kind(training, now):
    left = training.start_at - now
    if datetime.timedelta(0) < left <= HOUR_BEFORE:
        return "training_hour"
    if HOUR_BEFORE < left <= DAY_BEFORE:
        return "training_day"
    return None


def find_due(now):
    """Reminders due at `now` (naive UTC) not written yet, as a list of Due (writes nothing)."""
    trainings = list(Training.select().where(
        Training.status == "scheduled", Training.start_at > now,
        Training.start_at <= now + DAY_BEFORE).order_by(Training.start_at))
    found = []
    for training in trainings:
        kind = _kind(training, now)
        period = f"training:{training.id}"
        written = ReminderSent.select(ReminderSent.user).where(
            ReminderSent.kind == kind, ReminderSent.period == period)
        people = audience_people(training).where(User.id.not_in(written))
        found += [Due(user, kind, period, training) for user in people]
    return found


def message_for(item):
    """The reminder's text, in its person's language."""
    training = item.training
    with force_locale(item.user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        if item.kind == "training_hour":
            return _("In one hour, at %(time)s: %(title)s.",
                     time=format_time(training.start_at, "short"), title=training.title)
        return _("Training on %(when)s: %(title)s.",
                 when=format_datetime(training.start_at, "short"), title=training.title)


def write(items):
    """Write each due reminder once (inbox and push outbox); return how many were new."""
    written = 0
    for item in items:
        with write_transaction():
            row = insert_row(ReminderSent, {"user": item.user.id, "kind": item.kind,
                                            "period": item.period},
                             conflict=("user", "kind", "period"))
            if row is None:
                continue
            note = notify(item.user, item.kind, message_for(item), url_for("trainings.mine"))
            ReminderSent.update(notification=note.id).where(ReminderSent.id == row).execute()
            written += 1
    return written
