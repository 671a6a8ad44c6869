"""Passwords, sign-in with rate limits, sessions, people and firm management."""
import datetime
import re
import secrets
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeTimedSerializer
from peewee import IntegrityError, fn

from ..access import audit, changed, snapshot
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
    """Too many failed sign-ins for this account, this known device or this address."""

    status = 429


# The known-device cookie (OWASP's "device cookie"): a successful sign-in leaves a signed token
# naming the account and a random nonce. While wrong passwords from elsewhere have locked the
# account, a phone carrying that token for it may still sign in; its own wrong passwords are
# counted under the nonce, with their own limit. Not gl_device: that random id stays the same
# whoever signs in on the phone, so the check-in can see one phone used by two people.
KNOWN_DEVICE_COOKIE = "gl_known"
KNOWN_DEVICE_DAYS = 365
_KNOWN_SALT = "gl-known-device"
# Failures are LoginAttempt rows. A typed login never holds a space (normalise_login takes them
# out), so keys with one cannot be reached by typing a login.
KNOWN_DEVICE_KEY = "known device:"


def _known_serializer(secret_key):
    return URLSafeTimedSerializer(secret_key, salt=_KNOWN_SALT)


def known_device_token(user, secret_key):
    """Return a signed known-device token naming the user, with a fresh random nonce."""
    return _known_serializer(secret_key).dumps({"u": user.id, "n": secrets.token_urlsafe(16)})


def read_known_device(token, secret_key, max_age_days=KNOWN_DEVICE_DAYS):
    """Return (user id, nonce) from a valid, unexpired known-device token, else None."""
    if not isinstance(token, str) or not token or len(token) > 400:
        return None
    try:
        data = _known_serializer(secret_key).loads(token, max_age=max_age_days * 86400)
    except BadData:
        return None
    if not isinstance(data, dict):
        return None
    user_id, nonce = data.get("u"), data.get("n")
    if not isinstance(user_id, int) or isinstance(user_id, bool) or not isinstance(nonce, str) \
            or not 16 <= len(nonce) <= 40:
        return None
    return user_id, nonce


def _known_nonce(user, token, config):
    """The nonce of a valid known-device token for exactly this user, else None."""
    if user is None or not token:
        return None
    known = read_known_device(token, config["SECRET_KEY"],
                              config.get("LOGIN_KNOWN_DEVICE_DAYS", KNOWN_DEVICE_DAYS))
    if known is None or known[0] != user.id:
        return None
    return known[1]


def attempts_wait(where, limit, window, now=None):
    """Return how long until fewer than `limit` failures matching `where` lie in the window
    (a timedelta), or None when there are fewer already."""
    now = now or utcnow()
    if limit <= 0:
        return None
    # The lock lifts when the limit-th newest failure leaves the window.
    row = (LoginAttempt.select(LoginAttempt.created_at)
           .where(where, LoginAttempt.created_at > now - window)
           .order_by(LoginAttempt.created_at.desc()).offset(limit - 1).limit(1).first())
    if row is None:
        return None
    return max(row.created_at + window - now, datetime.timedelta(seconds=1))


def _wait_words(wait):
    """A wait in the reader's words, to the minute: '15 minutes', '1 minute', '15分钟'."""
    rounded = datetime.timedelta(minutes=max(1, -(-wait // datetime.timedelta(minutes=1))))
    return format_timedelta(rounded, granularity="minute", threshold=1)


def _lock(login, address, nonce, config):
    """Return (why, wait) for the first lock that applies to this attempt, else (None, None)."""
    window = datetime.timedelta(minutes=config["LOGIN_WINDOW_MINUTES"])
    wait = attempts_wait(LoginAttempt.address == address, config["LOGIN_MAX_FAILS_ADDRESS"],
                         window)
    if wait:
        return "address", wait
    if nonce is not None:
        limit = config.get("LOGIN_MAX_FAILS_DEVICE", config["LOGIN_MAX_FAILS_ACCOUNT"])
        wait = attempts_wait(LoginAttempt.account == KNOWN_DEVICE_KEY + nonce, limit, window)
        return ("device", wait) if wait else (None, None)
    wait = attempts_wait(LoginAttempt.account == normalise_login(login),
                         config["LOGIN_MAX_FAILS_ACCOUNT"], window)
    return ("account", wait) if wait else (None, None)


def _lock_message(why, wait):
    words = _wait_words(wait)
    if why == "account":
        return _("Too many wrong passwords for this account. Wait %(wait)s and try again, or ask "
                 "your county administrator to reset your password. A phone you have signed in "
                 "with before can still sign in.", wait=words)
    if why == "device":
        return _("Too many wrong passwords on this phone. Wait %(wait)s and try again, or ask "
                 "your county administrator to reset your password.", wait=words)
    return _("Too many wrong passwords from this network. Wait %(wait)s and try again, or ask "
             "your county administrator to reset your password.", wait=words)


def authenticate(login, password, address, config, device_token=None):
    """Return the user for good credentials; raise DomainError with a plain message otherwise.

    `device_token` is the known-device cookie, if the browser sent one.
    """
    address = (address or "")[:60]
    account = normalise_login(login)
    user = find_by_login(login)
    nonce = _known_nonce(user, device_token, config)
    why, wait = _lock(login, address, nonce, config)
    if why:
        raise RateLimited(_lock_message(why, wait))
    if user is None:
        _spend_a_hash(password or "")
    if user is None or not user.active or not check_password(user, password or ""):
        LoginAttempt.create(account=KNOWN_DEVICE_KEY + nonce if nonce else account,
                            address=address)
        raise DomainError(_("The phone number or password is not right."))
    # A known device clears only its own failures: the owner signing in on their phone does
    # not hand whoever locked the account a fresh set of guesses.
    cleared = KNOWN_DEVICE_KEY + nonce if nonce else account
    LoginAttempt.delete().where(LoginAttempt.account == cleared).execute()
    return user


# Tokens of a user agent that name nothing a person would recognise.
AGENT_NOISE = re.compile(r"Mozilla/5\.0 |AppleWebKit/\S+ ?|\(KHTML, like Gecko\) ?|Version/\S+ ?"
                         r"|XWEB/\S+ ?|MMWEBSDK/\S+ ?|MMWEBID/\S+ ?")


def keep_agent(user_agent, size=200):
    """Shorten a user agent to `size`, keeping what device_name reads.

    A WeChat agent is often longer than 200: its noise goes first, then the middle, since
    the start names the system (Android … Mobile) and the end the app (MicroMessenger/…).
    """
    agent = user_agent or ""
    if len(agent) <= size:
        return agent
    agent = AGENT_NOISE.sub("", agent)
    if len(agent) <= size:
        return agent
    head = size // 2
    return agent[:head] + "…" + agent[-(size - head - 1):]


def start_session(user, user_agent=""):
    """Create a signed-in device for the user and return its token."""
    token = secrets.token_urlsafe(32)
    UserSession.create(token=token, user=user, user_agent=keep_agent(user_agent))
    return token


def end_session(token):
    """End one signed-in device."""
    UserSession.update(ended_at=utcnow()).where(UserSession.token == token).execute()


def end_other_sessions(user, keep_token):
    """End every signed-in device of the user but this one."""
    (UserSession.update(ended_at=utcnow())
     .where(UserSession.user == user, UserSession.token != keep_token,
            UserSession.ended_at.is_null()).execute())


# A user agent in words: the first (marker, name) found wins, so in-app browsers and
# browsers built on Chrome come before Chrome, and Chrome before Safari.
DEVICE_MARKERS = (
    ("iPad", _l("iPad")), ("iPhone", _l("iPhone")), ("HarmonyOS", _l("HarmonyOS phone")),
    ("Android", None), ("Windows", _l("Windows computer")), ("CrOS", _l("Chromebook")),
    ("Macintosh", _l("Mac computer")), ("Linux", _l("Linux computer")),
)
BROWSER_MARKERS = (
    ("wxwork", _l("WeCom")), ("MicroMessenger", _l("WeChat")), ("DingTalk", _l("DingTalk")),
    ("MQQBrowser", _l("QQ Browser")), (" QQ/", _l("QQ")), ("UCBrowser", _l("UC Browser")),
    ("Quark", _l("Quark")), ("baiduboxapp", _l("Baidu")), ("HuaweiBrowser", _l("Huawei Browser")),
    ("MiuiBrowser", _l("Xiaomi Browser")), ("HeyTapBrowser", _l("OPPO Browser")),
    ("VivoBrowser", _l("vivo Browser")), ("SamsungBrowser", _l("Samsung Internet")),
    ("Edg", _l("Edge")), ("OPR/", _l("Opera")), ("Firefox", _l("Firefox")),
    ("FxiOS", _l("Firefox")),
    ("CriOS", _l("Chrome")), ("Chrome/", _l("Chrome")), ("Safari", _l("Safari")),
)


def device_name(user_agent):
    """Name a signed-in device for people: 'Android phone · WeChat', 'iPhone · Safari'."""
    agent = user_agent or ""
    device = next((name for marker, name in DEVICE_MARKERS if marker in agent), "")
    if device is None:   # Android: a phone says Mobile, a tablet does not
        device = _l("Android phone") if "Mobile" in agent else _l("Android tablet")
    browser = next((name for marker, name in BROWSER_MARKERS if marker in agent), "")
    words = [str(part) for part in (device, browser) if part]
    return " · ".join(words) if words else _("Unknown device")


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


PERSON_FIELDS = ("name", "phone", "licence_no", "birth_year", "party_member", "firm", "education",
                 "licensed_on")


def update_practitioner(actor, user, county, clean):
    """Save edits to a practitioner, moving their practitioner grant if the firm changed."""
    old_firm_id = user.firm_id
    before = snapshot(user, PERSON_FIELDS)
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
            audit(actor, "user.update", user, county,
                  {"name": user.name, "changes": changed(before, snapshot(user, PERSON_FIELDS))})
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
                before = snapshot(firm, clean)
                for key, value in clean.items():
                    setattr(firm, key, value)
                firm.save()
                audit(actor, "firm.update", firm, county,
                      {"name": firm.name, "changes": changed(before, snapshot(firm, clean))})
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

