"""The county's villages and communities and their legal advisers: the list, one village, the
import from a file, and the quarter's coverage (with its export)."""
import datetime
import os

from flask import Blueprint, abort, current_app, flash, g, request, url_for
from flask_babel import gettext as _

from .. import access
from ..errors import DomainError
from ..i18n import local_today
from ..web import redirect_after_post, render, xlsx_response
from . import villages

bp = Blueprint("villages", __name__)

MANAGERS = ("county_admin",)
VIEWERS = ("county_admin", "city_admin")


@bp.app_template_global()
def village_choices(current_id=None):
    """The villages the signed-in practitioner may attach adviser duty to, and the one to offer
    first: (villages, default id). The ledger's public-service form shows them."""
    return villages.choices_for(g.get("user"), current_id)


@bp.app_template_global()
def village_coverage_card(county):
    """This quarter's adviser coverage of a county the actor may see (None otherwise): the
    county home's card."""
    actor = g.get("actor")
    if actor is None or county is None or county.id not in actor.county_ids():
        return None
    start, end = villages.quarter_of(local_today())
    figures = villages.coverage([county.id], start, end)
    figures["start"], figures["end"] = start, end
    return figures


def _county():
    county = villages.acting_county(g.actor)
    if county is None:
        abort(404)
    return county


def _flag(name):
    return request.args.get(name) in ("1", "yes", "on")


# ------------------------------------------------------------------ the list and one village

@bp.route("/villages/")
@access.roles_required(*MANAGERS)
def index():
    """The county's villages and communities with their advisers (filter: without one)."""
    without = _flag("without_adviser")
    names = villages.townships(g.actor)
    township = request.args.get("township", "")
    township = township if township in names else ""
    rows = villages.village_list(g.actor, without_adviser=without, township=township)
    return render("quality/villages/index.html", "quality/villages/_list.html", rows=rows,
                  without_adviser=without, township=township, townships=names,
                  limit=villages.LIST_LIMIT, kind_labels=villages.KIND_LABELS)


def _form_page(village, data, error=None, field=None, status=200):
    county = _county()
    return render("quality/villages/form.html", village=village, data=data, error=error,
                  field=field, status=status, kind_labels=villages.KIND_LABELS,
                  advisers=villages.advisers(county.id) if village else [])


@bp.route("/villages/new", methods=["GET", "POST"])
@bp.route("/villages/<int:village_id>", methods=["GET", "POST"])
@access.roles_required(*MANAGERS)
def form(village_id=None):
    """Add a village or community, or change one's township, name or type."""
    county = _county()
    village = villages.get_managed(g.actor, village_id) if village_id else None
    if request.method == "GET":
        data = ({"township": village.township, "name": village.name, "kind": village.kind}
                if village else {"kind": "village", "township": request.args.get("township", "")})
        return _form_page(village, data)
    try:
        saved = villages.save_village(g.user, county, villages.clean_village(request.form),
                                      village)
    except DomainError as exc:
        return _form_page(village, request.form, exc.message, exc.field, exc.status)
    flash(_("Saved."), "success")
    if village is None:
        return redirect_after_post(url_for(".form", village_id=saved.id))
    return redirect_after_post(url_for(".index", _anchor=f"village-{saved.id}"))


@bp.route("/villages/<int:village_id>/adviser", methods=["POST"])
@access.roles_required(*MANAGERS)
def adviser(village_id):
    """Name, change or remove a village's legal adviser."""
    county = _county()
    village = villages.get_managed(g.actor, village_id)
    try:
        person = villages.clean_adviser(request.form.get("adviser"), county.id)
    except DomainError as exc:
        data = {"township": village.township, "name": village.name, "kind": village.kind}
        return _form_page(village, data, exc.message, exc.field, exc.status)
    villages.set_adviser(g.user, village, person)
    flash(_("The adviser of %(name)s is now %(adviser)s.", name=village.name,
            adviser=person.name) if person else
          _("%(name)s has no adviser now.", name=village.name), "success")
    return redirect_after_post(url_for(".index", _anchor=f"village-{village.id}"))


@bp.route("/villages/<int:village_id>/active", methods=["POST"])
@access.roles_required(*MANAGERS)
def active(village_id):
    """Deactivate a village (it leaves the coverage) or reactivate it."""
    village = villages.get_managed(g.actor, village_id)
    on = request.form.get("active") == "1"
    villages.set_active(g.user, village, on)
    flash(_("The village is active again.") if on else _("The village is deactivated."),
          "success")
    return redirect_after_post(url_for(".form", village_id=village.id))


# ------------------------------------------------------------------ importing a list

def _upload_page(error=None, status=200):
    return render("quality/villages/import.html", error=error, status=status,
                  labels=villages.field_labels(), headers=villages.TEMPLATE_HEADERS,
                  fields=villages.FIELDS, max_rows=villages.MAX_ROWS)


def _display_name(filename):
    return os.path.basename((filename or "").replace("\\", "/"))[:100]


@bp.route("/villages/import", methods=["GET", "POST"])
@access.roles_required(*MANAGERS)
def import_list():
    """Upload a list of villages and see, row by row, what would be imported."""
    county = _county()
    if request.method == "GET":
        return _upload_page()
    upload = request.files.get("file")
    filename = _display_name(upload.filename if upload else "")
    try:
        data = villages.read_upload(upload)
        result = villages.preview(villages.parse(filename, data), county)
        token = None
        if result.valid:
            token = villages.keep_preview(current_app.config["UPLOAD_DIR"], g.user, county,
                                          filename, result)
    except DomainError as exc:
        return _upload_page(exc.message, exc.status)
    return render("quality/villages/import_preview.html", result=result, token=token,
                  filename=filename, labels=villages.field_labels(),
                  kind_labels=villages.KIND_LABELS)


@bp.route("/villages/import/confirm", methods=["POST"])
@access.roles_required(*MANAGERS)
def import_confirm():
    """Add the villages of a previewed list."""
    county = _county()
    try:
        created, refused = villages.confirm(g.user, county, current_app.config["UPLOAD_DIR"],
                                            request.form.get("token", ""))
    except DomainError as exc:
        return _upload_page(exc.message, exc.status)
    return render("quality/villages/import_done.html", created=created, refused=refused,
                  labels=villages.field_labels(), kind_labels=villages.KIND_LABELS)


@bp.route("/villages/import/template.xlsx")
@access.roles_required(*MANAGERS)
def import_template():
    """Download the .xlsx template, with the county's practitioners to name as advisers."""
    county = _county()
    return xlsx_response(_("villages-template") + ".xlsx", villages.template_workbook(county.id))


# ------------------------------------------------------------------ coverage

def _coverage_scope():
    """The counties shown (a city's administrator may pick one) and the quarter."""
    counties = list(access.counties(g.actor))
    chosen = request.args.get("county", type=access.object_id)
    shown = [c for c in counties if c.id == chosen] or counties
    start, end = villages.parse_quarter(request.args.get("quarter"), local_today())
    return counties, shown, start, end


@bp.route("/villages/coverage")
@access.roles_required(*VIEWERS)
def coverage():
    """Adviser coverage for a quarter: villages with an adviser, with duty hours, the rest."""
    counties, shown, start, end = _coverage_scope()
    rows = villages.coverage_rows([c.id for c in shown], start, end)
    this_quarter = villages.quarter_of(local_today())[0]
    previous = villages.quarter_of(start.replace(day=1) - datetime.timedelta(days=1))[0]
    following = villages.quarter_of(end + datetime.timedelta(days=1))[0]
    return render("quality/villages/coverage.html", figures=villages.coverage_figures(rows),
                  rows=rows, start=start, end=end, counties=counties, shown=shown,
                  county_id=shown[0].id if len(shown) == 1 and len(counties) > 1 else None,
                  county_names={c.id: c.name for c in counties},
                  quarter=villages.quarter_label(start),
                  previous=villages.quarter_label(previous),
                  following=villages.quarter_label(following) if start < this_quarter else None,
                  percent=villages.percent, kind_labels=villages.KIND_LABELS,
                  can_manage=g.actor.role in MANAGERS)


@bp.route("/villages/coverage.xlsx")
@access.roles_required(*VIEWERS)
def coverage_export():
    """The coverage for a quarter as .xlsx, as on screen."""
    counties, shown, start, end = _coverage_scope()
    rows = villages.coverage_rows([c.id for c in shown], start, end)
    names = {c.id: c.name for c in shown}
    return xlsx_response(f"village-advisers-{villages.quarter_label(start)}.xlsx",
                         villages.coverage_sheets(names, rows, start, end))
