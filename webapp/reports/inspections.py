"""Quarterly inspections (季督查, seed 001 四(三)): recording one, closing its items, and the
firm's open items with their deadlines.

Who records and closes: an administrator of the firm's county (acting as county admin).
Who reads a firm's inspections: that administrator and the firm's director.
When an inspection may be dated: today, back to 1 January of the previous year.
"""
import datetime
from dataclasses import dataclass

from flask_babel import gettext as _

from .. import access
from ..access import audit
from ..accounts.models import Firm, User
from ..db import is_postgres, utcnow, write_transaction
from ..errors import Conflict, DomainError, NotAllowed
from ..i18n import local_today
from ..inputs import clean_text
from ..ledger.forms import normal, parse_date
from .inspection_models import Inspection, InspectionItem

MAX_INSPECTORS = 200
MAX_FINDINGS = 4000
MAX_ITEM = 500
MAX_NOTE = 500
MAX_ITEMS = 10
RECORDERS = ("county_admin",)


def earliest_day(today):
    """Inspections may be dated back to 1 January of the previous year."""
    return datetime.date(today.year - 1, 1, 1)


# ------------------------------------------------------------------ who

def can_manage(actor, firm):
    """Say whether the actor may record inspections of the firm and close their items."""
    return (actor is not None and actor.role in RECORDERS and firm is not None
            and access.firms(actor).where(Firm.id == firm.id).exists())


def _require(actor, firm):
    if not can_manage(actor, firm):
        raise NotAllowed(_("Only the county justice bureau of the firm records inspections."))


# ------------------------------------------------------------------ checking the form

def _held_on(value, today):
    day = parse_date(value, "held_on", _("the date of the inspection"))
    if day > today:
        raise DomainError(_("The inspection cannot be in the future."), field="held_on")
    if day < earliest_day(today):
        raise DomainError(_("The date is too long ago: inspections can go back to %(day)s.",
                            day=earliest_day(today).isoformat()), field="held_on")
    return day


def clean_items(rows, held_on):
    """Return [(text, due date)] from the typed rows; rows left blank are skipped."""
    items = []
    for number, (text, due) in enumerate(rows, start=1):
        if not normal(text) and not normal(due):
            continue
        label = _("item %(n)d", n=number)
        text = clean_text(text, f"item-{number}", label, MAX_ITEM, required=True,
                          multiline=False)
        day = parse_date(due, f"item-{number}", _("the deadline of item %(n)d", n=number))
        if day < held_on:
            raise DomainError(_("The deadline of item %(n)d is before the inspection.",
                                n=number), field=f"item-{number}")
        items.append((text, day))
    if len(items) > MAX_ITEMS:
        raise DomainError(_("At most %(n)d items to fix in one inspection.", n=MAX_ITEMS),
                          field="items")
    return items


def clean_inspection(data, today):
    """Validate an inspection's form; return (fields, items)."""
    held_on = _held_on(data.get("held_on"), today)
    fields = {
        "held_on": held_on,
        "inspectors": clean_text(data.get("inspectors"), "inspectors", _("the inspectors"),
                                 MAX_INSPECTORS, required=True),
        "findings": clean_text(data.get("findings"), "findings", _("the findings"),
                               MAX_FINDINGS, required=True, multiline=True),
    }
    return fields, clean_items(data.get("items") or (), held_on)


# ------------------------------------------------------------------ writing

def record(actor, firm, data, today=None):
    """Record an inspection of the firm with its items to fix; return the inspection.

    `data` holds held_on, inspectors, findings and items: a list of (text, due date) pairs.
    """
    _require(actor, firm)
    fields, items = clean_inspection(data, today or local_today())
    with write_transaction():
        inspection = Inspection.create(firm=firm.id, county=firm.county_id,
                                       created_by=actor.user.id, created_at=utcnow(), **fields)
        if items:
            InspectionItem.insert_many([{"inspection": inspection.id, "text": text,
                                         "due_on": due} for text, due in items]).execute()
        audit(actor.user, "inspection.record", inspection, firm.county_id, {
            "firm": firm.id, "held_on": fields["held_on"], "inspectors": fields["inspectors"],
            "items": [{"text": text, "due_on": due} for text, due in items]})
    return inspection


def close_item(actor, item, note, today=None):
    """Close an item the firm has fixed, with an optional note; return the item."""
    inspection = Inspection.get_by_id(item.inspection_id)
    _require(actor, Firm.get_by_id(inspection.firm_id))
    note = clean_text(note, "note", _("the note"), MAX_NOTE, multiline=True)
    with write_transaction():
        query = InspectionItem.select().where(InspectionItem.id == item.id)
        fresh = (query.for_update() if is_postgres() else query).first()
        if fresh is None or fresh.closed_on is not None:
            raise Conflict(_("This item is already closed."))
        closed_on = today or local_today()
        InspectionItem.update(closed_on=closed_on, closed_by=actor.user.id,
                              close_note=note).where(InspectionItem.id == item.id).execute()
        audit(actor.user, "inspection.close_item", fresh, inspection.county_id, {
            "firm": inspection.firm_id, "inspection": inspection.id, "text": fresh.text,
            "due_on": fresh.due_on, "note": note})
    return InspectionItem.get_by_id(item.id)


# ------------------------------------------------------------------ reading

@dataclass
class OpenItem:
    """An item still to fix, with the inspection it came from and whether it is late."""
    item: InspectionItem
    held_on: datetime.date
    overdue: bool


def _as_date(value):
    if isinstance(value, str):  # SQLite may hand back text
        return datetime.date.fromisoformat(value[:10])
    return value


def open_items(firm, today=None):
    """The firm's items not yet closed, earliest deadline first, each flagged when overdue."""
    today = today or local_today()
    rows = (InspectionItem.select(InspectionItem, Inspection.held_on)
            .join(Inspection, on=(InspectionItem.inspection == Inspection.id))
            .where(Inspection.firm == firm.id, InspectionItem.closed_on.is_null())
            .order_by(InspectionItem.due_on, InspectionItem.id))
    return [OpenItem(item=row, held_on=_as_date(row.inspection.held_on),
                     overdue=_as_date(row.due_on) < today) for row in rows]


def firm_inspections(actor, firm):
    """The firm's inspections the actor may see, newest first, each with its items."""
    query = access.inspections(actor, Inspection).where(Inspection.firm == firm.id)
    inspections = list(query.order_by(Inspection.held_on.desc(), Inspection.id.desc()))
    items = {}
    for item in (InspectionItem.select()
                 .where(InspectionItem.inspection.in_([i.id for i in inspections] or [0]))
                 .order_by(InspectionItem.due_on, InspectionItem.id)):
        items.setdefault(item.inspection_id, []).append(item)
    names = dict(User.select(User.id, User.name).where(User.id.in_(
        [i.created_by_id for i in inspections] + [it.closed_by_id for rows in items.values()
                                                  for it in rows if it.closed_by_id] or [0]))
        .tuples())
    return inspections, items, names


def visible_item(actor, item_id):
    """The inspection item of that id the actor may manage, or None."""
    return (InspectionItem.select(InspectionItem)
            .join(Inspection, on=(InspectionItem.inspection == Inspection.id))
            .where(InspectionItem.id == item_id,
                   Inspection.id.in_(access.inspections(actor, Inspection)
                                     .select(Inspection.id)))
            .first())
