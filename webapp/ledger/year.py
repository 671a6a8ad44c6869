"""My year: a person's ledger by year, where each line came from, and the annual summary."""
import datetime
from decimal import Decimal

from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import fn

from .. import access
from ..accounts.models import Firm
from ..branches.labels import ACTIVITY_LABELS
from ..i18n import fmt_hours, to_utc
from ..targets import services as targets
from ..trainings.models import Attendance, Training, TrainingCategory
from ..web import Bold, Sheet, workbook
from . import services
from .models import Entry

PER_PAGE = 50
COUNTED = ("approved", "recorded")
STATUS_FILTERS = ("counted", "pending", "approved", "declined", "withdrawn", "recorded")
SOURCE_LABELS = {
    "qr": _l("QR check-in"),
    "staff": _l("Marked by staff"),
    "training": _l("Training attendance"),
    "branch": _l("Branch attendance"),
    "self": _l("Self-reported"),
}


def _year_range(year):
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def label_context():
    """Label maps every ledger template uses, and a function naming an entry's category."""
    english = str(get_locale()) == "en"
    names_en = {}
    if english:
        names_en = {c.name: c.name_en for c in TrainingCategory.select(
            TrainingCategory.name, TrainingCategory.name_en) if c.name_en}

    def category_label(entry, category=None):
        """Name an entry's category, or a (kind, category) pair's."""
        if isinstance(entry, str):
            kind, value, case_type = entry, category, category
        else:
            kind, value, case_type = entry.kind, entry.category, entry.case_type
        if kind == "public_service":
            return services.PUBLIC_SERVICE_TYPES.get(value, value)
        if kind == "legal_aid":
            return services.CASE_TYPES.get(case_type or value, value)
        if kind == "party_activity":
            return ACTIVITY_LABELS.get(value, value)
        return names_en.get(value, value)

    def amount(entry):
        if entry.kind == "legal_aid":
            return _("1 case") if entry.count == 1 else _("%(n)d cases", n=entry.count)
        return _("%(h)s h", h=fmt_hours(entry.hours))

    context = {"kind_labels": services.KIND_LABELS, "status_labels": services.STATUS_LABELS,
               "ps_types": services.PUBLIC_SERVICE_TYPES, "case_types": services.CASE_TYPES,
               "case_statuses": services.CASE_STATUSES, "category_label": category_label,
               "amount": amount, "source_names": SOURCE_LABELS}
    context["labels"] = dict(context)
    return context


def years_for(user, today):
    """Years the person can look at, newest first (back to their first entry)."""
    first = (Entry.select(fn.MIN(Entry.date)).where(Entry.user == user.id).scalar())
    if isinstance(first, str):
        first = datetime.date.fromisoformat(first)
    first_year = first.year if first else today.year
    first_year = max(min(first_year, today.year), today.year - 30)
    return list(range(today.year, first_year - 1, -1))


def _filtered(actor, user, year, kind=None, status=None):
    start, end = _year_range(year)
    query = (access.entries(actor, Entry)
             .where(Entry.user == user.id, Entry.date.between(start, end)))
    if kind in services.KIND_GROUPS:
        query = query.where(Entry.kind.in_(services.KIND_GROUPS[kind]))
    if status == "counted":
        query = query.where(Entry.status.in_(COUNTED))
    elif status in STATUS_FILTERS:
        query = query.where(Entry.status == status)
    return query


def page_of(actor, user, year, kind=None, status=None, page=1):
    """One page of the year's entries the actor may see, newest first; return (rows, more)."""
    rows = list(_filtered(actor, user, year, kind, status)
                .order_by(Entry.date.desc(), Entry.id.desc())
                .limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE))
    return rows[:PER_PAGE], len(rows) > PER_PAGE


def uncredited(user, year):
    """The year's trainings the person attended and was credited nothing for, oldest first.

    They leave no ledger entry (an entry worth 0 hours is withdrawn), so My year lists them
    apart, saying why (the reasons are the crediting rule's own: attendance.assess_credit).
    """
    start = to_utc(datetime.datetime(year, 1, 1))
    end = to_utc(datetime.datetime(year + 1, 1, 1))
    return list(Attendance.select(Attendance, Training).join(Training)
                .where(Attendance.user == user.id, Attendance.status == "present",
                       Attendance.checked_in_at.is_null(False), Attendance.credited_hours == 0,
                       Training.status != "cancelled", Training.start_at >= start,
                       Training.start_at < end)
                .order_by(Training.start_at))


def counts(user, year):
    """How many entries of the year per kind group and per status (for the filters)."""
    start, end = _year_range(year)
    rows = (Entry.select(Entry.kind, Entry.status, fn.COUNT(Entry.id))
            .where(Entry.user == user.id, Entry.date.between(start, end))
            .group_by(Entry.kind, Entry.status).tuples())
    by_kind, by_status, total = {}, {}, 0
    for kind, status, n in rows:
        group = next((g for g, kinds in services.KIND_GROUPS.items() if kind in kinds), kind)
        by_kind[group] = by_kind.get(group, 0) + n
        by_status[status] = by_status.get(status, 0) + n
        total += n
    by_status["counted"] = sum(by_status.get(s, 0) for s in COUNTED)
    return {"kind": by_kind, "status": by_status, "total": total}


def source_labels(rows, user_id):
    """Say where each entry came from: QR check-in, staff, branch attendance, self-reported."""
    training_ids = [r.training_id for r in rows if r.training_id]
    methods = {}
    if training_ids:
        methods = dict(Attendance.select(Attendance.training, Attendance.method_in)
                       .where(Attendance.user == user_id,
                              Attendance.training.in_(training_ids)).tuples())
    out = {}
    for row in rows:
        if row.source == "self":
            key = "self"
        elif row.activity_id:
            key = "branch"
        elif row.training_id:
            method = methods.get(row.training_id)
            key = {"staff": "staff", None: "training"}.get(method, "qr")
        else:
            key = "training"
        out[row.id] = SOURCE_LABELS[key]
    return out


# ------------------------------------------------------------------ the annual summary

def _dec(value):
    return Decimal(str(value or 0))


def summary(user, year, today):
    """Everything the one-page annual summary shows, from database aggregates."""
    start, end = _year_range(year)
    as_of = min(today, end)
    progress = targets.progress_for([user], year, as_of).get(user.id, [])
    cap = targets.outside_cap(user.county_id, year)
    in_year = (Entry.user == user.id) & Entry.date.between(start, end)
    rows = (Entry.select(Entry.kind, Entry.category, Entry.source,
                         fn.SUM(Entry.hours), fn.SUM(Entry.count), fn.COUNT(Entry.id))
            .where(in_year, Entry.status.in_(COUNTED))
            .group_by(Entry.kind, Entry.category, Entry.source).tuples())
    breakdown = {}
    outside_hours = Decimal(0)
    for kind, category, source, hours, count, n in rows:
        item = breakdown.setdefault(kind, {}).setdefault(
            category, {"hours": Decimal(0), "count": 0, "entries": 0})
        item["hours"] += _dec(hours)
        item["count"] += int(count or 0)
        item["entries"] += n
        if kind == "education" and source == "self":
            outside_hours += _dec(hours)
    pending = dict(Entry.select(Entry.kind, fn.COUNT(Entry.id))
                   .where(in_year, Entry.status == "pending").group_by(Entry.kind).tuples())
    trainings = list(Entry.select(Entry.date, Entry.description, Entry.hours)
                     .where(in_year, Entry.kind == "training_credit",
                            Entry.status.in_(COUNTED)).order_by(Entry.date))
    cases = list(Entry.select(Entry.date, Entry.case_number, Entry.case_type, Entry.case_status,
                              Entry.closed_on, Entry.kind, Entry.category, Entry.count)
                 .where(in_year, Entry.kind == "legal_aid", Entry.status.in_(COUNTED))
                 .order_by(Entry.date))
    firm = Firm.get_or_none(Firm.id == user.firm_id) if user.firm_id else None
    return {"person": user, "firm": firm, "year": year, "as_of": as_of, "today": today,
            "progress": progress, "cap": cap, "outside_hours": outside_hours,
            "outside_counted": min(outside_hours, cap), "breakdown": breakdown,
            "pending": pending, "trainings": trainings, "cases": cases,
            "year_over": as_of == end}


def summary_workbook(data):
    """Build the annual summary as a workbook: the year against the targets, then every entry."""
    labels = label_context()
    person, year = data["person"], data["year"]
    progress = []
    for p in data["progress"]:
        status = p.status_label if (p.status == "done" or not data["year_over"]) \
            else _("Not reached")
        progress.append([p.label, float(p.done), float(p.target), status, float(p.pending)])
    breakdown = [[labels["kind_labels"].get(kind, kind), labels["category_label"](kind, category),
                  float(item["hours"]), item["count"], item["entries"]]
                 for kind, categories in data["breakdown"].items()
                 for category, item in categories.items()]
    summary = Sheet(
        _("Summary"), [_("Target"), _("Done"), _("Required"), _("Status"), _("Waiting for review")],
        progress + [[], [_("Outside learning: %(done)s h logged, at most %(cap)s h count toward "
                           "the target.", done=fmt_hours(data["outside_hours"]),
                           cap=fmt_hours(data["cap"]))], [],
                    Bold([_("Kind"), _("Type"), _("Hours"), _("Cases"), _("Entries")])] + breakdown,
        widths=(28, 30, 14, 14, 14), heading=_("Annual summary %(year)d", year=year), freeze=False,
        above=[[_("Name"), person.name], [_("Firm"), data["firm"].name if data["firm"] else ""],
               [_("Licence number"), person.licence_no],
               [_("As of"), format_date(data["as_of"], "long")], []])
    start, end = _year_range(year)
    entries = list(Entry.select().where(Entry.user == person.id, Entry.date.between(start, end))
                   .order_by(Entry.date, Entry.id))
    sources = source_labels(entries, person.id)
    ledger = Sheet(
        _("Entries"), [_("Date"), _("Kind"), _("Type"), _("Hours"), _("Cases"), _("Description"),
                       _("Source"), _("Status")],
        [[e.date, labels["kind_labels"].get(e.kind, e.kind), labels["category_label"](e),
          float(e.hours), e.count, e.description or e.case_number, sources[e.id],
          labels["status_labels"].get(e.status, e.status)] for e in entries],
        widths=(12, 16, 24, 8, 8, 50, 16, 14))
    return workbook([summary, ledger])
