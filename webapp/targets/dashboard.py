"""The county oversight dashboard: who is behind, on what, by how much.

Every status comes from services.progress_for / services.group_progress; this module only
selects, sorts and sums. Ledger sums and the month-by-month series are SQL aggregates.
"""
import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from peewee import SQL, fn

from .. import access
from ..accounts.models import User
from ..db import is_postgres, utcnow
from ..errors import DomainError
from ..ledger.models import Entry
from ..web import object_id
from . import services

COUNTED = ("approved", "recorded")
BEHIND = ("behind", "at_risk")
ON_TRACK = ("done", "on_track")
# Which ledger kinds feed each personal metric, and whether it sums hours or cases.
METRIC_KINDS = {
    "education_hours": (("education", "training_credit", "political_study"), "hours"),
    "public_service_hours": (("public_service",), "hours"),
    "legal_aid_cases": (("legal_aid",), "count"),
}
HOUR_KINDS = ("education", "training_credit", "political_study", "public_service")
SORT_KEYS = ("name",) + services.PERSON_METRICS
SERIES_LABELS = {
    "this_year": _l("This year"),
    "last_year": _l("Last year"),
    "pace": _l("Pace to reach the target"),
}


class FilterError(DomainError):
    """A filter or sort value in the address is not one the page offers."""


# ------------------------------------------------------------------ filters

def parse_metric(value, required=False):
    """Return a personal metric key, None for blank (unless required), or raise FilterError."""
    if not value:
        if required:
            raise FilterError(_l("Choose a target."), "metric")
        return None
    if value not in services.PERSON_METRICS:
        raise FilterError(_l("There is no such target: choose one from the list."), "metric")
    return value


def parse_status(value, allowed=tuple(services.STATUS_LABELS), required=False):
    """Return a status key among `allowed`, None for blank (unless required), or raise."""
    if not value:
        if required:
            raise FilterError(_l("Choose a status."), "status")
        return None
    if value not in allowed:
        raise FilterError(_l("There is no such status: choose one from the list."), "status")
    return value


def parse_firm(value, firm_ids):
    """Return a firm id among `firm_ids`, None for blank, or raise FilterError."""
    if not value:
        return None
    try:
        firm_id = object_id(value)
    except ValueError:
        firm_id = None
    if firm_id not in set(firm_ids):
        raise FilterError(_l("There is no such firm in this county."), "firm")
    return firm_id


def parse_sort(value):
    """Return (key, descending) for the firms table; blank is by name, or raise FilterError."""
    if not value:
        return "name", False
    descending = value.startswith("-")
    key = value[1:] if descending else value
    if key not in SORT_KEYS:
        raise FilterError(_l("The firms table cannot be sorted that way."), "sort")
    return key, descending


# ------------------------------------------------------------------ the headline

@dataclass
class Figures:
    """The headline of the county dashboard."""
    people: int
    on_track: dict          # metric -> people done or on track
    hours: Decimal          # counted hours (education, training, public service) this year
    hours_by_kind: dict
    cases: int              # counted legal-aid cases this year
    trainings: int
    trainings_target: Decimal
    waiting: int
    oldest_days: int = None

    def on_track_share(self, metric):
        return None if not self.people else int(self.on_track[metric] * 100 / self.people)


def scoped_people(actor, county_ids):
    """The actor's people, narrowed to the counties (the scope is the actor's, always)."""
    return access.people(actor).where(User.county.in_(list(county_ids) or [0]))


def county_figures(actor, county_ids, year, today, progress=None):
    """Return the headline Figures for the counties (the actor's scope), for the year so far."""
    if progress is None:
        _people, progress = services.people_progress(scoped_people(actor, county_ids), year, today)
    on_track = {m: 0 for m in services.PERSON_METRICS}
    for rows in progress.values():
        for row in rows:
            if row.status in ON_TRACK:
                on_track[row.metric] += 1
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    in_scope = (access.entries(actor, Entry)
                .where(User.county.in_(list(county_ids) or [0])))
    sums = (in_scope.select(Entry.kind, fn.SUM(Entry.hours), fn.SUM(Entry.count))
            .where(Entry.date.between(start, end), Entry.status.in_(COUNTED))
            .group_by(Entry.kind).tuples())
    hours_by_kind, cases = {}, 0
    for kind, hours, count in sums:
        if kind in HOUR_KINDS:
            hours_by_kind[kind] = Decimal(str(hours or 0))
        if kind == "legal_aid":
            cases = int(count or 0)
    held = sum(services.trainings_held(county_ids, datetime.date(year, 1, 1),
                                       datetime.date(year, 12, 31)).values())
    target = sum((tg["county_trainings"][0] for tg in
                  services.targets_for_counties(year, county_ids).values()), Decimal(0))
    # How many wait and since when, in one statement.
    waiting, oldest = (in_scope.where(Entry.status == "pending")
                       .select(fn.COUNT(Entry.id), fn.MIN(Entry.created_at)).tuples().get())
    if isinstance(oldest, str):
        oldest = datetime.datetime.fromisoformat(oldest)
    return Figures(people=len(progress), on_track=on_track,
                   hours=sum(hours_by_kind.values(), Decimal(0)), hours_by_kind=hours_by_kind,
                   cases=cases, trainings=held, trainings_target=target,
                   waiting=waiting or 0,
                   oldest_days=(utcnow() - oldest).days if oldest else None)


# ------------------------------------------------------------------ people lists

@dataclass
class PersonRow:
    """One person on one metric: the figures a list shows."""
    person: User
    firm: object
    progress: services.Progress

    @property
    def metric(self):
        return self.progress.metric

    @property
    def status(self):
        return self.progress.status

    @property
    def share(self):
        """The shortfall as a share of the target, so hours and cases compare."""
        p = self.progress
        return p.shortfall / p.target if p.target else Decimal(0)

    def cells(self):
        """The row's figures, in the order the table and the export show them."""
        p = self.progress
        return [self.person.name, self.firm.name if self.firm else "",
                str(services.METRIC_LABELS[p.metric]), float(p.done), float(p.expected),
                float(p.target), float(p.shortfall), float(round(p.per_month, 2)),
                str(services.STATUS_LABELS[p.status])]


def _rows(people, progress, firms, keep):
    out = []
    for person in people:
        for row in progress.get(person.id, []):
            if keep(person, row):
                out.append(PersonRow(person=person, firm=(firms or {}).get(person.firm_id),
                                     progress=row))
    return out


def behind_list(people, progress, firm_id=None, metric=None, status=None, firms=None):
    """Everyone behind or at risk on any metric, largest shortfall (share of target) first."""
    if metric is not None:
        parse_metric(metric)
    if status is not None:
        parse_status(status, BEHIND)

    def keep(person, row):
        return (row.status in BEHIND and (firm_id is None or person.firm_id == firm_id)
                and (metric is None or row.metric == metric)
                and (status is None or row.status == status))

    rows = _rows(people, progress, firms, keep)
    rows.sort(key=lambda r: (-r.share, -r.progress.shortfall, r.person.name,
                             services.ALL_PERSON_METRICS.index(r.metric)))
    return rows


def status_list(people, progress, metric, status, firms=None):
    """Everyone with the status on the metric (a status count's drill-down), by name."""
    parse_metric(metric, required=True)
    parse_status(status, required=True)
    rows = _rows(people, progress, firms,
                 lambda person, row: row.metric == metric and row.status == status)
    rows.sort(key=lambda r: (-r.share, r.person.name))
    return rows


PERSON_HEADER = (_l("Name"), _l("Firm"), _l("Target"), _l("Done"), _l("Expected by now"),
                 _l("Year's target"), _l("Short of pace"), _l("Needed per month"), _l("Status"))


# ------------------------------------------------------------------ the firms table

@dataclass
class FirmRow:
    firm: object
    people: int
    cells: list             # group Progress per metric (None for a firm without people)

    def share(self, metric):
        cell = self.cells[services.PERSON_METRICS.index(metric)]
        if cell is None:
            return Decimal(-1)
        return cell.done / cell.target if cell.target else Decimal(1)

    def values(self):
        line = [self.firm.name, self.firm.county.name, self.people]
        for cell in self.cells:
            if cell is None:
                line += [None, None, ""]
            else:
                line += [float(round(cell.done, 2)), float(round(cell.target, 2)),
                         str(services.STATUS_LABELS[cell.status])]
        return line


def firm_table(firms, people, progress, sort="name", descending=False):
    """Firms × metrics: per-person averages and status, sorted by name or by a metric."""
    by_firm = services.firm_progress(people, progress)
    heads = {}
    for person in people:
        heads[person.firm_id] = heads.get(person.firm_id, 0) + 1
    empty = [None] * len(services.PERSON_METRICS)
    rows = [FirmRow(firm=f, people=heads.get(f.id, 0), cells=by_firm.get(f.id) or empty)
            for f in firms]
    rows.sort(key=lambda r: r.firm.name)
    if sort != "name":
        rows.sort(key=lambda r: r.share(sort))
    if descending:
        rows.reverse()
    return rows


def firm_header():
    header = [_l("Firm"), _l("County"), _l("Practitioners")]
    for metric in services.PERSON_METRICS:
        label = str(services.METRIC_LABELS[metric])
        header += [_l("%(metric)s: per-person average", metric=label),
                   _l("%(metric)s: per-person target", metric=label),
                   _l("%(metric)s: status", metric=label)]
    return header


# ------------------------------------------------------------------ the monthly chart

def _month_parts():
    if is_postgres():
        # Literal field names: a bound parameter would make SELECT and GROUP BY differ.
        return fn.date_part(SQL("'year'"), Entry.date), fn.date_part(SQL("'month'"), Entry.date)
    return fn.strftime("%Y", Entry.date), fn.strftime("%m", Entry.date)


def _monthly_sums(county_ids, first_year, last_year, metric):
    kinds, column = METRIC_KINDS[metric]
    amount = Entry.count if column == "count" else Entry.hours
    year_part, month_part = _month_parts()
    rows = (Entry.select(year_part.alias("y"), month_part.alias("m"), fn.SUM(amount))
            .join(User, on=(Entry.user == User.id))
            .where(User.county.in_(list(county_ids) or [0]), Entry.kind.in_(kinds),
                   Entry.status.in_(COUNTED),
                   Entry.date.between(datetime.date(first_year, 1, 1),
                                      datetime.date(last_year, 12, 31)))
            .group_by(year_part, month_part).tuples())
    out = {}
    for y, m, total in rows:
        out[(int(float(y)), int(float(m)))] = Decimal(str(total or 0))
    return out


def _cumulative(sums, year, months):
    running, out = Decimal(0), []
    for month in range(1, months + 1):
        running += sums.get((year, month), Decimal(0))
        out.append(running)
    return out


def monthly_series(county_ids, year, metric, today, people_count=None):
    """Month-by-month cumulative county totals this year and last, and the pace line.

    The pace at a month's end is the per-person target × active practitioners × the share
    of the year elapsed by then. This year stops at the current month.
    """
    parse_metric(metric, required=True)
    sums = _monthly_sums(county_ids, year - 1, year, metric)
    shown = 12 if year < today.year else (today.month if year == today.year else 0)
    if people_count is None:
        people_count = {}
    year_days = 366 if calendar.isleap(year) else 365
    per_person = {c: tg[metric][0] for c, tg in
                  services.targets_for_counties(year, county_ids).items()}
    pace = []
    for month in range(1, 13):
        month_end = datetime.date(year, month, calendar.monthrange(year, month)[1])
        day_of_year = month_end.timetuple().tm_yday
        total = Decimal(0)
        for county_id in county_ids:
            total += per_person[county_id] * people_count.get(county_id, 0) * day_of_year / year_days
        pace.append(total.quantize(Decimal("0.01")))
    return {"metric": metric, "year": year, "unit": METRIC_KINDS[metric][1],
            "this_year": _cumulative(sums, year, shown),
            "last_year": _cumulative(sums, year - 1, 12), "pace": pace}


def _nice_max(value):
    value = float(value)
    if value <= 0:
        return 1.0
    step = 10 ** (len(str(int(value))) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        if factor * step >= value:
            return float(factor * step)
    return float(10 * step)


def _fmt(value):
    return f"{value:g}"


def chart_svg(series, title=None):
    """Draw the series as SVG markup: three lines told apart by dash and marker, with words."""
    # Text at 14 and 15 units: read at a phone's width by older eyes (the SVG scales to fit).
    width, height = 360, 280
    left, right, top, bottom = 48, 12, 22, 118
    plot_w, plot_h = width - left - right, height - top - bottom
    high = _nice_max(max([*series["this_year"], *series["last_year"], *series["pace"],
                          Decimal(0)]))

    def x(month):
        return left + plot_w * (month - 1) / 11

    def y(value):
        return top + plot_h - plot_h * float(value) / high

    def points(values):
        return " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values, start=1))

    label = title or _l("Month by month, cumulative")
    unit = _l("hours") if series["unit"] == "hours" else _l("cases")
    month_word = _l("Month")  # (not inside an f-string: the extractor would not see it)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'class="chart" role="img" aria-labelledby="chart-title" '
             f'preserveAspectRatio="xMidYMid meet">',
             f'<title id="chart-title">{escape(str(label))}</title>']
    # Axes and grid.
    for fraction in (0, 0.5, 1):
        gy = y(high * fraction)
        parts.append(f'<line class="chart-grid" x1="{left}" y1="{gy:.1f}" x2="{width - right}" '
                     f'y2="{gy:.1f}" stroke="#bbb" stroke-width="0.5"/>')
        parts.append(f'<text class="chart-axis" x="{left - 4}" y="{gy + 4:.1f}" '
                     f'text-anchor="end" font-size="14">{_fmt(high * fraction)}</text>')
    # The unit above the plot, right of the axis numbers (the top one sits at y(high)).
    parts.append(f'<text class="chart-axis chart-unit" x="{left + 4}" y="{top - 6}" '
                 f'font-size="14">{escape(str(unit))}</text>')
    for month in range(1, 13):
        parts.append(f'<text class="chart-axis" x="{x(month):.1f}" y="{top + plot_h + 18}" '
                     f'text-anchor="middle" font-size="14">{month}</text>')
    parts.append(f'<text class="chart-axis" x="{left + plot_w / 2:.1f}" y="{top + plot_h + 36}" '
                 f'text-anchor="middle" font-size="14">{escape(str(month_word))}</text>')
    styles = {
        "pace": 'stroke="#555" stroke-width="1.5" stroke-dasharray="2 3"',
        "last_year": 'stroke="#777" stroke-width="1.5" stroke-dasharray="6 4"',
        "this_year": 'stroke="#0b5cad" stroke-width="2.5"',
    }
    for key in ("pace", "last_year", "this_year"):
        values = series[key]
        if values:
            parts.append(f'<polyline class="chart-line chart-{key}" fill="none" {styles[key]} '
                         f'points="{points(values)}"/>')
    for i, value in enumerate(series["this_year"], start=1):
        parts.append(f'<circle class="chart-point" cx="{x(i):.1f}" cy="{y(value):.1f}" r="3" '
                     f'fill="#0b5cad"><title>{i}: {_fmt(float(value))}</title></circle>')
    # The legend: a sample of each line and its name in words.
    for row, key in enumerate(("this_year", "last_year", "pace")):
        ly = top + plot_h + 60 + row * 20
        parts.append(f'<line x1="{left}" y1="{ly - 4}" x2="{left + 28}" y2="{ly - 4}" '
                     f'{styles[key]}/>')
        parts.append(f'<text class="chart-legend" x="{left + 36}" y="{ly}" font-size="15">'
                     f'{escape(str(SERIES_LABELS[key]))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
