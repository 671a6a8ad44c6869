"""Trainings: admin pages, the projector and poster, the attendance sheet (scanning is webapp.checkin)."""
import datetime

import qrcode
import qrcode.image.svg
from flask import Blueprint, abort, current_app, flash, g, make_response, request, url_for
from flask_babel import format_decimal, get_locale, gettext as _
from peewee import JOIN

from .. import access
from ..accounts.models import Firm, User
from ..db import utcnow
from ..errors import DomainError
from ..checkin import codes
from ..checkin import views as checkin_views
from ..i18n import local_today, to_local, to_utc
from ..web import FormData, Sheet, redirect_after_post, render, xlsx_response
from . import attendance, categories, services
from .models import Attendance, Training

trainings_bp = Blueprint("trainings", __name__)

ADMINS = ("county_admin", "city_admin")


def _load(training_id):
    return access.get_or_404(services.managed(g.actor), Training, training_id)


def _code_url(code):
    return request.url_root.rstrip("/") + codes.path_of(code)


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
    categories.ensure_categories()
    return categories.form_categories(g.actor, training), firms, people


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
                  counts=attendance.counts(training),
                  geofence=current_app.config["TRAINING_GEOFENCE_METRES"],
                  checkin=attendance.checkin_window(training),
                  checkout=attendance.checkout_window(training))


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
    return checkin_views.projector(attendance, training, purpose, "trainings/projector.html",
                                   training=training)


@trainings_bp.route("/trainings/<int:training_id>/live")
@access.roles_required(*ADMINS)
def live(training_id):
    """A tiny JSON for the projector: counts, the last few names, the server's clock."""
    return checkin_views.live(attendance, _load(training_id))


def qr_svg(text):
    """Return an SVG QR code (inline markup, no styles) for the text."""
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
    url = _code_url(codes.static_code(training))
    return render("trainings/poster.html", training=training, svg=qr_svg(url), url=url,
                  checkin=attendance.checkin_window(training),
                  checkout=attendance.checkout_window(training))


# ------------------------------------------------------------------ practitioner: my trainings

@trainings_bp.route("/trainings/mine")
@access.login_required
def mine():
    """My upcoming trainings, each with a calendar file."""
    rows = list(services.upcoming_for(g.user, utcnow(), days=60))
    return render("trainings/mine.html", trainings=rows)


def _ics_text(value):
    """Text for an iCalendar value: one line (no control characters), RFC 5545 escapes."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(c for c in text if c in "\t\n" or not (c < " " or c == "\x7f"))
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


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
                  state=state, states=STATES, counts=attendance.counts(training),
                  closed=utcnow() > attendance.checkout_window(training)[1])


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
                attendance.mark_present(g.actor.user, training, someone.id,
                                      request.form.get("reason"))
                flash(_("%(name)s is marked present.", name=someone.name), "success")
            elif action == "excuse":
                attendance.excuse(g.actor.user, training, someone.id, request.form.get("reason"))
                flash(_("%(name)s is excused.", name=someone.name), "success")
            elif action == "correct" and att is not None:
                attendance.correct_times(
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
        "after_wrong_codes": _("after several wrong typed numbers"),
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
    return categories.category_name(category, str(get_locale()) == "en")


@trainings_bp.route("/trainings/<int:training_id>/attendance.xlsx")
@access.roles_required(*ADMINS)
def export(training_id):
    """The attendance sheet as an Excel file."""
    training = _load(training_id)
    rows = []
    for row in _sheet_rows(training):
        att, who = row["att"], row["person"]
        duration = None
        if att and att.checked_in_at and att.checked_out_at:
            duration = int((att.checked_out_at - att.checked_in_at).total_seconds() // 60)
        status = {"absent": _("absent"), "excused": _("excused"), "in": _("present")}[row["state"]]
        if att and att.late:
            status += " · " + _("late")
        rows.append([who.name, who.firm.name if who.firm_id else "",
                     _hhmm(att.checked_in_at) if att else "", _hhmm(att.checked_out_at) if att else "",
                     duration, float(att.credited_hours) if att else 0,
                     method_label(att.method_in) if att and att.checked_in_at else "",
                     "; ".join(flag_text(f, att) for f in row["flags"]), status,
                     att.note if att else ""])
    sheet = Sheet(_("Attendance"), [_("Name"), _("Firm"), _("In"), _("Out"), _("Duration (minutes)"),
                                    _("Credited hours"), _("Method"), _("Flags"), _("Status"),
                                    _("Note")],
                  rows, widths=(12, 24, 8, 8, 10, 10, 14, 20, 12, 30), heading=training.title,
                  above=[[to_local(training.start_at).strftime("%Y-%m-%d %H:%M") + " – "
                          + _hhmm(training.end_at), training.place]])
    return xlsx_response(f"attendance-{training.id}.xlsx", [sheet])


@trainings_bp.route("/trainings/<int:training_id>/sign-in-sheet")
@access.roles_required(*ADMINS)
def signin_sheet(training_id):
    """A printable sign-in sheet with a signature column."""
    training = _load(training_id)
    return render("trainings/signin_sheet.html", training=training, rows=_sheet_rows(training))

