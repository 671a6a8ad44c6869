"""Targets and progress: what counts, expected-by-now, and the status words."""
import datetime
import math
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from peewee import Case, fn

from ..accounts.models import Region, User
from ..db import db, hydrate, utcnow
from ..i18n import to_utc
from ..ledger.models import Entry, ReviewRule
from ..trainings.models import Training
from .models import Target

PERSON_METRICS = ("education_hours", "public_service_hours", "legal_aid_cases")
# Targets within a personal target, shown (after the three) only where a scope sets one above
# zero: political study is part of the continuing-education hours (seed 000 三).
SUB_METRICS = ("political_study_hours",)
ALL_PERSON_METRICS = PERSON_METRICS + SUB_METRICS
DEFAULTS = {
    "education_hours": (Decimal(40), "001 五(一)"),
    "public_service_hours": (Decimal(36), "001 五(三)"),
    "legal_aid_cases": (Decimal(5), "001 五(三)"),
    "county_trainings": (Decimal(2), "001 五(一)"),
    "info_reports": (Decimal(3), "001 五(三)"),
    "typical_cases": (Decimal(1), "001 五(三)"),
    "theme_days": (Decimal(12), "000 三"),
    "political_study_hours": (Decimal(0), "000 三"),
    "practitioners_per_10k": (Decimal("2.3"), "002 二(二)"),
    "average_age": (Decimal(50), "000 五"),
}
METRIC_LABELS = {
    "education_hours": _l("Continuing education"),
    "public_service_hours": _l("Public service"),
    "legal_aid_cases": _l("Legal-aid cases"),
    "county_trainings": _l("County trainings"),
    "info_reports": _l("Information reports"),
    "typical_cases": _l("Typical cases"),
    "theme_days": _l("Theme party days"),
    "political_study_hours": _l("Political study (within continuing education)"),
    "practitioners_per_10k": _l("Practitioners per 10,000 residents"),
    "average_age": _l("Average age (below)"),
}
STATUS_LABELS = {
    "done": _l("Done"),
    "on_track": _l("On track"),
    "behind": _l("Behind"),
    "at_risk": _l("At risk"),
}
RECENT_DAYS = 90
DAYS_PER_MONTH = 365.25 / 12
TOTALS_CHUNK = 2000      # people per aggregate query (SQLite caps bound parameters)
DEFAULT_OUTSIDE_CAP = Decimal(20)


@dataclass
class Progress:
    """One person's standing on one metric."""
    metric: str
    done: Decimal
    pending: Decimal
    target: Decimal
    expected: Decimal
    status: str
    unit: str
    recent: Decimal = Decimal(0)        # done in the last RECENT_DAYS: the pace status_for uses
    recent_days: int = 0
    remaining_days: int = 0

    @property
    def label(self):
        return METRIC_LABELS[self.metric]

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]

    @property
    def percent(self):
        return 100 if not self.target else min(100, int(self.done * 100 / self.target))

    @property
    def pace_percent(self):
        return 100 if not self.target else min(100, int(self.expected * 100 / self.target))

    @property
    def gap(self):
        """What is still missing to reach the year's target."""
        return max(Decimal(0), self.target - self.done)

    @property
    def shortfall(self):
        """How far behind the pace (expected by today) the person is."""
        return max(Decimal(0), self.expected - self.done)

    @property
    def remaining_months(self):
        """Months left in the person's year, counting a part month as one (at least 1)."""
        return max(1, math.ceil(self.remaining_days / DAYS_PER_MONTH))

    @property
    def per_month(self):
        """What the person needs per remaining month to reach the target."""
        return self.gap / self.remaining_months


def _target_rows(year, regions, firm_ids=()):
    """The year's target rows that can apply to these regions and firms, and the defaults."""
    return list(Target.select().where(Target.year == year, (
        (Target.region.is_null() & Target.firm.is_null())
        | (Target.region.in_(list(regions) or [0]) & Target.firm.is_null())
        | (Target.firm.in_(list(firm_ids) or [0])))))


def _resolve(rows, county_id=None, city_id=None, firm_id=None):
    """{metric: (value, source)}: the most specific row for the scope wins over the defaults."""
    def rank(row):
        if row.firm_id:
            return 3 if row.firm_id == firm_id else None
        if row.region_id is None:
            return 0
        if row.region_id == county_id:
            return 2
        return 1 if row.region_id == city_id else None

    values = dict(DEFAULTS)
    best = {}
    for row in rows:
        score = rank(row)
        if score is None:
            continue
        if row.metric not in best or score >= best[row.metric][0]:
            best[row.metric] = (score, (row.value, row.source))
    values.update({metric: pair for metric, (_s, pair) in best.items()})
    return values


def targets_for(year, county_id=None, city_id=None, firm_id=None):
    """Return {metric: (value, source)}, the most specific scope winning over the defaults."""
    if county_id and not city_id:
        # A county's people are held to their city's targets where the county sets none.
        city_id = Region.select(Region.parent).where(Region.id == county_id).scalar()
    scopes = [r for r in (city_id, county_id) if r]
    return _resolve(_target_rows(year, scopes, [firm_id] if firm_id else ()),
                    county_id=county_id, city_id=city_id, firm_id=firm_id)


def targets_for_counties(year, county_ids):
    """Return {county_id: targets_for(year, county_id=...)} for many counties in two queries."""
    county_ids = list(county_ids)
    parents = dict(Region.select(Region.id, Region.parent)
                   .where(Region.id.in_(county_ids or [0])).tuples())
    rows = _target_rows(year, set(county_ids) | {p for p in parents.values() if p})
    return {c: _resolve(rows, county_id=c, city_id=parents.get(c)) for c in county_ids}


def outside_caps(county_ids, year):
    """Return {county_id: outside_cap(county_id, year)} in one query."""
    county_ids = list(county_ids)
    caps = dict(ReviewRule.select(ReviewRule.county, ReviewRule.outside_education_cap)
                .where(ReviewRule.county.in_(county_ids or [0]), ReviewRule.year == year)
                .tuples())
    return {c: caps.get(c, DEFAULT_OUTSIDE_CAP) for c in county_ids}


def trainings_held(county_ids, first, last):
    """{county_id: trainings it organised and held} that began, by local time, from day
    `first` to day `last`: not cancelled and already over. The one count held against the
    county_trainings target, on the dashboards, the city comparison and the bulletin."""
    start = to_utc(datetime.datetime.combine(first, datetime.time()))
    end = to_utc(datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time()))
    return dict(Training.select(Training.organiser, fn.COUNT(Training.id))
                .where(Training.organiser.in_(list(county_ids) or [0]),
                       Training.status == "scheduled", Training.start_at >= start,
                       Training.start_at < end, Training.end_at < utcnow())
                .group_by(Training.organiser).tuples())


def _as_date(value):
    return value.date() if isinstance(value, datetime.datetime) else value


def period(year, today, licensed_on=None, deactivated_on=None):
    """Return (start, end, elapsed_days, total_days, share_of_year) of the person's year.

    The year is cut to the days the person was licensed: from a licence granted during the
    year, to the day a deactivated person stopped practising.
    """
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    year_days = (end - start).days + 1
    if licensed_on is not None:
        licensed = _as_date(licensed_on)
        if licensed.year == year:
            start = licensed
        elif licensed.year > year:
            start = end + datetime.timedelta(days=1)
    if deactivated_on is not None:
        stopped = _as_date(deactivated_on)
        if stopped.year == year:
            end = max(start - datetime.timedelta(days=1), stopped)
        elif stopped.year < year:
            end = start - datetime.timedelta(days=1)
    total = max(0, (end - start).days + 1)
    if today < start:
        elapsed = 0
    else:
        elapsed = min(total, (today - start).days + 1)
    return start, end, elapsed, total, Decimal(total) / Decimal(year_days)


def status_for(done, target, expected, recent, recent_days, remaining_days):
    """Return done / on_track / behind / at_risk; at risk means the recent pace cannot reach it."""
    if done >= target:
        return "done"
    if done >= expected:
        return "on_track"
    rate = recent / Decimal(max(1, recent_days))
    if done + rate * remaining_days < target:
        return "at_risk"
    return "behind"


def _quarter(value):
    return (Decimal(value) * 4).to_integral_value(rounding="ROUND_FLOOR") / 4


def ledger_query(user_ids, year, recent_from):
    """The one aggregate behind every progress figure: per person and kind, in SQL."""
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    counted = Entry.status.in_(("approved", "recorded"))
    recent = Entry.date >= recent_from
    amount = Case(Entry.kind, (("legal_aid", Entry.count),), Entry.hours)
    rows = (Entry.select(
        Entry.user, Entry.kind,
        fn.SUM(Case(None, ((counted, amount),), 0)).alias("done"),
        fn.SUM(Case(None, ((Entry.status == "pending", amount),), 0)).alias("pending"),
        fn.SUM(Case(None, ((counted & recent, amount),), 0)).alias("recent"),
        fn.SUM(Case(None, ((counted & (Entry.source == "self"), amount),), 0)).alias("self_done"))
        .where(Entry.user.in_(user_ids), Entry.date.between(start, end))
        .group_by(Entry.user, Entry.kind).tuples())
    return rows


def ledger_totals(user_ids, year, recent_from):
    """Aggregate each person's year in one query: {user_id: {key: Decimal}}."""
    # Read straight from the cursor: the rows are plain numbers, and peewee's per-row
    # conversion cost more than the query itself at a city's size (bench/province.py).
    cursor = db.execute(ledger_query(user_ids, year, recent_from))
    out = {}
    for user_id, kind, *sums in cursor.fetchall():
        out.setdefault(user_id, {})[kind] = tuple(
            v if isinstance(v, Decimal) else Decimal(str(v or 0)) for v in sums)
    return out


def outside_cap(county_id, year):
    """Return how many outside-learning hours may count toward the education target."""
    return outside_caps([county_id], year)[county_id]


def recent_start(year, today):
    """The first day of the recent window whose pace decides 'at risk'."""
    return max(datetime.date(year, 1, 1), today - datetime.timedelta(days=RECENT_DAYS - 1))


def progress_for(users, year, today, targets=None, cap=None, totals=None):
    """Return {user_id: [Progress, ...]} for the three personal targets, then each sub-target
    (political study) whose target for the person is above zero.

    `totals` (from ledger_totals) may be given when a caller has aggregated many people at once.
    """
    users = list(users)
    if not users:
        return {}
    recent_from = recent_start(year, today)
    if totals is None:
        totals = ledger_totals([u.id for u in users], year, recent_from)
    out = {}
    for user in users:
        tg = targets or targets_for(year, county_id=user.county_id)
        user_cap = cap if cap is not None else outside_cap(user.county_id, year)
        start, end, elapsed, total, share = period(year, today, user.licensed_on,
                                                   user.deactivated_on)
        recent_days = max(0, min(RECENT_DAYS, (today - max(start, recent_from)).days + 1))
        remaining = max(0, total - elapsed)
        mine = totals.get(user.id, {})
        zero = (Decimal(0),) * 4

        def pick(kind):
            return mine.get(kind, zero)

        edu, train, study = pick("education"), pick("training_credit"), pick("political_study")
        outside_done = min(edu[3], user_cap)
        education = (outside_done + train[0] + study[0], edu[1] + train[1] + study[1],
                     edu[2] + train[2] + study[2])
        figures = {
            "education_hours": education,
            "public_service_hours": pick("public_service")[:3],
            "legal_aid_cases": pick("legal_aid")[:3],
            "political_study_hours": study[:3],
        }
        rows = []
        for metric in ALL_PERSON_METRICS:
            if metric in SUB_METRICS and not tg[metric][0]:
                continue
            done, pending, recent = figures[metric]
            target = _quarter(tg[metric][0] * share)
            expected = _quarter(target * elapsed / total) if total else target
            rows.append(Progress(
                metric=metric, done=done, pending=pending, target=target, expected=expected,
                status=status_for(done, target, expected, recent, recent_days, remaining),
                unit="cases" if metric == "legal_aid_cases" else "hours", recent=recent,
                recent_days=recent_days, remaining_days=remaining))
        out[user.id] = rows
    return out


def group_progress(rows):
    """Judge a group (a firm's people) on one metric by its per-person averages, as one person.

    Every figure, the recent pace and the days included, is the group's average, and the
    status comes from the same status_for as a person's; None for an empty group.
    """
    if not rows:
        return None
    n = len(rows)

    def average(name):
        return sum((getattr(r, name) for r in rows), Decimal(0)) / n

    done, target, expected, recent = (average(k) for k in ("done", "target", "expected", "recent"))
    recent_days, remaining = average("recent_days"), average("remaining_days")
    return Progress(metric=rows[0].metric, done=done, pending=average("pending"), target=target,
                    expected=expected, unit=rows[0].unit, recent=recent,
                    recent_days=recent_days, remaining_days=remaining,
                    status=status_for(done, target, expected, recent, recent_days, remaining))


def firm_progress(people, progress):
    """Return {firm_id: [group Progress per metric]} for the people (a firm's per-person averages)."""
    by_firm = {}
    for person in people:
        by_firm.setdefault(person.firm_id, []).append(progress[person.id])
    return {firm_id: [group_progress([rows[i] for rows in lists])
                      for i in range(len(PERSON_METRICS))]
            for firm_id, lists in by_firm.items()}


def status_counts(progress_by_user):
    """Count people per (metric, status) for dashboards."""
    counts = {m: {s: 0 for s in STATUS_LABELS} for m in PERSON_METRICS}
    for rows in progress_by_user.values():
        for row in rows:
            if row.metric in counts:
                counts[row.metric][row.status] += 1
    return counts


def active_practitioners(query):
    """Narrow a scoped people query to active practitioners (people in a firm)."""
    return query.where(User.active == True, User.firm.is_null(False))  # noqa: E712


def people_progress(query, year, today):
    """Return (active practitioners of a scoped people query, {user_id: [Progress, ...]}).

    People are judged firm by firm: a firm may carry its own targets, otherwise its
    county's, then its city's; the outside-learning cap is the county's. The ledger is
    aggregated in a few queries for everyone, not one per firm.
    """
    # Rows built by hand (db.hydrate): a city's thousands of people cost more through
    # peewee's row reading than through the query.
    chosen = active_practitioners(query).select(*User._meta.sorted_fields).order_by(User.name)
    people = [hydrate(User, row) for row in db.execute(chosen).fetchall()]
    if not people:
        return people, {}
    recent_from = recent_start(year, today)
    totals = {}
    for start in range(0, len(people), TOTALS_CHUNK):
        totals.update(ledger_totals([p.id for p in people[start:start + TOTALS_CHUNK]],
                                    year, recent_from))
    firms_with_targets = {row[0] for row in Target.select(Target.firm).where(
        Target.year == year, Target.firm.is_null(False)).tuples()}
    by_group = {}
    for person in people:
        firm_key = person.firm_id if person.firm_id in firms_with_targets else None
        by_group.setdefault((person.county_id, firm_key), []).append(person)
    county_ids = {county_id for county_id, _firm in by_group}
    by_county = targets_for_counties(year, county_ids)
    caps = outside_caps(county_ids, year)
    progress = {}
    for (county_id, firm_id), group in by_group.items():
        targets = (targets_for(year, county_id=county_id, firm_id=firm_id) if firm_id
                   else by_county[county_id])
        progress.update(progress_for(group, year, today, targets=targets, cap=caps[county_id],
                                     totals=totals))
    return people, progress
