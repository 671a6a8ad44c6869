"""Sign-in, sign-out, password, devices, role switch, language; county people and firms."""
import io

from flask import (Blueprint, current_app, flash, g, redirect, request, send_file, session,
                   url_for)
from flask_babel import gettext as _

from ..errors import DomainError
from ..web import client_address, object_id, redirect_after_post, render
from ..i18n import local_today
from ..ledger.forms import parse_date
from ..push import services as push_services
from ..push import vapid
from .. import access
from . import mydata, services
from .models import Firm, RoleGrant, User, UserSession

auth_bp = Blueprint("auth", __name__)
admin_bp = Blueprint("accounts", __name__, url_prefix="/admin")


def safe_next(target):
    """Return a local path to go to after login, never another site."""
    # Browsers drop tabs and newlines inside URLs, so "/\t/evil.example" would become
    # "//evil.example": refuse any control character or space as well.
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not any(ord(ch) <= 32 or ord(ch) == 127 for ch in target)):
        return target
    return None


@auth_bp.route("/")
def index():
    """Send people to their home page, visitors to login."""
    if g.get("user") is None:
        return redirect(url_for("auth.login"))
    return redirect(url_for(access.home_endpoint(g.get("actor"))))


@auth_bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with phone number (or username) and password."""
    next_url = safe_next(request.values.get("next"))
    if g.get("user") is not None and request.method == "GET":
        return redirect(next_url or url_for("auth.index"))
    error = None
    status = 200
    login_value = ""
    if request.method == "POST":
        login_value = request.form.get("login", "")
        try:
            user = services.authenticate(login_value, request.form.get("password", ""),
                                         client_address(), current_app.config,
                                         request.cookies.get(services.KNOWN_DEVICE_COOKIE))
        except DomainError as exc:
            error, status = exc.message, (exc.status if exc.status == 429 else 401)
        else:
            old_locale = session.get("locale")
            # A scan kept while signing in (a training's, or a party activity's) survives it.
            kept = {key: session[key] for key in ("scan", "activity_scan") if session.get(key)}
            session.clear()
            session.permanent = True
            session["token"] = services.start_session(user, request.user_agent.string)
            if old_locale and not user.locale:
                session["locale"] = old_locale
            session.update(kept)
            if user.must_change_password:
                response = redirect(url_for("auth.password", next=next_url), code=303)
            else:
                response = redirect(next_url or url_for("auth.index"), code=303)
            return _remember_device(response, user)
    return render("accounts/login.html", error=error, login_value=login_value,
                  next_url=next_url, status=status)


def _remember_device(response, user):
    """Leave the known-device cookie: this phone may sign in to the account while it is locked."""
    config = current_app.config
    response.set_cookie(services.KNOWN_DEVICE_COOKIE,
                        services.known_device_token(user, config["SECRET_KEY"]),
                        max_age=config["LOGIN_KNOWN_DEVICE_DAYS"] * 86400, httponly=True,
                        samesite="Lax",
                        secure=request.is_secure or config.get("SESSION_COOKIE_SECURE", False))
    return response


@auth_bp.route("/logout", methods=["POST"])
def logout():
    """End this device's session and clear what the browser kept."""
    token = session.get("token")
    if token:
        push_services.forget_session(token)  # this phone stops getting pushes
        services.end_session(token)
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    response = redirect(url_for("auth.login", signed_out=1), code=303)
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@auth_bp.route("/me/password", methods=["GET", "POST"])
@access.login_required
def password():
    """Change one's own password (and sign out other devices)."""
    error = field = None
    if request.method == "POST":
        try:
            services.change_password(g.user, request.form.get("current"), request.form.get("new"),
                                     request.form.get("repeat"), keep_token=g.session_token)
        except DomainError as exc:
            error, field = exc.message, exc.field
        else:
            flash(_("Your password is changed. Other devices were signed out."), "success")
            return redirect_after_post(safe_next(request.args.get("next")) or url_for("auth.me"))
    return render("accounts/password.html", error=error, field=field,
                  status=400 if error else 200)


@auth_bp.route("/me")
@access.login_required
def me():
    """The Me tab: who I am, my roles, language, devices, password, sign out."""
    devices = (UserSession.select().where(UserSession.user == g.user,
                                          UserSession.ended_at.is_null())
               .order_by(UserSession.last_seen_at.desc()))
    devices = list(devices)
    return render("accounts/me.html", devices=devices,
                  device_names={d.id: services.device_name(d.user_agent) for d in devices},
                  push_key=vapid.public_key(current_app.config))


@auth_bp.route("/me/data.zip")
@access.login_required
def my_data():
    """Download everything the service holds about me, as a .zip."""
    try:
        mydata.check_allowed(g.user)
    except DomainError as exc:
        return render("error.html", code=exc.status, message=exc.message, status=exc.status)
    archive = mydata.export_for(g.user)
    access.audit(g.user, "my_data.download", g.user)
    name = _("My data %(date)s", date=local_today().isoformat()) + ".zip"
    response = send_file(io.BytesIO(archive), mimetype="application/zip", as_attachment=True,
                         download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@auth_bp.route("/me/devices/<int:session_id>/end", methods=["POST"])
@access.login_required
def end_device(session_id):
    """Sign out one of my devices."""
    row = UserSession.get_or_none(UserSession.id == session_id, UserSession.user == g.user)
    if row is None:
        return render("error.html", code=404, message=_("This device is not signed in."), status=404)
    push_services.forget_session(row.token)
    services.end_session(row.token)
    if row.token == g.session_token:
        session.clear()
        return redirect_after_post(url_for("auth.login"))
    flash(_("That device is signed out."), "success")
    return redirect_after_post(url_for("auth.me"))


@auth_bp.route("/me/role", methods=["POST"])
@access.login_required
def switch_role():
    """Act in another of my roles."""
    try:
        grant_id = object_id(request.form.get("grant", ""))
    except ValueError:
        grant_id = None
    grant = access.switch_grant(grant_id)
    if grant is None:
        return render("error.html", code=400, message=_("Choose one of your roles."), status=400)
    g.actor = access.Actor(user=g.user, grant=grant, grants=g.actor.grants)
    return redirect_after_post(url_for(access.home_endpoint(g.actor)))


@auth_bp.route("/language", methods=["POST"])
def language():
    """Choose the interface language (kept on the account when signed in)."""
    choice = request.form.get("locale")
    if choice not in current_app.config["LANGUAGES"]:
        return render("error.html", code=400, message=_("Choose one of the languages offered."),
                      status=400)
    session["locale"] = choice
    if g.get("user") is not None:
        User.update(locale=choice).where(User.id == g.user.id).execute()
    back = safe_next(request.form.get("next")) or url_for("auth.index")
    return redirect_after_post(back)


@auth_bp.route("/no-role")
@access.login_required
def no_role():
    """Explain that the account has no role yet."""
    return render("accounts/no_role.html")


# ------------------------------------------------------------------ county admin: firms, people

ADMIN = ("county_admin",)


def acting_county():
    return access.counties(g.actor).where(access.Region.id == g.actor.grant.region_id).get()


@admin_bp.route("/firms")
@access.roles_required(*ADMIN)
def firms():
    """The county's firms, with how many active people each has."""
    rows = list(access.firms(g.actor).order_by(Firm.active.desc(), Firm.name))
    counts = services.counts_by_firm([f.id for f in rows])
    return render("admin/firms.html", firms=rows, counts=counts)


@admin_bp.route("/firms/new", methods=["GET", "POST"])
@admin_bp.route("/firms/<int:firm_id>", methods=["GET", "POST"])
@access.roles_required(*ADMIN)
def firm_form(firm_id=None):
    """Create or edit a firm."""
    firm = access.get_or_404(access.firms(g.actor), Firm, firm_id) if firm_id else None
    error = field = None
    data = request.form if request.method == "POST" else (
        {"name": firm.name, "township": firm.township, "setting": firm.setting} if firm else
        {"setting": "rural"})
    if request.method == "POST":
        try:
            saved = services.save_firm(g.actor.user, acting_county(), services.clean_firm(request.form),
                                       firm)
        except DomainError as exc:
            error, field = exc.message, exc.field
        else:
            flash(_("Saved."), "success")
            return redirect_after_post(url_for("accounts.firms", _anchor=f"firm-{saved.id}"))
    return render("admin/firm_form.html", firm=firm, data=data, error=error, field=field,
                  status=400 if error else 200)


@admin_bp.route("/firms/<int:firm_id>/active", methods=["POST"])
@access.roles_required(*ADMIN)
def firm_active(firm_id):
    """Deactivate or reactivate a firm."""
    firm = access.get_or_404(access.firms(g.actor), Firm, firm_id)
    active = request.form.get("active") == "1"
    services.set_firm_active(g.actor.user, firm, acting_county(), active)
    flash(_("The firm is active again.") if active else _("The firm is deactivated."), "success")
    return redirect_after_post(url_for("accounts.firms"))


def _practitioners():
    """People the county admin manages here: those in a firm (never other administrators)."""
    return access.people(g.actor).where(User.firm.is_null(False))


@admin_bp.route("/people")
@access.roles_required(*ADMIN)
def people():
    """The county's practitioners, searchable and filterable by firm."""
    query = _practitioners()
    q = (request.args.get("q") or "").strip()[:40]
    firm_id = request.args.get("firm", type=access.object_id)
    show = request.args.get("show", "active")
    if q:
        query = query.where(User.name.contains(q) | User.phone.contains(q)
                            | User.licence_no.contains(q))
    if firm_id:
        query = query.where(User.firm == firm_id)
    if show != "all":
        query = query.where(User.active == (show != "inactive"))
    rows = list(query.order_by(User.name).limit(500))
    firm_map = {f.id: f for f in access.firms(g.actor)}
    directors = {gr.user_id for gr in RoleGrant.select(RoleGrant.user).where(
        RoleGrant.role == "director", RoleGrant.user.in_([u.id for u in rows] or [0]))}
    return render("admin/people.html", "admin/_people_list.html", people=rows, q=q,
                  firm_id=firm_id, show=show, firms=firm_map, directors=directors)


def _licensed_on(value, today):
    """The form's licence date: blank is none; else the app's date format, 1950 to today."""
    text = services.licence_date_text(value)
    if not text:
        return None
    return services.check_licensed_on(
        parse_date(text, "licensed_on", _("The licence date")), today)


def _person_form(user):
    firms_list = list(access.firms(g.actor).where(Firm.active == True).order_by(Firm.name))  # noqa: E712
    error = field = None
    if request.method == "POST":
        data = request.form
        try:
            today = local_today()
            clean = services.clean_person(data, firms_list, today.year,
                                          licensed_on=_licensed_on(data.get("licensed_on"), today))
            if user is None:
                user, code = services.create_practitioner(g.actor.user, acting_county(), clean)
                return render("admin/person_code.html", person=user, code=code, created=True)
            services.update_practitioner(g.actor.user, user, acting_county(), clean)
        except DomainError as exc:
            error, field = exc.message, exc.field
        else:
            flash(_("Saved."), "success")
            return redirect_after_post(url_for("accounts.people"))
    elif user is not None:
        data = {"name": user.name, "phone": user.phone or "", "licence_no": user.licence_no,
                "birth_year": user.birth_year or "", "party_member": user.party_member,
                "firm_id": user.firm_id, "education": user.education or "",
                "licensed_on": user.licensed_on.date().isoformat() if user.licensed_on else ""}
    else:
        data = {"firm_id": request.args.get("firm", "")}
    is_director = user is not None and RoleGrant.select().where(
        RoleGrant.user == user, RoleGrant.role == "director").exists()
    return render("admin/person_form.html", person=user, data=data, firms=firms_list,
                  error=error, field=field, is_director=is_director,
                  education_levels=services.education_labels(), today=local_today().isoformat(),
                  status=400 if error else 200)


@admin_bp.route("/people/new", methods=["GET", "POST"])
@access.roles_required(*ADMIN)
def person_new():
    """Add a practitioner."""
    return _person_form(None)


@admin_bp.route("/people/<int:user_id>", methods=["GET", "POST"])
@access.roles_required(*ADMIN)
def person_edit(user_id):
    """Edit a practitioner."""
    return _person_form(access.get_or_404(_practitioners(), User, user_id))


@admin_bp.route("/people/<int:user_id>/active", methods=["POST"])
@access.roles_required(*ADMIN)
def person_active(user_id):
    """Deactivate or reactivate a person."""
    user = access.get_or_404(_practitioners(), User, user_id)
    if user.id == g.user.id:
        return render("error.html", code=400, message=_("You cannot deactivate yourself."),
                      status=400)
    active = request.form.get("active") == "1"
    services.set_active(g.actor.user, user, acting_county(), active)
    flash(_("%(name)s can sign in again.", name=user.name) if active else
          _("%(name)s is deactivated; their records stay.", name=user.name), "success")
    return redirect_after_post(url_for("accounts.person_edit", user_id=user.id))


@admin_bp.route("/people/<int:user_id>/director", methods=["POST"])
@access.roles_required(*ADMIN)
def person_director(user_id):
    """Make a person their firm's director, or not."""
    user = access.get_or_404(_practitioners(), User, user_id)
    services.set_director(g.actor.user, user, acting_county(), request.form.get("director") == "1")
    flash(_("Saved."), "success")
    return redirect_after_post(url_for("accounts.person_edit", user_id=user.id))


@admin_bp.route("/people/<int:user_id>/reset", methods=["POST"])
@access.roles_required(*ADMIN)
def person_reset(user_id):
    """Give a person a one-time password, shown once."""
    user = access.get_or_404(_practitioners(), User, user_id)
    code = services.reset_password(g.actor.user, user, acting_county())
    return render("admin/person_code.html", person=user, code=code, created=False)
