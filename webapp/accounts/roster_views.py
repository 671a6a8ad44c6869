"""County admin: import a roster of practitioners (upload, preview, confirm, template)."""
import base64
import os

from flask import current_app, g, request, url_for
from flask_babel import gettext as _

from ..errors import DomainError
from ..web import render, xlsx_response
from ..i18n import local_today
from .. import access
from . import roster
from .models import Firm
from .services import education_labels
from .views import ADMIN, acting_county, admin_bp


def _scope():
    """Return the acting admin's firms and party branches (all of them, active or not)."""
    firms = list(access.firms(g.actor).order_by(Firm.name))
    branches = list(access.branches(g.actor).order_by(access.Branch.name))
    return firms, branches


def _upload_page(error=None, status=200):
    return render("admin/import.html", error=error, labels=roster.field_labels(),
                  headers=roster.TEMPLATE_HEADERS, fields=roster.FIELDS,
                  required=roster.REQUIRED, max_rows=roster.MAX_ROWS, status=status)


def _display_name(filename):
    return os.path.basename((filename or "").replace("\\", "/"))[:100]


@admin_bp.route("/people/import", methods=["GET", "POST"])
@access.roles_required(*ADMIN)
def import_roster():
    """Upload a roster file and see, row by row, what would be imported."""
    if request.method == "GET":
        return _upload_page()
    upload = request.files.get("file")
    filename = _display_name(upload.filename if upload else "")
    firms, branches = _scope()
    county = acting_county()
    try:
        data = roster.read_upload(upload)
        sheet = roster.parse(filename, data)
        result = roster.preview(sheet, firms, branches, county, local_today().year)
        token = None
        if result.valid:
            token = roster.save_pending(current_app.config["UPLOAD_DIR"], g.user, county,
                                        filename, result)
    except DomainError as exc:
        return _upload_page(exc.message, exc.status)
    return render("admin/import_preview.html", result=result, token=token, filename=filename,
                  labels=roster.field_labels(), education_labels=education_labels())


@admin_bp.route("/people/import/confirm", methods=["POST"])
@access.roles_required(*ADMIN)
def import_confirm():
    """Create the people of a previewed roster and show their one-time passwords once."""
    firms, branches = _scope()
    try:
        result = roster.confirm(g.actor.user, acting_county(), firms, branches,
                                current_app.config["UPLOAD_DIR"], request.form.get("token", ""),
                                local_today().year)
    except DomainError as exc:
        return _upload_page(exc.message, exc.status)
    csv_href = None
    if result.created:
        # The passwords exist only in this answer: the download is built into the page
        # rather than stored anywhere for a second request.
        csv_href = "data:text/csv;charset=utf-8;base64," + base64.b64encode(
            roster.codes_csv(result.created)).decode("ascii")
    return render("admin/import_done.html", result=result, csv_href=csv_href,
                  csv_name=f"one-time-passwords-{local_today():%Y%m%d}.csv",
                  login_url=url_for("auth.login", _external=True),
                  labels=roster.field_labels())


@admin_bp.route("/people/import/template.xlsx")
@access.roles_required(*ADMIN)
def import_template():
    """Download an .xlsx template with Chinese headers and the county's firms and branches."""
    firms, branches = _scope()
    return xlsx_response(_("roster-template") + ".xlsx", roster.template_workbook(
        [f.name for f in firms if f.active], [b.name for b in branches if b.active]))
