"""The city home (its counties side by side), its export, and each county's yearly figures."""
from flask import g, request, url_for
from flask_babel import gettext as _

from .. import access
from ..accounts.models import Region
from ..errors import DomainError
from ..i18n import local_today
from ..inputs import parse_count, parse_year
from ..quality import figures as quality
from ..web import Sheet, redirect_after_post, render, xlsx_response
from . import city as city_figures
from . import services
from .views import home_bp

MAX_POPULATION = 50_000_000
MAX_LAWYERS = 100_000
ADMINS = ("county_admin", "city_admin")


def _year():
    """The year asked for (this year by default), kept within thirty years back and one ahead."""
    today = local_today()
    year = parse_year(request.args.get("year"), today.year)
    return min(max(year, today.year - 30), today.year + 1)


def _parse(counties, form):
    """Return {county_id: (population, lawyers)} or raise DomainError naming the field."""
    values = {}
    for county in counties:
        population = parse_count(form.get(f"population-{county.id}"), f"population-{county.id}",
                                 _("Residents of %(name)s", name=county.name), MAX_POPULATION)
        lawyers = parse_count(form.get(f"lawyers-{county.id}"), f"lawyers-{county.id}",
                              _("Lawyers in %(name)s", name=county.name), MAX_LAWYERS)
        values[county.id] = (population, lawyers)
    return values


@home_bp.route("/figures", methods=["GET", "POST"])
@access.roles_required(*ADMINS)
def county_figures():
    """Each county's residents and lawyers for a year (for the per-10,000 ratio)."""
    year = _year()
    counties = list(access.counties(g.actor))
    error, status = None, 200
    if request.method == "POST":
        try:
            values = _parse(counties, request.form)
        except DomainError as exc:
            error, status = exc, 400
        else:
            city_figures.save_year_figures(g.actor, year, counties, values)
            return redirect_after_post(url_for("home.county_figures", year=year, saved=1))
    figures = city_figures.year_figures([c.id for c in counties], year)
    rows = []
    for county in counties:
        fig = figures.get(county.id)
        exact = fig is not None and fig.year == year
        rows.append({"county": county, "figures": fig, "exact": exact,
                     "population": request.form.get(f"population-{county.id}") if error else
                     (fig.population if fig else county.population),
                     "lawyers": request.form.get(f"lawyers-{county.id}") if error else
                     (fig.lawyers if fig else None)})
    return render("targets/figures.html", year=year, rows=rows, error=error,
                  saved=request.args.get("saved"), status=status)


def comparison(year, today):
    """The city's counties side by side, with everyone's progress behind them."""
    counties = list(access.counties(g.actor))
    people, progress = services.people_progress(access.people(g.actor), year, today)
    return city_figures.compare_counties(counties, people, progress, year, today), progress


@home_bp.route("/city")
@access.roles_required("city_admin")
def city():
    """City admin home: every county side by side on every metric, each opening its dashboard."""
    today = local_today()
    city_region = Region.get_by_id(g.actor.grant.region_id)
    rows, progress = comparison(today.year, today)
    return render("home/city.html", today=today, city=city_region, rows=rows,
                  quality_rows=quality.city_rows([r.county for r in rows], today),
                  quality_header=quality.city_header(),
                  metrics=services.PERSON_METRICS, labels=services.METRIC_LABELS,
                  status_labels=services.STATUS_LABELS, counts=services.status_counts(progress),
                  people_count=len(progress), branches=access.branches(g.actor).count())


def comparison_header():
    header = [_("County"), _("Practitioners")]
    for metric in services.PERSON_METRICS:
        label = str(services.METRIC_LABELS[metric])
        header += [_("%(metric)s: people on track", metric=label),
                   _("%(metric)s: per-person average", metric=label)]
    header += [_("Trainings held"), _("Trainings target"), _("Theme party days held"),
               _("Theme party days expected by now"), _("Residents"), _("Lawyers"),
               _("Practitioners and lawyers per 10,000 residents"), _("Target per 10,000"),
               _("Average age"), _("Share under 50 (%)"), _("Share with a bachelor's degree or more (%)")]
    return header


@home_bp.route("/city.xlsx")
@access.roles_required("city_admin")
def city_export():
    """The city's comparison table as .xlsx, the same figures as on screen."""
    today = local_today()
    rows, _progress = comparison(today.year, today)
    sheet = Sheet(title=_("Counties"), header=comparison_header(),
                  rows=city_figures.comparison_sheet_rows(rows),
                  heading=_("Counties compared, %(year)d so far", year=today.year))
    service = quality.city_sheet(quality.city_rows([r.county for r in rows], today), today)
    return xlsx_response(f"counties-{today.year}.xlsx", [sheet, service])


def progress_header():
    """Column titles of the everyone's-progress export."""
    header = [_("County"), _("Firm"), _("Name"), _("Licence number")]
    for metric in services.PERSON_METRICS:
        label = str(services.METRIC_LABELS[metric])
        header += [_("%(metric)s: done", metric=label),
                   _("%(metric)s: expected by today", metric=label),
                   _("%(metric)s: target", metric=label),
                   _("%(metric)s: status", metric=label)]
    return header


def progress_workbook(people, progress, year):
    """Everyone's progress as one sheet (the export and the benchmark build it the same way)."""
    return [Sheet(title=_("Progress"), header=progress_header(),
                  rows=list(city_figures.progress_rows(people, progress, services.STATUS_LABELS)),
                  heading=_("Everyone's progress, %(year)d so far", year=year))]


@home_bp.route("/people.xlsx")
@access.roles_required(*ADMINS)
def progress_export():
    """Every practitioner the administrator oversees, against each personal target, as .xlsx."""
    today = local_today()
    people, progress = services.people_progress(access.people(g.actor), today.year, today)
    return xlsx_response(f"progress-{today.year}.xlsx",
                         progress_workbook(people, progress, today.year))
