"""Annual assessment pages (年度考核): dossiers, printing, results and rectification."""
from flask import g, request, url_for
from flask_babel import gettext as _

from .. import access
from ..accounts.models import Firm, User
from ..errors import DomainError
from ..i18n import local_today
from ..inputs import parse_year
from ..ledger import year as ledger_year
from ..quality import figures as quality
from ..web import redirect_after_post, render, xlsx_response
from . import assessment as service
from . import services
from .models import Assessment
from .views import home_bp

READERS = ("director", "county_admin")


def _year(today):
    """The ?year= asked for, when it is a plain year up to this one; else this year."""
    year = parse_year(request.values.get("year"), today.year)
    return year if year <= today.year else today.year


def _context(today, year):
    return {"today": today, "year": year, "result_labels": service.RESULT_LABELS,
            "person_results": service.PERSON_RESULTS, "firm_results": service.FIRM_RESULTS,
            "fails": service.FAILS, "can_record": g.actor.role == "county_admin",
            "metric_labels": services.METRIC_LABELS, **ledger_year.label_context()}


def _person_page(person, today, year, status=200, error=None, form=None):
    data = service.person_dossier(person, year, today)
    return render("assessment/person.html", status=status, dossier=data, error=error,
                  form=form or {}, quality_of={person.id: quality.subject_section(
                      quality.for_person(person, year))}, **_context(today, year))


def _firm_page(firm, today, year, status=200, error=None, form=None):
    data = service.firm_dossier(firm, year, today)
    return render("assessment/firm.html", status=status, data=data, error=error,
                  form=form or {},
                  firm_quality=quality.subject_section(quality.for_firm(firm, year)),
                  **_context(today, year))


@home_bp.route("/assessment/person/<int:user_id>")
@access.roles_required(*READERS)
def assessment_person(user_id):
    """A person's assessment dossier (printable, one A4 page)."""
    person = access.get_or_404(access.people(g.actor), User, user_id)
    today = local_today()
    return _person_page(person, today, _year(today))


@home_bp.route("/assessment/person/<int:user_id>.xlsx")
@access.roles_required(*READERS)
def assessment_person_xlsx(user_id):
    """A person's assessment dossier as a workbook."""
    person = access.get_or_404(access.people(g.actor), User, user_id)
    today = local_today()
    year = _year(today)
    data = service.person_dossier(person, year, today)
    name = _("Annual assessment %(year)d", year=year) + f" {person.name}.xlsx"
    return xlsx_response(name, list(service.person_sheets(data)) + [quality.subject_sheet(
        person.name, quality.for_person(person, year), year)])


@home_bp.route("/assessment/firm/<int:firm_id>")
@access.roles_required(*READERS)
def assessment_firm(firm_id):
    """A firm's assessment dossier: per-person averages and each person."""
    firm = access.get_or_404(access.firms(g.actor), Firm, firm_id)
    today = local_today()
    return _firm_page(firm, today, _year(today))


@home_bp.route("/assessment/firm/<int:firm_id>.xlsx")
@access.roles_required(*READERS)
def assessment_firm_xlsx(firm_id):
    """A firm's assessment dossier as a workbook."""
    firm = access.get_or_404(access.firms(g.actor), Firm, firm_id)
    today = local_today()
    year = _year(today)
    data = service.firm_dossier(firm, year, today)
    name = _("Annual assessment %(year)d", year=year) + f" {firm.name}.xlsx"
    return xlsx_response(name, list(service.firm_sheets(data)) + [quality.subject_sheet(
        firm.name, quality.for_firm(firm, year), year)])


@home_bp.route("/assessment/firm/<int:firm_id>/print")
@access.roles_required(*READERS)
def assessment_firm_print(firm_id):
    """Every person's dossier of a firm, one per printed page."""
    firm = access.get_or_404(access.firms(g.actor), Firm, firm_id)
    today = local_today()
    year = _year(today)
    people = list(services.active_practitioners(User.select().where(User.firm == firm.id))
                  .order_by(User.name))
    dossiers = [service.person_dossier(person, year, today) for person in people]
    return render("assessment/batch.html", firm=firm, dossiers=dossiers,
                  quality_of={p.id: quality.subject_section(quality.for_person(p, year))
                              for p in people},
                  **_context(today, year))


def _form():
    return {key: request.form.get(key, "") for key in ("result", "comment", "rectify_by")}


@home_bp.route("/assessment/person/<int:user_id>/result", methods=["POST"])
@access.roles_required("county_admin")
def assessment_record_person(user_id):
    """Record a person's result for the year."""
    person = access.get_or_404(access.people(g.actor), User, user_id)
    today = local_today()
    year = _year(today)
    form = _form()
    try:
        service.record_result(g.actor, year, person, form["result"], form["comment"],
                              form["rectify_by"])
    except DomainError as error:
        return _person_page(person, today, year, status=error.status, error=error, form=form)
    return redirect_after_post(url_for("home.assessment_person", user_id=person.id, year=year))


@home_bp.route("/assessment/firm/<int:firm_id>/result", methods=["POST"])
@access.roles_required("county_admin")
def assessment_record_firm(firm_id):
    """Record a firm's result for the year."""
    firm = access.get_or_404(access.firms(g.actor), Firm, firm_id)
    today = local_today()
    year = _year(today)
    form = _form()
    try:
        service.record_result(g.actor, year, firm, form["result"], form["comment"],
                              form["rectify_by"])
    except DomainError as error:
        return _firm_page(firm, today, year, status=error.status, error=error, form=form)
    return redirect_after_post(url_for("home.assessment_firm", firm_id=firm.id, year=year))


@home_bp.route("/assessment/<int:assessment_id>/close", methods=["POST"])
@access.roles_required("county_admin")
def assessment_close(assessment_id):
    """Close an open rectification, with a note of what was done."""
    row = access.get_or_404(service.assessments(g.actor), Assessment, assessment_id)
    service.close_rectification(g.actor, row, request.form.get("note", ""))
    if row.user_id:
        target = url_for("home.assessment_person", user_id=row.user_id, year=row.year)
    else:
        target = url_for("home.assessment_firm", firm_id=row.firm_id, year=row.year)
    return redirect_after_post(target)
