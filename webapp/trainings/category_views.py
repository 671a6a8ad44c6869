"""Training categories: the list an administrator sees, adding, renaming, reordering,
deactivating, and deleting the unused ones (see services for who edits which)."""
from flask import flash, g, request, url_for
from flask_babel import gettext as _

from .. import access
from ..errors import DomainError
from ..web import redirect_after_post, render
from . import categories as rules
from .models import Training, TrainingCategory
from .views import ADMINS, trainings_bp


def _load(category_id):
    return access.get_or_404(rules.editable_categories(g.actor), TrainingCategory, category_id)


def _list_page(error=None, field=None, data=None, status=200):
    city_list, own_list = rules.category_lists(g.actor)
    editable = {c.id for c in rules.editable_categories(g.actor)}
    used = {c for (c,) in Training.select(Training.category).distinct().where(
        Training.category.in_([c.id for c in city_list + own_list] or [0])).tuples()}
    return render("trainings/categories.html", city_list=city_list, own_list=own_list,
                  county_lists=rules.county_categories(g.actor), editable=editable,
                  used=used, error=error, field=field, data=data or {}, status=status)


def _back():
    return redirect_after_post(url_for("trainings.categories"))


@trainings_bp.route("/trainings/categories", methods=["GET", "POST"])
@access.roles_required(*ADMINS)
def categories():
    """The categories the administrator's trainings can use; the form adds one to their list."""
    rules.ensure_categories()
    if request.method == "GET":
        return _list_page()
    try:
        added = rules.add_category(g.actor, rules.clean_category(request.form))
    except DomainError as exc:
        return _list_page(exc.message, exc.field, request.form, status=400)
    flash(_("The category “%(name)s” is added.", name=added.name), "success")
    return _back()


@trainings_bp.route("/trainings/categories/<int:category_id>", methods=["GET", "POST"])
@access.roles_required(*ADMINS)
def category(category_id):
    """Rename a category (its Chinese and English names)."""
    row = _load(category_id)
    error = field = None
    data = {"name": row.name, "name_en": row.name_en}
    if request.method == "POST":
        data = request.form
        try:
            rules.rename_category(g.actor, row, rules.clean_category(request.form))
        except DomainError as exc:
            error, field = exc.message, exc.field
        else:
            flash(_("The category is saved."), "success")
            return _back()
    return render("trainings/category.html", category=row, data=data, error=error, field=field,
                  in_use=rules.category_in_use(row), status=400 if error else 200)


def _action(category_id, act):
    row = _load(category_id)
    try:
        message = act(row)
    except DomainError as exc:
        return _list_page(exc.message, status=400)
    flash(message, "success")
    return _back()


@trainings_bp.route("/trainings/categories/<int:category_id>/move", methods=["POST"])
@access.roles_required(*ADMINS)
def category_move(category_id):
    """Move a category one place up or down."""
    def act(row):
        rules.move_category(g.actor, row, request.form.get("direction"))
        return _("The category “%(name)s” is moved.", name=row.name)
    return _action(category_id, act)


@trainings_bp.route("/trainings/categories/<int:category_id>/active", methods=["POST"])
@access.roles_required(*ADMINS)
def category_active(category_id):
    """Deactivate a category, or bring it back."""
    def act(row):
        active = request.form.get("active") == "1"
        rules.set_category_active(g.actor, row, active)
        return (_("The category “%(name)s” can be chosen again.", name=row.name) if active
                else _("The category “%(name)s” is deactivated.", name=row.name))
    return _action(category_id, act)


@trainings_bp.route("/trainings/categories/<int:category_id>/delete", methods=["POST"])
@access.roles_required(*ADMINS)
def category_delete(category_id):
    """Delete a category no training uses."""
    def act(row):
        rules.delete_category(g.actor, row)
        return _("The category “%(name)s” is deleted.", name=row.name)
    return _action(category_id, act)
