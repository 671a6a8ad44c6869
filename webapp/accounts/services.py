"""Passwords, sign-in with rate limits, sessions, people and firm management."""
import datetime
import re
import secrets
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from peewee import IntegrityError, fn

from ..access import audit
from ..db import db, utcnow
from ..errors import DomainError, NotAllowed
from ..i18n import local_today
from ..inputs import clean_text
from .models import EDUCATION_LEVELS, Firm, LoginAttempt, RoleGrant, User, UserSession

_hasher = PasswordHasher()
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
MIN_PASSWORD = 8
EARLIEST_LICENCE = datetime.date(1950, 1, 1)


def hash_password(password):
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def check_password(user, password):
    """Say whether the password matches the user's hash (rehashing if parameters changed)."""
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        user.save(only=[User.password_hash])
    return True


_DUMMY = {}


def _spend_a_hash(password):
    """Verify against a throwaway hash, so an unknown login takes as long as a known one."""
    if "hash" not in _DUMMY:
        _DUMMY["hash"] = _hasher.hash("not-a-password")
    try:
        _hasher.verify(_DUMMY["hash"], password)
    except (VerificationError, InvalidHashError):
        pass


def normalise_login(login):
    """Strip spaces and a +86 prefix from a typed phone number or username."""
    login = (login or "").strip().replace(" ", "").replace("-", "")
    if login.startswith("+86"):
        login = login[3:]
    return login[:60]


def find_by_login(login):
    """Return the user with this phone number or username, or None."""
    login = normalise_login(login)
    if not login:
        return None
    return User.get_or_none((User.phone == login) | (User.username == login))


class RateLimited(DomainError):
    """Too many failed sign-ins for this account or address."""

    status = 429


def login_blocked(login, address, config):
    """Return minutes to wait when too many recent failures came for this account or address."""
    since = utcnow() - datetime.timedelta(minutes=config["LOGIN_WINDOW_MINUTES"])
    account = normalise_login(login)
    fails_account = (LoginAttempt.select()
                     .where(LoginAttempt.account == account, LoginAttempt.created_at > since).count())
    fails_address = (LoginAttempt.select()
                     .where(LoginAttempt.address == address, LoginAttempt.created_at > since).count())
    if fails_account >= config["LOGIN_MAX_FAILS_ACCOUNT"] or \
            fails_address >= config["LOGIN_MAX_FAILS_ADDRESS"]:
        return config["LOGIN_WINDOW_MINUTES"]
    return 0


def authenticate(login, password, address, config):
    """Return the user for good credentials; raise DomainError with a plain message otherwise."""
    wait = login_blocked(login, address, config)
    if wait:
        raise RateLimited(_("Too many wrong attempts. Wait %(minutes)d minutes and try again, "
                            "or ask your county administrator to reset your password.",
                            minutes=wait))
    user = find_by_login(login)
    if user is None:
        _spend_a_hash(password or "")
    if user is None or not user.active or not check_password(user, password or ""):
        LoginAttempt.create(account=normalise_login(login), address=address[:60])
        raise DomainError(_("The phone number or password is not right."))
    LoginAttempt.delete().where(LoginAttempt.account == normalise_login(login)).execute()
    return user


def start_session(user, user_agent=""):
    """Create a signed-in device for the user and return its token."""
    token = secrets.token_urlsafe(32)
    UserSession.create(token=token, user=user, user_agent=(user_agent or "")[:200])
    return token


def end_session(token):
    """End one signed-in device."""
    UserSession.update(ended_at=utcnow()).where(UserSession.token == token).execute()


def end_other_sessions(user, keep_token):
    """End every signed-in device of the user but this one."""
    (UserSession.update(ended_at=utcnow())
     .where(UserSession.user == user, UserSession.token != keep_token,
            UserSession.ended_at.is_null()).execute())


def validate_new_password(new, repeat):
    """Raise DomainError unless the new password is long enough and typed twice the same."""
    if len(new or "") < MIN_PASSWORD:
        raise DomainError(_("Choose a password of at least %(n)d characters.", n=MIN_PASSWORD),
                          field="new")
    if new != repeat:
        raise DomainError(_("The two new passwords are not the same."), field="repeat")


def change_password(user, current, new, repeat, keep_token=None):
    """Change the user's own password and sign out their other devices."""
    if not check_password(user, current or ""):
        raise DomainError(_("Your current password is not right."), field="current")
    validate_new_password(new, repeat)
    with db.atomic():
        user.password_hash = hash_password(new)
        user.must_change_password = False
        user.save(only=[User.password_hash, User.must_change_password])
        if keep_token:
            end_other_sessions(user, keep_token)


def one_time_code():
    """Return a readable one-time password (no look-alike characters)."""
    alphabet = "23456789abcdefghjkmnpqrstuvwxyz"
    return "".join(secrets.choice(alphabet) for _ in range(10))


def reset_password(actor, user, county):
    """Give the user a one-time password, end their sessions, and return the code (shown once)."""
    code = one_time_code()
    with db.atomic():
        user.password_hash = hash_password(code)
        user.must_change_password = True
        user.save(only=[User.password_hash, User.must_change_password])
        UserSession.update(ended_at=utcnow()).where(
            UserSession.user == user, UserSession.ended_at.is_null()).execute()
        audit(actor, "user.reset_password", user, county)
    return code


# ---------------------------------------------------------------- people and firms

def clean_phone(phone):
    """Return a normalised mainland mobile number, or raise DomainError."""
    phone = normalise_login(phone)
    if not PHONE_RE.match(phone):
        raise DomainError(_("A phone number has 11 digits and starts with 1."), field="phone")
    return phone


def clean_birth_year(value, this_year):
    """Return a plausible birth year as an int (or None when blank), or raise DomainError."""
    value = (str(value) if value is not None else "").strip()
    if not value:
        return None
    if value.endswith(".0"):
        value = value[:-2]
    if not (value.isascii() and value.isdigit()) or not (
            this_year - 90 <= int(value) <= this_year - 18):
        raise DomainError(_("Birth year must be a year between %(a)d and %(b)d.",
                            a=this_year - 90, b=this_year - 18), field="birth_year")
    return int(value)


def education_labels():
    """Return the translated name of each education level, in order ('' is not recorded)."""
    return {"": _("Not recorded"), "secondary": _("Secondary school or below"),
            "college": _("Junior college"), "bachelor": _("Bachelor's degree"),
            "master": _("Master's degree"), "doctor": _("Doctorate")}


def clean_education(value):
    """Return one of EDUCATION_LEVELS, or '' when blank; raise DomainError otherwise."""
    value = str(value if value is not None else "").strip()
    if value and value not in EDUCATION_LEVELS:
        raise DomainError(_("Choose one of the education levels offered."), field="education")
    return value


def licence_date_text(value):
    """Return a typed licence date trimmed, refusing digits other than 0-9 (full-width ones
    become 0-9 first, as the date parser does); '' when blank."""
    text = str(value if value is not None else "").strip()
    folded = unicodedata.normalize("NFKC", text)
    if any(ch.isdigit() and not ch.isascii() for ch in folded):
        raise DomainError(_("%(label)s is not a date. Write it like 2026-03-05.",
                            label=_("The licence date")), field="licensed_on")
    return text


def check_licensed_on(day, today):
    """Return a parsed licence date (or None) as a datetime at midnight, or raise DomainError
    when it lies in the future or before 1950."""
    if day is None:
        return None
    if day > today:
        raise DomainError(_("The licence date cannot be in the future."), field="licensed_on")
    if day < EARLIEST_LICENCE:
        raise DomainError(_("The licence date cannot be before %(year)d.",
                            year=EARLIEST_LICENCE.year), field="licensed_on")
    return datetime.datetime.combine(day, datetime.time())


def clean_person(data, firms, this_year, licensed_on=None):
    """Validate a person form; return a dict of clean values or raise DomainError.

    `licensed_on` is the licence date the caller already parsed (see check_licensed_on);
    education and the licence date are kept only when `data` has those fields.
    """
    clean = {
        "name": clean_text(data.get("name"), "name", _("the name"), 60, required=True),
        "phone": clean_phone(data.get("phone")),
        "licence_no": clean_text(data.get("licence_no"), "licence_no", _("the licence number"),
                                 40),
        "birth_year": clean_birth_year(data.get("birth_year"), this_year),
        "party_member": str(data.get("party_member", "")).lower() in ("1", "on", "true", "yes", "是"),
    }
    # The optional fields count only when the form carries them; absent, they stay as they are.
    if "education" in data:
        clean["education"] = clean_education(data.get("education"))
    if "licensed_on" in data:
        clean["licensed_on"] = licensed_on
    firm_id = str(data.get("firm_id") or "")
    firm = next((f for f in firms if str(f.id) == firm_id), None)
    if firm is None:
        raise DomainError(_("Choose the person's firm."), field="firm_id")
    clean["firm"] = firm
    return clean


def create_practitioner(actor, county, clean):
    """Create a practitioner in a firm of the county, with a one-time password; return (user, code)."""
    code = one_time_code()
    try:
        with db.atomic():
            user = User.create(
                name=clean["name"], phone=clean["phone"], password_hash=hash_password(code),
                firm=clean["firm"], county=county, licence_no=clean["licence_no"],
                birth_year=clean["birth_year"], party_member=clean["party_member"],
                education=clean.get("education", ""), licensed_on=clean.get("licensed_on"),
                must_change_password=True)
            RoleGrant.create(user=user, role="practitioner", firm=clean["firm"])
            audit(actor, "user.create", user, county, {"name": user.name})
    except IntegrityError:
        raise DomainError(_("Someone with this phone number is already registered."),
                          field="phone") from None
    return user, code


def update_practitioner(actor, user, county, clean):
    """Save edits to a practitioner, moving their practitioner grant if the firm changed."""
    old_firm_id = user.firm_id
    try:
        with db.atomic():
            for key in ("name", "phone", "licence_no", "birth_year", "party_member", "firm"):
                setattr(user, key, clean[key])
            for key in ("education", "licensed_on"):
                if key in clean:
                    setattr(user, key, clean[key])
            user.save()
            if old_firm_id != clean["firm"].id:
                (RoleGrant.update(firm=clean["firm"])
                 .where(RoleGrant.user == user, RoleGrant.role == "practitioner").execute())
                (RoleGrant.delete()
                 .where(RoleGrant.user == user, RoleGrant.role == "director",
                        RoleGrant.firm == old_firm_id).execute())
            audit(actor, "user.update", user, county, {"name": user.name})
    except IntegrityError:
        raise DomainError(_("Someone with this phone number is already registered."),
                          field="phone") from None


def set_active(actor, user, county, active):
    """Deactivate (sign out everywhere) or reactivate a person; records are never deleted."""
    with db.atomic():
        user.active = active
        user.deactivated_on = None if active else local_today()
        user.save(only=[User.active, User.deactivated_on])
        if not active:
            UserSession.update(ended_at=utcnow()).where(
                UserSession.user == user, UserSession.ended_at.is_null()).execute()
        audit(actor, "user.activate" if active else "user.deactivate", user, county)


def set_director(actor, user, county, is_director):
    """Make a practitioner their firm's director, or take that role away."""
    if user.firm_id is None:
        raise NotAllowed(_("Only a person in a firm can be its director."))
    with db.atomic():
        if is_director:
            RoleGrant.get_or_create(user=user, role="director", firm=user.firm_id)
        else:
            RoleGrant.delete().where(RoleGrant.user == user, RoleGrant.role == "director").execute()
        audit(actor, "user.director" if is_director else "user.undirector", user, county)


def clean_firm(data):
    """Validate a firm form."""
    setting = data.get("setting")
    if setting not in ("rural", "urban"):
        raise DomainError(_("Choose whether the firm is rural or urban."), field="setting")
    return {
        "name": clean_text(data.get("name"), "name", _("the firm's name"), 120, required=True),
        "township": clean_text(data.get("township"), "township", _("the township or street"),
                               100),
        "setting": setting,
    }


def save_firm(actor, county, clean, firm=None):
    """Create or update a firm of the county."""
    try:
        with db.atomic():
            if firm is None:
                firm = Firm.create(county=county, **clean)
                audit(actor, "firm.create", firm, county, clean)
            else:
                for key, value in clean.items():
                    setattr(firm, key, value)
                firm.save()
                audit(actor, "firm.update", firm, county, clean)
    except IntegrityError:
        raise DomainError(_("This county already has a firm with this name."), field="name") from None
    return firm


def set_firm_active(actor, firm, county, active):
    """Deactivate or reactivate a firm (its people and records stay)."""
    with db.atomic():
        firm.active = active
        firm.save(only=[Firm.active])
        audit(actor, "firm.activate" if active else "firm.deactivate", firm, county)


def create_admin(name, login, password, role, region):
    """Create a county or city administrator (used by the CLI)."""
    if role not in ("county_admin", "city_admin"):
        raise DomainError("role must be county_admin or city_admin")
    phone = login if PHONE_RE.match(login or "") else None
    username = None if phone else login
    with db.atomic():
        user = User.create(name=name, phone=phone, username=username,
                           password_hash=hash_password(password),
                           county=region if region.kind == "county" else None)
        RoleGrant.create(user=user, role=role, region=region)
        audit(None, "user.create_admin", user, region, {"name": name, "role": role})
    return user


def counts_by_firm(firm_ids):
    """Return {firm_id: active people} for the firms."""
    if not firm_ids:
        return {}
    rows = (User.select(User.firm, fn.COUNT(User.id).alias("n"))
            .where(User.firm.in_(firm_ids), User.active == True)  # noqa: E712
            .group_by(User.firm).tuples())
    return dict(rows)

