"""The city's counties side by side: people on track, per-person averages, trainings, theme
party days, practitioners and lawyers per 10,000 residents, age and education.

Head counts, ages and education come from SQL aggregates per county; a person's standing comes
from services.progress_for and a group's from services.group_progress, as everywhere else.
"""
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from peewee import Case, fn

from ..accounts.models import Firm, Region, RegionYear, User
from ..branches.models import Branch, BranchActivity
from ..branches.overview import year_bounds
from ..access import audit
from ..db import db, utcnow
from . import services

BACHELOR_OR_MORE = ("bachelor", "master", "doctor")
AGE_GOAL_METRIC = "average_age"


@dataclass
class CountyRow:
    """One county's figures for the year so far."""
    county: Region
    people: int = 0
    on_track: dict = field(default_factory=dict)        # metric -> people done or on track
    averages: dict = field(default_factory=dict)        # metric -> group Progress (per person)
    trainings: int = 0
    trainings_target: Decimal = Decimal(0)
    theme_days: int = 0
    theme_days_expected: Decimal = Decimal(0)
    branches: int = 0
    population: int = None
    lawyers: int = None
    ratio_target: Decimal = Decimal(0)
    average_age: Decimal = None
    under_50: int = 0
    with_age: int = 0
    bachelor: int = 0
    with_education: int = 0
    age_target: Decimal = Decimal(50)

    @property
    def per10k(self):
        """Practitioners and lawyers per 10,000 residents, None without a population."""
        if not self.population:
            return None
        return Decimal((self.people + (self.lawyers or 0)) * 10000) / Decimal(self.population)

    @property
    def ratio_met(self):
        return self.per10k is not None and self.per10k >= self.ratio_target

    @property
    def trainings_met(self):
        return self.trainings >= self.trainings_target

    @property
    def age_met(self):
        return self.average_age is not None and self.average_age < self.age_target

    @property
    def under_50_share(self):
        return None if not self.with_age else int(self.under_50 * 100 / self.with_age)

    @property
    def bachelor_share(self):
        return None if not self.with_education else int(self.bachelor * 100 / self.with_education)

    def on_track_share(self, metric):
        return None if not self.people else int(self.on_track.get(metric, 0) * 100 / self.people)


def year_figures(county_ids, year):
    """Return {county_id: RegionYear} for the year, falling back to the latest earlier year."""
    rows = (RegionYear.select().where(RegionYear.region.in_(list(county_ids) or [0]),
                                      RegionYear.year <= year)
            .order_by(RegionYear.region, RegionYear.year))
    return {row.region_id: row for row in rows}   # later years overwrite earlier ones


def _age_and_education(county_ids, year):
    """Per county: (people with a birth year, summed age, under 50, with education, bachelor+)."""
    age = year - User.birth_year
    query = (User.select(
        User.county,
        fn.COUNT(User.birth_year),
        fn.SUM(age),
        fn.SUM(Case(None, ((age < 50, 1),), 0)),
        fn.SUM(Case(None, ((User.education != "", 1),), 0)),
        fn.SUM(Case(None, ((User.education.in_(BACHELOR_OR_MORE), 1),), 0)))
        .where(User.county.in_(list(county_ids) or [0]), User.active == True,  # noqa: E712
               User.firm.is_null(False))
        .group_by(User.county).tuples())
    return {row[0]: [int(v or 0) for v in row[1:]] for row in query}


def _theme_days(county_ids, year):
    first, last = year_bounds(year)
    held = dict(BranchActivity.select(Branch.county, fn.COUNT(BranchActivity.id))
                .join(Branch).where(Branch.county.in_(list(county_ids) or [0]),
                                    BranchActivity.kind == "theme_day",
                                    BranchActivity.status == "held",
                                    BranchActivity.start_at >= first,
                                    BranchActivity.start_at < last)
                .group_by(Branch.county).tuples())
    branches = dict(Branch.select(Branch.county, fn.COUNT(Branch.id))
                    .where(Branch.county.in_(list(county_ids) or [0]))
                    .group_by(Branch.county).tuples())
    return held, branches


def months_elapsed(year, today):
    """Whole months of the year that are over (the current month is still open)."""
    if year < today.year:
        return 12
    return today.month - 1 if year == today.year else 0


def compare_counties(counties, people, progress, year, today):
    """Return one CountyRow per county, in the order given."""
    ids = [c.id for c in counties]
    figures = year_figures(ids, year)
    ages = _age_and_education(ids, year)
    held = services.trainings_held(ids, datetime.date(year, 1, 1), datetime.date(year, 12, 31))
    theme_held, branch_counts = _theme_days(ids, year)
    by_county = {}
    for person in people:
        by_county.setdefault(person.county_id, []).append(progress[person.id])
    targets = services.targets_for_counties(year, ids)
    rows = []
    for county in counties:
        tg = targets[county.id]
        lists = by_county.get(county.id, [])
        row = CountyRow(county=county, people=len(lists))
        for i, metric in enumerate(services.PERSON_METRICS):
            mine = [rows_[i] for rows_ in lists]
            row.on_track[metric] = sum(1 for p in mine if p.status in ("done", "on_track"))
            row.averages[metric] = services.group_progress(mine)
        row.trainings = held.get(county.id, 0)
        row.trainings_target = tg["county_trainings"][0]
        row.branches = branch_counts.get(county.id, 0)
        row.theme_days = theme_held.get(county.id, 0)
        row.theme_days_expected = (tg["theme_days"][0] * row.branches
                                   * months_elapsed(year, today) / 12)
        fig = figures.get(county.id)
        row.population = (fig.population if fig and fig.population is not None
                          else county.population)
        row.lawyers = fig.lawyers if fig else None
        row.ratio_target = tg["practitioners_per_10k"][0]
        row.age_target = tg[AGE_GOAL_METRIC][0]
        with_age, age_sum, under_50, with_education, bachelor = ages.get(county.id, [0] * 5)
        row.with_age, row.under_50 = with_age, under_50
        row.average_age = (Decimal(age_sum) / with_age).quantize(Decimal("0.1")) if with_age else None
        row.with_education, row.bachelor = with_education, bachelor
        rows.append(row)
    return rows


def comparison_sheet_rows(rows):
    """The table's rows as the screen shows them, for the .xlsx export (same figures)."""
    out = []
    for row in rows:
        line = [row.county.name, row.people]
        for metric in services.PERSON_METRICS:
            avg = row.averages[metric]
            line += [row.on_track[metric],
                     float(round(avg.done, 2)) if avg else None]
        line += [row.trainings, float(row.trainings_target), row.theme_days,
                 float(round(row.theme_days_expected, 1)), row.population, row.lawyers,
                 float(round(row.per10k, 2)) if row.per10k is not None else None,
                 float(row.ratio_target),
                 float(row.average_age) if row.average_age is not None else None,
                 row.under_50_share, row.bachelor_share]
        out.append(line)
    return out


def save_year_figures(actor, year, counties, values):
    """Record each county's residents and lawyers for a year; audit each change.

    `values` is {county_id: (population, lawyers)} for counties the actor may see; a county
    whose figures are unchanged writes nothing.
    """
    with db.atomic():
        for county in counties:
            population, lawyers = values[county.id]
            after = {"population": population, "lawyers": lawyers}
            row, created = RegionYear.get_or_create(region=county, year=year, defaults=after)
            before = None if created else {"population": row.population, "lawyers": row.lawyers}
            if before == after:
                continue
            if not created:
                row.population, row.lawyers, row.updated_at = population, lawyers, utcnow()
                row.save()
            audit(actor.user, "region_year.set", row, region=county,
                  detail={"year": year, "before": before, "after": after})


def progress_rows(people, progress, status_labels):
    """One row per person: their figures and status on each personal metric."""
    firm_names = dict(Firm.select(Firm.id, Firm.name).where(
        Firm.id.in_({p.firm_id for p in people} or {0})).tuples())
    county_names = dict(Region.select(Region.id, Region.name).where(
        Region.id.in_({p.county_id for p in people} or {0})).tuples())
    for person in people:
        line = [county_names.get(person.county_id, ""), firm_names.get(person.firm_id, ""),
                person.name, person.licence_no]
        for row in progress[person.id]:
            line += [float(row.done), float(row.expected), float(row.target),
                     str(status_labels[row.status])]
        yield line
