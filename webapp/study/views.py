"""The member's side of party study: my materials, the reading page, marking it studied."""
from flask import Blueprint, abort, g, request, url_for
from flask_babel import gettext as _

from .. import access
from ..errors import Conflict, DomainError
from ..i18n import local_today
from ..pwa import keep_offline
from ..web import redirect_after_post, render, send_stored_file
from . import forms, services

bp = Blueprint("study", __name__)


@bp.app_template_global()
def study_to_do():
    """How many study materials the signed-in person has still to study (counted once a
    request): the home's 待学习 card."""
    if g.get("user") is None:
        return 0
    if "study_to_do" not in g:
        g.study_to_do = services.to_study(g.user)
    return g.study_to_do


@bp.route("/study/")
@access.login_required
@keep_offline  # kept once opened (sw.js KEEP_OPENED), to reach the kept materials offline
def index():
    """My study: what is still to study (soonest due first), then what I have studied."""
    rows = services.for_member(g.user)
    return render("study/index.html", today=local_today(),
                  todo=[r for r in rows if r[1].completed_at is None],
                  done=[r for r in rows if r[1].completed_at is not None])


def _page(material, assignment, status=200, error=None, field=None, chosen=None):
    """The reading page (or, for htmx, its study part: the button and quiz, or the result)."""
    questions = services.questions_of(material)
    answers = services.answers_of(assignment)
    return render("study/material.html", "study/_study.html", status=status,
                  material=material, assignment=assignment, questions=questions,
                  answers=answers, seconds_left=services.seconds_left(material, assignment),
                  error=error, field=field, chosen=chosen or {}, today=local_today())


@bp.route("/study/<int:material_id>")
@access.login_required
@keep_offline  # once opened online it opens offline too (sw.js keeps /study/<id> on visit)
def material(material_id):
    """Read the material; the first opening starts its minimum reading time (server clock)."""
    material, assignment = services.get_assigned(g.user, material_id)
    assignment = services.open_material(g.user, material, assignment)
    return _page(material, assignment)


def _check_for_user():
    """Refuse a page filled in while someone else was signed in on this phone."""
    sent = (request.form.get("for_user") or "").strip()
    if sent and sent != str(g.user.id):
        raise Conflict(_("This was filled in while another person was signed in on this "
                         "phone, so it was not saved."))


@bp.route("/study/<int:material_id>/done", methods=["POST"])
@access.login_required
def done(material_id):
    """Mark it studied (with the quiz's answers): not before the minimum reading time."""
    material, assignment = services.get_assigned(g.user, material_id)
    try:
        _check_for_user()
        services.complete(g.user, material, assignment, request.form)
    except DomainError as exc:
        chosen = {f"a{n}": request.form.get(f"a{n}", "")
                  for n in range(1, forms.MAX_QUESTIONS + 1)}
        return _page(material, assignment, status=exc.status, error=exc.message,
                     field=exc.field, chosen=chosen)
    # No one-off message: the page with the result is then a plain visit, kept offline as it is.
    return redirect_after_post(url_for("study.material", material_id=material.id))


@bp.route("/study/<int:material_id>/file")
@access.login_required
def attachment(material_id):
    """The material's attached PDF or picture."""
    material, _assignment = services.get_assigned(g.user, material_id)
    if not material.stored_name:
        abort(404)
    return send_stored_file(services.attachment_path(material), material.content_type,
                            material.original_name or None)
