"""Check-in pages for any subject: a scanned code, confirm, result, typed code, Scan tab, offline sync.

Trainings' codes are /c/<id>/..., party activities' /c/a/<id>/...; both keep their old
URLs (/checkin and /party/checkin) and share every view here. The projector pages stay with
their subject's admin pages (who may open them differs) and call projector() and live().
"""
import datetime
import secrets

from flask import (Blueprint, current_app, flash, g, jsonify, redirect, request, session,
                   url_for)
from flask_babel import gettext as _

from .. import access
from ..db import utcnow
from ..i18n import to_local
from ..pwa import keep_offline
from ..trainings import geo
from ..trainings.services import for_person
from ..trainings.models import Training
from ..web import object_id, redirect_after_post, render
from . import codes, pipeline, tickets
from .outcomes import (EXPIRED, INVALID, OTHER_TRAINING, TOO_MANY_CODES, WRONG_CODE, Outcome,
                       message)

checkin_bp = Blueprint("checkin", __name__)

DEVICE_COOKIE = "gl_device"
RESULT_KEY = "scan_result"
# Each kind's own pages (what is shown of the subject) and the name the template reads it by.
PAGES = {"training": ("trainings/confirm.html", "trainings/result.html", "training"),
         "activity": ("branches/checkin_confirm.html", "branches/checkin_result.html", "activity")}
TRAINING, ACTIVITY = {"kind": "training"}, {"kind": "activity"}


def _show_result(outcome, status=200):
    template = PAGES[outcome.kind or "training"][1]
    return render(template, outcome=outcome, message=message(outcome),
                  clock=to_local(utcnow()).strftime("%H:%M:%S"), status=status)


def _remember_result(outcome):
    session[RESULT_KEY] = outcome.to_dict()
    return redirect_after_post(url_for("checkin.result", kind=outcome.kind or "training"))


def _device_id():
    return (request.cookies.get(DEVICE_COOKIE) or "")[:64]


def _expected_training(subject):
    """The training named by ?for= when it is another one the person may see, else None."""
    expected = request.args.get("for", type=object_id)
    if expected is None or expected == subject.id or g.get("user") is None:
        return None
    return for_person(g.user).where(Training.id == expected).first()


@checkin_bp.route("/c/<int:subject_id>/<purpose>/<int:slice_no>/<mac>", defaults=TRAINING)
@checkin_bp.route("/c/a/<int:subject_id>/<purpose>/<int:slice_no>/<mac>", defaults=ACTIVITY)
def scanned(kind, subject_id, purpose, slice_no, mac):
    """A scanned code: keep the scan time in a signed ticket first, then ask to confirm."""
    code = codes.parse(f"{codes.KINDS[kind]}{subject_id}/{purpose}/{slice_no}/{mac}")
    if code is None:
        return _show_result(Outcome(INVALID, pipeline.ADAPTERS[kind]), 400)
    adapter, subject = pipeline.load_scanned(code)
    if subject is None:
        return _show_result(Outcome(INVALID, adapter), 400)
    if kind == "training":
        mine = _expected_training(subject)
        if mine is not None:
            return _show_result(Outcome(OTHER_TRAINING, adapter, mine, other=subject), 409)
    _state, refused = pipeline.check_fresh(adapter, subject, code)
    if refused:
        return _show_result(refused, 410 if refused.code == EXPIRED else 400)
    tickets.write_ticket(code)
    return redirect(url_for("checkin.confirm", kind=kind), code=303)


@checkin_bp.route("/checkin", methods=["GET"], defaults=TRAINING)
@checkin_bp.route("/party/checkin", methods=["GET"], defaults=ACTIVITY)
def confirm(kind):
    """The confirm page: the subject, one button, and the sign-in form when needed."""
    ticket = tickets.read_ticket()
    if ticket is None:
        flash(_("Your scan has expired. Scan the code on the screen again."), "error")
        return redirect(url_for("checkin.scanner"))
    code, scanned_at = ticket
    adapter = pipeline.adapter_for(code)
    subject = adapter.load(code.subject_id)
    if subject is None:
        return _show_result(Outcome(INVALID, adapter), 400)
    page, _result, name = PAGES[code.kind]
    response = render(page, purpose=pipeline.resolve_purpose(adapter, subject, code, scanned_at),
                      scanned_at=scanned_at, kind=code.kind,
                      minutes_left=tickets.minutes_left(scanned_at, utcnow()),
                      next_url=url_for("checkin.confirm", kind=code.kind), login_value="",
                      **{name: subject})
    if not _device_id():
        response.set_cookie(DEVICE_COOKIE, secrets.token_urlsafe(16), max_age=3 * 365 * 86400,
                            httponly=True, samesite="Lax",
                            secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


@checkin_bp.route("/checkin", methods=["POST"], defaults=TRAINING)
@checkin_bp.route("/party/checkin", methods=["POST"], defaults=ACTIVITY)
@access.login_required
def confirm_post(kind):
    """Confirm the kept scan: check in or out at the time of the scan."""
    ticket = tickets.read_ticket()
    tickets.drop_ticket()
    if ticket is None:
        return _remember_result(Outcome(EXPIRED, pipeline.ADAPTERS[kind]))
    code, scanned_at = ticket
    # The phone's position, only when the person ticked the box (used once, never stored).
    position = None
    if request.form.get("share_location") == "1":
        position = geo.parse_position(request.form.get("lat"), request.form.get("lng"),
                                      request.form.get("accuracy"))
    outcome = pipeline.scan(g.user, code, scanned_at, device=_device_id(), position=position,
                            geofence=current_app.config["TRAINING_GEOFENCE_METRES"])
    return _remember_result(outcome)


@checkin_bp.route("/checkin/result", defaults=TRAINING)
@checkin_bp.route("/party/checkin/result", defaults=ACTIVITY)
@access.login_required
def result(kind):
    """The outcome of the last scan, with a live clock."""
    data = session.get(RESULT_KEY)
    if not isinstance(data, dict):
        return redirect(url_for("checkin.scanner"))
    return _show_result(pipeline.outcome_from_dict(data))


@checkin_bp.route("/checkin/code", methods=["GET", "POST"])
@access.login_required
def typed():
    """Check in or out with the 6-digit code shown under the QR (a training's or an activity's)."""
    error, status = None, 400
    if request.method == "POST":
        value = "".join(ch for ch in request.form.get("code", "") if "0" <= ch <= "9")
        if len(value) != 6:
            error = _("Type the 6 digits shown under the code on the screen.")
        else:
            outcome = pipeline.scan_typed(g.user, value, utcnow(), _device_id())
            if outcome.code not in (WRONG_CODE, TOO_MANY_CODES):
                return _remember_result(outcome)
            error = message(outcome)  # typed again on the same form
            status = 429 if outcome.code == TOO_MANY_CODES else 400
    return render("trainings/typed.html", error=error,
                  status=status if error else 200)


@checkin_bp.route("/scan")
@access.login_required
@keep_offline  # the service worker may keep a plain visit for offline scanning (sw.js)
def scanner():
    """The Scan tab: the camera, the typed-code form, and scans waiting to be sent."""
    expected = request.args.get("for", "")
    return render("trainings/scanner.html",
                  expected=expected if expected.isascii() and expected.isdigit() else "",
                  error=None)


def _scan_time(value):
    try:
        return datetime.datetime.fromtimestamp(float(value) / 1000,
                                               datetime.UTC).replace(tzinfo=None)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


@checkin_bp.route("/checkin/sync", methods=["POST"])
@access.login_required
def sync():
    """Receive a scan the Scan tab kept while offline (JSON); answer with the outcome."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # thousands of nested brackets: not a scan either
        data = None
    data = data if isinstance(data, dict) else {}  # a JSON list or string is not a scan
    code = codes.parse(str(data.get("url", "")))
    scanned_at = _scan_time(data.get("scanned_at"))
    key = str(data.get("key") or "")
    if code is None or scanned_at is None or not (8 <= len(key) <= 64):
        return jsonify({"ok": False, "code": "invalid",
                        "message": _("This scan could not be read. Scan the code again.")}), 400
    outcome = pipeline.sync_offline(g.user, code, scanned_at, key, device=_device_id())
    body = outcome.to_dict()
    body["message"] = message(outcome)
    body["title"] = outcome.title
    return jsonify(body), 200 if outcome.ok else 422


# ------------------------------------------------------------------ for the projector pages

def projector(adapter, subject, purpose, template, **context):
    """Render a subject's projector page (its admin view has loaded and checked the subject)."""
    state = pipeline.projector_state(adapter, subject, purpose, request.url_root)
    return render(template, subject=subject, **state, **context)


def live(adapter, subject):
    """Answer the projector's poll: a tiny JSON, never cached."""
    response = jsonify(pipeline.live(adapter, subject))
    response.headers["Cache-Control"] = "no-store"
    return response
