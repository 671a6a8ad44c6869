"""The firm's reports page, writing and correcting a report, and the county's queue."""
import uuid

from flask import Blueprint, flash, g, request, url_for
from flask_babel import gettext as _

from .. import access
from ..accounts.models import Firm
from ..errors import DomainError
from ..i18n import local_today
from ..inputs import parse_year
from ..web import redirect_after_post, render
from . import inspections, services
from .models import FirmReport

reports_bp = Blueprint("reports", __name__, url_prefix="/reports")

VIEWERS = ("director", "county_admin")


def _labels():
    return {"kind_labels": services.KIND_LABELS, "status_labels": services.STATUS_LABELS,
            "version_of": services.version_of,
            "part_labels": services.part_labels(), "case_parts": services.CASE_PARTS}


def _visible(report_id):
    return access.get_or_404(access.firm_reports(g.actor, FirmReport), FirmReport, report_id)


def _form_context(firm, kind, data, credits, error=None, field=None, report=None):
    today = local_today()
    return {"firm": firm, "kind": kind, "data": data, "credits": {str(c) for c in credits},
            "people": services.creditable(firm), "error": error, "field": field,
            "report": report, "max_month": today.strftime("%Y-%m"),
            "min_month": services.earliest_month(today).strftime("%Y-%m"),
            "max_title": services.MAX_TITLE, "max_body": services.MAX_BODY,
            "max_part": services.MAX_PART, **_labels()}


def _report_data(report):
    data = {name: getattr(report, name) for name in (
        "title", "body", "facts", "handling", "result", "lesson")}
    data["month"] = report.month.strftime("%Y-%m")
    return data


# ------------------------------------------------------------------ the firm's side

@reports_bp.route("/")
@access.roles_required("director")
def index():
    """The firm's reports: this month against its targets, the year's months, returned ones."""
    firm = services.writer_firm(g.actor)
    today = local_today()
    year = parse_year(request.args.get("year"), today.year)
    months = services.month_quota(firm, year, today)
    this_month = next((m for m in months if m.month == services.first_of_month(today)), None)
    returned = list(services.firm_reports(g.actor, status="returned"))
    reports = list(services.firm_reports(g.actor, year=year))
    return render("reports/index.html", "reports/_year.html", firm=firm, year=year,
                  today=today, months=months, this_month=this_month, returned=returned,
                  reports=reports, names=services.credited_names(reports),
                  open_items=inspections.open_items(firm, today), **_labels())


@reports_bp.route("/new", methods=["GET", "POST"])
@access.roles_required("director")
def new():
    """Choose the kind, then write an information report or a typical case and send it."""
    firm = services.writer_firm(g.actor)
    kind = (request.form.get("kind") if request.method == "POST"
            else request.args.get("kind")) or ""
    if request.method == "POST":
        credits = request.form.getlist("credits")
        try:
            report, _created = services.submit(g.actor, kind, request.form, credits,
                                               request.form.get("idempotency_key"))
        except DomainError as exc:
            if kind not in services.KIND_LABELS:
                return render("reports/choose.html", status=exc.status, error=exc.message,
                              **_labels())
            return render("reports/form.html", status=exc.status, **_form_context(
                firm, kind, request.form, credits, exc.message, exc.field))
        flash(_("Sent to the county justice bureau."), "success")
        return redirect_after_post(url_for("reports.report", report_id=report.id))
    if kind not in services.KIND_LABELS:
        return render("reports/choose.html", error=None, **_labels())
    data = {"month": local_today().strftime("%Y-%m"), "idempotency_key": uuid.uuid4().hex}
    return render("reports/form.html", **_form_context(firm, kind, data, []))


@reports_bp.route("/<int:report_id>/edit", methods=["GET", "POST"])
@access.roles_required("director")
def edit(report_id):
    """Correct a report the county has not accepted (a returned one goes back to it)."""
    firm = services.writer_firm(g.actor)
    report = _visible(report_id)
    if not services.can_edit(g.actor, report):
        return render("error.html", status=409, code=409, message=_(
            "The county accepted this report: it can no longer change."))
    if request.method == "POST":
        credits = request.form.getlist("credits")
        try:
            report, was_returned = services.edit(g.actor, report, request.form, credits)
        except DomainError as exc:
            return render("reports/form.html", status=exc.status, **_form_context(
                firm, report.kind, request.form, credits, exc.message, exc.field, report))
        flash(_("Sent again to the county justice bureau.") if was_returned
              else _("Saved and sent to the county justice bureau."), "success")
        return redirect_after_post(url_for("reports.report", report_id=report.id))
    return render("reports/form.html", **_form_context(
        firm, report.kind, _report_data(report), services.credited_ids(report), report=report))


@reports_bp.route("/<int:report_id>")
@access.roles_required(*VIEWERS)
def report(report_id):
    """One report: what it says, whom it credits, its status and what can be done."""
    row = _visible(report_id)
    return render("reports/report.html", report=row,
                  names=services.credited_names([row]).get(row.id, []),
                  editable=services.can_edit(g.actor, row),
                  reviewable=row.status == "submitted" and services.can_review(g.actor, row),
                  **_labels())


# ------------------------------------------------------------------ the county's side

def _queue_page(status=200, row_error=None):
    reports = list(services.queue(g.actor))
    firms = list(access.firms(g.actor).order_by(Firm.name, Firm.id))
    return render("reports/queue.html", status=status, reports=reports, firms=firms,
                  names=services.credited_names(reports), row_error=row_error, **_labels())


@reports_bp.route("/queue")
@access.roles_required("county_admin")
def queue():
    """Reports the county's firms sent, waiting for a decision, oldest first."""
    return _queue_page()


@reports_bp.route("/<int:report_id>/accept", methods=["POST"])
@access.roles_required("county_admin")
def accept(report_id):
    """Accept a report: it counts for its month and can no longer change."""
    row = _visible(report_id)
    try:
        services.accept(g.actor, row, request.form.get("version"))
    except DomainError as exc:
        return _queue_page(exc.status, (row.id, exc.message))
    flash(_("Accepted: it counts for %(month)s.", month=row.month.strftime("%Y-%m")),
          "success")
    return redirect_after_post(url_for("reports.queue"))


@reports_bp.route("/<int:report_id>/return", methods=["POST"])
@access.roles_required("county_admin")
def return_report(report_id):
    """Return a report to the firm with the reason, to correct and send again."""
    row = _visible(report_id)
    try:
        services.return_report(g.actor, row, request.form.get("reason"),
                               request.form.get("version"))
    except DomainError as exc:
        return _queue_page(exc.status, (row.id, exc.message))
    flash(_("Returned to the firm with your reason."), "success")
    return redirect_after_post(url_for("reports.queue"))
