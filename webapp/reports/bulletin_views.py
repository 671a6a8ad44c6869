"""The county's monthly bulletin (月通报): preview, remarks, issue, print, export; firms read theirs."""
import datetime

from flask import Blueprint, abort, flash, g, request, url_for
from flask_babel import gettext as _

from .. import access
from ..errors import Conflict, DomainError
from ..i18n import local_today, to_local
from ..quality import figures as quality
from ..targets import services as target_services
from ..web import Sheet, redirect_after_post, render, xlsx_response
from . import bulletin, services

bulletins_bp = Blueprint("bulletins", __name__, url_prefix="/bulletins")

READERS = ("county_admin", "director")


def _county():
    county = bulletin.county_of(g.actor)
    if county is None:
        abort(404)
    return county


def _month(text, today):
    """The month named in the address, or a 400 page that says what is wrong with it."""
    month = services.parse_month(text, today)
    return bulletin.check_month(month, today)


def _labels():
    return {"metric_labels": target_services.METRIC_LABELS,
            "status_labels": target_services.STATUS_LABELS,
            "state_labels": bulletin.STATE_LABELS, "metrics": bulletin.METRICS}


def _contents(county, month, today):
    """(figures, issued bulletin or None) of the month for the actor: the snapshot once issued,
    else the live preview for the county's administrator; 404 for a director."""
    issued = bulletin.readable(g.actor, county, month)
    if issued is not None:
        return bulletin.figures_of(issued), issued
    if not bulletin.can_issue(g.actor, county):
        abort(404)
    return bulletin.build(county, month, today), None


def _quality_lines(figures):
    """The quality section's lines, or None for a bulletin issued before it existed."""
    section = figures.get("quality")
    return quality.bulletin_lines(section) if section else None


def _page(county, month, today, status=200, error=None, remarks=""):
    figures, issued = _contents(county, month, today)
    return render("bulletins/page.html", status=status, county=county, month=month,
                  figures=figures, issued=issued, error=error, remarks=remarks,
                  quality_lines=_quality_lines(figures),
                  issuer=bulletin.issuer_name(issued) if issued else "",
                  as_of=datetime.date.fromisoformat(figures["as_of"]),
                  can_issue=issued is None and bulletin.can_issue(g.actor, county),
                  max_remarks=bulletin.MAX_REMARKS, **_labels())


@bulletins_bp.route("/")
@access.roles_required(*READERS)
def index():
    """The county's months with their bulletins (the administrator), or the issued ones (a
    director), newest first."""
    county = _county()
    today = local_today()
    if g.actor.role == "county_admin":
        return render("bulletins/index.html", county=county, today=today,
                      months=bulletin.months(g.actor, county, today), issued_list=None)
    return render("bulletins/index.html", county=county, today=today, months=None,
                  issued_list=bulletin.issued_list(g.actor, today))


@bulletins_bp.route("/<bulletin_month>")
@access.roles_required(*READERS)
def page(bulletin_month):
    """One month's bulletin: the issued snapshot, or the live preview with the issue form."""
    county = _county()
    today = local_today()
    month = _month(bulletin_month, today)  # a bad month: the app's DomainError page (400)
    return _page(county, month, today)


@bulletins_bp.route("/<bulletin_month>.xlsx")
@access.roles_required(*READERS)
def export(bulletin_month):
    """The same figures as the page, one sheet per section (the snapshot once issued)."""
    county = _county()
    today = local_today()
    month = _month(bulletin_month, today)  # a bad month: the app's DomainError page (400)
    figures, issued = _contents(county, month, today)
    return xlsx_response(f"bulletin-{month:%Y-%m}.xlsx",
                         _sheets(county, month, figures, issued))


@bulletins_bp.route("/<bulletin_month>/issue", methods=["POST"])
@access.roles_required("county_admin")
def issue(bulletin_month):
    """Issue the month's bulletin with the bureau's remarks: its figures are kept as they are."""
    county = _county()
    today = local_today()
    month = _month(bulletin_month, today)  # a bad month: the app's DomainError page (400)
    remarks = request.form.get("remarks", "")
    try:
        bulletin.issue(g.actor, county, month, remarks, today)
    except Conflict as exc:
        return _page(county, month, today, status=exc.status, error=exc.message)
    except DomainError as exc:
        return _page(county, month, today, status=exc.status, error=exc.message,
                     remarks=remarks)
    flash(_("The bulletin for %(month)s is issued. Its figures stay as they are now.",
            month=month.strftime("%Y-%m")), "success")
    return redirect_after_post(url_for("bulletins.page", bulletin_month=month.strftime("%Y-%m")))


# ------------------------------------------------------------------ the workbook

def _state(row):
    return bulletin.STATE_LABELS.get(row["state"], row["state"])


def _sheets(county, month, figures, issued):
    """The bulletin's sections as Sheets, in the order of the page."""
    title = _("%(county)s monthly bulletin, %(month)s", county=county.name,
              month=month.strftime("%Y-%m"))
    if issued is not None:
        status = _("Issued %(when)s by %(name)s", when=to_local(issued.issued_at).strftime("%Y-%m-%d %H:%M"),
                   name=bulletin.issuer_name(issued))
    else:
        status = _("Preview: not issued yet")
    above = [[_("Figures as of"), datetime.date.fromisoformat(figures["as_of"])], [status]]
    if issued is not None and issued.remarks:
        above.append([_("The bureau's remarks"), issued.remarks])
    firms = Sheet(
        title=_("Firm reports"), heading=title, above=above,
        header=[_("Firm"), _("Information reports accepted"), _("Information reports required"),
                _("Typical cases accepted"), _("Typical cases required"),
                _("Waiting for the county"), _("Status")],
        rows=[[r["name"], r["info"], r["info_target"], r["case"], r["case_target"],
               r["info_pending"] + r["case_pending"], _state(r)] for r in figures["firms"]],
        widths=(34, 14, 14, 14, 14, 14, 12))
    county_rows = [[target_services.METRIC_LABELS[m], figures["figures"][m]["month"],
                    figures["figures"][m]["year"], figures["figures"][m]["pace"]]
                   for m in bulletin.METRICS]
    trainings = figures.get("trainings")
    if trainings is not None:
        county_rows.append([_("Trainings held"), trainings["month"], trainings["year"],
                            trainings["target"]])
    county_sheet = Sheet(
        title=_("County figures"), heading=title,
        header=[_("Figure"), _("This month"), _("Year so far"), _("Pace or target")],
        rows=county_rows, widths=(30, 14, 14, 16))
    behind_firms = Sheet(
        title=_("Firms behind"), heading=title,
        header=[_("Firm"), _("Information reports accepted"), _("Information reports required"),
                _("Typical cases accepted"), _("Typical cases required")],
        rows=[[r["name"], r["info"], r["info_target"], r["case"], r["case_target"]]
              for r in figures["behind_firms"]], widths=(34, 14, 14, 14, 14))
    people = Sheet(
        title=_("People behind"), heading=title,
        header=[_("Name"), _("Target"), _("Short by"), _("Status"), _("Done"),
                _("Expected by now"), _("Firm")],
        rows=[[p["name"], target_services.METRIC_LABELS.get(p["metric"], p["metric"]),
               p["shortfall"], target_services.STATUS_LABELS.get(p["status"], p["status"]),
               p["done"], p["expected"], p["firm"]]
              for p in figures["behind_people"]], widths=(14, 18, 10, 12, 10, 12, 30))
    branches = Sheet(
        title=_("No theme party day"), heading=title, header=[_("Party branch")],
        rows=[[b["name"]] for b in figures["no_theme_day"]], widths=(40,))
    sheets = [firms, county_sheet, behind_firms, people, branches]
    section = figures.get("quality")
    if section:
        rows = [list(line) for line in quality.bulletin_lines(section)]
        rows += [[], [_("Firms with an upheld complaint this year"), "", ""]]
        rows += ([[f["name"], "", f["upheld"]] for f in section["upheld_firms"]]
                 or [[_("None: every firm has zero complaints"), "", ""]])
        sheets.append(Sheet(title=_("Service quality"), heading=title,
                            header=[_("Figure"), _("This month"), _("Year so far")],
                            rows=rows, widths=(44, 14, 14)))
    return sheets
