"""CSRF protection, strict Content-Security-Policy, security and cache headers, session cookie."""
import hmac
import json
import secrets

from flask import abort, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}

# A static file asked for with this version's ?v= never changes under that URL, so the browser
# keeps it a year without asking again; any other (an icon without ?v=, an old ?v=) is asked
# again each time, and its ETag answers 304 when it has not changed.
STATIC_VERSIONED = "public, max-age=31536000, immutable"
STATIC_UNVERSIONED = "no-cache"

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "manifest-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def csrf_token():
    """Return this browser's CSRF token, creating it on first use."""
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


class CSRFError(Exception):
    """A state-changing request came without a valid CSRF token."""


class _PlainJSON:
    """The session's serializer: plain compact JSON (the session holds only JSON values)."""

    @staticmethod
    def dumps(value):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    @staticmethod
    def loads(text):
        return json.loads(text)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, with plain JSON and one signing serializer per app.

    Flask builds a new signing serializer on every request and tags every value for types the
    session never holds (tuples, bytes, dates, Markup); on the check-in path both showed.
    Flash messages come back as [category, message] lists, which templates unpack the same way.
    """
    serializer = _PlainJSON()

    def get_signing_serializer(self, app):
        cached = app.extensions.get("gl_session_signer")
        if cached is None or cached[0] != app.secret_key:
            cached = (app.secret_key, super().get_signing_serializer(app))
            app.extensions["gl_session_signer"] = cached
        return cached[1]

    def save_session(self, app, session, response):
        """Save the session as Flask does; a static file does not vary by cookie."""
        super().save_session(app, session, response)
        if request.endpoint == "static" and not session.modified:
            # A file is the same for everyone: without this, each new cookie (a sign-in, a
            # form's token) would make the browser fetch again every file it keeps for a year.
            response.vary.discard("cookie")  # lower case: werkzeug's HeaderSet misses "Cookie"


def init_app(app):
    """Install the session cookie, the CSRF check and the response headers."""
    app.session_interface = SessionInterface()
    app.jinja_env.globals["csrf_token"] = csrf_token

    @app.before_request
    def _check_csrf():
        if request.method in SAFE_METHODS or app.config.get("CSRF_DISABLED"):
            return
        if request.endpoint in app.config.get("CSRF_EXEMPT", ()):
            return
        sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
        expected = session.get("csrf", "")
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            g.csrf_failed = True
            abort(400, description=_("This form has expired. Go back, reload the page and try again."))

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(self), geolocation=(self), microphone=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        if request.endpoint == "static" and response.status_code in (200, 304):
            versioned = request.args.get("v") == app.config.get("STATIC_VERSION")
            response.headers["Cache-Control"] = (STATIC_VERSIONED if versioned
                                                 else STATIC_UNVERSIONED)
        return response
