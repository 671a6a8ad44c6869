"""Complaints (投诉): the list with its filters and export, recording one, its page with the
history, and the step forms (investigate, conclude, assignee and deadline)."""
import uuid

from flask import Blueprint, abort, flash, g, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import access
from ..accounts.models import Firm
from ..errors import DomainError
from ..i18n import local_today
from ..inputs import parse_year
from ..web import redirect_after_post, render, xlsx_response
from . import complaints as services
from .complaint_models import FINDINGS, SOURCES, Complaint

bp = Blueprint("complaints", __name__, url_prefix="/complaints")

FORM_FIELDS = ("firm", "practitioner", "source", "received_on", "summary", "assignee",
               "deadline", "idempotency_key")


@bp.app_template_global()
def complaints_overdue(county_id=None):
    """How many complaints the signed-in person may see are overdue (in that county if
    given), and how many are open: the homes' complaints card. (0, 0) for anyone else."""
    actor = g.get("actor")
    if actor is None or actor.role not in services.READERS:
        return 0, 0
    key = f"complaints_card_{actor.grant.id}_{county_id}"
    if key not in g:
        setattr(g, key, (services.overdue_count(actor, county_id),
                         services.open_count(actor, county_id)))
    return g.get(key)


def _complaint(complaint_id):
    return access.get_or_404(services.complaints(g.actor), Complaint, complaint_id)


def _filters():
    today = local_today()
    state = services.parse_filter(request.args.get("state"))
    raw_year = request.args.get("year")
    year = parse_year(raw_year, None) if raw_year else None
    return state, year, today


@bp.route("/")
@access.roles_required(*services.READERS)
def index():
    """The complaints the person may see: open, overdue, concluded, by year."""
    state, year, today = _filters()
    rows = services.rows(services.listing(g.actor, state, year, today), today)
    return render("quality/complaints/index.html", "quality/complaints/_list.html",
                  rows=rows, state=state, year=year, years=services.years(g.actor, today),
                  can_record=services.can_record(g.actor), today=today,
                  source_labels=services.SOURCE_LABELS, state_labels=services.STATE_LABELS,
                  finding_labels=services.FINDING_LABELS)


@bp.route("/export.xlsx")
@access.roles_required(*services.READERS)
def export():
    """The list as on screen, as an Excel workbook."""
    state, year, today = _filters()
    rows = services.rows(services.listing(g.actor, state, year, today), today)
    title = _("Complaints") + (f" {year}" if year else "")
    return xlsx_response(f"{title}.xlsx", [services.sheet(rows, title)])


def _new_page(data, status=200, error=None, field=None):
    firms = services.target_firms(g.actor)
    return render("quality/complaints/new.html", status=status, data=data, error=error,
                  field=field, firms=firms, people=services.target_people(g.actor),
                  assignee_options=services.assignee_options(firms),
                  sources=SOURCES, source_labels=services.SOURCE_LABELS,
                  days=services.days_allowed(), today=local_today().isoformat(),
                  earliest=services.earliest_day(local_today()).isoformat(),
                  max_summary=services.MAX_SUMMARY)


@bp.route("/new", methods=["GET", "POST"])
@access.roles_required(*services.RECORDERS)
def new():
    """Record a complaint: against whom, from where, when, what, who handles it, by when."""
    if request.method == "POST":
        data = {key: request.form.get(key) for key in FORM_FIELDS}
        try:
            complaint = services.record(g.actor, data)
        except DomainError as exc:
            return _new_page(data, exc.status, exc.message, exc.field)
        flash(_("The complaint is recorded."), "success")
        return redirect_after_post(url_for("complaints.page", complaint_id=complaint.id))
    return _new_page({"received_on": local_today().isoformat(),
                      "idempotency_key": uuid.uuid4().hex})


@bp.route("/<int:complaint_id>")
@access.roles_required(*services.READERS)
def page(complaint_id):
    """One complaint: what it is about, where it stands, its outcome and its history."""
    complaint = _complaint(complaint_id)
    return render("quality/complaints/page.html", complaint=complaint,
                  names=services.names_of(complaint), steps=services.history(complaint),
                  overdue=services.is_overdue(complaint),
                  can_handle=services.can_handle(g.actor, complaint),
                  source_labels=services.SOURCE_LABELS, state_labels=services.STATE_LABELS,
                  finding_labels=services.FINDING_LABELS)


STEPS = {
    # step: (template, the state it starts from, the service)
    "investigate": ("quality/complaints/investigate.html", "received", services.investigate),
    "conclude": ("quality/complaints/conclude.html", "investigating", services.conclude),
    "edit": ("quality/complaints/edit.html", None, services.update),
}
DONE = {"investigate": _l("The investigation has started."),
        "conclude": _l("The complaint is concluded."),
        "edit": _l("The complaint is updated.")}


def _step_page(step, complaint, data, status=200, error=None, field=None):
    firm = Firm.get_by_id(complaint.firm_id)
    return render(STEPS[step][0], status=status, complaint=complaint, data=data, error=error,
                  field=field, names=services.names_of(complaint),
                  assignee_options=services.assignee_options([firm]),
                  findings=FINDINGS, finding_labels=services.FINDING_LABELS,
                  today=local_today().isoformat(), max_note=services.MAX_NOTE,
                  max_measure=services.MAX_MEASURE, max_reply=services.MAX_REPLY)


def _step(step, complaint_id):
    complaint = _complaint(complaint_id)
    if not services.can_handle(g.actor, complaint):
        abort(403)
    if request.method == "POST":
        data = request.form.to_dict()
        try:
            STEPS[step][2](g.actor, complaint, data)
        except DomainError as exc:
            return _step_page(step, Complaint.get_by_id(complaint.id), data, exc.status,
                              exc.message, exc.field)
        flash(str(DONE[step]), "success")
        return redirect_after_post(url_for("complaints.page", complaint_id=complaint.id))
    refused = services.state_refusal(complaint, STEPS[step][1])
    if refused is not None:
        # Only the POST is a conflict (409): the page itself says why there is no form.
        return _step_page(step, complaint, {}, error=refused.message)
    return _step_page(step, complaint, {
        "assignee": str(complaint.assignee_id), "deadline": str(complaint.deadline),
        "replied_on": local_today().isoformat()})


@bp.route("/<int:complaint_id>/investigate", methods=["GET", "POST"])
@access.roles_required(*services.RECORDERS)
def investigate(complaint_id):
    """Start the investigation of a received complaint."""
    return _step("investigate", complaint_id)


@bp.route("/<int:complaint_id>/conclude", methods=["GET", "POST"])
@access.roles_required(*services.RECORDERS)
def conclude(complaint_id):
    """Conclude a complaint under investigation: the finding, the measure, the reply."""
    return _step("conclude", complaint_id)


@bp.route("/<int:complaint_id>/edit", methods=["GET", "POST"])
@access.roles_required(*services.RECORDERS)
def edit(complaint_id):
    """Change who handles an open complaint, and its deadline."""
    return _step("edit", complaint_id)
