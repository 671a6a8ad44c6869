"""A firm's inspections (季督查): the list with open items, recording one, closing an item."""
from flask import Blueprint, abort, flash, g, request, url_for
from flask_babel import gettext as _

from .. import access
from ..accounts.models import Firm
from ..errors import DomainError
from ..i18n import local_today
from ..web import object_id, redirect_after_post, render
from . import inspections as services

inspections_bp = Blueprint("inspections", __name__, url_prefix="/inspections")

ROWS = 3


def _firm(firm_id):
    return access.get_or_404(access.firms(g.actor), Firm, firm_id)


def _rows(form):
    texts, dues = form.getlist("item_text"), form.getlist("item_due")
    width = max(len(texts), len(dues))
    texts, dues = texts + [""] * (width - len(texts)), dues + [""] * (width - len(dues))
    return list(zip(texts, dues))


def _form_page(firm, data, rows, status=200, error=None, field=None):
    today = local_today()
    shown = max(ROWS, len(rows))
    rows = rows + [("", "")] * (shown - len(rows))
    return render("inspections/form.html", status=status, firm=firm, data=data, rows=rows,
                  error=error, field=field, today=today.isoformat(),
                  earliest=services.earliest_day(today).isoformat(),
                  max_rows=services.MAX_ITEMS, max_inspectors=services.MAX_INSPECTORS,
                  max_findings=services.MAX_FINDINGS, max_item=services.MAX_ITEM)


@inspections_bp.route("/firm/<int:firm_id>/new", methods=["GET", "POST"])
@access.roles_required("county_admin")
def new(firm_id):
    """Record an inspection of a firm: date, inspectors, findings, items to fix by a date."""
    firm = _firm(firm_id)
    if request.method == "POST":
        rows = _rows(request.form)
        if request.form.get("more"):
            # Without JavaScript, "more rows" sends the form back with blank rows added.
            return _form_page(firm, request.form, rows[:services.MAX_ITEMS] + [("", "")] * ROWS)
        data = {key: request.form.get(key) for key in ("held_on", "inspectors", "findings")}
        data["items"] = rows
        try:
            services.record(g.actor, firm, data)
        except DomainError as exc:
            return _form_page(firm, request.form, rows, exc.status, exc.message, exc.field)
        flash(_("The inspection is recorded."), "success")
        return redirect_after_post(url_for("inspections.firm", firm_id=firm.id))
    if not services.can_manage(g.actor, firm):
        abort(403)
    return _form_page(firm, {"held_on": local_today().isoformat()}, [])


@inspections_bp.route("/firm/<int:firm_id>")
@access.roles_required("county_admin", "director")
def firm(firm_id):
    """A firm's inspections, newest first, with the items still to fix."""
    return _firm_page(_firm(firm_id))


def _firm_page(row, status=200, row_error=None):
    inspections, items, names = services.firm_inspections(g.actor, row)
    return render("inspections/firm.html", status=status, firm=row, inspections=inspections,
                  items=items, names=names, open_items=services.open_items(row),
                  manage=services.can_manage(g.actor, row), row_error=row_error,
                  max_note=services.MAX_NOTE)


@inspections_bp.route("/item/<int:item_id>/close", methods=["POST"])
@access.roles_required("county_admin")
def close(item_id):
    """Close an item the firm has fixed."""
    try:
        item = services.visible_item(g.actor, object_id(item_id))
    except (TypeError, ValueError):
        abort(404)
    if item is None:
        abort(404)
    firm_id = item.inspection.firm_id
    try:
        services.close_item(g.actor, item, request.form.get("note"))
    except DomainError as exc:
        return _firm_page(Firm.get_by_id(firm_id), exc.status, (item.id, exc.message))
    flash(_("The item is closed."), "success")
    return redirect_after_post(url_for("inspections.firm", firm_id=firm_id))
