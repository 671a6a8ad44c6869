"""Review: who may decide on which entries, the queue, approving and declining."""
import datetime
import math
from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from .. import access
from ..access import audit
from ..accounts.models import Firm, User
from ..db import utcnow, write_transaction
from ..errors import Conflict, NotAllowed
from ..i18n import fmt_hours
from ..inputs import clean_text
from ..push.inbox import notify
from .entries import lock
from .kinds import KIND_GROUPS, KIND_LABELS
from .models import Entry, ReviewRule


def version_of(entry):
    """A token that changes whenever the entry changes (guards against deciding stale data)."""
    stamp = entry.updated_at
    return stamp.strftime("%Y%m%d%H%M%S%f") if stamp else ""


def director_years(county_id):
    """Years for which the county lets firm directors review."""
    return [r.year for r in ReviewRule.select(ReviewRule.year).where(
        ReviewRule.county == county_id, ReviewRule.director_reviews == True)]  # noqa: E712


def _year_filter(years):
    cond = None
    for year in years:
        part = Entry.date.between(datetime.date(year, 1, 1), datetime.date(year, 12, 31))
        cond = part if cond is None else (cond | part)
    return cond


def reviewable(actor, query):
    """Narrow a scoped entries query to those the actor may decide on (not their own)."""
    if actor is None or actor.role not in ("county_admin", "director"):
        return query.where(False)
    query = query.where(Entry.user != actor.user.id, Entry.source == "self")
    if actor.role == "director":
        firm = Firm.get_or_none(Firm.id == actor.grant.firm_id)
        cond = _year_filter(director_years(firm.county_id)) if firm else None
        if cond is None:
            return query.where(False)
        query = query.where(cond)
    return query


def reviews_anything(actor):
    """Say whether the actor reviews at all (a director only where the county allows it)."""
    if actor is None or actor.role not in ("county_admin", "director"):
        return False
    if actor.role == "director":
        firm = Firm.get_or_none(Firm.id == actor.grant.firm_id)
        return bool(firm and director_years(firm.county_id))
    return True


def can_review(actor, entry):
    """Say whether the actor may approve or decline this entry."""
    if actor is None or actor.role not in ("county_admin", "director"):
        return False
    return reviewable(actor, access.entries(actor, Entry)).where(Entry.id == entry.id).exists()


def queue(actor, kind=None, firm_id=None):
    """Pending entries the actor may decide on, oldest first, with the author and firm."""
    query = (reviewable(actor, access.entries(actor, Entry)).where(Entry.status == "pending")
             .switch(User).join(Firm, on=(User.firm == Firm.id)).select_extend(Firm))
    if kind in KIND_GROUPS:
        query = query.where(Entry.kind.in_(KIND_GROUPS[kind]))
    if firm_id:
        query = query.where(User.firm == firm_id)
    return query.order_by(Entry.created_at, Entry.id)


QUEUE_PAGE = 20   # entries a reviewer sees at once


@dataclass
class QueuePage:
    """One page of the queue: its rows, the page's number, how many pages and entries wait."""
    rows: list
    number: int
    pages: int
    total: int
    per_page: int = QUEUE_PAGE


def pages_for(total, per_page=QUEUE_PAGE):
    """How many pages `total` waiting entries take (at least one)."""
    return max(1, math.ceil(total / per_page))


def queue_counts(actor, kind=None, firm_id=None, page=1, per_page=QUEUE_PAGE):
    """Where a page is in the queue, without its rows (the count line after a decision)."""
    total = queue(actor, kind, firm_id).count()
    pages = pages_for(total, per_page)
    return QueuePage([], min(max(page or 1, 1), pages), pages, total, per_page)


def queue_page(actor, kind=None, firm_id=None, page=1, per_page=QUEUE_PAGE):
    """One page of the queue, oldest first; a page past the end gives the last one."""
    counts = queue_counts(actor, kind, firm_id, page, per_page)
    counts.rows = list(queue(actor, kind, firm_id).paginate(counts.number, per_page))
    return counts


def _notify(entry, author, decision, reason=""):
    with force_locale(author.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        what = str(KIND_LABELS[entry.kind])
        when = format_date(entry.date, "long")
        amount = (_("1 case") if entry.kind == "legal_aid"
                  else _("%(h)s h", h=fmt_hours(entry.hours)))
        if decision == "approved":
            message = _("Approved: %(what)s on %(when)s (%(amount)s).", what=what, when=when,
                        amount=amount)
        else:
            message = _("Declined: %(what)s on %(when)s (%(amount)s). Reason: %(reason)s "
                        "Correct it and send it again.", what=what, when=when, amount=amount,
                        reason=reason)
    notify(author, f"entry_{decision}", message, url_for("ledger.entry", entry_id=entry.id))


def _decide(actor, entry, decision, reason="", version=None):
    fresh = lock(Entry, entry.id)
    if fresh is None or fresh.status != "pending":
        raise Conflict(_("Someone already decided on this entry, or it was withdrawn."))
    if version and version != version_of(fresh):
        raise Conflict(_("The entry changed while you were looking at it. Check it again."))
    now = utcnow()
    Entry.update(status=decision, reviewer=actor.user.id, reviewed_at=now, updated_at=now,
                 review_note=reason).where(Entry.id == entry.id).execute()
    author = User.get_by_id(fresh.user_id)
    audit(actor.user, "entry.approve" if decision == "approved" else "entry.decline", fresh,
          author.county_id, {"user": author.id, "kind": fresh.kind, "date": fresh.date,
                             "hours": fresh.hours, "count": fresh.count, "reason": reason,
                             "role": actor.role})
    _notify(fresh, author, decision, reason)
    return Entry.get_by_id(entry.id)


def approve(actor, entry, version=None):
    """Approve a pending entry; it locks."""
    if not can_review(actor, entry):
        raise NotAllowed(_("You cannot review this entry."))
    with write_transaction():
        return _decide(actor, entry, "approved", version=version)


def decline(actor, entry, reason, version=None):
    """Decline a pending entry with a reason the author will read."""
    if not can_review(actor, entry):
        raise NotAllowed(_("You cannot review this entry."))
    reason = clean_text(reason, "reason", _("The reason"), 500, required=True, multiline=True,
                        missing=_("Say why, so the person can correct it."))
    with write_transaction():
        return _decide(actor, entry, "declined", reason=reason, version=version)


def bulk_approve(actor, picks):
    """Approve several entries: picks are (entry_id, version); return (approved, skipped)."""
    ids = [entry_id for entry_id, _v in picks]
    allowed = {e.id: e for e in reviewable(actor, access.entries(actor, Entry))
               .where(Entry.id.in_(ids or [0]))}
    approved = skipped = 0
    for entry_id, version in picks:
        entry = allowed.get(entry_id)
        if entry is None:
            skipped += 1
            continue
        try:
            with write_transaction():
                _decide(actor, entry, "approved", version=version)
        except Conflict:
            skipped += 1
        else:
            approved += 1
    return approved, skipped
