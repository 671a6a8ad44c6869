"""County and city administrators: the audit trail, filtered, in pages, and as a workbook."""
from flask import g, request
from flask_babel import gettext as _

from .. import access
from ..errors import DomainError
from ..i18n import local_today
from ..inputs import clean_text, parse_count
from ..ledger.forms import parse_date
from ..web import object_id, render, xlsx_response
from . import audit_trail
from .views import admin_bp

ADMINS = ("county_admin", "city_admin")
MAX_PAGE = 100_000


def _date(args, name, label):
    text = (args.get(name) or "").strip()
    return parse_date(text, name, label) if text else None


def _filters(args):
    """Read the filters from the query string, or raise DomainError naming the field."""
    filters = audit_trail.Filters(
        date_from=_date(args, "from", _("From")), date_to=_date(args, "to", _("To")),
        action=clean_text(args.get("action"), "action", _("Action"), 60),
        object_type=clean_text(args.get("object"), "object", _("Record"), 40),
        q=clean_text(args.get("q"), "q", _("Search"), audit_trail.MAX_SEARCH),
        page=parse_count(args.get("page"), "page", _("The page"), MAX_PAGE) or 1)
    actor_text = (args.get("actor") or "").strip()
    if actor_text:
        try:
            filters.actor_id = object_id(actor_text)
        except ValueError:
            raise DomainError(_("Choose one of the people listed."), field="actor") from None
    return filters


def _checked_filters():
    """The request's filters and what the form offers; a DomainError as (None, error)."""
    choices = audit_trail.choices(g.actor)
    try:
        return audit_trail.check_filters(_filters(request.args), choices), choices, None
    except DomainError as error:
        return None, choices, error


@admin_bp.route("/audit")
@access.roles_required(*ADMINS)
def audit_log():
    """The trail of administrative actions and review decisions the administrator may read."""
    filters, choices, error = _checked_filters()
    trail = audit_trail.events(g.actor, filters) if error is None else None
    shown = filters or audit_trail.Filters()
    return render("admin/audit.html", "admin/_audit_list.html", status=400 if error else 200,
                  filters=shown, raw=request.args, choices=choices, trail=trail, error=error)


@admin_bp.route("/audit.xlsx")
@access.roles_required(*ADMINS)
def audit_export():
    """The filtered trail (every page) as a workbook."""
    filters, choices, error = _checked_filters()
    if error is None:
        try:
            lines = audit_trail.all_events(g.actor, filters)
        except DomainError as too_many:
            error = too_many
    if error is not None:
        return render("admin/audit.html", "admin/_audit_list.html", status=400,
                      filters=filters or audit_trail.Filters(), raw=request.args,
                      choices=choices, trail=None, error=error)
    name = _("audit-log-%(day)s.xlsx", day=local_today().isoformat())
    return xlsx_response(name, audit_trail.sheets(lines))
