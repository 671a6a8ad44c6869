"""Ratings by the people served: the practitioner's code page and desk card, the public rating
page (no sign-in), the practitioner's and the director's summaries."""
import datetime

from babel.dates import format_skeleton
from flask import Blueprint, g, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from .. import access
from ..accounts.services import RateLimited
from ..errors import DomainError
from ..i18n import local_today
from ..inputs import parse_year
from ..ledger.kinds import KIND_LABELS
from ..ledger.models import Entry
from ..trainings.views import qr_svg
from ..web import FormData, client_address, render
from . import ratings
from .rating_models import SCORES, USEFUL

bp = Blueprint("ratings", __name__)

TEMPLATES = "quality/ratings/"


@bp.app_template_global("rating_askable")
def rating_askable(entry):
    """Say whether the signed-in person may ask for a rating of this entry (the entry page)."""
    return ratings.askable(g.get("user"), entry)


def _absolute(endpoint, **values):
    return url_for(endpoint, _external=True, **values)


def month_text(day):
    """A month in the reader's words: 2026年6月, Jun 2026."""
    return format_skeleton("yMMM", day, locale=get_locale())


def _labels():
    return {"score_labels": ratings.SCORE_LABELS, "useful_labels": ratings.USEFUL_LABELS,
            "scores": SCORES, "useful_choices": USEFUL, "month_text": month_text}


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


# ------------------------------------------------------------------ the practitioner asks

@bp.route("/ratings/entries/<int:entry_id>/ask")
@access.roles_required("practitioner")
def ask(entry_id):
    """请对方评价: a fresh single-use code for the entry, as a QR code and a short link."""
    entry = access.get_or_404(access.entries(g.actor, Entry).where(Entry.user == g.user.id),
                              Entry, entry_id)
    try:
        code = ratings.code_for_entry(g.user, entry)
    except DomainError as exc:
        return render("error.html", code=exc.status, message=exc.message, status=exc.status)
    url = _absolute("ratings.rate", code=code)
    return _no_store(render(TEMPLATES + "ask.html", entry=entry, url=url, svg=qr_svg(url),
                            expires=ratings.expires_at(), kind_labels=KIND_LABELS))


@bp.route("/ratings/card")
@access.roles_required("practitioner")
def card():
    """A printable desk card: its QR code makes a fresh code at each scan."""
    try:
        token = ratings.card_token(g.user)
    except DomainError as exc:
        return render("error.html", code=exc.status, message=exc.message, status=exc.status)
    url = _absolute("ratings.card_scan", token=token)
    return render(TEMPLATES + "card.html", person=g.user, url=url, svg=qr_svg(url))


# ------------------------------------------------------------------ the person served rates

def _refused(exc):
    """The page for a code or card that cannot be used (forged, expired, used, limits)."""
    return _no_store(render(TEMPLATES + "refused.html", message=exc.message,
                            reason=getattr(exc, "reason", "limit"), status=exc.status))


@bp.route("/r/k/<token>")
def card_scan(token):
    """A scan of a desk card: a fresh code, then its rating page."""
    try:
        code = ratings.code_from_card(token, client_address())
    except (ratings.CodeRefused, RateLimited) as exc:
        return _refused(exc)
    return _no_store(redirect(url_for("ratings.rate", code=code), code=303))


def _rate_page(ticket, code, data=None, error=None, field=None, status=200):
    return _no_store(render(TEMPLATES + "rate.html", ticket=ticket, code=code,
                            data=data or {}, error=error, field=field, status=status,
                            comment_max=ratings.COMMENT_MAX, **_labels()))


def _own_service(ticket):
    user = g.get("user")
    return user is not None and user.id == ticket.practitioner.id


@bp.route("/r/<code>", methods=["GET", "POST"])
def rate(code):
    """The public rating page (no sign-in): a face 1-5, was it useful, a comment."""
    try:
        ticket = ratings.read_code(code)
    except ratings.CodeRefused as exc:
        return _refused(exc)
    if _own_service(ticket):
        return _no_store(render(TEMPLATES + "refused.html", reason="own", status=403, message=_(
            "This is your own code: give the phone to the person you served, or let them "
            "scan the code with their phone.")))
    if request.method == "GET":
        return _rate_page(ticket, code)
    data = FormData(request.form)
    try:
        ratings.rate(code, data, client_address())
    except (ratings.CodeRefused, RateLimited) as exc:
        return _refused(exc)
    except DomainError as exc:
        return _rate_page(ticket, code, data, exc.message, exc.field, exc.status)
    return redirect(url_for("ratings.thanks"), code=303)


@bp.route("/ratings/thanks")
def thanks():
    """Thank the person who rated."""
    return _no_store(render(TEMPLATES + "thanks.html"))


# ------------------------------------------------------------------ summaries

def _year_range():
    today = local_today()
    year = parse_year(request.args.get("year"), today.year)
    start = datetime.date(year, 1, 1)
    end = min(datetime.date(year, 12, 31), today) if year == today.year \
        else datetime.date(year, 12, 31)
    return year, start, end


@bp.route("/ratings/mine")
@access.roles_required("practitioner")
def mine():
    """My ratings this year: average, distribution, adoption rate, comments (no names)."""
    year, start, end = _year_range()
    return render(TEMPLATES + "mine.html", year=year, this_year=local_today().year,
                  result=ratings.summary(g.actor, start, end), **_labels())


@bp.route("/ratings/firm")
@access.roles_required("director")
def firm():
    """The firm's ratings this year: per person, and the low ones with their comments."""
    year, start, end = _year_range()
    return render(TEMPLATES + "firm.html", year=year, this_year=local_today().year,
                  result=ratings.summary(g.actor, start, end, comments=0),
                  people=ratings.firm_people(g.actor, start, end),
                  low=ratings.low_ratings(g.actor, start, end), **_labels())
