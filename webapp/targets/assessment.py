"""The annual assessment (年度考核): each person's and firm's dossier, results and rectification."""
import datetime
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from .. import access
from ..accounts.models import Firm, User
from ..branches import overview as branch_overview
from ..db import db, utcnow
from ..errors import Conflict, DomainError, NotAllowed
from ..i18n import local_today
from ..inputs import clean_text
from ..ledger import year as ledger_year
from ..ledger.forms import normal, parse_date
from ..ledger.kinds import KIND_LABELS
from ..trainings.models import Attendance, Training
from ..web import Bold, Sheet
from . import services
from .models import Assessment

PERSON_RESULTS = {"competent": _l("Competent"), "incompetent": _l("Incompetent")}
FIRM_RESULTS = {"qualified": _l("Qualified"), "unqualified": _l("Unqualified")}
RESULT_LABELS = {**PERSON_RESULTS, **FIRM_RESULTS}
FAILS = ("incompetent", "unqualified")
MAX_COMMENT = 1000
MAX_NOTE = 500
_ASCII_DATE = re.compile(r"^[0-9\s\-/.年月日]*$")


def _year_bounds(year):
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def _subject_filter(subject):
    if isinstance(subject, User):
        return Assessment.user == subject.id
    return Assessment.firm == subject.id


def assessment_of(subject, year):
    """The subject's assessment row for the year, or None."""
    return Assessment.select().where(Assessment.year == year, _subject_filter(subject)).first()


def is_overdue(row, today):
    """Say whether a rectification is still open after its deadline day has passed."""
    return row.rectified_at is None and row.rectify_by is not None and row.rectify_by < today


def open_rectifications(subject, today=None):
    """The subject's failed results whose rectification is still open, oldest deadline first.

    Every screen that shows a rectification takes it from here; each row carries `overdue`
    (is_overdue on `today`, the local date unless given).
    """
    today = today or local_today()
    rows = list(Assessment.select().where(
        _subject_filter(subject), Assessment.result.in_(FAILS),
        Assessment.rectify_by.is_null(False), Assessment.rectified_at.is_null())
        .order_by(Assessment.rectify_by, Assessment.id))
    for row in rows:
        row.overdue = is_overdue(row, today)
    return rows


def _trainings_attended(user, year):
    start, end = _year_bounds(year)
    first = datetime.datetime.combine(start, datetime.time.min)
    last = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min)
    return list(Attendance.select(Attendance, Training).join(Training)
                .where(Attendance.user == user.id, Attendance.status == "present",
                       Training.start_at >= first, Training.start_at < last)
                .order_by(Training.start_at))


def person_dossier(user, year, today):
    """A person's year for the assessment: targets, counted entries, trainings, party, result."""
    data = ledger_year.summary(user, year, today)
    by_kind = {}
    for kind, categories in data["breakdown"].items():
        item = by_kind.setdefault(kind, {"hours": 0, "count": 0, "entries": 0})
        for figures in categories.values():
            item["hours"] += figures["hours"]
            item["count"] += figures["count"]
            item["entries"] += figures["entries"]
    data.update(by_kind=by_kind, attended=_trainings_attended(user, year),
                party=branch_overview.party_record(user, year, today),
                assessment=assessment_of(user, year),
                rectifications=open_rectifications(user, today))
    return data


def firm_dossier(firm, year, today):
    """A firm's year: its per-person averages, each person's figures, and its result."""
    as_of = min(today, _year_bounds(year)[1])
    people, progress = services.people_progress(User.select().where(User.firm == firm.id),
                                                year, as_of)
    averages = services.firm_progress(people, progress).get(firm.id, [])
    results = {a.user_id: a for a in Assessment.select().where(
        Assessment.year == year, Assessment.user.in_([p.id for p in people] or [0]))}
    return {"firm": firm, "year": year, "as_of": as_of, "today": today, "people": people,
            "progress": progress, "averages": averages, "results": results,
            "assessment": assessment_of(firm, year),
            "rectifications": open_rectifications(firm, today),
            "year_over": as_of == _year_bounds(year)[1]}


def parse_deadline(value):
    """Read a typed deadline (ASCII or full-width digits only), or raise DomainError."""
    if isinstance(value, datetime.date):
        return value
    label = _("the rectification deadline")
    if not _ASCII_DATE.match(normal(value)):
        raise DomainError(_("%(label)s is not a date. Write it like 2026-03-05.", label=label),
                          field="rectify_by")
    return parse_date(value, "rectify_by", label)


def _two_years_after(day):
    try:
        return day.replace(year=day.year + 2)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 2, day=28)


def _state(row):
    if row is None:
        return None
    return {"result": row.result, "comment": row.comment, "rectify_by": row.rectify_by,
            "rectified_at": row.rectified_at}


def _check_admin(actor, subject):
    if actor is None or actor.role != "county_admin":
        raise NotAllowed(_("Only the county justice bureau records assessment results."))
    if subject.county_id != actor.grant.region_id:
        raise NotAllowed(_("This is not in your county."))


def record_result(actor, year, subject, result, comment="", rectify_by=None):
    """Record (or change) the year's result for a person or firm of the admin's county."""
    _check_admin(actor, subject)
    today = local_today()
    if not isinstance(year, int) or not 2000 <= year <= today.year:
        raise DomainError(_("Choose a year up to this one."), field="year")
    choices = PERSON_RESULTS if isinstance(subject, User) else FIRM_RESULTS
    result = normal(result)
    if result not in choices:
        raise DomainError(_("Choose one of the results offered."), field="result")
    comment = clean_text(comment, "comment", _("Comment"), MAX_COMMENT, multiline=True)
    deadline = None
    if result in FAILS:
        if rectify_by is None or (isinstance(rectify_by, str) and not normal(rectify_by)):
            raise DomainError(_("A failed result needs a deadline to rectify."), field="rectify_by")
        deadline = parse_deadline(rectify_by)
        if not today < deadline <= _two_years_after(today):
            raise DomainError(_("The deadline to rectify must be after today and within two "
                                "years."), field="rectify_by")
    fields = {"result": result, "comment": comment, "rectify_by": deadline, "rectified_at": None,
              "rectify_note": "", "decided_by": actor.user.id, "decided_at": utcnow()}
    with db.atomic():
        row = assessment_of(subject, year)
        before = _state(row)
        if row is None:
            try:
                with db.atomic():
                    row = Assessment.create(
                        year=year, county=subject.county_id,
                        user=subject.id if isinstance(subject, User) else None,
                        firm=subject.id if isinstance(subject, Firm) else None, **fields)
            except IntegrityError:  # someone recorded it at the same moment: change theirs
                row = assessment_of(subject, year)
                before = _state(row)
        if before is not None:
            if before["result"] == result and before["rectify_by"] == deadline:
                # The same fail with the same deadline keeps its rectification as it stands.
                fields.pop("rectified_at")
                fields.pop("rectify_note")
            Assessment.update(**fields).where(Assessment.id == row.id).execute()
            row = Assessment.get_by_id(row.id)
        access.audit(actor.user, "assessment.record", row, region=subject.county_id,
                     detail={"before": before, "after": _state(row)})
    return row


def close_rectification(actor, assessment, note):
    """Mark a failed result's rectification as done, with a note."""
    if actor is None or actor.role != "county_admin" \
            or assessment.county_id != actor.grant.region_id:
        raise NotAllowed(_("Only the county justice bureau records assessment results."))
    note = clean_text(note, "note", _("Note"), MAX_NOTE, multiline=True)
    with db.atomic():
        row = Assessment.get_by_id(assessment.id)
        if row.result not in FAILS or row.rectify_by is None or row.rectified_at is not None:
            raise Conflict(_("There is no open rectification to close."))
        now = utcnow()
        Assessment.update(rectified_at=now, rectify_note=note).where(
            Assessment.id == row.id).execute()
        row = Assessment.get_by_id(row.id)
        access.audit(actor.user, "assessment.rectified", row, region=row.county_id,
                     detail={"rectify_by": row.rectify_by, "note": note})
    return row


def assessments(actor):
    """Assessment rows the actor may manage (a county admin's county only)."""
    if actor is None or actor.role != "county_admin":
        return Assessment.select().where(False)
    return Assessment.select().where(Assessment.county.in_(actor.county_ids()))


def _result_lines(row):
    if row is None:
        return [[_("Result"), _("Not assessed yet")]]
    lines = [[_("Result"), str(RESULT_LABELS[row.result])], [_("Comment"), row.comment]]
    if row.rectify_by:
        lines.append([_("Rectify by"), row.rectify_by])
        lines.append([_("Rectified"), row.rectified_at.date() if row.rectified_at else _("Open")])
    return lines


def _progress_rows(progress):
    return [[p.label, float(p.done), float(p.target), p.status_label, float(p.pending)]
            for p in progress]


def person_sheet(data):
    """One person's dossier as a worksheet (also one sheet of a firm's workbook)."""
    person = data["person"]
    kinds = [[str(KIND_LABELS.get(kind, kind)), float(item["hours"]), item["count"],
              item["entries"]] for kind, item in data["by_kind"].items()]
    trainings = [[a.training.start_at.date(), a.training.title, float(a.credited_hours)]
                 for a in data["attended"]]
    stats = data["party"]["stats"]
    return Sheet(
        person.name, [_("Target"), _("Done"), _("Required"), _("Status"), _("Waiting for review")],
        _progress_rows(data["progress"])
        + [[], Bold([_("Kind"), _("Hours"), _("Cases"), _("Entries")])] + kinds
        + [[], Bold([_("Date"), _("Training"), _("Hours")])] + trainings
        + [[], [_("Party activities attended"), stats["present"], stats["total"]]],
        widths=(28, 30, 14, 14, 14), freeze=False,
        heading=_("Annual assessment %(year)d", year=data["year"]),
        above=[[_("Name"), person.name], [_("Firm"), data["firm"].name if data["firm"] else ""],
               [_("Licence number"), person.licence_no], [_("As of"), data["as_of"]]]
        + _result_lines(data["assessment"]) + [[]])


def person_sheets(data):
    """A person's dossier workbook: the dossier sheet."""
    return [person_sheet(data)]


def firm_sheets(data):
    """A firm's dossier workbook: averages and each person, then one sheet per person's figures."""
    firm = data["firm"]
    rows = []
    for person in data["people"]:
        row = [person.name]
        for p in data["progress"].get(person.id, []):
            row += [float(p.done), p.status_label]
        result = data["results"].get(person.id)
        rows.append(row + [str(RESULT_LABELS[result.result]) if result else ""])
    header = [_("Name")]
    for p in data["averages"]:
        header += [p.label, _("Status")]
    header.append(_("Result"))
    averages = [[_("Per-person average")] + [x for p in data["averages"]
                                            for x in (float(p.done), p.status_label)]]
    return [Sheet(_("Firm"), header, averages + rows, widths=(20,) + (14,) * 7, freeze=False,
                  heading=_("Annual assessment %(year)d", year=data["year"]),
                  above=[[_("Firm"), firm.name], [_("As of"), data["as_of"]]]
                  + _result_lines(data["assessment"]) + [[]])]

