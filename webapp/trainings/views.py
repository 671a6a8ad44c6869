"""Trainings: admin pages, the projector, scanning and confirming, the attendance sheet."""
import datetime
import io
import secrets

from flask import (Blueprint, abort, current_app, flash, g, jsonify, make_response, redirect,
                   request, session, url_for)
from flask_babel import format_decimal, get_locale, gettext as _
from peewee import JOIN

from .. import access
from ..accounts.models import Firm, User
from ..db import utcnow
from ..errors import DomainError
from ..web import FormData
from ..web import redirect_after_post, render
from ..i18n import local_today, to_local, to_utc
from ..pwa import keep_offline
from . import qr
from . import services, tickets
from .models import Attendance, Training

trainings_bp = Blueprint("trainings", __name__)

ADMINS = ("county_admin", "city_admin")
DEVICE_COOKIE = "gl_device"


def _load(training_id):
    return access.get_or_404(services.managed(g.actor), Training, training_id)


def _code_url(code):
    return request.url_root.rstrip("/") + qr.path_of(code)


# ------------------------------------------------------------------ admin: list, create, edit

@trainings_bp.route("/trainings")
@access.roles_required(*ADMINS)
def index():
    """The region's trainings: upcoming first, then past."""
    now = utcnow()
    rows = list(services.managed(g.actor).order_by(Training.start_at.desc()))
    upcoming = sorted([t for t in rows if t.end_at >= now - datetime.timedelta(hours=2)],
                      key=lambda t: t.start_at)
    past = [t for t in rows if t.end_at < now - datetime.timedelta(hours=2)]
    return render("trainings/index.html", upcoming=upcoming, past=past)


def _form_choices(training=None):
    firms = services.firm_choices(g.actor)
    people = list(access.people(g.actor).where(User.active == True, User.firm.is_null(False))  # noqa: E712
                  .order_by(User.firm, User.name))
    services.ensure_categories()
    return services.form_categories(g.actor, training), firms, people


def _form_data(training):
    if training is None:
        tomorrow = local_today() + datetime.timedelta(days=1)
        return {"date": tomorrow.isoformat(), "start": "09:00", "end": "12:00",
                "credit_hours": "3", "audience": "region", "checkin_opens_before": 30,
                "checkin_closes_after": 30, "late_after": 10, "checkout_opens_before": 15,
                "checkout_closes_after": 60, "rotation_seconds": 10}
    start, end = to_local(training.start_at), to_local(training.end_at)
    data = {k: getattr(training, k) for k in (
        "title", "place", "audience", "checkout_required", "checkin_opens_before",
        "checkin_closes_after", "late_after", "checkout_opens_before", "checkout_closes_after",
        "rotation_seconds")}
    data.update({"category_id": training.category_id, "date": start.date().isoformat(),
                 "latitude": "" if training.latitude is None else f"{training.latitude:.6f}",
                 "longitude": "" if training.longitude is None else f"{training.longitude:.6f}",
                 "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M"),
                 "credit_hours": f"{training.credit_hours.normalize():f}",
                 "firm_ids": [str(f.firm_id) for f in training.audience_firms],
                 "person_ids": [str(p.user_id) for p in training.audience_people]})
    return data


@trainings_bp.route("/trainings/new", methods=["GET", "POST"])
@trainings_bp.route("/trainings/<int:training_id>/edit", methods=["GET", "POST"])
@access.roles_required(*ADMINS)
def form(training_id=None):
    """Create or edit a training."""
    training = _load(training_id) if training_id else None
    if training is not None and training.status == "cancelled":
        raise DomainError(_("This training was cancelled and cannot be changed."))
    categories, firms, people = _form_choices(training)
    error = field = None
    data = _form_data(training)
    if request.method == "POST":
        data = FormData(request.form)
        try:
            clean = services.clean_training(request.form, categories, firms, people, to_utc)
            saved = services.save_training(g.actor.user, services.organiser_region(g.actor)
                                           if training is None else training.organiser,
                                           clean, training)
        except DomainError as exc:
            error, field = exc.message, exc.field
        else:
            flash(_("The training is saved."), "success")
            return redirect_after_post(url_for("trainings.detail", training_id=saved.id))
    chosen_firms = set(map(str, data.getlist("firm_ids") if hasattr(data, "getlist")
                           else data.get("firm_ids", [])))
    chosen_people = set(map(str, data.getlist("person_ids") if hasattr(data, "getlist")
                            else data.get("person_ids", [])))
    return render("trainings/form.html", training=training, data=data, error=error, field=field,
                  categories=categories, firms=firms, people=people, chosen_firms=chosen_firms,
                  chosen_people=chosen_people, status=400 if error else 200)


@trainings_bp.route("/trainings/<int:training_id>")
@access.roles_required(*ADMINS)
def detail(training_id):
    """One training: facts, windows, and the ways to run it."""
    training = _load(training_id)
    return render("trainings/detail.html", training=training,
                  counts=services.counts(training),
                  geofence=current_app.config["TRAINING_GEOFENCE_METRES"],
                  checkin=services.checkin_window(training),
                  checkout=services.checkout_window(training))


@trainings_bp.route("/trainings/<int:training_id>/cancel", methods=["POST"])
@access.roles_required(*ADMINS)
def cancel(training_id):
    """Cancel a training."""
    training = _load(training_id)
    services.cancel_training(g.actor.user, training)
    flash(_("The training is cancelled."), "success")
    return redirect_after_post(url_for("trainings.detail", training_id=training.id))


# ------------------------------------------------------------------ projector and poster

@trainings_bp.route("/trainings/<int:training_id>/projector")
@access.roles_required(*ADMINS)
def projector(training_id):
    """Full-screen rotating QR; the page computes each code itself from the training's secret."""
    training = _load(training_id)
    purpose = "out" if request.args.get("purpose") == "out" else "in"
    code = qr.current_code(training, purpose)
    window = services.window_of(training, purpose)
    return render("trainings/projector.html", training=training, purpose=purpose,
                  first_url=_code_url(code), window=window, counts=services.counts(training),
                  base_url=request.url_root.rstrip("/"),
                  typed=qr.typed_code(training.secret, purpose,
                                      qr.slice_of(qr.now_seconds(), qr.TYPED_SLICE_SECONDS)),
                  server_ms=int(qr.now_seconds() * 1000))


@trainings_bp.route("/trainings/<int:training_id>/live")
@access.roles_required(*ADMINS)
def live(training_id):
    """A tiny JSON for the projector: counts, the last few names, the server's clock."""
    training = _load(training_id)
    counts = services.counts(training)
    last = (Attendance.select(User.name).join(User)
            .where(Attendance.training == training.id, Attendance.checked_in_at.is_null(False))
            .order_by(Attendance.updated_at.desc()).limit(5).tuples())
    response = jsonify({"in": counts["in"], "out": counts["out"], "expected": counts["expected"],
                        "names": [n for (n,) in last], "now": int(qr.now_seconds() * 1000)})
    response.headers["Cache-Control"] = "no-store"
    return response


def qr_svg(text):
    """Return an SVG QR code (inline markup, no styles) for the text."""
    import qrcode
    import qrcode.image.svg
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2,
                        error_correction=qrcode.constants.ERROR_CORRECT_M)
    svg = image.to_string(encoding="unicode")
    head, rest = svg.split(">", 1)
    head = head.replace('width="', 'data-w="').replace('height="', 'data-h="')
    return head + ' class="qr-svg" role="img">' + rest


@trainings_bp.route("/trainings/<int:training_id>/poster")
@access.roles_required(*ADMINS)
def poster(training_id):
    """A printable static QR for venues without a screen (valid only inside the windows)."""
    training = _load(training_id)
    url = _code_url(qr.static_code(training))
    return render("trainings/poster.html", training=training, svg=qr_svg(url), url=url,
                  checkin=services.checkin_window(training),
                  checkout=services.checkout_window(training))


# ------------------------------------------------------------------ scanning

def _ticket():
    return tickets.read_ticket("scan")


def _show_result(outcome, status=200):
    return render("trainings/result.html", outcome=outcome, message=services.message(outcome),
                  clock=to_local(utcnow()).strftime("%H:%M:%S"), status=status)


def _remember_result(outcome):
    session["scan_result"] = outcome.to_dict()
    return redirect_after_post(url_for("trainings.result"))


@trainings_bp.route("/c/<int:training_id>/<purpose>/<int:slice_no>/<mac>")
def scanned(training_id, purpose, slice_no, mac):
    """A scanned code: keep the scan time in a signed ticket first, then ask to confirm."""
    code = qr.parse(f"/c/{training_id}/{purpose}/{slice_no}/{mac}")
    training = Training.get_or_none(Training.id == training_id) if code else None
    if training is None or not qr.authentic(training.secret, code):
        return _show_result(services.Outcome(services.INVALID), 400)
    expected = request.args.get("for", type=access.object_id)
    if expected is not None and expected != training.id and g.get("user") is not None:
        # Only a training the person may see is named back to them.
        mine = services.for_person(g.user).where(Training.id == expected).first()
        if mine is not None:
            return _show_result(services.Outcome(services.OTHER_TRAINING, mine, other=training), 409)
    state = qr.check(training, code)
    if state == qr.EXPIRED:
        return _show_result(services.Outcome(services.EXPIRED, training), 410)
    if state not in (qr.FRESH, qr.STALE):
        return _show_result(services.Outcome(services.INVALID, training), 400)
    tickets.write_ticket("scan", training.id, code)
    return redirect(url_for("trainings.confirm"), code=303)


def _device_id():
    return (request.cookies.get(DEVICE_COOKIE) or "")[:64]


@trainings_bp.route("/checkin", methods=["GET"])
def confirm():
    """The confirm page: training, one button, and the sign-in form when needed."""
    ticket = _ticket()
    if ticket is None:
        flash(_("Your scan has expired. Scan the code on the screen again."), "error")
        return redirect(url_for("trainings.scanner"))
    code, scanned_at = ticket
    training = Training.get_or_none(Training.id == code.training_id)
    if training is None:
        return _show_result(services.Outcome(services.INVALID), 400)
    purpose = code.purpose
    if purpose == "static":
        purpose = "in" if scanned_at <= services.checkin_window(training)[1] else "out"
    response = render("trainings/confirm.html", training=training, purpose=purpose,
                      scanned_at=scanned_at,
                      minutes_left=tickets.minutes_left(scanned_at, utcnow()),
                      next_url=url_for("trainings.confirm"), login_value="")
    if not _device_id():
        response.set_cookie(DEVICE_COOKIE, secrets.token_urlsafe(16), max_age=3 * 365 * 86400,
                            httponly=True, samesite="Lax",
                            secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


@trainings_bp.route("/checkin", methods=["POST"])
@access.login_required
def confirm_post():
    """Confirm the kept scan: check in or out at the time of the scan."""
    ticket = _ticket()
    session.pop("scan", None)
    if ticket is None:
        return _remember_result(services.Outcome(services.EXPIRED))
    code, scanned_at = ticket
    # The phone's position, only when the person ticked the box (used once, never stored).
    position = None
    if request.form.get("share_location") == "1":
        position = services.parse_position(request.form.get("lat"), request.form.get("lng"),
                                           request.form.get("accuracy"))
    outcome = services.scan(g.user, code, scanned_at, device=_device_id(), position=position,
                            geofence=current_app.config["TRAINING_GEOFENCE_METRES"])
    return _remember_result(outcome)


@trainings_bp.route("/checkin/result")
@access.login_required
def result():
    """The outcome of the last scan, with a live clock."""
    data = session.get("scan_result")
    if not data:
        return redirect(url_for("trainings.scanner"))
    outcome = services.Outcome.from_dict(data)
    return _show_result(outcome)


@trainings_bp.route("/checkin/code", methods=["GET", "POST"])
@access.login_required
def typed():
    """Check in or out with the 6-digit code shown under the QR."""
    error = None
    if request.method == "POST":
        value = "".join(ch for ch in request.form.get("code", "") if ch.isdigit())
        if len(value) != 6:
            error = _("Type the 6 digits shown under the code on the screen.")
        else:
            outcome = services.scan_typed(g.user, value, utcnow(), device=_device_id())
            if outcome.code == services.EXPIRED:
                # No training's code: it may be a party activity's (same codes, see branches).
                from ..branches import checkin, views as party
                activity_outcome = checkin.scan_typed(g.user, value, utcnow())
                if activity_outcome is not None:
                    return party.remember_result(activity_outcome)
            return _remember_result(outcome)
    return render("trainings/typed.html", error=error, status=400 if error else 200)


@trainings_bp.route("/scan")
@access.login_required
@keep_offline  # the service worker may keep a plain visit for offline scanning (sw.js)
def scanner():
    """The Scan tab: the camera, the typed-code form, and scans waiting to be sent."""
    expected = request.args.get("for", "")
    return render("trainings/scanner.html", expected=expected if expected.isdigit() else "",
                  error=None)


@trainings_bp.route("/checkin/sync", methods=["POST"])
@access.login_required
def sync():
    """Receive a scan the in-app scanner kept while offline (JSON); answer with the outcome."""
    data = request.get_json(silent=True)
    data = data if isinstance(data, dict) else {}  # a JSON list or string is not a scan
    code = qr.parse(str(data.get("url", "")))
    try:
        scanned_at = datetime.datetime.fromtimestamp(float(data.get("scanned_at")) / 1000,
                                                     datetime.UTC).replace(tzinfo=None)
    except (TypeError, ValueError, OverflowError, OSError):
        scanned_at = None
    key = str(data.get("key") or "")
    if code is None and scanned_at is not None and 8 <= len(key) <= 64:
        from ..branches import checkin, views as party  # a party activity's code (/c/a/...)
        activity_code = checkin.parse(str(data.get("url", "")))
        if activity_code is not None:
            return party.sync_json(g.user, activity_code, scanned_at)
    if code is None or scanned_at is None or not (8 <= len(key) <= 64):
        return jsonify({"ok": False, "code": "invalid",
                        "message": _("This scan could not be read. Scan the code again.")}), 400
    outcome = services.sync_offline(g.user, code, scanned_at, key, device=_device_id())
    body = outcome.to_dict()
    body["message"] = services.message(outcome)
    body["title"] = outcome.training.title if outcome.training else ""
    return jsonify(body), 200 if outcome.ok else 422


# ------------------------------------------------------------------ practitioner: my trainings

@trainings_bp.route("/trainings/mine")
@access.login_required
def mine():
    """My upcoming trainings, each with a calendar file."""
    rows = list(services.upcoming_for(g.user, utcnow(), days=60))
    return render("trainings/mine.html", trainings=rows)


def _ics_text(value):
    return (value or "").replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


@trainings_bp.route("/trainings/<int:training_id>/calendar.ics")
@access.login_required
def calendar(training_id):
    """An .ics file for one training the person may see."""
    query = services.for_person(g.user)
    training = query.where(Training.id == training_id).first()
    if training is None and g.actor is not None:
        training = services.managed(g.actor).where(Training.id == training_id).first()
    if training is None:
        abort(404)
    stamp = "%Y%m%dT%H%M%SZ"
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Grassroots Ledger//trainings//ZH",
        "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "BEGIN:VEVENT",
        f"UID:training-{training.id}@{request.host.split(':')[0]}",
        f"DTSTAMP:{utcnow().strftime(stamp)}",
        f"DTSTART:{training.start_at.strftime(stamp)}",
        f"DTEND:{training.end_at.strftime(stamp)}",
        f"SUMMARY:{_ics_text(training.title)}",
        f"LOCATION:{_ics_text(training.place)}",
        f"STATUS:{'CANCELLED' if training.status == 'cancelled' else 'CONFIRMED'}",
        "BEGIN:VALARM", "TRIGGER:-PT1H", "ACTION:DISPLAY",
        f"DESCRIPTION:{_ics_text(training.title)}", "END:VALARM",
        "END:VEVENT", "END:VCALENDAR", ""]
    response = make_response("\r\n".join(lines))
    response.mimetype = "text/calendar"
    response.headers["Content-Disposition"] = f'attachment; filename="training-{training.id}.ics"'
    return response


# ------------------------------------------------------------------ attendance sheet

STATES = ("all", "in", "late", "out", "flagged", "review", "absent", "excused")


def _sheet_rows(training):
    people = {p.id: p for p in services.audience_people(training).join(
        Firm, JOIN.LEFT_OUTER, on=(User.firm == Firm.id)).select(User, Firm)}
    rows = {a.user_id: a for a in Attendance.select(Attendance, User).join(User)
            .where(Attendance.training == training.id)}
    for user_id, att in rows.items():
        people.setdefault(user_id, att.user)
    result = []
    for person in sorted(people.values(), key=lambda p: (p.firm.name if p.firm_id else "", p.name)):
        att = rows.get(person.id)
        if att is None:
            state = "absent"
        elif att.status == "excused":
            state = "excused"
        else:
            state = "in"
        result.append({"person": person, "att": att, "state": state,
                       "flags": [f for f in (att.flags.split(",") if att else []) if f]})
    return result


def _matches(row, state):
    att = row["att"]
    return {
        "all": True, "absent": row["state"] == "absent", "excused": row["state"] == "excused",
        "in": row["state"] == "in", "late": bool(att and att.late),
        "out": bool(att and att.checked_out_at), "flagged": bool(row["flags"]),
        "review": bool(att and att.needs_review),
    }[state]


@trainings_bp.route("/trainings/<int:training_id>/attendance")
@access.roles_required(*ADMINS)
def sheet(training_id):
    """The live attendance sheet (the fragment is polled)."""
    training = _load(training_id)
    state = request.args.get("state", "all")
    if state not in STATES:
        state = "all"
    rows = [r for r in _sheet_rows(training) if _matches(r, state)]
    return render("trainings/sheet.html", "trainings/_sheet.html", training=training, rows=rows,
                  state=state, states=STATES, counts=services.counts(training),
                  closed=utcnow() > services.checkout_window(training)[1])


def _person_row(training, user_id):
    person = services.audience_people(training).where(User.id == user_id).first()
    att = Attendance.get_or_none(Attendance.training == training.id, Attendance.user == user_id)
    if person is None and att is None:
        abort(404)
    return person or att.user, att


def _parse_local_time(training, value, field):
    value = (value or "").strip()
    if not value:
        return None
    try:
        clock = datetime.time.fromisoformat(value)
    except ValueError:
        raise DomainError(_("Enter a time like 09:05."), field=field) from None
    # A clock time means the moment nearest the training (it may run past midnight).
    day = to_local(training.start_at).date()
    middle = training.start_at + (training.end_at - training.start_at) / 2
    options = [to_utc(datetime.datetime.combine(day + datetime.timedelta(days=d), clock))
               for d in (-1, 0, 1)]
    return min(options, key=lambda moment: abs(moment - middle))


@trainings_bp.route("/trainings/<int:training_id>/attendance/<int:user_id>", methods=["GET", "POST"])
@access.roles_required(*ADMINS)
def person(training_id, user_id):
    """One person's row: mark present with a reason, excuse with a note, or correct the times."""
    training = _load(training_id)
    someone, att = _person_row(training, user_id)
    error = field = None
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action == "present":
                services.mark_present(g.actor.user, training, someone.id,
                                      request.form.get("reason"))
                flash(_("%(name)s is marked present.", name=someone.name), "success")
            elif action == "excuse":
                services.excuse(g.actor.user, training, someone.id, request.form.get("reason"))
                flash(_("%(name)s is excused.", name=someone.name), "success")
            elif action == "correct" and att is not None:
                services.correct_times(
                    g.actor.user, training, att,
                    _parse_local_time(training, request.form.get("in_time"), "in_time"),
                    _parse_local_time(training, request.form.get("out_time"), "out_time"),
                    request.form.get("reason"))
                flash(_("The times for %(name)s are corrected.", name=someone.name), "success")
            else:
                raise DomainError(_("Choose what to do."))
        except DomainError as exc:
            error, field = exc.message, exc.field
        else:
            return redirect_after_post(url_for("trainings.sheet", training_id=training.id))
    return render("trainings/person.html", training=training, person=someone, att=att,
                  error=error, field=field, form=request.form, status=400 if error else 200)


def _hhmm(dt):
    return to_local(dt).strftime("%H:%M") if dt else ""


def method_label(method):
    """Return the translated name of a check-in method."""
    return {
        "qr": _("QR code"), "code": _("typed code"), "static": _("printed code"),
        "staff": _("marked by staff"), "offline": _("offline, sent later"),
    }.get(method or "", method or "")


def flag_label(flag):
    """Return the translated name of a review flag."""
    return {
        "shared_device": _("same phone as another person"),
        "stale_code": _("code used late"),
        "no_checkout": _("no check-out"),
        "left_early": _("left early"),
        "far": _("far from the venue"),
    }.get(flag, flag)


def distance_label(metres):
    """Return a distance for people: '650 m', '2.3 km'."""
    if metres is None:
        return ""
    if metres < 1000:
        return _("%(n)s m", n=format_decimal(metres))
    return _("%(n)s km", n=format_decimal(round(metres / 1000, 1), format="#,##0.#"))


def flag_text(flag, att=None):
    """A flag's label, with the distance for 'far' when it is known."""
    if flag == "far" and att is not None and att.distance_m is not None:
        return _("far from the venue: %(distance)s", distance=distance_label(att.distance_m))
    return flag_label(flag)


@trainings_bp.app_template_global()
def attendance_labels():
    """Expose the method and flag labels to templates."""
    return {"method": method_label, "flag": flag_label, "flag_text": flag_text,
            "distance": distance_label}


@trainings_bp.app_template_global()
def category_label(category):
    """A training category's name in the reader's language."""
    return services.category_name(category, str(get_locale()) == "en")


@trainings_bp.route("/trainings/<int:training_id>/attendance.xlsx")
@access.roles_required(*ADMINS)
def export(training_id):
    """The attendance sheet as an Excel file."""
    from openpyxl import Workbook
    training = _load(training_id)
    book = Workbook()
    ws = book.active
    ws.title = _("Attendance")[:31]
    ws.append([training.title])
    ws.append([to_local(training.start_at).strftime("%Y-%m-%d %H:%M") + " – " + _hhmm(training.end_at),
               training.place])
    ws.append([_("Name"), _("Firm"), _("In"), _("Out"), _("Duration (minutes)"),
               _("Credited hours"), _("Method"), _("Flags"), _("Status"), _("Note")])
    for row in _sheet_rows(training):
        att, who = row["att"], row["person"]
        duration = None
        if att and att.checked_in_at and att.checked_out_at:
            duration = int((att.checked_out_at - att.checked_in_at).total_seconds() // 60)
        status = {"absent": _("absent"), "excused": _("excused"), "in": _("present")}[row["state"]]
        if att and att.late:
            status += " · " + _("late")
        ws.append([who.name, who.firm.name if who.firm_id else "",
                   _hhmm(att.checked_in_at) if att else "", _hhmm(att.checked_out_at) if att else "",
                   duration, float(att.credited_hours) if att else 0,
                   method_label(att.method_in) if att and att.checked_in_at else "",
                   "; ".join(flag_text(f, att) for f in row["flags"]), status,
                   att.note if att else ""])
    for column, width in zip("ABCDEFGHIJ", (12, 24, 8, 8, 10, 10, 14, 20, 12, 30)):
        ws.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    response = make_response(buffer.getvalue())
    response.mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response.headers["Content-Disposition"] = f'attachment; filename="attendance-{training.id}.xlsx"'
    return response


@trainings_bp.route("/trainings/<int:training_id>/sign-in-sheet")
@access.roles_required(*ADMINS)
def signin_sheet(training_id):
    """A printable sign-in sheet with a signature column."""
    training = _load(training_id)
    return render("trainings/signin_sheet.html", training=training, rows=_sheet_rows(training))


from . import category_views  # noqa: E402,F401
