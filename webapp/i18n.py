"""Locale and time zone selection, and locale-aware formatting helpers."""
import datetime
import functools
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal as babel_format_decimal

from flask import current_app, g, request, session
from flask_babel import Babel, format_date, format_datetime, format_decimal, format_time, get_locale

babel = Babel()

LANGUAGE_NAMES = {"zh_Hans_CN": "中文", "en": "English"}


def select_locale():
    """Pick the user's setting, else the visitor's choice, else the browser's language."""
    user = getattr(g, "user", None)
    languages = current_app.config["LANGUAGES"]
    if user is not None and user.locale in languages:
        return user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    best = request.accept_languages.best_match(["zh", "zh-CN", "zh-Hans", "en"])
    if best and best.startswith("en"):
        return "en"
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def local_tz():
    """Return the deployment's time zone."""
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def to_local(dt):
    """Convert a stored naive-UTC datetime to the local zone."""
    return dt.replace(tzinfo=datetime.UTC).astimezone(local_tz())


def to_utc(local_dt):
    """Convert a naive local datetime (from a form) to naive UTC for storage."""
    return local_dt.replace(tzinfo=local_tz()).astimezone(datetime.UTC).replace(tzinfo=None)


def local_today():
    """Return today's date in the local zone."""
    return datetime.datetime.now(local_tz()).date()


HOURS_PATTERN = "#,##0.##"


@functools.lru_cache(maxsize=4096)
def _hours_text(value, locale):
    # Equal values format alike under this pattern (1, 1.0 and Decimal("1.00") all read "1"),
    # so the cache may key on the value. A dashboard formats thousands of the same few figures.
    return babel_format_decimal(value, format=HOURS_PATTERN, locale=locale)


def fmt_hours(value):
    """Format hours with up to two decimals for the locale."""
    return _hours_text(value or 0, str(get_locale()))


def init_app(app):
    """Configure Babel and register the formatting filters."""
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories="translations")
    app.jinja_env.filters.update(
        date=lambda d, f="medium": format_date(d, f) if d else "",
        datetime=lambda d, f="medium": format_datetime(d, f) if d else "",
        time=lambda d, f="short": format_time(d, f) if d else "",
        hours=fmt_hours,
        number=lambda n: format_decimal(n or 0),
    )
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    app.jinja_env.globals["get_locale"] = get_locale
