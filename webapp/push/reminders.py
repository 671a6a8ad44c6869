"""Time-based reminders, found by the `send-reminders` run (due.py says who is due for what):
a training a person is expected at, a practitioner's pace, a firm's reports due at month end,
and what has waited for a reviewer. Each is written once per person, kind and period (a
ReminderSent row, unique), so a second run, or a run on another server, writes nothing.
"""
from decimal import ROUND_CEILING, Decimal

from flask import current_app, url_for
from flask_babel import force_locale, format_date, format_datetime, format_time
from flask_babel import gettext as _
from peewee import Case

from ..db import utcnow, write_transaction
from ..i18n import fmt_hours
from .due import Due, pace_due, reports_due, review_due, trainings_due
from .inbox import CHUNK, notify_many
from .models import ReminderSent

__all__ = ["Due", "FINDERS", "find_due", "message_for", "link_for", "write"]

TENTH = Decimal("0.1")


# switch (inbox.SWITCHES) -> the finder of its reminders
FINDERS = {"training": trainings_due, "pace": pace_due, "reports_due": reports_due,
           "review_waiting": review_due}


def find_due(now, switches=None):
    """Reminders due at `now` (naive UTC) not written yet, as a list of Due (writes nothing);
    `switches` (names in FINDERS) limits the search to those kinds."""
    found = []
    for switch, finder in FINDERS.items():
        if switches is None or switch in switches:
            found += finder(now)
    return found


def _pace_line(row):
    values = {"target": str(row.label), "done": fmt_hours(row.done),
              "goal": fmt_hours(row.target),
              # rounded up: the figure said must be enough to catch up
              "per_month": fmt_hours(row.per_month.quantize(TENTH, rounding=ROUND_CEILING))}
    if row.unit == "cases":
        if row.status == "at_risk":
            return _("At your recent pace you will miss %(target)s: %(done)s of %(goal)s so "
                     "far; about %(per_month)s cases a month would reach it by year end.",
                     **values)
        return _("You are behind on %(target)s: %(done)s of %(goal)s so far; about "
                 "%(per_month)s cases a month would catch up by year end.", **values)
    if row.status == "at_risk":
        return _("At your recent pace you will miss %(target)s: %(done)s of %(goal)s hours so "
                 "far; about %(per_month)s hours a month would reach it by year end.", **values)
    return _("You are behind on %(target)s: %(done)s of %(goal)s hours so far; about "
             "%(per_month)s hours a month would catch up by year end.", **values)


def _reports_line(short):
    month = short.quota
    values = {"firm": short.firm.name, "end": format_date(short.month_end, "long"),
              "info": max(0, month.info_target - month.info),
              "case": max(0, month.case_target - month.case)}
    if values["info"] and values["case"]:
        line = _("%(firm)s: still missing this month: information reports %(info)s, typical "
                 "cases %(case)s. The month ends on %(end)s.", **values)
    elif values["info"]:
        line = _("%(firm)s: still missing this month: information reports %(info)s. The month "
                 "ends on %(end)s.", **values)
    else:
        line = _("%(firm)s: still missing this month: typical cases %(case)s. The month ends "
                 "on %(end)s.", **values)
    pending = month.info_pending + month.case_pending
    if pending:
        line += " " + _("Sent and waiting for the county: %(num)s (they count once accepted).",
                        num=pending)
    return line


def _review_line(waiting):
    days = (waiting.now - waiting.oldest).days
    if waiting.entries and waiting.reports:
        return _("Waiting for your review more than 7 days: entries %(entries)s, reports "
                 "%(reports)s. The oldest has waited %(days)s days.",
                 entries=waiting.entries, reports=waiting.reports, days=days)
    if waiting.entries:
        return _("Entries waiting for your review more than 7 days: %(num)s. The oldest has "
                 "waited %(days)s days.", num=waiting.entries, days=days)
    return _("Reports waiting for your review more than 7 days: %(num)s. The oldest has "
             "waited %(days)s days.", num=waiting.reports, days=days)


def message_for(item):
    """The reminder's text, in its person's language."""
    with force_locale(item.user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        if item.kind == "pace":
            return " ".join(_pace_line(row) for row in item.detail)
        if item.kind == "reports_due":
            return " ".join(_reports_line(short) for short in item.detail)
        if item.kind == "review_waiting":
            return _review_line(item.detail)
        training = item.training
        if item.kind == "training_hour":
            return _("In one hour, at %(time)s: %(title)s.",
                     time=format_time(training.start_at, "short"), title=training.title)
        return _("Training on %(when)s: %(title)s.",
                 when=format_datetime(training.start_at, "short"), title=training.title)


def link_for(item):
    """The page the reminder opens."""
    if item.kind == "pace":
        return url_for("ledger.my_year")
    if item.kind == "reports_due":
        return url_for("reports.index")
    if item.kind == "review_waiting":
        return url_for("ledger.review_queue" if item.detail.entries else "reports.queue")
    return url_for("trainings.mine")


def write(items):
    """Write each due reminder once (inbox and push outbox), CHUNK at a time in a few
    statements each; return how many messages were new. A reminder's ReminderSent row goes in
    first (a clash means another run wrote it); a silent one (pace checked, nothing to say) is
    that row alone."""
    written = 0
    for start in range(0, len(items), CHUNK):
        part = items[start:start + CHUNK]
        with write_transaction():
            now = utcnow()
            rows = {}
            for item in part:
                rows.setdefault((item.user.id, item.kind, item.period), item)
            inserted = (ReminderSent.insert_many([
                {"user": user_id, "kind": kind, "period": period, "created_at": now}
                for user_id, kind, period in rows
            ]).on_conflict_ignore().returning(ReminderSent.id, ReminderSent.user,
                                              ReminderSent.kind, ReminderSent.period)
                .tuples().execute())
            fresh = [(row_id, rows[(user_id, kind, period)])
                     for row_id, user_id, kind, period in inserted]
            fresh = [(row_id, item) for row_id, item in fresh if not item.silent]
            if not fresh:
                continue
            ids = notify_many([(item.user.id, item.kind, message_for(item), link_for(item))
                               for _row, item in fresh])
            pairs = [(row_id, note_id) for (row_id, _item), note_id in zip(fresh, ids)]
            (ReminderSent.update(notification=Case(ReminderSent.id, pairs))
             .where(ReminderSent.id.in_([row_id for row_id, _note in pairs])).execute())
            written += len(pairs)
    return written