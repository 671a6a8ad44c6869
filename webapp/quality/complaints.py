"""Complaints (投诉, seed 001 四(五); "零投诉", seed 000 clause 9): recording one against a firm or
one of its practitioners, moving it received → investigating → concluded by its deadline, the
history of its steps, the county's figures and each firm's and person's zero-complaint status.

Who records: a county administrator (any firm or practitioner of their county) or a director
(their own firm). Who handles (the steps): a county administrator of the complaint's county,
or the director when the complaint is assigned to them. Who reads: those two, and the city's
administrator (read only). Practitioners and secretaries never see complaints.

The history is read from the audit trail: every step writes one audit event, and the audit
table is append-only in the database (migration 0018), so the history cannot be rewritten
and is never a second copy that could disagree with the trail.
"""
import datetime
import json
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import JOIN, fn

from .. import access
from ..access import ADMIN_ROLES, audit
from ..accounts.models import AuditEvent, Firm, Region, RoleGrant, User
from ..db import utcnow, write_transaction
from ..errors import Conflict, DomainError, NotAllowed
from ..i18n import local_today
from ..inputs import clean_text
from ..ledger.forms import clean_key, normal, parse_date
from ..web import Sheet, object_id
from .complaint_models import FINDINGS, SOURCES, UPHELD, Complaint

MAX_SUMMARY = 4000
MAX_MEASURE = 2000
MAX_REPLY = 2000
MAX_NOTE = 500
DEFAULT_DAYS = 30
MAX_DAYS = 366          # a deadline more than a year after receipt is a typing mistake
RECORDERS = ("county_admin", "director")
READERS = ADMIN_ROLES + ("director",)
FILTERS = ("open", "overdue", "concluded")

SOURCE_LABELS = {
    "hotline_12348": _l("Hotline 12348"),
    "letter": _l("Letter"),
    "visit": _l("Visit in person"),
    "online": _l("Online (web or app)"),
    "referral": _l("Referred by another office"),
}
STATE_LABELS = {
    "received": _l("Received"),
    "investigating": _l("Investigating"),
    "concluded": _l("Concluded"),
}
FINDING_LABELS = {
    "upheld": _l("Upheld"),
    "partly_upheld": _l("Partly upheld"),
    "not_upheld": _l("Not upheld"),
}
STEP_LABELS = {
    "complaint.record": _l("Complaint recorded"),
    "complaint.investigate": _l("Investigation started"),
    "complaint.conclude": _l("Complaint concluded"),
    "complaint.update": _l("Assignee or deadline changed"),
}


# ------------------------------------------------------------------ who

def complaints(actor):
    """Complaints the actor may see: an administrator's counties', a director's firm's."""
    query = Complaint.select()
    if actor is None:
        return query.where(False)
    if actor.role in ADMIN_ROLES:
        return query.where(Complaint.county.in_(actor.county_ids() or [0]))
    if actor.role == "director":
        return query.where(Complaint.firm == actor.grant.firm_id)
    return query.where(False)


def can_record(actor):
    """Say whether the actor may record complaints (a county administrator, a director)."""
    return actor is not None and actor.role in RECORDERS


def can_handle(actor, complaint):
    """Say whether the actor may move the complaint on: its county's administrator, or the
    director it is assigned to."""
    if actor is None or complaint is None:
        return False
    if actor.role == "county_admin":
        return complaint.county_id in actor.county_ids()
    if actor.role == "director":
        return (complaint.firm_id == actor.grant.firm_id
                and complaint.assignee_id == actor.user.id)
    return False


def _require_handler(actor, complaint):
    if not can_handle(actor, complaint):
        raise NotAllowed(_("Only the county justice bureau, or the director the complaint is "
                           "assigned to, handles this complaint."))


def target_firms(actor):
    """Active firms the actor may record a complaint against, by name."""
    if not can_record(actor):
        return []
    return list(access.firms(actor).where(Firm.active == True)  # noqa: E712
                .order_by(Firm.name, Firm.id))


def target_people(actor):
    """Active practitioners (people of a firm) the actor may record a complaint against."""
    if not can_record(actor):
        return []
    return list(access.people(actor).where(User.active == True,  # noqa: E712
                                           User.firm.is_null(False))
                .order_by(User.firm, User.name, User.id))


def assignees(firm_ids):
    """People who may be assigned a complaint about each firm: the county administrators of
    its county and its directors; {firm id: [(user, role)]}, by role then name."""
    firm_ids = list(firm_ids) or [0]
    firms = dict(Firm.select(Firm.id, Firm.county).where(Firm.id.in_(firm_ids)).tuples())
    rows = (RoleGrant.select(RoleGrant.role, RoleGrant.region, RoleGrant.firm, User)
            .join(User, on=(RoleGrant.user == User.id))
            .where(User.active == True,  # noqa: E712
                   ((RoleGrant.role == "county_admin")
                    & RoleGrant.region.in_(list(set(firms.values())) or [0]))
                   | ((RoleGrant.role == "director") & RoleGrant.firm.in_(firm_ids)))
            .order_by(RoleGrant.role, User.name, User.id))
    found = {firm_id: [] for firm_id in firms}
    for grant in rows:
        for firm_id, county_id in firms.items():
            if ((grant.role == "county_admin" and grant.region_id == county_id)
                    or (grant.role == "director" and grant.firm_id == firm_id)):
                found[firm_id].append((grant.user, grant.role))
    return found


def assignee_options(firms):
    """The choices of the "handled by" list for these firms: [(user id, label)], the county
    administrators first, each person once."""
    by_firm = assignees([f.id for f in firms])
    names = {f.id: f.name for f in firms}
    options, seen = [], set()
    for role in ("county_admin", "director"):
        for firm_id, people in by_firm.items():
            for user, held in people:
                if held != role or user.id in seen:
                    continue
                seen.add(user.id)
                options.append((user.id, _("%(name)s (county administrator)", name=user.name)
                                if role == "county_admin" else
                                _("%(name)s (director, %(firm)s)", name=user.name,
                                  firm=names.get(firm_id, ""))))
    return options


# ------------------------------------------------------------------ dates

def earliest_day(today):
    """A complaint may be dated back to 1 January of the previous year."""
    return datetime.date(today.year - 1, 1, 1)


def days_allowed():
    """Days from receipt to the default deadline (config COMPLAINT_DAYS, 30 by default)."""
    days = current_app.config.get("COMPLAINT_DAYS", DEFAULT_DAYS)
    return days if isinstance(days, int) and 1 <= days <= MAX_DAYS else DEFAULT_DAYS


def default_deadline(received_on):
    """The deadline a complaint gets unless another is typed: receipt + COMPLAINT_DAYS."""
    return received_on + datetime.timedelta(days=days_allowed())


def overdue_on(day):
    """The condition, in SQL, of a complaint overdue on that day: its deadline passed before
    the day, and it was not concluded by then (the one rule: list, card, figures)."""
    return ((Complaint.deadline < day)
            & (Complaint.concluded_on.is_null() | (Complaint.concluded_on > day)))


def is_overdue(complaint, today=None):
    """Say whether the complaint is overdue today (or on `today`): overdue_on for one row."""
    day = today or local_today()
    concluded_on = _as_date(complaint.concluded_on) if complaint.concluded_on else None
    return (_as_date(complaint.deadline) < day
            and (concluded_on is None or concluded_on > day))


def _as_date(value):
    if isinstance(value, str):  # SQLite may hand back text
        return datetime.date.fromisoformat(value[:10])
    return value


# ------------------------------------------------------------------ checking the forms

def _id(value, field, message):
    text = normal(value)
    if not text:
        return None
    try:
        return object_id(text)
    except ValueError:
        raise DomainError(message, field=field) from None


def _choice(value, choices, field, message):
    text = normal(value)
    if text not in choices:
        raise DomainError(message, field=field)
    return text


def _received_on(value, today):
    day = parse_date(value, "received_on", _("the date received"))
    if day > today:
        raise DomainError(_("The date received cannot be in the future."), field="received_on")
    if day < earliest_day(today):
        raise DomainError(_("The date is too long ago: complaints can go back to %(day)s.",
                            day=earliest_day(today).isoformat()), field="received_on")
    return day


def _deadline(value, received_on):
    if not normal(value):
        return default_deadline(received_on)
    day = parse_date(value, "deadline", _("the deadline"))
    if day < received_on:
        raise DomainError(_("The deadline cannot be before the complaint was received."),
                          field="deadline")
    if day > received_on + datetime.timedelta(days=MAX_DAYS):
        raise DomainError(_("The deadline is more than a year after the complaint was "
                            "received."), field="deadline")
    return day


def _target(actor, data):
    """The (firm, practitioner or None) the complaint is against; a practitioner implies
    their firm."""
    firm_id = _id(data.get("firm"), "firm", _("Choose a firm from the list."))
    person_id = _id(data.get("practitioner"), "practitioner",
                    _("Choose a practitioner from the list."))
    person = None
    if person_id is not None:
        person = (access.people(actor).where(User.id == person_id, User.firm.is_null(False))
                  .first() if can_record(actor) else None)
        if person is None:
            raise DomainError(_("Choose a practitioner from the list."), field="practitioner")
        if firm_id is not None and firm_id != person.firm_id:
            raise DomainError(_("That practitioner works at another firm: choose their firm, "
                                "or leave the firm empty."), field="firm")
        firm_id = person.firm_id
    if firm_id is None:
        raise DomainError(_("Choose the firm or the practitioner the complaint is about."),
                          field="firm")
    firm = access.firms(actor).where(Firm.id == firm_id).first()
    if firm is None:
        raise DomainError(_("Choose a firm from the list."), field="firm")
    return firm, person


def _assignee(value, firm, person=None):
    """Who handles it: a county administrator or the firm's director, never the person the
    complaint is about."""
    user_id = _id(value, "assignee", _("Choose who handles the complaint from the list."))
    if user_id is None:
        raise DomainError(_("Choose who handles the complaint."), field="assignee")
    if person is not None and user_id == person.id:
        raise DomainError(_("The person the complaint is about cannot handle it. Choose "
                            "someone else."), field="assignee")
    for user, _role in assignees([firm.id]).get(firm.id, []):
        if user.id == user_id:
            return user
    raise DomainError(_("Choose who handles the complaint from the list."), field="assignee")


def clean_new(actor, data, today):
    """Validate the form of a new complaint; return its fields."""
    firm, person = _target(actor, data)
    received_on = _received_on(data.get("received_on"), today)
    return {
        "firm": firm, "practitioner": person,
        "source": _choice(data.get("source"), SOURCES, "source",
                          _("Choose where the complaint came from.")),
        "received_on": received_on,
        "summary": clean_text(data.get("summary"), "summary", _("the summary"), MAX_SUMMARY,
                              required=True, multiline=True),
        "assignee": _assignee(data.get("assignee"), firm, person),
        "deadline": _deadline(data.get("deadline"), received_on),
    }


def clean_conclusion(complaint, data, today):
    """Validate the conclusion form: finding, measure (needed when upheld), reply and its date."""
    finding = _choice(data.get("finding"), FINDINGS, "finding", _("Choose the finding."))
    measure = clean_text(data.get("measure"), "measure", _("the measure taken"), MAX_MEASURE,
                         multiline=True)
    if finding in UPHELD and not measure:
        raise DomainError(_("Say what was done about an upheld complaint."), field="measure")
    reply = clean_text(data.get("reply"), "reply", _("the reply to the complainant"),
                       MAX_REPLY, required=True, multiline=True)
    replied_on = parse_date(data.get("replied_on"), "replied_on", _("the date of the reply"))
    if replied_on > today:
        raise DomainError(_("The reply cannot be dated in the future."), field="replied_on")
    if replied_on < _as_date(complaint.received_on):
        raise DomainError(_("The reply cannot be before the complaint was received."),
                          field="replied_on")
    return {"finding": finding, "measure": measure, "reply": reply, "replied_on": replied_on}


# ------------------------------------------------------------------ writing

def record(actor, data, today=None):
    """Record a complaint (state: received); return it."""
    if not can_record(actor):
        raise NotAllowed(_("Only the county justice bureau or a firm's director records "
                           "complaints."))
    today = today or local_today()
    key = clean_key(data.get("idempotency_key"))
    fields = clean_new(actor, data, today)
    firm, person, assignee = fields.pop("firm"), fields.pop("practitioner"), fields.pop("assignee")
    now = utcnow()
    with write_transaction():
        # The same form sent again (a double tap, a retry): the complaint it recorded. Inside
        # the write transaction, so two sent at once record one.
        sent = (Complaint.get_or_none(Complaint.idempotency_key == key,
                                      Complaint.created_by == actor.user.id) if key else None)
        if sent is not None:
            return sent
        complaint = Complaint.create(idempotency_key=key,
            county=firm.county_id, firm=firm.id, practitioner=person.id if person else None,
            assignee=assignee.id, created_by=actor.user.id, created_at=now, updated_at=now,
            status="received", **fields)
        audit(actor.user, "complaint.record", complaint, firm.county_id, {
            "firm": firm.id, "firm_name": firm.name,
            "practitioner": person.id if person else None,
            "practitioner_name": person.name if person else "",
            "source": fields["source"], "received_on": fields["received_on"],
            "assignee": assignee.id, "assignee_name": assignee.name,
            "deadline": fields["deadline"]})
    return complaint


def _move(complaint, from_state, values):
    """Change the complaint only if it is still in from_state; say whether it was."""
    values["updated_at"] = utcnow()
    return Complaint.update(**values).where(Complaint.id == complaint.id,
                                            Complaint.status == from_state).execute() == 1


def state_refusal(complaint, start):
    """The Conflict a step meets in the complaint's present state, or None: `start` is the
    state the step moves on from (None: any state but concluded)."""
    if complaint.status == "concluded":
        return Conflict(_("This complaint is already concluded."))
    if start == "received" and complaint.status != start:
        return Conflict(_("The investigation of this complaint has already started."))
    if start == "investigating" and complaint.status != start:
        return Conflict(_("Start the investigation before concluding the complaint."))
    return None


def _require_state(complaint, start):
    refused = state_refusal(complaint, start)
    if refused is not None:
        raise refused


def _refuse_state(complaint, start):
    """Raise the Conflict of a change another request made first (the row as it is now)."""
    refused = state_refusal(complaint, start)
    raise refused or Conflict(_("This complaint changed meanwhile; look at it again."))


def investigate(actor, complaint, data):
    """Start investigating a received complaint, with an optional note; return it."""
    _require_handler(actor, complaint)
    _require_state(complaint, "received")
    note = clean_text(data.get("note"), "note", _("the note"), MAX_NOTE, multiline=True)
    with write_transaction():
        if not _move(complaint, "received", {"status": "investigating"}):
            _refuse_state(Complaint.get_by_id(complaint.id), "received")
        audit(actor.user, "complaint.investigate", complaint, complaint.county_id,
              {"firm": complaint.firm_id, "note": note})
    return Complaint.get_by_id(complaint.id)


def conclude(actor, complaint, data, today=None):
    """Conclude a complaint under investigation: finding, measure, reply; return it."""
    _require_handler(actor, complaint)
    _require_state(complaint, "investigating")
    today = today or local_today()
    fields = clean_conclusion(complaint, data, today)
    with write_transaction():
        if not _move(complaint, "investigating",
                     dict(fields, status="concluded", concluded_on=today)):
            _refuse_state(Complaint.get_by_id(complaint.id), "investigating")
        audit(actor.user, "complaint.conclude", complaint, complaint.county_id, dict(
            fields, firm=complaint.firm_id, concluded_on=today,
            overdue=_as_date(complaint.deadline) < today))
    return Complaint.get_by_id(complaint.id)


def update(actor, complaint, data):
    """Change who handles an open complaint and its deadline; return it (unchanged if the
    form changes nothing)."""
    _require_handler(actor, complaint)
    _require_state(complaint, None)
    firm = Firm.get_by_id(complaint.firm_id)
    received_on = _as_date(complaint.received_on)
    if not normal(data.get("deadline")):
        raise DomainError(_("Fill in %(label)s.", label=_("the deadline")), field="deadline")
    person = (User.get_by_id(complaint.practitioner_id) if complaint.practitioner_id
              else None)
    assignee = _assignee(data.get("assignee"), firm, person)
    deadline = _deadline(data.get("deadline"), received_on)
    old_deadline = _as_date(complaint.deadline)
    if (deadline != old_deadline and old_deadline < local_today()
            and actor.role != "county_admin"):
        raise DomainError(_("The deadline has passed: only the county justice bureau can set "
                            "a new one."), field="deadline")
    note = clean_text(data.get("note"), "note", _("the reason"), MAX_NOTE, multiline=True)
    before = {"assignee": complaint.assignee_id, "deadline": _as_date(complaint.deadline)}
    diff = access.changed(before, {"assignee": assignee.id, "deadline": deadline})
    if not diff:
        return complaint
    with write_transaction():
        if not _move(complaint, complaint.status, {"assignee": assignee.id,
                                                   "deadline": deadline}):
            _refuse_state(Complaint.get_by_id(complaint.id), None)
        names = dict(User.select(User.id, User.name)
                     .where(User.id.in_([before["assignee"], assignee.id])).tuples())
        if "assignee" in diff:
            diff["assignee_name"] = [names.get(before["assignee"], ""), assignee.name]
        audit(actor.user, "complaint.update", complaint, complaint.county_id,
              dict(diff, firm=complaint.firm_id, note=note))
    return Complaint.get_by_id(complaint.id)


# ------------------------------------------------------------------ reading

def parse_filter(value):
    """The list's filter: open, overdue, concluded, or '' for all."""
    text = normal(value)
    return text if text in FILTERS else ""


def listing(actor, state="", year=None, today=None):
    """The complaints the actor may see, filtered; newest received first."""
    today = today or local_today()
    query = complaints(actor)
    if state == "open":
        query = query.where(Complaint.status != "concluded")
    elif state == "overdue":
        query = query.where(overdue_on(today))
    elif state == "concluded":
        query = query.where(Complaint.status == "concluded")
    if year is not None:
        query = query.where(Complaint.received_on >= datetime.date(year, 1, 1),
                            Complaint.received_on <= datetime.date(year, 12, 31))
    return query.order_by(Complaint.received_on.desc(), Complaint.id.desc())


@dataclass
class Row:
    """A complaint as the list and the export show it."""
    complaint: Complaint
    firm: str
    practitioner: str
    assignee: str
    overdue: bool


def rows(query, today=None):
    """The complaints of a query with the names they show, in two queries."""
    today = today or local_today()
    complaints_ = list(query)
    firm_names = dict(Firm.select(Firm.id, Firm.name).where(
        Firm.id.in_({c.firm_id for c in complaints_} or [0])).tuples())
    names = dict(User.select(User.id, User.name).where(User.id.in_(
        {c.practitioner_id for c in complaints_ if c.practitioner_id}
        | {c.assignee_id for c in complaints_} or [0])).tuples())
    return [Row(complaint=c, firm=firm_names.get(c.firm_id, ""),
                practitioner=names.get(c.practitioner_id, "") if c.practitioner_id else "",
                assignee=names.get(c.assignee_id, ""), overdue=is_overdue(c, today))
            for c in complaints_]


def years(actor, today=None):
    """The years the list can be narrowed to: from the first complaint received to this year."""
    today = today or local_today()
    first = complaints(actor).select(fn.MIN(Complaint.received_on)).scalar()
    start = _as_date(first).year if first else today.year
    return list(range(today.year, min(start, today.year) - 1, -1))


def overdue_count(actor, county_id=None, today=None):
    """How many complaints the actor may see are overdue (in one county, if given)."""
    query = complaints(actor).where(overdue_on(today or local_today()))
    if county_id is not None:
        query = query.where(Complaint.county == county_id)
    return query.count()


def open_count(actor, county_id=None):
    """How many complaints the actor may see are not yet concluded (in one county, if given)."""
    query = complaints(actor).where(Complaint.status != "concluded")
    if county_id is not None:
        query = query.where(Complaint.county == county_id)
    return query.count()


@dataclass
class Step:
    """One step in a complaint's history, from its audit event."""
    action: str
    label: str
    at: datetime.datetime
    by: str
    detail: dict


def history(complaint):
    """The complaint's steps, oldest first, from the audit trail (one query)."""
    events = (AuditEvent.select(AuditEvent, User.name)
              .join(User, JOIN.LEFT_OUTER, on=(AuditEvent.actor == User.id))
              .where(AuditEvent.region == complaint.county_id,
                     AuditEvent.object_type == "complaint",
                     AuditEvent.object_id == complaint.id,
                     AuditEvent.action.startswith("complaint."))
              .order_by(AuditEvent.created_at, AuditEvent.id))
    steps = []
    for event in events:
        try:
            detail = json.loads(event.detail or "{}")
        except ValueError:
            detail = {}
        actor = getattr(event, "actor", None)
        steps.append(Step(action=event.action, label=STEP_LABELS.get(event.action, event.action),
                          at=event.created_at, by=actor.name if actor else "",
                          detail=detail if isinstance(detail, dict) else {}))
    return steps


def names_of(complaint):
    """The names the complaint's page shows: firm, county, practitioner, assignee, recorder."""
    ids = [i for i in (complaint.practitioner_id, complaint.assignee_id,
                       complaint.created_by_id) if i]
    names = dict(User.select(User.id, User.name).where(User.id.in_(ids or [0])).tuples())
    firm = Firm.select(Firm.name, Region.name.alias("county_name")).join(
        Region, on=(Firm.county == Region.id)).where(Firm.id == complaint.firm_id).dicts().get()
    return {"firm": firm["name"], "county": firm["county_name"],
            "practitioner": names.get(complaint.practitioner_id, ""),
            "assignee": names.get(complaint.assignee_id, ""),
            "created_by": names.get(complaint.created_by_id, "")}


# ------------------------------------------------------------------ export

def sheet(rows_, title):
    """The list as one worksheet, as on screen."""
    header = [_("Date received"), _("Source"), _("Firm"), _("Practitioner"), _("Summary"),
              _("Handled by"), _("Deadline"), _("State"), _("Overdue"), _("Finding"),
              _("Measure taken"), _("Reply to the complainant"), _("Replied on"),
              _("Concluded on")]
    body = []
    for row in rows_:
        c = row.complaint
        body.append([
            _as_date(c.received_on), str(SOURCE_LABELS.get(c.source, c.source)), row.firm,
            row.practitioner, c.summary, row.assignee, _as_date(c.deadline),
            str(STATE_LABELS.get(c.status, c.status)), _("Overdue") if row.overdue else "",
            str(FINDING_LABELS.get(c.finding, "")) if c.finding else "", c.measure, c.reply,
            _as_date(c.replied_on) if c.replied_on else None,
            _as_date(c.concluded_on) if c.concluded_on else None])
    return Sheet(title=title, header=header, rows=body, heading=title,
                 widths=(12, 14, 24, 12, 48, 12, 12, 12, 10, 12, 32, 32, 12, 12))
