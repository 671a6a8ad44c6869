"""Sign-in limits that nobody can turn against a practitioner: a phone that signed in before is
not held by the account's lock (OWASP's device cookie), its own wrong passwords are limited,
and the address limit holds for everyone."""
import datetime
import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from tests.helpers import PASSWORD, english_client, soup, text_of
from webapp.accounts import services
from webapp.accounts.models import LoginAttempt, UserSession
from webapp.db import utcnow

COOKIE = services.KNOWN_DEVICE_COOKIE
ATTACKER, OWNER = "10.66.0.1", "10.20.0.7"
ACCOUNT_LOCK_EN = ("Too many wrong passwords for this account. Wait 15 minutes and try again, or "
                   "ask your county administrator to reset your password. A phone you have "
                   "signed in with before can still sign in.")
ACCOUNT_LOCK_ZH = ("这个账号的密码错误次数过多。请15分钟后再试，或请县(区)司法局管理员为您重置密码。"
                   "以前登录过这个账号的手机仍可登录。")
DEVICE_LOCK_EN = ("Too many wrong passwords on this phone. Wait 15 minutes and try again, or ask "
                  "your county administrator to reset your password.")
NETWORK_LOCK_EN = ("Too many wrong passwords from this network. Wait 15 minutes and try again, "
                   "or ask your county administrator to reset your password.")


@pytest.fixture(autouse=True)
def _fast(fast_passwords):  # noqa: F811
    """Every test here signs in: use cheap hashes."""


def sign_in(client, login, password=PASSWORD, address=OWNER):
    return client.post("/login", {"login": login, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def known_phone(app, user, language="en"):
    """A client that signed in as the user once (and signed out): it keeps the device cookie."""
    client = english_client(app, language)
    response = sign_in(client, user.phone)
    assert response.status_code == 303
    client.logout()
    assert client.c.get_cookie(COOKIE) is not None
    return client


def error_of(page):
    return text_of(soup(page).find(class_="form-error"))


# ------------------------------------------------------------------ the cookie

def test_a_sign_in_leaves_a_signed_long_lived_http_only_cookie(client, make_user):
    user = make_user()
    response = sign_in(client, user.phone)
    assert response.status_code == 303
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE + "="))
    parts = {p.strip().split("=")[0].lower() for p in header.split(";")}
    assert {"httponly", "max-age", "path"} <= parts and "samesite=lax" in header.lower()
    assert "secure" not in parts   # plain http here; see the next test
    max_age = int(header.lower().split("max-age=")[1].split(";")[0])
    assert max_age >= 300 * 86400
    value = client.c.get_cookie(COOKIE).value
    user_id, nonce = services.read_known_device(value, "test-secret")
    assert user_id == user.id and len(nonce) >= 16
    # Each sign-in gets its own nonce.
    client.logout()
    sign_in(client, user.phone)
    assert services.read_known_device(client.c.get_cookie(COOKIE).value, "test-secret")[1] != nonce


def test_the_cookie_is_secure_over_https(client, make_user):
    user = make_user()
    response = client.post("/login", {"login": user.phone, "password": PASSWORD},
                           base_url="https://localhost")
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE + "="))
    assert "secure" in {p.strip().lower() for p in header.split(";")}


def test_a_failed_sign_in_leaves_no_cookie(client, make_user):
    user = make_user()
    assert sign_in(client, user.phone, "wrong").status_code == 401
    assert client.c.get_cookie(COOKIE) is None


# ------------------------------------------------------------------ the lock and the known phone

def test_an_attacker_cannot_lock_the_owner_out_of_a_phone_they_used(app, make_user):
    user = make_user()
    owner = known_phone(app, user)
    attacker = english_client(app)
    for _ in range(5):
        assert sign_in(attacker, user.phone, "guess123", ATTACKER).status_code == 401
    # The attacker, even with the right password, and any unknown phone, wait.
    refused = sign_in(attacker, user.phone, PASSWORD, ATTACKER)
    assert refused.status_code == 429 and error_of(refused) == ACCOUNT_LOCK_EN
    stranger = english_client(app)
    assert sign_in(stranger, user.phone, PASSWORD, "10.1.2.3").status_code == 429
    assert stranger.c.get_cookie(COOKIE) is None
    # The owner's phone signs in with the right password.
    response = sign_in(owner, user.phone)
    assert response.status_code == 303
    assert UserSession.select().where(UserSession.user == user,
                                      UserSession.ended_at.is_null()).count() == 1
    # The owner signing in does not give the attacker a fresh set of guesses.
    assert sign_in(attacker, user.phone, PASSWORD, ATTACKER).status_code == 429


def test_wrong_passwords_from_the_known_phone_are_limited_on_their_own(app, make_user):
    user = make_user()
    owner = known_phone(app, user)
    lock_attacker = english_client(app)
    for _ in range(5):
        sign_in(lock_attacker, user.phone, "guess123", ATTACKER)
    for _ in range(5):   # a stolen phone: its own guesses count, under its own key
        assert sign_in(owner, user.phone, "guess456").status_code == 401
    refused = sign_in(owner, user.phone)
    assert refused.status_code == 429 and error_of(refused) == DEVICE_LOCK_EN
    assert LoginAttempt.select().where(LoginAttempt.account == user.phone).count() == 5


def test_the_known_phones_failures_do_not_lock_the_account(app, make_user):
    user = make_user()
    owner = known_phone(app, user)
    for _ in range(5):
        assert sign_in(owner, user.phone, "guess456").status_code == 401
    assert sign_in(owner, user.phone).status_code == 429
    # A phone with its own failures is held; the account is not.
    assert sign_in(english_client(app), user.phone, PASSWORD, "10.1.2.3").status_code == 303


def test_the_lock_lifts_when_the_failures_leave_the_window(app, make_user):
    user = make_user()
    stranger = english_client(app)
    for _ in range(5):
        sign_in(stranger, user.phone, "guess123", ATTACKER)
    first = sign_in(stranger, user.phone, PASSWORD, ATTACKER)
    assert first.status_code == 429
    # Ten minutes on, five remain to wait.
    LoginAttempt.update(created_at=utcnow() - datetime.timedelta(minutes=10)).execute()
    assert "Wait 5 minutes" in error_of(sign_in(stranger, user.phone, PASSWORD, ATTACKER))
    LoginAttempt.update(created_at=utcnow() - datetime.timedelta(minutes=16)).execute()
    assert sign_in(stranger, user.phone, PASSWORD, ATTACKER).status_code == 303


class _YearAgoSigner(TimestampSigner):
    def get_timestamp(self):
        return int(time.time()) - 366 * 86400


def _forged(value):
    """The same token with its signature's first character changed (the last one may carry
    only padding bits in base64, so changing it can leave the signature as it was)."""
    head, _dot, signature = value.rpartition(".")
    return f"{head}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


@pytest.mark.parametrize("kind", ["forged", "other_key", "other_account", "garbage", "expired"])
def test_no_bypass_without_a_valid_cookie_for_this_account(app, make_user, kind):
    user, other = make_user(), make_user()
    if kind == "other_account":
        value = known_phone(app, other).c.get_cookie(COOKIE).value
    elif kind == "other_key":
        value = URLSafeTimedSerializer("another-secret", salt="gl-known-device").dumps(
            {"u": user.id, "n": "n" * 22})
    elif kind == "garbage":
        value = "not a token at all"
    elif kind == "expired":   # signed a year and more ago
        value = URLSafeTimedSerializer("test-secret", salt="gl-known-device",
                                       signer=_YearAgoSigner).dumps({"u": user.id, "n": "n" * 22})
    else:
        value = _forged(known_phone(app, user).c.get_cookie(COOKIE).value)
    attacker = english_client(app)
    for _ in range(5):
        sign_in(attacker, user.phone, "guess123", ATTACKER)
    phone = english_client(app)
    phone.c.set_cookie(COOKIE, value)
    refused = sign_in(phone, user.phone)
    assert refused.status_code == 429 and error_of(refused) == ACCOUNT_LOCK_EN


def test_the_address_limit_holds_for_a_known_phone_too(app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILS_ADDRESS", 4)
    user = make_user()
    owner = known_phone(app, user)
    crowd = english_client(app)
    for n in range(4):
        assert sign_in(crowd, f"1390000000{n}", "x", "10.9.9.9").status_code == 401
    refused = sign_in(owner, user.phone, PASSWORD, "10.9.9.9")
    assert refused.status_code == 429 and error_of(refused) == NETWORK_LOCK_EN
    # From another network the same phone signs in.
    assert sign_in(owner, user.phone, PASSWORD, "10.9.9.10").status_code == 303


def test_a_typed_login_cannot_count_against_someones_typed_codes(app, make_user):
    """A failure's key is the typed login; no login can name another kind of key."""
    user = make_user()
    attacker = english_client(app)
    for _ in range(3):
        sign_in(attacker, f"typed code:{user.id}", "x", ATTACKER)
        sign_in(attacker, "known device:" + "n" * 22, "x", ATTACKER)
    keys = {a.account for a in LoginAttempt.select()}
    assert keys == {f"typedcode:{user.id}", "knowndevice:" + "n" * 22}


@pytest.mark.parametrize("language,lang,expected", [("en", "en", ACCOUNT_LOCK_EN),
                                                    ("zh-CN", "zh-CN", ACCOUNT_LOCK_ZH)])
def test_the_lock_message_in_the_readers_language(app, make_user, language, lang, expected):
    user = make_user()
    attacker = english_client(app, language)
    for _ in range(5):
        sign_in(attacker, user.phone, "guess123", ATTACKER)
    page = sign_in(attacker, user.phone, PASSWORD, ATTACKER)
    assert page.status_code == 429
    assert soup(page).html["lang"] == lang
    assert error_of(page) == expected
    # The form is there to try again, with the number kept.
    assert soup(page).find("input", {"name": "login"})["value"] == user.phone


# ------------------------------------------------------------------ the service

def test_read_known_device_refuses_what_it_did_not_sign():
    assert services.read_known_device(None, "k") is None
    assert services.read_known_device("", "k") is None
    assert services.read_known_device("x" * 500, "k") is None
    signer = URLSafeTimedSerializer("k", salt="gl-known-device")
    for payload in ([1, "n" * 22], {"u": "1", "n": "n" * 22}, {"u": True, "n": "n" * 22},
                    {"u": 1, "n": "short"}, {"u": 1}):
        assert services.read_known_device(signer.dumps(payload), "k") is None
    assert services.read_known_device(signer.dumps({"u": 1, "n": "n" * 22}), "k") == (1, "n" * 22)
