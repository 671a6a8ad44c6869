"""Recommending typical cases (推荐) and the city's choice of the year's ten best (十佳)."""
from flask import Blueprint, flash, g, request, url_for
from flask_babel import gettext as _

from .. import access
from ..errors import DomainError
from ..i18n import local_today
from ..inputs import parse_year
from ..web import redirect_after_post, render
from . import selection, services
from .models import FirmReport

selection_bp = Blueprint("selection", __name__, url_prefix="/selection")

VIEWERS = ("county_admin", "city_admin")


@selection_bp.app_template_global()
def case_selection(report_or_reports):
    """For one report, its CaseView (state and the actor's actions); for a list, {id: state}."""
    if isinstance(report_or_reports, FirmReport):
        return selection.case_view(g.get("actor"), report_or_reports)
    return selection.selection_state(report_or_reports)


def _visible(report_id):
    return access.get_or_404(access.firm_reports(g.actor, FirmReport), FirmReport, report_id)


def _labels():
    return {"kind_labels": services.KIND_LABELS, "part_labels": services.part_labels(),
            "case_parts": services.CASE_PARTS}


def _board(year, status=200, row_error=None):
    today = local_today()
    rows = selection.recommended(g.actor, year)
    return render("selection/index.html", "selection/_board.html", status=status, year=year,
                  today=today, groups=selection.by_county(rows), rows=rows,
                  chosen=selection.city_chosen(g.actor, year), ten=selection.TEN,
                  candidates=selection.recommendable(g.actor, year),
                  years=selection.selection_years(g.actor, today.year),
                  names=services.credited_names([c.report for c in rows]),
                  row_error=row_error, **_labels())


def _year_of(report):
    return report.month.year


@selection_bp.route("/")
@access.roles_required(*VIEWERS)
def index():
    """The year's recommended cases: the city chooses ten; a county sees its own and recommends."""
    year = parse_year(request.args.get("year"), local_today().year)
    return _board(year)


def _after(report, back):
    if back == "report" and g.actor.role == "county_admin":
        return url_for("reports.report", report_id=report.id)
    return url_for("selection.index", year=_year_of(report)) + f"#c-{report.id}"


def _act(report_id, action, done):
    row = _visible(report_id)
    try:
        action(g.actor, row)
    except DomainError as exc:
        if request.form.get("back") == "report":
            return render("error.html", status=exc.status, code=exc.status, message=exc.message)
        return _board(_year_of(row), exc.status, (row.id, exc.message))
    flash(done, "success")
    return redirect_after_post(_after(row, request.form.get("back")))


@selection_bp.route("/<int:report_id>/recommend", methods=["POST"])
@access.roles_required("county_admin")
def recommend(report_id):
    """Recommend an accepted typical case for the city's ten best."""
    return _act(report_id, selection.recommend,
                _("Recommended to the city for the ten best cases."))


@selection_bp.route("/<int:report_id>/withdraw", methods=["POST"])
@access.roles_required("county_admin")
def withdraw(report_id):
    """Withdraw the recommendation (until the city chose the case)."""
    return _act(report_id, selection.withdraw, _("The recommendation is withdrawn."))


@selection_bp.route("/<int:report_id>/choose", methods=["POST"])
@access.roles_required("city_admin")
def choose(report_id):
    """Choose a recommended case among the year's ten best."""
    return _act(report_id, selection.choose, _("Chosen among the ten best cases."))


@selection_bp.route("/<int:report_id>/unchoose", methods=["POST"])
@access.roles_required("city_admin")
def unchoose(report_id):
    """Take a case out of the year's ten best."""
    return _act(report_id, selection.unchoose, _("Taken out of the ten best cases."))
