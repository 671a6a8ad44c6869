"""No input breaks the app: property-based tests over every form, JSON and query-string route.

The routes come from the app's URL map, so a route added later is fuzzed without a line here:
every endpoint with POST is sent its valid body (from ROUTES in tests/test_permissions.py)
with fields replaced by hostile text (digits of other scripts, control characters, NUL, the
neighbours of the surrogates, very long text), huge and negative numbers, repeated or missing
fields and garbage files; the fields are the valid body's, the names the view's source reads
and the names of the form its GET page shows. Every POST also gets bodies of the wrong shape
(JSON 2,000 deep, broken form and multipart bodies); JSON endpoints (a view that calls
get_json) get nesting, JSON that is not an object, garbage bytes and wrong types; GET views
that read request.args get hostile query strings, and text parts of URLs odd text. Each
request is made as a role ROUTES permits. The answer must never be a 5xx; a refused request
(4xx) must not add or remove a row in any table; after an endpoint's run no text column holds
a control character. Idempotent submissions (an idempotency key, an offline scan's key) sent
again must not make a second row.

Hypothesis is derandomized (a failure replays the same way) and the database is fresh for
each endpoint. FUZZ_EXAMPLES=200 runs a deeper sweep than the default.
"""
import base64
import inspect
import io
import json
import os
import re
import unicodedata
import uuid
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import request, url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from peewee import CharField, TextField
from werkzeug.exceptions import BadRequest

from tests.helpers import (ROLES, build_url, english_client, make_scene, rules_of, scene_code,
                           soup)
from tests.test_permissions import PUBLIC, ROUTES, SIGNED_IN
from webapp.app import create_app
from webapp.checkin import codes as qr
from webapp.db import db
from webapp.errors import DomainError
from webapp.inputs import clean_text, decimal_or_none, parse_count, parse_decimal
from webapp.ledger.models import Entry
from webapp.models import ALL_MODELS
from webapp.trainings.models import ScanReceipt

# Endpoints not fuzzed: files served from disk (no input but the path, which the URL map checks).
NOT_FUZZED = {"static"}
# Tables a refused request may write by design: failed sign-ins and wrongly typed check-in
# codes are counted for throttling (LoginAttempt); an offline scan's receipt keeps its answer,
# refusals included, so the same key is answered the same way (ScanReceipt).
WRITTEN_WHEN_REFUSED = {"login_attempt", "scan_receipt"}
# Text kept as it was sent, never shown or exported: the login a failed sign-in typed (the
# throttle's key, owned by accounts/services.py).
RAW_TEXT = {"LoginAttempt.account"}

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])

# ------------------------------------------------------------------ hostile values

ODD = [
    "\x00", "a\x00b", "\x00" * 3 + "1", "١٢٣٤٥٦", "۱۲۳", "❶", "𐩀", "𝟙𝟚", "１２", "²", "Ⅻ", "〇",
    "\ud7ff", "\ue000", "\uffff", "\U0010ffff", "\ufeff1", "\u202ex\u202c", "\u200b",
    "\r\n\x85\u2028\u2029", "\x1b[31m", "\x7f", "\t", " ", "", "NaN", "nan", "-Infinity",
    "Infinity", "1e999999", "1E-999999", "-1", "-0", "0", "0.1", "0.125", "1.", ".5", "1_000",
    "0x1F", " 7 ", "+3", "1,5", "1,000,000", "9" * 5000, "1." + "0" * 5000, "1" + "0" * 40,
    str(2 ** 63), str(-2 ** 63 - 1), str(2 ** 31), "x" * 20000, "字" * 5000, "=1+2", "@SUM(A1)",
    "=HYPERLINK(\"http://x\")", "<script>alert(1)</script>", "' OR 1=1 --", "%00", "../../x",
    "2026-02-30", "9999-12-31", "0001-01-01", "2026-13-45", "２０２６－０３－０５", "25:61",
    "24:00", "true", "null", "[]", "{}", "on", "None",
]
ALL_CHARS = st.characters(codec="utf-8")  # every category but the lone surrogates
HOSTILE = st.one_of(
    st.sampled_from(ODD),
    st.text(ALL_CHARS, max_size=40),
    st.text(st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=8),
    st.text(st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Co", "Cn"]), max_size=12),
    st.integers(-2 ** 80, 2 ** 80).map(str),
    st.floats().map(repr),
)
GARBAGE = st.one_of(st.binary(max_size=300),
                    st.sampled_from([b"%PDF-1.4\n" + bytes(range(256)), b"\xff\xd8\xff\xe0junk",
                                     b"\x89PNG\r\n\x1a\n\x00", b"PK\x03\x04" + b"\x00" * 40,
                                     "姓名,电话\n张三,١٣٩\n".encode("utf-16")]))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2 ** 80, 2 ** 80) | st.floats() | HOSTILE,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(HOSTILE, inner, max_size=3),
    max_leaves=8)
DEEP = ["[" * 2000, "[" * 2000 + "]" * 2000, '{"a":' * 2000 + "1" + "}" * 2000,
        "[" * 40 + "]" * 40, '{"url":' + "[" * 3000 + "]" * 3000 + "}", "1" * 5000,
        '{"key": "\\u0000\\ud800"}', '{"a": NaN}', "", "null", "[1,2]", '"x"', "5", "true"]
WRONG_SHAPES = [
    ("[" * 2000, "application/json"),
    ('{"csrf_token": "test-csrf-token", "title": "\\u0000"}', "application/json"),
    (b"\xff\xfe\x00garbage=%%%&&=", "application/x-www-form-urlencoded"),
    ("a=" + "%00" * 500 + "&a=%ZZ&=&&b", "application/x-www-form-urlencoded"),
    (b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\x00", "multipart/form-data; boundary=x"),
    (b"\x00" * 100, "multipart/form-data"),
]
MISSING = object()

# ------------------------------------------------------------------ what the app offers

_FORM_NAMES = re.compile(r"""(?:form|data|values|args|files)\.get(?:list)?\(\s*["'](\w+)["']""")


def _source(app, endpoint):
    try:
        return inspect.getsource(app.view_functions[endpoint])
    except (OSError, TypeError):
        return ""


def post_endpoints(app):
    """Every endpoint that takes a POST, from the URL map."""
    return {r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods} - NOT_FUZZED


def takes_json(app, endpoint):
    return "get_json" in _source(app, endpoint) or "request.json" in _source(app, endpoint)


def query_endpoints(app):
    """Every GET endpoint whose view reads the query string."""
    return {r.endpoint for r in app.url_map.iter_rules()
            if "GET" in r.methods and "request.args" in _source(app, r.endpoint)} - NOT_FUZZED


def role_for(route):
    """A role that may use the route (a visitor for a public one)."""
    if route.who == PUBLIC:
        return "anonymous"
    if route.who == SIGNED_IN:
        return "practitioner"
    return next(role for role in ROLES if role in route.who)


def row_counts():
    """The number of rows of every table, in one round trip."""
    tables = sorted(m._meta.table_name for m in ALL_MODELS)
    sql = " UNION ALL ".join(f"SELECT '{t}', COUNT(*) FROM \"{t}\"" for t in tables)
    return dict(db.execute_sql(sql).fetchall())


def stored_control_characters():
    """Every text value in the database that holds a control character (a newline aside)."""
    found = []
    for model in ALL_MODELS:
        for field in model._meta.sorted_fields:
            if not isinstance(field, (CharField, TextField)) or (
                    f"{model.__name__}.{field.name}" in RAW_TEXT):
                continue
            for row in model.select(model._meta.primary_key, field).where(field.is_null(False)):
                value = getattr(row, field.name)
                if any(unicodedata.category(ch) == "Cc" and ch != "\n" for ch in value):
                    found.append(f"{model.__name__}.{field.name}={value[:80]!r}")
    return found


def changed_tables(before, after):
    return {t for t in before if before[t] != after[t]} - WRITTEN_WHEN_REFUSED


def _b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _subscription():
    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        Encoding.X962, PublicFormat.UncompressedPoint)
    return {"endpoint": f"https://fcm.googleapis.com/fcm/send/{uuid.uuid4().hex}",
            "keys": {"p256dh": _b64(point), "auth": _b64(os.urandom(16))}}


def _scan(scene):
    return {"url": "https://any.host" + qr.path_of(scene_code(scene)),
            "scanned_at": int(qr.now_seconds() * 1000), "key": uuid.uuid4().hex}


# The valid JSON each JSON endpoint takes (ROUTES has a form body for the matrix); another
# JSON endpoint is fuzzed from an empty object.
JSON_BODIES = {
    "checkin.sync": _scan,
    "push.subscribe": lambda s: _subscription(),
    "push.unsubscribe": lambda s: {"endpoint": _subscription()["endpoint"]},
}


def form_fields(client, url, rule, body, source):
    """The names a hostile body may set: the valid body's, the view's, its page form's."""
    names = set(body) | set(_FORM_NAMES.findall(source))
    if "GET" in rule.methods:
        response = client.get(url)
        if response.status_code == 200 and response.mimetype == "text/html":
            for node in soup(response).select("form[method=post] [name]"):
                names.add(node["name"])
        response.close()
    return sorted(names - {"csrf_token"})


@st.composite
def hostile_forms(draw, body, fields):
    """The valid body with one to three fields replaced, repeated, emptied or dropped."""
    data = {k: str(v) for k, v in body.items()}
    for _ in range(draw(st.integers(1, 3))):
        field = draw(st.sampled_from(fields))
        value = draw(st.one_of(HOSTILE, st.just(MISSING), st.lists(HOSTILE, min_size=2,
                                                                   max_size=3)))
        if value is MISSING:
            data.pop(field, None)
        else:
            data[field] = value
    return data


@st.composite
def hostile_files(draw, names):
    """Garbage uploads under the view's file field names, with hostile file names."""
    return {name: (io.BytesIO(draw(GARBAGE)), draw(HOSTILE) or "x", draw(st.sampled_from(
        ["image/jpeg", "application/pdf", "text/csv", "application/octet-stream", ""])))
        for name in names if draw(st.booleans())}


@st.composite
def hostile_json(draw, body):
    """A JSON body: the valid object with a field of a wrong type, deep nesting, garbage."""
    kind = draw(st.sampled_from(["field", "field", "value", "deep", "bytes"]))
    if kind == "field":
        data = dict(body)
        field = draw(st.sampled_from(sorted(data) + ["extra"]))
        value = draw(st.one_of(JSON_VALUES, st.just(MISSING)))
        if value is MISSING:
            data.pop(field, None)
        else:
            data[field] = value
        return json.dumps(data).encode("utf-8", "surrogatepass")
    if kind == "value":
        return json.dumps(draw(JSON_VALUES)).encode("utf-8", "surrogatepass")
    if kind == "deep":
        return draw(st.sampled_from(DEEP)).encode()
    return draw(GARBAGE)


# ------------------------------------------------------------------ the sweep

# What the sweep was parametrized with at collection (checked against the app's URL map).
PARAMETRIZED = {}


def pytest_generate_tests(metafunc):
    # The parameters come from the URL map at collection time: build the app's map once.
    if "post_endpoint" in metafunc.fixturenames or "query_endpoint" in metafunc.fixturenames:
        app = create_app({"TESTING": True, "DATABASE_URL": "sqlite:///:memory:",
                          "SECRET_KEY": "collect"})
        if "post_endpoint" in metafunc.fixturenames:
            PARAMETRIZED["post"] = sorted(post_endpoints(app))
            metafunc.parametrize("post_endpoint", PARAMETRIZED["post"])
        if "query_endpoint" in metafunc.fixturenames:
            PARAMETRIZED["query"] = sorted(query_endpoints(app))
            metafunc.parametrize("query_endpoint", PARAMETRIZED["query"])


def _check(response, where, before):
    status = response.status_code
    response.close()
    assert status < 500, f"{where}: {status}"
    if 400 <= status < 500:
        changed = changed_tables(before, row_counts())
        assert not changed, f"{where}: refused with {status} but wrote to {sorted(changed)}"
    return status


def test_post_routes_take_any_input(app, client, world, make_user, fast_passwords,
                                    post_endpoint):
    route = ROUTES[post_endpoint]
    scene = make_scene(world, make_user, client, role_for(route))
    body = route.post(scene) if callable(route.post) else dict(route.post or {})
    source = _source(app, post_endpoint)
    csrf = client.csrf()
    for rule in rules_of(app, post_endpoint):
        if "POST" not in rule.methods:
            continue
        url = build_url(app, rule, scene)
        # The page's GET first: it names the form's fields, and does what a first visit does
        # (the categories page seeds the default categories), so that is not the POST's write.
        fields = form_fields(client, url, rule, body, source)
        # Bodies of the wrong shape, to every route: JSON where a form is expected (with the
        # CSRF header a script would send), a form body that is not form-encoded, a broken
        # multipart body.
        for raw, content_type in WRONG_SHAPES:
            before = row_counts()
            response = client.c.post(url, data=raw, content_type=content_type,
                                     headers={"X-CSRF-Token": csrf})
            _check(response, f"POST {url} {content_type} {raw[:60]!r}", before)
        if takes_json(app, post_endpoint):
            valid = (JSON_BODIES.get(post_endpoint) or (lambda s: {}))(scene)
            for raw in DEEP:
                before = row_counts()
                response = client.c.post(url, data=raw, content_type="application/json",
                                         headers={"X-CSRF-Token": csrf})
                _check(response, f"POST {url} {raw[:60]!r}", before)

            @FUZZ
            @given(payload=hostile_json(valid))
            def send_json(payload):
                before = row_counts()
                response = client.c.post(url, data=payload, content_type="application/json",
                                         headers={"X-CSRF-Token": csrf})
                _check(response, f"POST {url} {payload[:200]!r}", before)

            send_json()
        file_names = sorted(set(re.findall(r"""files\.get(?:list)?\(\s*["'](\w+)""", source)))

        @FUZZ
        @given(data=hostile_forms(body, fields or ["value"]), files=hostile_files(file_names))
        def send_form(data, files):
            before = row_counts()
            response = client.post(url, {**data, **files})
            _check(response, f"POST {url} {str(data)[:300]}", before)

        send_form()
    stored = stored_control_characters()
    assert not stored, f"POST {post_endpoint} stored control characters: {stored[:5]}"


def test_query_strings_take_any_input(app, client, world, make_user, fast_passwords,
                                      query_endpoint):
    route = ROUTES[query_endpoint]
    scene = make_scene(world, make_user, client, role_for(route))
    names = sorted(set(re.findall(r"""args\.get(?:list)?\(\s*["'](\w+)""",
                                  _source(app, query_endpoint))) or {"q"})
    for rule in rules_of(app, query_endpoint):
        if "GET" not in rule.methods:
            continue
        url = build_url(app, rule, scene)

        @FUZZ
        @given(query=st.dictionaries(st.sampled_from(names), HOSTILE, min_size=1))
        def send(query):
            before = row_counts()
            response = client.get(url, query_string=query)
            _check(response, f"GET {url} {str(query)[:300]}", before)

        send()


PATH_VALUES = ["١٢٣", "❶", "\x00", "é", "9" * 5000, "-1", "2026-13", "２０２６－０５", "0000-00",
               "%00", "..", "x" * 3000, "\ufeff", "\U0010ffff", "<b>", "' OR 1=1"]


def test_text_url_parts_take_any_input(app, world, make_user, fast_passwords):
    """Every text part of a URL (not an id: those are a 404 by the converter) given odd text."""
    checked = set()
    for rule in app.url_map.iter_rules():
        text_parts = [name for name, conv in rule._converters.items()
                      if type(conv).__name__ == "UnicodeConverter"]
        if rule.endpoint in NOT_FUZZED or not text_parts:
            continue
        client = english_client(app)
        scene = make_scene(world, make_user, client, role_for(ROUTES[rule.endpoint]))
        good = build_url(app, rule, scene)
        for name in text_parts:
            for value in PATH_VALUES:
                with app.test_request_context():
                    parts = dict(urlparse_args(app, rule, good), **{name: value})
                    url = url_for(rule.endpoint, **parts)
                for method in sorted(rule.methods & {"GET", "POST"}):
                    before = row_counts()
                    response = client.get(url) if method == "GET" else client.post(url, {})
                    _check(response, f"{method} {url[:200]}", before)
        checked.add(rule.endpoint)
    assert {"checkin.scanned", "ledger.new", "bulletins.page"} <= checked


def urlparse_args(app, rule, url):
    """The URL parts of `url` as its rule reads them."""
    adapter = app.url_map.bind("localhost")
    endpoint, values = adapter.match(url, method=sorted(rule.methods - {"OPTIONS", "HEAD"})[0])
    return {k: v for k, v in values.items() if k not in (rule.defaults or {})}


def test_every_post_route_is_fuzzed(app):
    """The sweep's parameters are the URL map's POST endpoints, less the documented few."""
    every_post = {r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods}
    assert set(PARAMETRIZED["post"]) == every_post - NOT_FUZZED
    assert set(PARAMETRIZED["query"]) == query_endpoints(app)
    assert len(every_post) > 50 and NOT_FUZZED <= {r.endpoint for r in app.url_map.iter_rules()}
    missing = every_post - NOT_FUZZED - set(ROUTES)
    assert not missing, f"POST endpoints without a ROUTES line (and so no valid body): {missing}"


# ------------------------------------------------------------------ the findings, by hand

@pytest.mark.parametrize("people", ["❶", "𐩀", "١٢", "Ⅻ", "9" * 5000, "-1", "1e3"])
def test_people_served_in_other_digits_is_a_message(client, make_user, fast_passwords, people):
    person = make_user("practitioner")
    client.login(person)
    form = {"date": "2026-06-01", "hours": "1", "category": "consultation",
            "people_served": people, "idempotency_key": uuid.uuid4().hex}
    response = client.post("/ledger/new/public_service", form)
    assert response.status_code == 400
    assert Entry.select().count() == 0
    entry = Entry.create(user=person, kind="public_service", date="2026-06-01", hours=1,
                         category="consultation", source="self", status="pending")
    response = client.post(f"/ledger/entries/{entry.id}/edit", {**form, "idempotency_key": ""})
    assert response.status_code == 400


def test_typed_code_in_other_digits_is_refused(client, make_user, fast_passwords):
    client.login(make_user("practitioner"))
    for code in ("١٢٣٤٥٦", "１２３４５６", "𝟙𝟚𝟛𝟜𝟝𝟞", "12\x0034"):
        assert client.post("/checkin/code", {"code": code}).status_code == 400


def test_nul_in_a_login_is_a_refused_login(client, make_user, fast_passwords):
    make_user("practitioner")
    for login in ("\x00", "139\x0000000001", "a" * 10000 + "\x00"):
        response = client.post("/login", {"login": login, "password": "x\x00"})
        assert response.status_code in (400, 401, 429)


def test_deep_json_to_sync_is_a_400(client, make_user, fast_passwords):
    client.login(make_user("practitioner"))
    headers = {"X-CSRF-Token": client.csrf()}
    for raw in DEEP:
        response = client.c.post("/checkin/sync", data=raw, content_type="application/json",
                                 headers=headers)
        assert response.status_code == 400, raw[:40]


# ------------------------------------------------------------------ repeated submissions

def test_the_same_submission_again_saves_once(app, world, make_user, fast_passwords):
    """A POST whose valid body carries an idempotency key, sent again, adds no row."""
    checked = set()
    for endpoint in sorted(post_endpoints(app)):
        route = ROUTES[endpoint]
        client = english_client(app)
        scene = make_scene(world, make_user, client, role_for(route))
        body = route.post(scene) if callable(route.post) else dict(route.post or {})
        if "idempotency_key" not in body:
            continue
        for rule in rules_of(app, endpoint):
            url = build_url(app, rule, scene)
            first = client.post(url, body)
            assert first.status_code in (200, 303), (url, first.status_code)
            after_first = row_counts()
            for _ in range(3):
                assert client.post(url, body).status_code < 500
            assert row_counts() == after_first, f"POST {url} again wrote more rows"
        checked.add(endpoint)
    assert {"ledger.new", "reports.new"} <= checked


@settings(max_examples=5, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(repeats=st.integers(2, 5))
def test_an_offline_scan_sent_again_counts_once(app, client, world, make_user, fast_passwords,
                                                repeats):
    scene = make_scene(world, make_user, client, "practitioner")
    body = _scan(scene)
    headers = {"X-CSRF-Token": client.csrf()}
    before = ScanReceipt.select().count()
    answers = {client.c.post("/checkin/sync", json=body, headers=headers).status_code
               for _ in range(repeats)}
    assert max(answers) < 500 and len(answers) == 1  # the same answer each time
    assert ScanReceipt.select().where(ScanReceipt.key == body["key"]).count() == 1
    assert ScanReceipt.select().count() == before + 1


# ------------------------------------------------------------------ the request class itself

def test_nul_is_stripped_from_forms_queries_json_and_file_names(app):
    data = {"ti\x00tle": "a\x00b", "file": (io.BytesIO(b"x"), "evil\x00.pdf")}
    with app.test_request_context("/x?q=1\x002&k\x00=v", method="POST", data=data):
        assert request.form.to_dict() == {"title": "ab"}
        assert request.args.to_dict() == {"q": "12", "k": "v"}
        assert request.values["title"] == "ab"
        assert request.files["file"].filename == "evil.pdf"
    raw = json.dumps({"k\x00": ["x\x00", {"y": "\x00z"}], "n": 1})
    with app.test_request_context("/x", method="POST", data=raw,
                                  content_type="application/json"):
        assert request.get_json() == {"k": ["x", {"y": "z"}], "n": 1}
        assert request.get_json(silent=True) == {"k": ["x", {"y": "z"}], "n": 1}


@pytest.mark.parametrize("raw", ["[" * 2000, "[" * 40 + "]" * 40, '{"a":' * 2000 + "1" + "}" * 2000,
                                 "not json", "1" * 5000, "\xff"])
def test_unreadable_json_is_none_when_silent_and_a_400_otherwise(app, raw):
    with app.test_request_context("/x", method="POST", data=raw.encode("latin-1"),
                                  content_type="application/json"):
        assert request.get_json(silent=True) is None
        with pytest.raises(BadRequest) as caught:
            request.get_json()
        assert caught.value.code == 400
        assert request.get_json(silent=True) is None


# ------------------------------------------------------------------ the one parser, the one cleaner

@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(HOSTILE, st.text(ALL_CHARS)))
def test_parsers_give_a_number_or_a_message(app, text):
    with app.test_request_context():
        number = decimal_or_none(text)
        assert number is None or (number.is_finite() and number >= 0)
        for parse in (lambda: parse_count(text, "f", "F", 10 ** 6),
                      lambda: parse_decimal(text, "f", "F", Decimal("0.25"), Decimal(24),
                                            step=Decimal("0.25"))):
            try:
                value = parse()
            except DomainError as error:
                assert error.field == "f" and error.message
            else:
                assert value is None or 0 <= value <= 10 ** 6
        try:
            clean = clean_text(text, "f", "F", 10 ** 6, multiline=True)
        except DomainError:
            clean = ""
        assert not any(unicodedata.category(ch) in ("Cc", "Cs") and ch != "\n" for ch in clean)


@pytest.mark.parametrize("text,number", [("12", Decimal(12)), ("1.5", Decimal("1.5")),
                                         (".25", Decimal("0.25")), ("2.", Decimal(2))])
def test_decimal_or_none_reads_ascii_decimals(text, number):
    assert decimal_or_none(text) == number


@pytest.mark.parametrize("text", ["١٫٥", "١", "𝟙", "❶", "-1", "+1", "1e3", "NaN", "Infinity",
                                  "1_0", "0x1", "1,5", "1.2.3", "", " ", "9" * 20, "."])
def test_decimal_or_none_refuses_everything_else(text):
    assert decimal_or_none(text) is None
