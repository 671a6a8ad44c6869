"""City and county administrators: the year's targets per scope, edited one metric at a time."""
from flask import flash, g, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from .. import access
from ..accounts.models import Firm
from ..accounts.views import admin_bp
from ..errors import DomainError
from ..i18n import local_today
from ..web import redirect_after_post, render
from . import editing

ADMINS = ("county_admin", "city_admin")


def _year():
    """The year asked for (this year by default), kept within thirty years back and one ahead."""
    today = local_today()
    text = (request.args.get("year") or "").strip()
    year = int(text) if text.isascii() and text.isdigit() and len(text) == 4 else today.year
    return min(max(year, today.year - 30), today.year + 1)


def _firm():
    """The firm the page is about (a county administrator's, through the scope), or None."""
    value = request.args.get("firm")
    if not value:
        return None
    return access.get_or_404(access.firms(g.actor), Firm, value)


def _page(year, scope, status=200, error=None, error_metric=None, typed=None):
    firms = []
    if g.actor.role == "county_admin":
        # Active firms, and the one shown even if it has since been deactivated.
        firms = list(access.firms(g.actor).where(
            (Firm.active == True) | (Firm.id == (scope.firm_id or 0)))  # noqa: E712
            .order_by(Firm.name))
    return render("targets/targets.html", "targets/_targets.html", status=status,
                  year=year, scope=scope, rows=editing.targets_table(g.actor, year, scope),
                  firms=firms, error=error, error_metric=error_metric, typed=typed or {},
                  this_year=local_today().year)


@admin_bp.route("/targets", methods=["GET", "POST"])
@access.roles_required(*ADMINS)
def targets():
    """The year's targets for the city, the county or one firm; set or clear one metric."""
    year = _year()
    firm = _firm()
    scope = editing.scope_for(g.actor, firm=firm)
    if request.method == "POST":
        metric = request.form.get("metric", "")
        try:
            editing.set_target(g.actor, year, metric, request.form.get("value"),
                               request.form.get("source"), firm=firm)
        except DomainError as exc:
            if exc.status == 403:
                raise
            return _page(year, scope, status=exc.status, error=exc.message,
                         error_metric=metric,
                         typed={"value": request.form.get("value", ""),
                                "source": request.form.get("source", "")})
        flash(_("Saved."), "success")
        return redirect_after_post(url_for("accounts.targets", year=year, firm=scope.firm_id,
                                           _anchor=f"target-{metric}"))
    return _page(year, scope)


@admin_bp.route("/targets/start-year", methods=["POST"])
@access.roles_required(*ADMINS)
def targets_start_year():
    """Start the year from the year before: copy last year's targets where none are set."""
    year = _year()
    copied = editing.start_year(g.actor, year)
    if copied:
        flash(ngettext("%(num)d target copied from %(year)d.",
                       "%(num)d targets copied from %(year)d.", copied, year=year - 1), "success")
    else:
        flash(_("Nothing to copy: %(year)d sets no targets that this year lacks.",
                year=year - 1), "success")
    return redirect_after_post(url_for("accounts.targets", year=year))
