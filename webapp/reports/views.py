"""The firm's reports page, writing and correcting a report (with its photos and PDFs), naming
the firm's reporter, and the county's queue."""
import functools
import uuid

from flask import Blueprint, flash, g, jsonify, request, url_for
from flask_babel import gettext as _

from .. import access
from ..accounts.models import Firm
from ..errors import DomainError
from ..i18n import local_today
from ..inputs import parse_year
from ..ledger import evidence as files
from ..web import redirect_after_post, render, send_stored_file
from . import inspections, quota, services
from .models import FirmReport, FirmReportAttachment

reports_bp = Blueprint("reports", __name__, url_prefix="/reports")

# A practitioner passes these gates only to meet the service's rule (services.can_write, or
# access.firm_reports for reading): the firm's named reporter; anyone else gets 403 or 404.
WRITERS = ("director", "practitioner")
VIEWERS = ("director", "practitioner", "county_admin")
FILE_VIEWERS = VIEWERS + ("city_admin",)


def firm_roles(*roles):
    """access.roles_required, except that a director acting as a practitioner (after logging
    their own ledger entry, say) acts as the director here, not as a would-be reporter."""
    def decorator(view):
        as_director = access.roles_required("director")(view)
        as_any = access.roles_required(*roles)(view)

        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            actor = g.get("actor")
            if actor is not None and actor.role == "practitioner" and any(
                    gr.role == "director" for gr in actor.grants):
                return as_director(*args, **kwargs)
            return as_any(*args, **kwargs)
        return wrapped
    return decorator


@reports_bp.app_template_global()
def writes_firm_reports(actor):
    """Say whether a practitioner is the firm's named reporter (for the home page's link)."""
    return actor is not None and actor.role == "practitioner" and services.can_write(actor)


def wants_json():
    """Say whether the caller (the phone's outbox) asked for JSON rather than a page."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == \
        "application/json"


def _labels():
    return {"kind_labels": services.KIND_LABELS, "status_labels": services.STATUS_LABELS,
            "version_of": services.version_of,
            "part_labels": services.part_labels(), "case_parts": services.CASE_PARTS}


def _visible(report_id):
    return access.get_or_404(access.firm_reports(g.actor, FirmReport), FirmReport, report_id)


def _uploads():
    return services.read_attachments(request.files.getlist("attachments"))


def _form_context(firm, kind, data, credits, error=None, field=None, report=None):
    today = local_today()
    return {"firm": firm, "kind": kind, "data": data, "credits": {str(c) for c in credits},
            "people": services.creditable(firm), "error": error, "field": field,
            "report": report, "max_month": today.strftime("%Y-%m"),
            "min_month": services.earliest_month(today).strftime("%Y-%m"),
            "max_title": services.MAX_TITLE, "max_body": services.MAX_BODY,
            "max_part": services.MAX_PART, "max_photos": services.MAX_PHOTOS,
            "max_pdfs": services.MAX_PDFS,
            "photo_mb": files.MAX_IMAGE_BYTES // (1024 * 1024),
            "pdf_mb": files.MAX_PDF_BYTES // (1024 * 1024),
            "attachments": services.attachments_of([report]).get(report.id, []) if report else [],
            **_labels()}


def _report_data(report):
    data = {name: getattr(report, name) for name in (
        "title", "body", "facts", "handling", "result", "lesson")}
    data["month"] = report.month.strftime("%Y-%m")
    return data


# ------------------------------------------------------------------ the firm's side

@reports_bp.route("/")
@firm_roles(*WRITERS)
def index():
    """The firm's reports: this month against its targets, the year's months, returned ones,
    and (for the director) who else may write them."""
    return _index_page(parse_year(request.args.get("year"), local_today().year))


def _index_page(year, status=200, reporter_error=None):
    firm = services.writer_firm(g.actor)
    today = local_today()
    months = quota.month_quota(firm, year, today)
    this_month = next((m for m in months if m.month == services.first_of_month(today)), None)
    returned = list(services.firm_reports(g.actor, status="returned"))
    reports = list(services.firm_reports(g.actor, year=year))
    fragment = "reports/_year.html" if status == 200 else None  # a refused form: the page
    return render("reports/index.html", fragment, status=status, firm=firm,
                  year=year, today=today, months=months, this_month=this_month,
                  returned=returned, reports=reports, names=services.credited_names(reports),
                  open_items=inspections.open_items(firm, today),
                  **_reporter_context(firm, reporter_error), **_labels())


def _reporter_context(firm, error=None):
    names = services.can_name_reporter(g.actor)
    return {"can_name_reporter": names, "reporter": services.reporter(firm),
            "reporter_choices": services.reporter_choices(firm) if names else [],
            "reporter_error": error}


@reports_bp.route("/new", methods=["GET", "POST"])
@firm_roles(*WRITERS)
def new():
    """Choose the kind, then write an information report or a typical case and send it.

    The phone's outbox sends a draft kept offline here too, asking for JSON, under the form's
    idempotency key: a resend gives the first report back."""
    if request.method == "POST" and wants_json():
        return _new_json()
    firm = services.writer_firm(g.actor)
    kind = (request.form.get("kind") if request.method == "POST"
            else request.args.get("kind")) or ""
    if request.method == "POST":
        credits = request.form.getlist("credits")
        try:
            report, _created = services.submit(g.actor, kind, request.form, credits,
                                               request.form.get("idempotency_key"),
                                               uploads=_uploads())
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


def _new_json():
    try:
        report, created = services.submit(
            g.actor, request.form.get("kind") or "", request.form,
            request.form.getlist("credits"), request.form.get("idempotency_key"),
            uploads=_uploads())
    except DomainError as exc:
        return jsonify(error=exc.message, field=exc.field), exc.status
    return jsonify(id=report.id, status=report.status, created=created,
                   url=url_for("reports.report", report_id=report.id)), 201 if created else 200


@reports_bp.route("/<int:report_id>/edit", methods=["GET", "POST"])
@firm_roles(*WRITERS)
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
            report, was_returned = services.edit(g.actor, report, request.form, credits,
                                                 uploads=_uploads())
        except DomainError as exc:
            return render("reports/form.html", status=exc.status, **_form_context(
                firm, report.kind, request.form, credits, exc.message, exc.field, report))
        flash(_("Sent again to the county justice bureau.") if was_returned
              else _("Saved and sent to the county justice bureau."), "success")
        return redirect_after_post(url_for("reports.report", report_id=report.id))
    return render("reports/form.html", **_form_context(
        firm, report.kind, _report_data(report), services.credited_ids(report), report=report))


@reports_bp.route("/<int:report_id>")
@firm_roles(*VIEWERS)
def report(report_id):
    """One report: what it says, whom it credits, its files, its status and what can be done."""
    row = _visible(report_id)
    return render("reports/report.html", report=row,
                  names=services.credited_names([row]).get(row.id, []),
                  attachments=services.attachments_of([row]).get(row.id, []),
                  editable=services.can_edit(g.actor, row),
                  reviewable=row.status == "submitted" and services.can_review(g.actor, row),
                  **_labels())


# ------------------------------------------------------------------ attachments

def _attachment(attachment_id):
    return access.get_or_404(services.visible_attachments(g.actor), FirmReportAttachment,
                             attachment_id)


@reports_bp.route("/files/<int:attachment_id>")
@firm_roles(*FILE_VIEWERS)
def attachment(attachment_id):
    """Send a report's photo (or its thumbnail) or PDF to someone who may see the report."""
    item = _attachment(attachment_id)
    pdf = item.content_type == "application/pdf"
    thumb = request.args.get("size") == "thumb" and not pdf
    return send_stored_file(services.attachment_path(item, thumb=thumb), item.content_type,
                            item.original_name or item.stored_name, thumb)


@reports_bp.route("/files/<int:attachment_id>/remove", methods=["POST"])
@firm_roles(*WRITERS)
def attachment_remove(attachment_id):
    """Take a photo or PDF off a report the county has not accepted."""
    item = _attachment(attachment_id)
    back = url_for("reports.edit" if request.form.get("back") == "edit" else "reports.report",
                   report_id=item.report_id)
    try:
        services.remove_attachment(g.actor, item)
    except DomainError as exc:
        return render("error.html", status=exc.status, code=exc.status, message=exc.message)
    flash(_("Removed."), "success")
    return redirect_after_post(back)


# ------------------------------------------------------------------ the firm's reporter

@reports_bp.route("/reporter", methods=["POST"])
@access.roles_required("director")
def reporter():
    """Name one of the firm's practitioners to write its reports, or stop naming one."""
    try:
        if request.form.get("action") == "unname":
            was = services.unname_reporter(g.actor)
            message = (_("%(name)s no longer writes the firm's reports.", name=was.name)
                       if was else _("No reporter was named."))
        else:
            person = services.name_reporter(g.actor, request.form.get("user_id"))
            message = _("%(name)s can now write and send the firm's reports.",
                        name=person.name)
    except DomainError as exc:
        return _index_page(local_today().year, exc.status, exc.message)
    flash(message, "success")
    return redirect_after_post(url_for("reports.index") + "#reporter")


# ------------------------------------------------------------------ the county's side

def _queue_page(status=200, row_error=None):
    reports = list(services.queue(g.actor))
    firms = list(access.firms(g.actor).order_by(Firm.name, Firm.id))
    return render("reports/queue.html", status=status, reports=reports, firms=firms,
                  names=services.credited_names(reports), files=services.attachments_of(reports),
                  row_error=row_error, **_labels())


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
