"""The firms' monthly reports (信息, 典型案例) of the year, an inspection, and a recommended case.

Each report is written through the reports service by the firm's director and decided by the
county's administrator through the same service, as on their screens: past months mostly
accepted (the diligent firms reaching 3 + 1), this month's and some of last month's still
waiting in the county's queue, one returned with the reason. The demo director's firm had an
inspection this quarter with two items to fix (one closed, one open); Jiangnan recommends one
accepted typical case for the city's ten best.

The draws come from their own random stream, so the rest of the story stays as it was.
"""
import datetime
import random

from ..access import Actor
from ..accounts.models import RoleGrant
from ..reports import inspections, selection, services
from ..reports.inspection_models import Inspection, InspectionItem
from ..reports.models import FirmReport
from ..reports.selection_models import CaseSelection
from .data import (INFO_REPORTS, INSPECTION, REPORT_FIRMS, RETURN_REASONS, TYPICAL_CASES)
from .story import DAY

READ_AFTER = datetime.timedelta(hours=5)


def _actor(user, role):
    grant = RoleGrant.get(RoleGrant.user == user.id, RoleGrant.role == role)
    return Actor(user=user, grant=grant, grants=[grant])


def _months(story):
    """The first days of this year's months up to this one."""
    return [datetime.date(story.year, n, 1) for n in range(1, story.today.month + 1)]


def _sent_at(story, rng, month):
    """When a report for the month was sent: within the month (or the first days after)."""
    last = min(month.replace(day=28) + datetime.timedelta(days=rng.randint(0, 8)),
               story.today - DAY)
    day = month if last < month else month + datetime.timedelta(
        days=rng.randint(0, (last - month).days))
    return story.before_cutoff(story.utc(day, rng.randint(9, 20), rng.choice([0, 15, 30, 45])))


def _fill(template, place, township):
    return template.format(place=place, township=township)


def _form(rng, kind, month, firm, places, used):
    """A report's form from the demo's texts, each text used once per firm while it lasts."""
    table = INFO_REPORTS if kind == "info" else TYPICAL_CASES
    fresh = [i for i in range(len(table)) if (kind, i) not in used] or list(range(len(table)))
    index = rng.choice(fresh)
    used.add((kind, index))
    place = rng.choice(places)
    texts = [_fill(t, place, firm.township or firm.name) for t in table[index]]
    data = {"month": month.strftime("%Y-%m"), "title": texts[0]}
    if kind == "info":
        data["body"] = texts[1]
    else:
        data.update(zip(services.CASE_PARTS, texts[1:]))
    return data


def _send(story, rng, writer, firm, kind, month, places, used):
    data = _form(rng, kind, month, firm, places, used)
    people = services.creditable(firm)
    credits = [p.id for p in rng.sample(people, min(len(people), rng.choice([1, 1, 2])))]
    report, _created = services.submit(writer, kind, data, credits, today=story.today)
    sent = _sent_at(story, rng, month)
    story.backdate(FirmReport, report.id, submitted_at=sent, created_at=sent, updated_at=sent)
    return FirmReport.get_by_id(report.id), sent


def _accept(story, rng, reviewer, report, sent):
    decided = story.later(sent, 20, 120)
    with story.happened_at(decided, read_after=READ_AFTER):
        services.accept(reviewer, report)
    story.backdate(FirmReport, report.id, reviewed_at=decided, updated_at=decided)


def _plan(rng, diligence, month, this_month):
    """How many information reports and cases the firm sent for the month, and how many of
    them wait for the county (this month's, and a few of last month's)."""
    if rng.random() < diligence:
        info, case = rng.choice([3, 3, 3, 4]), rng.choice([1, 1, 1, 2])
    else:
        info, case = rng.choice([1, 2, 2]), rng.choice([0, 0, 1])
    if month == this_month:
        info, case = rng.choice([1, 2]), rng.choice([0, 1])
        return info, case, info + case
    waiting = rng.choice([0, 0, 0, 1]) if month.month == this_month.month - 1 else 0
    return info, case, waiting


def make_reports(story):
    """The year's reports of the reporting firms, decided by their counties."""
    rng = random.Random(f"reports-{story.year}")
    story.reports = {}
    this_month = story.today.replace(day=1)
    for fname, diligence in REPORT_FIRMS.items():
        firm = story.firms[fname]
        county = next(p.county["key"] for p in story.by_firm[fname])
        writer = _actor(story.by_firm[fname][0].user, "director")
        reviewer = _actor(story.county_admin[county], "county_admin")
        places, used, sent_rows = story.firm_places[fname], set(), []
        for month in _months(story):
            info, case, waiting = _plan(rng, diligence, month, this_month)
            kinds = ["info"] * info + ["case"] * case
            rows = [_send(story, rng, writer, firm, kind, month, places, used) for kind in kinds]
            for report, sent in rows[:len(rows) - waiting]:
                _accept(story, rng, reviewer, report, sent)
            sent_rows += rows
        story.reports[fname] = [report for report, _sent in sent_rows]
    _return_one(story, rng)
    _inspect(story, rng)
    _recommend(story)


def _return_one(story, rng):
    """The demo director's firm has one report back from the county, with the reason."""
    fname = story.demo["director"].firm_name
    waiting = [r for r in story.reports[fname]
               if FirmReport.get_by_id(r.id).status == "submitted"]
    if not waiting:
        return
    report = waiting[0]
    county = story.demo["director"].county["key"]
    reviewer = _actor(story.county_admin[county], "county_admin")
    decided = story.later(report.submitted_at, 2, 30)
    with story.happened_at(decided):
        services.return_report(reviewer, report, rng.choice(RETURN_REASONS))
    story.backdate(FirmReport, report.id, reviewed_at=decided, updated_at=decided)


def _inspect(story, rng):
    """This quarter's inspection of the demo director's firm: one item fixed, one open."""
    person = story.demo["director"]
    firm = story.firms[person.firm_name]
    inspector = _actor(story.county_admin[person.county["key"]], "county_admin")
    held_on = story.weekday_back(max(story.today - datetime.timedelta(days=24),
                                     datetime.date(story.year - 1, 1, 1)))
    (first, note), (second, _none) = INSPECTION["items"]
    fixed_by = held_on + datetime.timedelta(days=14)
    data = {"held_on": held_on.isoformat(), "inspectors": INSPECTION["inspectors"],
            "findings": INSPECTION["findings"],
            "items": [(first, fixed_by.isoformat()),
                      (second, (story.today + datetime.timedelta(days=21)).isoformat())]}
    recorded = story.before_cutoff(story.utc(held_on, 17, 30))
    with story.happened_at(recorded):
        inspection = inspections.record(inspector, firm, data, today=story.today)
    story.backdate(Inspection, inspection.id, created_at=recorded)
    item = (InspectionItem.select().where(InspectionItem.inspection == inspection.id)
            .order_by(InspectionItem.due_on, InspectionItem.id).first())
    closed_on = min(held_on + datetime.timedelta(days=rng.randint(5, 12)),
                    story.today - DAY)
    closed_on = max(closed_on, held_on)
    with story.happened_at(story.before_cutoff(story.utc(closed_on, 16, 0))):
        inspections.close_item(inspector, item, note, today=closed_on)


def _recommend(story):
    """Jiangnan recommends its most recent accepted typical case for the city's ten best."""
    fname = next(iter(REPORT_FIRMS))
    county = story.by_firm[fname][0].county["key"]
    accepted = (FirmReport.select()
                .where(FirmReport.id.in_([r.id for r in story.reports[fname]]),
                       FirmReport.kind == "case", FirmReport.status == "accepted")
                .order_by(FirmReport.month.desc(), FirmReport.id.desc()).first())
    if accepted is None:
        return
    reviewer = _actor(story.county_admin[county], "county_admin")
    moment = story.later(accepted.reviewed_at, 24, 72)
    with story.happened_at(moment):
        chosen = selection.recommend(reviewer, accepted)
    story.backdate(CaseSelection, chosen.id, recommended_at=moment)
