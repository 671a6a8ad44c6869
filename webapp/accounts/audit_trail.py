"""The audit trail: who did which administrative action or review decision, to what, when,
from where, and what it changed — read through the actor's scope, filtered, in pages, exported.
"""
import datetime
import json
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import access
from ..errors import DomainError
from ..i18n import to_local, to_utc
from ..web import Sheet
from .models import AuditEvent, Firm, Region, User

PAGE_SIZE = 50
MAX_EXPORT = 50_000
MAX_SEARCH = 60

ACTION_LABELS = {
    "user.create": _l("Person added"),
    "user.update": _l("Person edited"),
    "user.activate": _l("Person reactivated"),
    "user.deactivate": _l("Person deactivated"),
    "user.director": _l("Made firm director"),
    "user.undirector": _l("Firm director role removed"),
    "user.reset_password": _l("Password reset"),
    "user.create_admin": _l("Administrator created"),
    "firm.create": _l("Firm added"),
    "firm.update": _l("Firm edited"),
    "firm.activate": _l("Firm reactivated"),
    "firm.deactivate": _l("Firm deactivated"),
    "roster.import": _l("Roster imported"),
    "training.create": _l("Training created"),
    "training.update": _l("Training edited"),
    "training.cancel": _l("Training cancelled"),
    "training_category.create": _l("Training category added"),
    "training_category.rename": _l("Training category renamed"),
    "training_category.move": _l("Training category moved"),
    "training_category.activate": _l("Training category reactivated"),
    "training_category.deactivate": _l("Training category deactivated"),
    "training_category.delete": _l("Training category deleted"),
    "attendance.mark_present": _l("Marked present by staff"),
    "attendance.excuse": _l("Excused by staff"),
    "attendance.correct": _l("Attendance corrected"),
    "attendance.mark": _l("Attendance marked"),
    "branch.create": _l("Party branch created"),
    "branch.update": _l("Party branch edited"),
    "branch.member_add": _l("Branch member added"),
    "branch.member_standing": _l("Branch member's standing changed"),
    "branch.member_remove": _l("Branch member removed"),
    "branch.secretary": _l("Branch secretary named"),
    "activity.create": _l("Branch activity recorded"),
    "activity.update": _l("Branch activity edited"),
    "activity.cancel": _l("Branch activity cancelled"),
    "activity.photo_remove": _l("Activity photo removed"),
    "entry.approve": _l("Ledger entry approved"),
    "entry.decline": _l("Ledger entry declined"),
    "review_rule.save": _l("Review rules saved"),
    "report.accept": _l("Firm report accepted"),
    "report.return": _l("Firm report returned"),
    "report.reporter_name": _l("Firm reporter named"),
    "report.reporter_unname": _l("Firm reporter removed"),
    "inspection.record": _l("Inspection recorded"),
    "inspection.close_item": _l("Inspection item closed"),
    "bulletin.issue": _l("Bulletin issued"),
    "case.recommend": _l("Typical case recommended"),
    "case.withdraw": _l("Typical case recommendation withdrawn"),
    "case.choose": _l("Typical case chosen"),
    "case.unchoose": _l("Typical case choice undone"),
    "target.set": _l("Target set"),
    "target.clear": _l("Target cleared"),
    "target.start_year": _l("Targets copied to a new year"),
    "region_year.set": _l("County figures set"),
    "assessment.record": _l("Assessment recorded"),
    "assessment.rectified": _l("Rectification closed"),
    "my_data.download": _l("Own data downloaded"),
    "study.published": _l("Study material published"),
    "study.changed": _l("Study material edited"),
    "study.withdrawn": _l("Study material withdrawn"),
    "study.reminded": _l("Study reminder sent"),
    "complaint.record": _l("Complaint recorded"),
    "complaint.investigate": _l("Investigation started"),
    "complaint.conclude": _l("Complaint concluded"),
    "complaint.update": _l("Assignee or deadline changed"),
    "village.create": _l("Village or community added"),
    "village.update": _l("Village or community edited"),
    "village.adviser": _l("Village legal adviser named"),
    "village.reactivate": _l("Village or community reactivated"),
    "village.deactivate": _l("Village or community deactivated"),
    "village.import": _l("Villages imported"),
}

OBJECT_LABELS = {
    "user": _l("Person"), "firm": _l("Firm"), "training": _l("Training"),
    "trainingcategory": _l("Training category"), "attendance": _l("Attendance"),
    "branch": _l("Party branch"), "branchactivity": _l("Branch activity"),
    "entry": _l("Ledger entry"), "reviewrule": _l("Review rules"), "target": _l("Target"),
    "regionyear": _l("County figures"), "assessment": _l("Assessment"),
    "bulletin": _l("Bulletin"), "inspection": _l("Inspection"),
    "inspectionitem": _l("Inspection item"), "caseselection": _l("Typical case"),
    "firmreport": _l("Firm report"),
    "studymaterial": _l("Study material"), "complaint": _l("Complaint"),
    "village": _l("Village or community"),
}

FIELD_LABELS = {
    "name": _l("Name"), "name_en": _l("English name"), "phone": _l("Phone"),
    "licence_no": _l("Licence number"), "birth_year": _l("Birth year"),
    "party_member": _l("Party member"), "firm": _l("Firm"), "firms": _l("Firms"),
    "education": _l("Education"), "licensed_on": _l("Licensed on"),
    "township": _l("Township or street"), "setting": _l("Rural or urban"),
    "title": _l("Title"), "category": _l("Category"), "place": _l("Place"),
    "credit_hours": _l("Credit hours"), "start_at": _l("Starts"), "end_at": _l("Ends"),
    "start": _l("Starts"), "audience": _l("Audience"), "people": _l("People"),
    "topic": _l("Topic"), "kind": _l("Kind"), "year": _l("Year"), "month": _l("Month"),
    "reason": _l("Reason"), "note": _l("Note"), "value": _l("Value"), "source": _l("Source"),
    "metric": _l("Target"), "population": _l("Residents"), "lawyers": _l("Lawyers"),
    "in": _l("Checked in"), "out": _l("Checked out"), "result": _l("Result"),
    "hours": _l("Hours"), "date": _l("Date"), "status": _l("Status"),
    "user": _l("Person"), "users": _l("People"),
    "firm_name": _l("Firm"), "practitioner": _l("Practitioner"),
    "practitioner_name": _l("Practitioner"), "received_on": _l("Date received"),
    "assignee": _l("Handled by"), "assignee_name": _l("Handled by"),
    "deadline": _l("Deadline"), "finding": _l("Finding"), "measure": _l("Measure taken"),
    "reply": _l("Reply to the complainant"), "replied_on": _l("Replied on"),
    "concluded_on": _l("Concluded on"), "overdue": _l("Overdue"),
    "members": _l("Members"), "questions": _l("Questions"),
    "entries_withdrawn": _l("Entries withdrawn"),
}

# Keys that name the object acted on (shown with it, not again among the details).
NAME_KEYS = ("name", "title", "topic")
# A moment as the detail stores it (naive UTC written by str()): shown in local time.
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
# Days stored as a datetime at midnight (not a moment in UTC): shown as the day.
DAY_KEYS = ("licensed_on",)


@dataclass
class Filters:
    """What the trail is narrowed to; every part optional."""
    date_from: datetime.date = None
    date_to: datetime.date = None
    actor_id: int = None
    action: str = ""
    object_type: str = ""
    q: str = ""
    page: int = 1

    def args(self, **override):
        """The filters as query arguments (blank ones left out), for links and the export."""
        values = {"from": self.date_from.isoformat() if self.date_from else "",
                  "to": self.date_to.isoformat() if self.date_to else "",
                  "actor": self.actor_id or "", "action": self.action,
                  "object": self.object_type, "q": self.q,
                  "page": self.page if self.page > 1 else ""}
        values.update(override)
        return {k: v for k, v in values.items() if v not in ("", None)}


@dataclass
class Line:
    """One audit event as the screen and the export show it."""
    id: int
    at: datetime.datetime       # local time, naive
    who: str
    action: str
    what: str
    region: str
    address: str
    changes: list = field(default_factory=list)     # (field label, old text, new text)
    details: list = field(default_factory=list)     # (label, text)

    @property
    def when(self):
        return self.at.strftime("%Y-%m-%d %H:%M")

    def changes_text(self):
        return "; ".join(f"{label}: {old} → {new}" for label, old, new in self.changes)

    def details_text(self):
        return "; ".join(f"{label}: {text}" for label, text in self.details)


@dataclass
class Page:
    lines: list
    page: int
    more: bool
    total: int


def action_label(action):
    """The translated name of an action (the code itself for one not named here)."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def object_label(object_type):
    label = OBJECT_LABELS.get(object_type)
    return str(label) if label is not None else object_type


def check_filters(filters, choices_):
    """Refuse a chosen actor, action or object type the actor's trail does not offer, and a
    period that ends before it starts; return the filters."""
    if filters.actor_id is not None and filters.actor_id not in dict(choices_["actors"]):
        raise DomainError(_("Choose one of the people listed."), field="actor")
    if filters.action and filters.action not in dict(choices_["actions"]):
        raise DomainError(_("Choose one of the actions listed."), field="action")
    if filters.object_type and filters.object_type not in dict(choices_["objects"]):
        raise DomainError(_("Choose one of the kinds of record listed."), field="object")
    if filters.date_from and filters.date_to and filters.date_to < filters.date_from:
        raise DomainError(_("The end date is before the start date."), field="to")
    return filters


def choices(actor):
    """What the filters offer: the people, actions and kinds of record in the actor's trail."""
    scoped = access.audit_events(actor)
    actor_ids = scoped.select(AuditEvent.actor).where(AuditEvent.actor.is_null(False))
    actors = [(u.id, u.name) for u in User.select(User.id, User.name)
              .where(User.id.in_(actor_ids)).order_by(User.name, User.id)]
    actions = sorted(((a, action_label(a)) for (a,) in
                      scoped.select(AuditEvent.action).distinct().tuples()), key=lambda c: c[1])
    objects = sorted(((o, object_label(o)) for (o,) in
                      scoped.select(AuditEvent.object_type).distinct().tuples() if o),
                     key=lambda c: c[1])
    return {"actors": actors, "actions": actions, "objects": objects}


def _search(q):
    """Events whose details, action (code or name), address or actor's name hold the text."""
    named = [a for a, label in ACTION_LABELS.items() if q.lower() in str(label).lower()]
    condition = (AuditEvent.detail.contains(q) | AuditEvent.action.contains(q)
                 | AuditEvent.address.contains(q)
                 | AuditEvent.actor.in_(User.select(User.id).where(User.name.contains(q))))
    if named:
        condition |= AuditEvent.action.in_(named)
    return condition


def _query(actor, filters):
    query = access.audit_events(actor)
    if filters.date_from:
        query = query.where(AuditEvent.created_at >= to_utc(
            datetime.datetime.combine(filters.date_from, datetime.time())))
    if filters.date_to:
        query = query.where(AuditEvent.created_at < to_utc(
            datetime.datetime.combine(filters.date_to + datetime.timedelta(days=1),
                                      datetime.time())))
    if filters.actor_id is not None:
        query = query.where(AuditEvent.actor == filters.actor_id)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.object_type:
        query = query.where(AuditEvent.object_type == filters.object_type)
    if filters.q:
        query = query.where(_search(filters.q))
    return query


def events(actor, filters):
    """One page (PAGE_SIZE events, newest first) of the actor's trail under the filters."""
    query = _query(actor, filters)
    total = query.count()
    rows = list(query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
                .paginate(filters.page, PAGE_SIZE))
    return Page(lines=describe(rows), page=filters.page,
                more=filters.page * PAGE_SIZE < total, total=total)


def all_events(actor, filters):
    """Every event of the actor's trail under the filters (the page left aside), newest first."""
    query = _query(actor, filters)
    total = query.count()
    if total > MAX_EXPORT:
        raise DomainError(_("There are %(n)d events to export, more than %(max)d. Choose a "
                            "shorter period or narrow the filters.", n=total, max=MAX_EXPORT))
    return describe(query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()))


# ------------------------------------------------------------------ describing events

def _before_after(detail):
    """The detail's changes as {field: [old, new]}: written so, or from its before and after."""
    if isinstance(detail.get("changes"), dict):
        return detail["changes"]
    before, after = detail.get("before"), detail.get("after")
    if "before" not in detail and "after" not in detail:
        return {}
    if isinstance(before, dict) or isinstance(after, dict):
        return access.changed(before if isinstance(before, dict) else {},
                              after if isinstance(after, dict) else {})
    return {"value": [before, after]} if before != after else {}


def _text(value):
    """A stored value as a person reads it: yes or no, local times, lists."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items())
    if isinstance(value, str) and _MOMENT.match(value):
        moment = datetime.datetime.fromisoformat(value)
        return to_local(moment).strftime("%Y-%m-%d %H:%M")
    return str(value)


def _field_label(key):
    label = FIELD_LABELS.get(key)
    return str(label) if label is not None else key


def _is_id(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _ids_under(details, keys):
    """The ids that details (and their changes) give under the keys, such as firm or firms."""
    ids = set()
    for detail in details:
        values = [v for k, v in detail.items() if k in keys]
        values += [v for k, pair in _before_after(detail).items()
                   if k in keys and isinstance(pair, list) for v in pair]
        for value in values:
            ids.update(v for v in (value if isinstance(value, list) else [value]) if _is_id(v))
    return ids


def _value(key, value, names):
    """A detail's value in words; the ids of firms and people as their names."""
    if key in DAY_KEYS and isinstance(value, str) and _MOMENT.match(value):
        return value[:10]
    lookup = names.get(key)
    if lookup is not None:
        if isinstance(value, list):
            value = [lookup.get(v, v) if _is_id(v) else v for v in value]
        elif _is_id(value):
            value = lookup.get(value, value)
    return _text(value)


def describe(rows):
    """The events as Lines: names for people, counties and firms; changes as old → new."""
    rows = list(rows)
    details = []
    for row in rows:
        try:
            detail = json.loads(row.detail or "{}")
        except ValueError:
            detail = {"detail": row.detail}
        details.append(detail if isinstance(detail, dict) else {"detail": detail})
    people = dict(User.select(User.id, User.name).where(
        User.id.in_({r.actor_id for r in rows if r.actor_id} or {0})).tuples())
    regions = dict(Region.select(Region.id, Region.name).where(
        Region.id.in_({r.region_id for r in rows if r.region_id} or {0})).tuples())
    firm_names = dict(Firm.select(Firm.id, Firm.name).where(
        Firm.id.in_(_ids_under(details, ("firm", "firms")) or {0})).tuples())
    person_names = dict(User.select(User.id, User.name).where(
        User.id.in_(_ids_under(details, ("user", "users")) or {0})).tuples())
    names = {"firm": firm_names, "firms": firm_names, "user": person_names,
             "users": person_names}
    lines = []
    for row, detail in zip(rows, details):
        changes = _before_after(detail)
        name = next((detail[k] for k in NAME_KEYS if isinstance(detail.get(k), str)), "")
        what = " ".join(part for part in (
            object_label(row.object_type),
            f"#{row.object_id}" if row.object_id is not None else "", name) if part)
        rest = [(k, v) for k, v in detail.items()
                if k not in ("changes", "before", "after") and not (k in NAME_KEYS and v == name)]
        lines.append(Line(
            id=row.id, at=to_local(row.created_at).replace(tzinfo=None),
            who=people.get(row.actor_id, "") if row.actor_id else _("System (command line)"),
            action=action_label(row.action), what=what,
            region=regions.get(row.region_id, ""), address=row.address,
            changes=[(_field_label(k), _value(k, pair[0], names), _value(k, pair[1], names))
                     for k, pair in changes.items() if isinstance(pair, list) and len(pair) == 2],
            details=[(_field_label(k), _value(k, v, names)) for k, v in rest]))
    return lines


HEADER = (_l("When"), _l("Who"), _l("Action"), _l("Record"), _l("County"), _l("Address"),
          _l("Changes (before → after)"), _l("Details"))


def sheets(lines):
    """The lines as one worksheet, in the screen's order and words."""
    return [Sheet(title=_("Audit log"), header=[str(h) for h in HEADER],
                  rows=[[line.at, line.who, line.action, line.what, line.region, line.address,
                         line.changes_text(), line.details_text()] for line in lines],
                  widths=(17, 14, 22, 28, 12, 16, 50, 50))]
