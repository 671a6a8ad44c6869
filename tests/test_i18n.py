"""Both catalogues are complete, every source string is in them, and formatting follows the locale."""
import datetime
import os
from configparser import ConfigParser

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import render_template_string
from flask_babel import force_locale

from tests.helpers import soup, text_of
from webapp.accounts.models import UserSession
from webapp.config import ROOT
from webapp.i18n import local_today, to_local, to_utc

LOCALES = ("zh_Hans_CN", "en")
TRANSLATIONS = ROOT / "webapp" / "translations"
# The keywords tools/po_update.sh extracts with.
KEYWORDS = dict(DEFAULT_KEYWORDS, lazy_gettext=None, _l=None, ngettext=(1, 2))


def load_catalogue(locale):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh, locale=locale)


def method_map():
    """Read babel.cfg the way pybabel does: [method: pattern] sections."""
    parser = ConfigParser()
    parser.read(ROOT / "babel.cfg")
    mapping = []
    for section in parser.sections():
        method, pattern = (part.strip() for part in section.split(":", 1))
        mapping.append((pattern, method))
    return mapping


@pytest.fixture(scope="module")
def source_messages():
    """Every msgid in the current source: {msgid (singular): first place it is used}."""
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=method_map(), keywords=KEYWORDS,
            # like pybabel's CLI, look inside templates/_macros (only dot-folders are skipped)
            directory_filter=lambda path: not os.path.basename(path).startswith(".")):
        msgid = message[0] if isinstance(message, (tuple, list)) else message
        if msgid:
            found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def test_babel_cfg_covers_python_and_templates():
    patterns = dict(method_map())
    assert patterns == {"webapp/**.py": "python", "templates/**.html": "jinja2"}


def test_extraction_finds_the_strings(source_messages):
    # So the test below cannot pass by finding nothing.
    assert len(source_messages) > 100
    assert "Sign in" in source_messages
    assert "Continuing education" in source_messages          # lazy_gettext as _l
    assert "%(num)d person" in source_messages                 # ngettext in a template


@pytest.mark.parametrize("locale", LOCALES)
def test_every_source_string_is_in_the_catalogue(locale, source_messages):
    catalogue = load_catalogue(locale)
    missing = sorted(f"{msgid!r} ({where})" for msgid, where in source_messages.items()
                     if catalogue.get(msgid) is None)
    assert not missing, (
        f"{len(missing)} strings are not in the {locale} catalogue; run "
        f"`bash tools/po_update.sh` and translate them: " + "; ".join(missing[:20]))


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_has_no_untranslated_or_fuzzy_message(locale):
    catalogue = load_catalogue(locale)
    untranslated, fuzzy = [], []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, (tuple, list)) else [message.string]
        if not strings or not all(s and s.strip() for s in strings):
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert not untranslated, (
        f"{len(untranslated)} untranslated in {locale} (see `python tools/po_fill.py "
        f"--missing`): {untranslated[:20]}")
    assert not fuzzy, f"fuzzy in {locale}: {fuzzy[:20]}"


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_the_placeholders(locale):
    catalogue = load_catalogue(locale)
    problems = []
    for message, errors in catalogue.check():
        problems.extend(f"{message.id!r}: {error}" for error in errors)
    assert not problems, problems[:20]


def test_chinese_catalogue_has_one_plural_form():
    catalogue = load_catalogue("zh_Hans_CN")
    assert catalogue.num_plurals == 1
    for message in catalogue:
        if message.id and message.pluralizable:
            assert len(message.string) == 1, message.id


def _key(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalogue_matches_the_po_file(locale):
    mo_path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo"
    assert mo_path.exists(), "run `make translations` (pybabel compile)"
    with open(mo_path, "rb") as fh:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(fh) if m.id}
    source = {_key(m.id): _key(m.string) for m in load_catalogue(locale) if m.id and not m.fuzzy}
    stale = sorted(str(k) for k in source if compiled.get(k) != source[k])
    assert not stale, (f"messages.mo for {locale} is older than messages.po; run "
                       f"`pybabel compile -d webapp/translations`: {stale[:10]}")


# ------------------------------------------------------------------ formatting

def render_in(app, locale, template, **context):
    with app.test_request_context():
        with force_locale(locale):
            return render_template_string(template, **context)


def test_dates_follow_the_locale(app):
    day = datetime.date(2026, 3, 5)
    assert render_in(app, "zh_Hans_CN", "{{ d|date }}", d=day) == "2026年3月5日"
    assert render_in(app, "zh_Hans_CN", "{{ d|date('full') }}", d=day) == "2026年3月5日星期四"
    assert render_in(app, "en", "{{ d|date }}", d=day) == "Mar 5, 2026"
    assert render_in(app, "en", "{{ d|date('full') }}", d=day) == "Thursday, March 5, 2026"
    assert render_in(app, "en", "{{ d|date }}", d=None) == ""


def test_datetimes_are_shown_in_shanghai_time(app):
    stored = datetime.datetime(2026, 1, 1, 16, 30)  # naive UTC, as in the database
    assert render_in(app, "en", "{{ t|datetime('short') }}", t=stored) == "1/2/26, 12:30\u202fAM"
    assert render_in(app, "zh_Hans_CN", "{{ t|datetime('short') }}", t=stored) == "2026/1/2 00:30"
    assert render_in(app, "en", "{{ t|time }}", t=stored) == "12:30\u202fAM"
    assert render_in(app, "zh_Hans_CN", "{{ t|time }}", t=stored) == "00:30"


def test_numbers_and_hours(app):
    assert render_in(app, "en", "{{ n|hours }}", n=12.5) == "12.5"
    assert render_in(app, "en", "{{ n|hours }}", n=None) == "0"
    assert render_in(app, "en", "{{ n|hours }}", n=2.25) == "2.25"
    assert render_in(app, "en", "{{ n|number }}", n=1234567) == "1,234,567"
    assert render_in(app, "zh_Hans_CN", "{{ n|number }}", n=1234567) == "1,234,567"


def test_local_time_conversions(app):
    with app.app_context():
        stored = datetime.datetime(2026, 6, 30, 20, 0)
        local = to_local(stored)
        assert (local.date(), local.hour, local.utcoffset()) == (
            datetime.date(2026, 7, 1), 4, datetime.timedelta(hours=8))
        assert to_utc(datetime.datetime(2026, 7, 1, 4, 0)) == stored
        today = local_today()
        now_shanghai = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=8)
        assert today in (now_shanghai.date(), (now_shanghai - datetime.timedelta(minutes=1)).date())


def test_a_page_shows_stored_times_in_shanghai_time(client, make_user, fast_passwords):
    user = make_user()
    client.login(user)
    agent = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
             "Version/17.0 Mobile/15E148 Safari/604.1")
    other = UserSession.create(token="x" * 40, user=user, user_agent=agent,
                               last_seen_at=datetime.datetime(2026, 1, 1, 16, 30))
    page = soup(client.get("/me"))
    row = text_of(page.find("form", action=f"/me/devices/{other.id}/end").find_parent("li"))
    assert row == "iPhone · Safari Last used 1/2/26, 12:30 AM Sign out"


def test_default_language_is_chinese(make_client):
    for accept in ("zh-CN,zh;q=0.9", "fr", ""):
        client = make_client(accept)
        doc = soup(client.get("/login"))
        assert doc.html["lang"] == "zh-CN", accept
        assert text_of(doc.find("h1")) == "登录"
    english = soup(make_client("en-US,en;q=0.9").get("/login"))
    assert english.html["lang"] == "en" and text_of(english.find("h1")) == "Sign in"
