"""Configuration read from the environment, with safe defaults for a laptop."""
import os
import secrets
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def _secret_key():
    """Return SECRET_KEY from the environment, else a key kept in instance/."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    INSTANCE.mkdir(exist_ok=True)
    path = INSTANCE / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def load(overrides=None):
    """Build the config mapping for create_app()."""
    cfg = {
        "SECRET_KEY": None,
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE / 'ledger.db'}"),
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR", str(INSTANCE / "uploads")),
        # `flask backup`: where archives go, and how many daily / monthly ones are kept.
        "BACKUP_DIR": os.environ.get("BACKUP_DIR", str(INSTANCE / "backups")),
        "BACKUP_KEEP_DAILY": int(os.environ.get("BACKUP_KEEP_DAILY", "14")),
        "BACKUP_KEEP_MONTHLY": int(os.environ.get("BACKUP_KEEP_MONTHLY", "6")),
        "PERMANENT_SESSION_LIFETIME": timedelta(days=int(os.environ.get("SESSION_DAYS", "60"))),
        # Only a response that changes the session sets its cookie. Re-sending it on every
        # response let a slow request (a file, a page the service worker fetches) put back the
        # session as it was when that request began: a scan ticket taken since, lost or revived.
        # load_actor touches the session once a day, so the cookie's 60 days follow use.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "SESSION_COOKIE_NAME": "gl_session",
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("TIMEZONE", "Asia/Shanghai"),
        "LANGUAGES": ["zh_Hans_CN", "en"],
        "LOGIN_MAX_FAILS_ACCOUNT": 5,
        "LOGIN_MAX_FAILS_ADDRESS": 30,
        "LOGIN_WINDOW_MINUTES": 15,
        # A phone that signed in to the account before (its known-device cookie) is not held
        # by the account's lock; its own wrong passwords have this limit in the same window.
        "LOGIN_MAX_FAILS_DEVICE": 5,
        "LOGIN_KNOWN_DEVICE_DAYS": 365,
        # Wrong typed check-in numbers: per person and per client address in the window; a
        # check-in by typed code after this many wrong ones is flagged 'after_wrong_codes'.
        "TYPED_MAX_WRONG_PERSON": 10,
        "TYPED_MAX_WRONG_ADDRESS": 30,
        "TYPED_WRONG_WINDOW_MINUTES": 10,
        "TYPED_FLAG_AFTER_WRONG": 3,
        # Satisfaction ratings by the people served (webapp.quality.ratings): a code lasts this
        # many days; per client address (kept only as a keyed hash) at most so many ratings
        # and desk-card scans in the window; a desk card mints at most so many codes a day.
        "RATING_CODE_DAYS": int(os.environ.get("RATING_CODE_DAYS", "7")),
        "RATING_MAX_ADDRESS": 20,
        "RATING_CARD_MAX_ADDRESS": 10,
        "RATING_WINDOW_MINUTES": 60,
        "RATING_CARD_MAX_DAY": 60,
        # Days from a complaint's receipt to its default deadline (editable per complaint).
        "COMPLAINT_DAYS": int(os.environ.get("COMPLAINT_DAYS", "30")),
        "VAPID_PUBLIC_KEY": os.environ.get("VAPID_PUBLIC_KEY", ""),
        "VAPID_PRIVATE_KEY": os.environ.get("VAPID_PRIVATE_KEY", ""),
        "VAPID_SUBJECT": os.environ.get("VAPID_SUBJECT", "mailto:admin@example.org"),
        # Web Push: nothing is pushed between these local times (HH:MM-HH:MM; empty: never
        # quiet); what falls due then waits. The sender pushes this many at once.
        "PUSH_QUIET_HOURS": os.environ.get("PUSH_QUIET_HOURS", "21:00-08:00"),
        "PUSH_CONCURRENCY": int(os.environ.get("PUSH_CONCURRENCY", "16")),
        # Only https endpoints on a named host are accepted (tests allow a local fake service).
        "PUSH_ENDPOINT_ANY_HOST": False,
        "TRUST_PROXY": os.environ.get("TRUST_PROXY", "0") == "1",
        # A check-in shared from farther than this from the training's venue is flagged 'far'.
        "TRAINING_GEOFENCE_METRES": int(os.environ.get("TRAINING_GEOFENCE_METRES", "500")),
        "TESTING": False,
    }
    if overrides:
        cfg.update(overrides)
    if not cfg["SECRET_KEY"]:
        cfg["SECRET_KEY"] = _secret_key()
    return cfg
