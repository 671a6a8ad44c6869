"""Home pages for each role: progress against the year's targets."""
import datetime

from flask import Blueprint, abort, g, redirect, request, url_for
from flask_babel import gettext as _
from peewee import fn

from .. import access
from ..accounts.models import Firm, Region
from ..branches import overview as branch_overview
from ..db import utcnow
from ..web import Sheet, object_id, render, xlsx_response
from ..i18n import local_today, to_utc
from ..ledger.models import Entry
from ..push import inbox
from ..quality import figures as quality
from ..reports import quota as reports
from ..trainings import attendance
from ..trainings import services as trainings
from ..trainings.models import Training
from . import assessment, dashboard, services

home_bp = Blueprint("home", __name__, url_prefix="/home")


@home_bp.route("/me")
@access.roles_required("practitioner")
def practitioner():
    """Practitioner home: next training, this year's targets, what waits."""
    user = g.user
    today = local_today()
    now = utcnow()
    # Today's trainings stay after they end: the person sees they are checked in (or out).
    midnight = to_utc(datetime.datetime.combine(today, datetime.time()))
    upcoming = list(trainings.upcoming_for(user, now, days=7, ended_since=midnight).limit(3))
    rows = attendance.own_rows(user, upcoming)
    states = {t.id: attendance.person_state(t, rows.get(t.id), now) for t in upcoming}
    progress = services.progress_for([user], today.year, today).get(user.id, [])
    counts = dict(access.entries(g.actor, Entry)
                  .where(Entry.user == user.id, Entry.status.in_(("pending", "declined")))
                  .select(Entry.status, fn.COUNT(Entry.id)).group_by(Entry.status).tuples())
    notes = inbox.latest_unread(user)
    return render("home/practitioner.html", today=today, upcoming=upcoming, progress=progress,
                  attendance=rows, states=states,
                  checkout_opens={t.id: attendance.checkout_window(t)[0] for t in upcoming},
                  pending=counts.get("pending", 0), declined=counts.get("declined", 0),
                  notes=notes, is_today=lambda t: trainings.runs_on(t, today),
                  rectifications=assessment.open_rectifications(user, today),
                  result_labels=assessment.RESULT_LABELS)


@home_bp.route("/firm")
@access.roles_required("director")
def director():
    """Director home: the firm's people against the targets, and pending entries."""
    today = local_today()
    firm = access.firms(g.actor).get()
    people, progress = services.people_progress(access.people(g.actor), today.year, today)
    pending = access.entries(g.actor, Entry).where(Entry.status == "pending").count()
    return render("home/director.html", firm=firm, people=people, progress=progress,
                  counts=services.status_counts(progress), pending=pending, today=today,
                  labels=services.METRIC_LABELS, status_labels=services.STATUS_LABELS,
                  rectifications=assessment.open_rectifications(firm, today),
                  result_labels=assessment.RESULT_LABELS,
                  reports_month=reports.month_quota(firm, today.year, today)[today.month - 1])


@home_bp.route("/branch")
@access.roles_required("secretary")
def secretary():
    """Secretary home: this month's theme party day, the year by month, members' attendance."""
    branch = access.branches(g.actor).get()
    return render("home/secretary.html", **branch_overview.secretary_overview(branch, local_today()))


def _county_scope():
    """The county the dashboard shows: a county admin's own; any of a city admin's (?county=)."""
    county_ids = g.actor.county_ids()
    raw = request.args.get("county")
    if raw:
        try:
            county_id = object_id(raw)
        except ValueError:
            abort(404)
        if county_id not in county_ids:
            abort(404)
    elif county_ids:
        county_id = (county_ids[0] if g.actor.role == "county_admin" else
                     access.counties(g.actor).first().id)
    else:
        abort(404)
    return access.get_or_404(access.counties(g.actor), Region, county_id)


def _dashboard_base(county, today):
    """The county's people, their progress (computed once) and firms."""
    people, progress = services.people_progress(
        dashboard.scoped_people(g.actor, [county.id]), today.year, today)
    firms = list(access.firms(g.actor).select(Firm, Region).join(Region)
                 .where(Firm.county == county.id, Firm.active == True)  # noqa: E712
                 .order_by(Firm.name))
    return people, progress, firms


def _scope_args(county):
    return {"county": county.id} if g.actor.role == "city_admin" else {}


# The dashboard shows the first lines of the behind list (the largest shortfalls); the behind
# page, its fragment and its export have them all.
DASHBOARD_BEHIND = 25


def _texts(labels):
    return {key: str(label) for key, label in labels.items()}


def _common(county, today):
    return {"county": county, "today": today, "scope_args": _scope_args(county),
            "can_manage": g.actor.role == "county_admin",
            # Translated once here, not once a row: a county's lists run to hundreds of lines.
            "labels": _texts(services.METRIC_LABELS),
            "status_labels": _texts(services.STATUS_LABELS), "metrics": services.PERSON_METRICS,
            "behind_statuses": dashboard.BEHIND}


def _behind(county, today):
    """The behind list as the screen and the export show it, with its filters."""
    people, progress, firms = _dashboard_base(county, today)
    firm_map = {f.id: f for f in firms}
    firm_id = dashboard.parse_firm(request.args.get("firm"), firm_map)
    metric = dashboard.parse_metric(request.args.get("metric"))
    status = dashboard.parse_status(request.args.get("status"), dashboard.BEHIND)
    rows = dashboard.behind_list(people, progress, firm_id=firm_id, metric=metric,
                                 status=status, firms=firm_map)
    filters = {"firm": firm_id, "metric": metric, "status": status}
    return rows, filters, firms, people, progress


def _firms(county, today, people=None, progress=None, firms=None):
    """The firms table as the screen and the export show it, with its sort."""
    if people is None:
        people, progress, firms = _dashboard_base(county, today)
    raw = request.args.get("sort", "")
    key, descending = dashboard.parse_sort(raw)
    rows = dashboard.firm_table(firms, people, progress, key, descending)
    return rows, (raw or "name")


@home_bp.route("/county")
@access.roles_required("county_admin", "city_admin")
def county():
    """County dashboard: reviews, trainings, the year so far, who is behind, firms, the chart."""
    today = local_today()
    now = utcnow()
    county_row = _county_scope()
    chart_metric = dashboard.parse_metric(request.args.get("chart")) or services.PERSON_METRICS[0]
    rows, filters, firms, people, progress = _behind(county_row, today)
    firm_rows, sort = _firms(county_row, today, people, progress, firms)
    figures = dashboard.county_figures(g.actor, [county_row.id], today.year, today,
                                       progress=progress)
    upcoming = list(trainings.for_regions([county_row.id])
                    .where(Training.end_at >= now - datetime.timedelta(hours=12),
                           Training.status == "scheduled")
                    .order_by(Training.start_at).limit(5))
    series = dashboard.monthly_series([county_row.id], today.year, chart_metric, today,
                                      people_count={county_row.id: len(people)})
    return render("home/county.html", **_common(county_row, today), figures=figures,
                  waiting=figures.waiting, oldest_days=figures.oldest_days, upcoming=upcoming,
                  counts=services.status_counts(progress), people_count=len(people),
                  behind=rows[:DASHBOARD_BEHIND], behind_total=len(rows), filters=filters,
                  firms=firms, firm_rows=firm_rows, sort=sort,
                  chart_metric=chart_metric, chart=dashboard.chart_svg(series),
                  quality=quality.county_card(county_row.id, today))


@home_bp.route("/county/behind")
@access.roles_required("county_admin", "city_admin")
def county_behind():
    """Who is behind or at risk, filtered by firm, target and status (page or fragment)."""
    today = local_today()
    county_row = _county_scope()
    rows, filters, firms, _people, _progress = _behind(county_row, today)
    return render("home/_county_page.html", "home/_county_behind.html",
                  **_common(county_row, today), body="home/_county_behind.html",
                  page_title=_("Who is behind"), behind=rows, filters=filters, firms=firms)


@home_bp.route("/county/people")
@access.roles_required("county_admin", "city_admin")
def county_people():
    """Everyone with one status on one target: a status count opened (page or fragment)."""
    today = local_today()
    county_row = _county_scope()
    if not request.args.get("metric") and not request.args.get("status"):
        # Nothing chosen: the counts to choose from are on the dashboard.
        return redirect(url_for("home.county", **_scope_args(county_row), _anchor="year"))
    people, progress, firms = _dashboard_base(county_row, today)
    metric = dashboard.parse_metric(request.args.get("metric"), required=True)
    status = dashboard.parse_status(request.args.get("status"), required=True)
    rows = dashboard.status_list(people, progress, metric, status,
                                 firms={f.id: f for f in firms})
    return render("home/_county_page.html", "home/_county_people.html",
                  **_common(county_row, today), body="home/_county_people.html",
                  page_title=_("%(status)s: %(metric)s", status=services.STATUS_LABELS[status],
                               metric=services.METRIC_LABELS[metric]),
                  rows=rows, metric=metric, status_key=status)


@home_bp.route("/county/behind.xlsx")
@access.roles_required("county_admin", "city_admin")
def county_behind_export():
    """The behind list as .xlsx: the rows, figures and filters of the screen."""
    today = local_today()
    county_row = _county_scope()
    rows, filters, firms, _people, _progress = _behind(county_row, today)
    firm_map = {f.id: f for f in firms}
    above = [[_("County"), county_row.name], [_("As of"), today],
             [_("Firm"), firm_map[filters["firm"]].name if filters["firm"] else _("All")],
             [_("Target"), services.METRIC_LABELS[filters["metric"]] if filters["metric"]
              else _("All")],
             [_("Status"), services.STATUS_LABELS[filters["status"]] if filters["status"]
              else _("Behind or at risk")], []]
    sheet = Sheet(title=_("Who is behind"), header=[str(h) for h in dashboard.PERSON_HEADER],
                  rows=[r.cells() for r in rows], widths=(14, 24, 20, 10, 10, 10, 10, 10, 10),
                  heading=_("Who is behind, %(county)s", county=county_row.name), above=above)
    return xlsx_response(f"behind-{today.isoformat()}.xlsx", [sheet])


@home_bp.route("/county/firms.xlsx")
@access.roles_required("county_admin", "city_admin")
def county_firms_export():
    """The firms table as .xlsx, in the order the screen shows it."""
    today = local_today()
    county_row = _county_scope()
    rows, sort = _firms(county_row, today)
    sheet = Sheet(title=_("Firms"), header=dashboard.firm_header(),
                  rows=[r.values() for r in rows], widths=(26, 12, 10),
                  heading=_("Firms, %(county)s", county=county_row.name),
                  above=[[_("As of"), today], []])
    return xlsx_response(f"firms-{today.isoformat()}.xlsx", [sheet])


@home_bp.route("/county/quality.xlsx")
@access.roles_required("county_admin", "city_admin")
def county_quality_export():
    """The service-quality card as .xlsx: the year so far and who had complaints upheld."""
    today = local_today()
    county_row = _county_scope()
    card = quality.county_card(county_row.id, today)
    return xlsx_response(f"quality-{today.isoformat()}.xlsx",
                         quality.county_sheets(county_row.name, card, today))
