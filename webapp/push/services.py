"""Push subscriptions: checking what a browser sends, keeping one row per endpoint for the
person signed in on it, and removing it when they turn push off or sign out of that phone."""
import base64
import binascii
import ipaddress
import re
from urllib.parse import urlparse

from cryptography.hazmat.primitives.asymmetric import ec
from flask_babel import gettext as _

from ..accounts.models import Notification, UserSession
from ..db import insert_row, write_transaction
from ..errors import DomainError
from .models import PushDelivery, PushDevice, PushSubscription

B64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")
MAX_ENDPOINT = 1000


def _b64url(value, length):
    """Decode base64url text of exactly `length` bytes, or None."""
    if not isinstance(value, str) or len(value) > 200 or not B64URL.fullmatch(value):
        return None
    text = value.rstrip("=")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == length else None


def clean_endpoint(value, any_host=False):
    """The endpoint URL if it is one a push service would give (https, a named host)."""
    if not isinstance(value, str) or not value or len(value) > MAX_ENDPOINT or any(
            ord(ch) <= 32 or ord(ch) == 127 for ch in value):
        raise DomainError(_("This notification address is not valid."), field="endpoint")
    url = urlparse(value)
    host = url.hostname or ""
    if any_host:
        ok = url.scheme in ("https", "http") and bool(host)
    else:
        ok = url.scheme == "https" and bool(host) and host != "localhost" and "." in host
        try:
            ipaddress.ip_address(host.strip("[]"))
            ok = False  # a push service has a name; an address is someone's own machine
        except ValueError:
            pass
    if not ok or url.username or url.password:
        raise DomainError(_("This notification address is not valid."), field="endpoint")
    return value


def clean_subscription(data, any_host=False):
    """Check a PushSubscription's JSON (endpoint, keys.p256dh, keys.auth); return the fields."""
    if not isinstance(data, dict):
        raise DomainError(_("This notification address is not valid."), field="endpoint")
    endpoint = clean_endpoint(data.get("endpoint"), any_host)
    keys = data.get("keys")
    keys = keys if isinstance(keys, dict) else {}
    point = _b64url(keys.get("p256dh"), 65)
    secret = _b64url(keys.get("auth"), 16)
    valid = point is not None and secret is not None
    if valid:
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        except ValueError:
            valid = False
    if not valid:
        raise DomainError(_("This phone's notification keys are not valid."), field="keys")
    return {"endpoint": endpoint, "p256dh": keys["p256dh"].rstrip("="),
            "auth": keys["auth"].rstrip("=")}


def subscribe(user, session_token, clean, user_agent=""):
    """Keep the endpoint for this person and this signed-in session (one row per endpoint)."""
    with write_transaction():
        sub_id = insert_row(PushSubscription, {
            "user": user.id, "endpoint": clean["endpoint"], "p256dh": clean["p256dh"],
            "auth": clean["auth"], "user_agent": (user_agent or "")[:200], "last_error": "",
        }, conflict=("endpoint",), update=("user", "p256dh", "auth", "user_agent", "last_error"))
        # A phone passed to someone else: nothing queued for the one before goes to it.
        (PushDelivery.delete().where(
            PushDelivery.subscription == sub_id, PushDelivery.status == "pending",
            PushDelivery.notification.in_(Notification.select(Notification.id).where(
                Notification.user != user.id))).execute())
        session = UserSession.get_or_none(UserSession.token == session_token)
        if session is not None:
            insert_row(PushDevice, {"subscription": sub_id, "session": session.id},
                       conflict=("subscription",), update=("session",))
    return PushSubscription.get_by_id(sub_id)


def refresh(user, clean):
    """Update the keys of the person's own subscription for this endpoint; say if there was one."""
    return PushSubscription.update(p256dh=clean["p256dh"], auth=clean["auth"]).where(
        PushSubscription.user == user.id,
        PushSubscription.endpoint == clean["endpoint"]).execute() > 0


def unsubscribe(user, endpoint):
    """Remove the person's own subscription for this endpoint; say whether there was one."""
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > MAX_ENDPOINT:
        raise DomainError(_("This notification address is not valid."), field="endpoint")
    return PushSubscription.delete().where(PushSubscription.user == user.id,
                                           PushSubscription.endpoint == endpoint).execute() > 0


def forget_session(token):
    """Remove the subscriptions made on a signed-in session (it is signing out)."""
    if not token:
        return 0
    made_there = (PushDevice.select(PushDevice.subscription).join(UserSession)
                  .where(UserSession.token == token))
    return PushSubscription.delete().where(PushSubscription.id.in_(made_there)).execute()
