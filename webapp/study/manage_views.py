"""The secretary's and the county's side of party study: publish material, see who has studied
it, remind, withdraw, export; the county's completion by branch."""
import uuid

from flask import Blueprint, abort, flash, g, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from .. import access
from ..errors import DomainError
from ..i18n import local_today
from ..inputs import parse_year
from ..web import FormData, redirect_after_post, render, send_stored_file, xlsx_response
from . import exports, forms, services

bp = Blueprint("study_manage", __name__)

MANAGERS = ("secretary", "county_admin", "city_admin")
ADMINS = ("county_admin", "city_admin")
EDIT_FIELDS = ("title", "body", "link", "due_on", "hours", "minutes")
LIST_LIMIT = 200


def _managed(material_id):
    return services.get_managed(g.actor, material_id)


def _changeable(material_id):
    material = _managed(material_id)
    if not services.can_change(g.actor, material):
        abort(403)
    return material


def _own_branch():
    """The secretary's branch (None for an administrator)."""
    if g.actor.role != "secretary":
        return None
    branch = access.branches(g.actor).first()
    if branch is None:
        abort(404)
    return branch


def _hours_text(value):
    return format(value.normalize(), "f") if value is not None else ""


# ------------------------------------------------------------------ the list

@bp.route("/branch/study/")
@access.roles_required(*MANAGERS)
def index():
    """The materials the actor manages, newest first, each with how many have studied it."""
    materials = list(exports.managed(g.actor).limit(LIST_LIMIT))
    return render("study/manage/list.html", materials=materials, branch=_own_branch(),
                  counts=exports.studied_counts(g.actor, materials),
                  can_publish=services.can_publish(g.actor), today=local_today())


# ------------------------------------------------------------------ publishing and editing

def _form_context(today, branch):
    """What the publishing form offers: branches, their coming activities, their members."""
    branches = [branch] if branch is not None else forms.branches_for(g.actor)
    activities = [(b, forms.activities_for(b, today)) for b in branches]
    return {"branches": branches, "activities": [(b, a) for b, a in activities if a],
            "members": forms.members_of(branches), "max_questions": forms.MAX_QUESTIONS,
            "max_choices": forms.MAX_CHOICES}


def _errors(errors):
    """The form's errors by field; an upload's error (the evidence reader's) is the file's."""
    if "evidence" in errors:
        errors.setdefault("attachment", errors.pop("evidence"))
    return errors


def _chosen(data):
    return set(data.getlist("members")) if isinstance(data, FormData) else set()


def _blank_form():
    """A new form: half an hour, every member; ?branch= (from a branch's page) chosen."""
    return {"hours": "0.5", "audience": "all", "branch": request.args.get("branch", "")[:12],
            "minutes": "", "idempotency_key": uuid.uuid4().hex}


@bp.route("/branch/study/new", methods=["GET", "POST"])
@access.roles_required(*services.AUTHORS)
def new():
    """Publish study material: text, file or link, who it is for, due date, hours, questions."""
    today = local_today()
    branch = _own_branch()
    data, errors, status = _blank_form(), {}, 200
    if request.method == "POST":
        data = FormData(request.form)
        clean, errors = forms.clean_material(g.actor, request.form, request.files, today)
        errors = _errors(errors)
        if not errors:
            try:
                material = services.publish(g.actor, clean)
            except DomainError as exc:
                errors = {exc.field or "": exc.message}
                status = exc.status
            else:
                flash(ngettext("The material is published for %(num)d member.",
                               "The material is published for %(num)d members.",
                               len(clean["members"])), "success")
                return redirect_after_post(url_for(".detail", material_id=material.id))
        else:
            status = 400
    return render("study/manage/form.html", status=status, material=None, data=data,
                  errors=errors, branch=branch, chosen=_chosen(data), today=today,
                  **_form_context(today, branch))


def _edit_data(material):
    minutes = ("" if material.min_seconds == forms.reading_seconds(material.body)
               else str(material.min_seconds // 60))
    return {"title": material.title, "body": material.body, "link": material.link,
            "due_on": material.due_on.isoformat() if material.due_on else "",
            "hours": _hours_text(material.hours), "minutes": minutes}


@bp.route("/branch/study/<int:material_id>/edit", methods=["GET", "POST"])
@access.roles_required(*services.AUTHORS)
def edit(material_id):
    """Change the text, link, due date, hours or reading time (not who it is for)."""
    material = _changeable(material_id)
    today = local_today()
    if material.status != "published":
        raise DomainError(_("This material was withdrawn; it cannot be changed."))
    data, errors, status = _edit_data(material), {}, 200
    if request.method == "POST":
        data = {k: request.form.get(k, "") for k in EDIT_FIELDS}
        clean, errors = forms.clean_material(g.actor, request.form, request.files, today,
                                                material=material)
        if not errors:
            try:
                services.update(g.actor, material, clean)
            except DomainError as exc:
                errors, status = {exc.field or "": exc.message}, exc.status
            else:
                flash(_("The material is saved."), "success")
                return redirect_after_post(url_for(".detail", material_id=material.id))
        else:
            status = 400
    return render("study/manage/form.html", status=status, material=material, data=data,
                  errors=errors, branch=None, chosen=set(), today=today)


# ------------------------------------------------------------------ one material

@bp.route("/branch/study/<int:material_id>")
@access.roles_required(*MANAGERS)
def detail(material_id):
    """One material as managed: who has studied it, who opened it, who has not, with scores."""
    material = _managed(material_id)
    rows, counts = exports.completion_for(g.actor, material)
    return render("study/manage/detail.html", material=material, rows=rows, counts=counts,
                  questions=services.questions_of(material),
                  state_labels=exports.STATE_LABELS,
                  audience=exports.audience_label(material),
                  can_change=services.can_change(g.actor, material),
                  whole=exports.sees_everyone(g.actor, material))


@bp.route("/branch/study/<int:material_id>.xlsx")
@access.roles_required(*MANAGERS)
def export(material_id):
    """The completion list of one material as .xlsx."""
    material = _managed(material_id)
    return xlsx_response(f"study-{material.id}.xlsx", exports.material_sheets(material, g.actor))


@bp.route("/branch/study/<int:material_id>/file")
@access.roles_required(*MANAGERS)
def attachment(material_id):
    """The file attached to the material (a PDF or a picture)."""
    material = _managed(material_id)
    if not material.stored_name:
        abort(404)
    return send_stored_file(services.attachment_path(material), material.content_type,
                            material.original_name)


@bp.route("/branch/study/<int:material_id>/remind", methods=["POST"])
@access.roles_required(*services.AUTHORS)
def remind(material_id):
    """Remind those who have not studied it yet (each at most once a day)."""
    material = _changeable(material_id)
    try:
        n = services.remind(g.actor, material)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        if n:
            flash(ngettext("%(num)d member was reminded.", "%(num)d members were reminded.", n),
                  "success")
        else:
            flash(_("No one to remind: those who have not studied it were reminded in the last "
                    "24 hours, or everyone has studied it."), "success")
    return redirect_after_post(url_for(".detail", material_id=material.id))


@bp.route("/branch/study/<int:material_id>/withdraw", methods=["POST"])
@access.roles_required(*services.AUTHORS)
def withdraw(material_id):
    """Withdraw the material: members no longer see it and its study hours stop counting."""
    material = _changeable(material_id)
    if request.form.get("confirm") != "yes":
        flash(_("Tick the box to confirm that the material is to be withdrawn."), "error")
        return redirect_after_post(url_for(".detail", material_id=material.id) + "#withdraw")
    services.withdraw(g.actor, material)
    flash(_("The material is withdrawn. Its study hours no longer count."), "success")
    return redirect_after_post(url_for(".detail", material_id=material.id))


# ------------------------------------------------------------------ the county

def _year(today):
    return parse_year(request.args.get("year"), today.year)


@bp.route("/home/county/study")
@access.roles_required(*ADMINS)
def county():
    """Party study by branch for a year, and the year's materials."""
    today = local_today()
    year = _year(today)
    materials = exports.year_materials(g.actor, year)
    names = exports.county_names(g.actor)
    return render("study/manage/county.html", year=year, today=today,
                  rows=services.county_completion(g.actor, year), materials=materials,
                  counts=exports.studied_counts(g.actor, materials), county_names=names,
                  many=len(names) > 1, can_publish=services.can_publish(g.actor))


@bp.route("/home/county/study.xlsx")
@access.roles_required(*ADMINS)
def county_export():
    """Party study by branch for a year, and the year's materials, as .xlsx."""
    year = _year(local_today())
    return xlsx_response(f"study-{year}.xlsx", exports.county_sheets(g.actor, year))

