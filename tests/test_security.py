"""Content-Security-Policy, no inline code, CSRF, cookies, security headers, safe redirects."""
import re
from urllib.parse import urlparse

import pytest

from tests.helpers import PASSWORD, ROLES, build_url, make_scene, soup, text_of
from webapp.accounts.models import User, UserSession
from webapp.security import CSP
from webapp.web import STORED_FILE_CSP

# Stored files (evidence, activity photos, report attachments) go out sandboxed.
FILE_ENDPOINTS = {"ledger.evidence_file", "branches.photo", "reports.attachment", "study.attachment",
                  "study_manage.attachment"}


def sent_a_file(endpoint, response):
    return endpoint in FILE_ENDPOINTS and response.status_code == 200


def csp_directives(header):
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_csp_is_strict():
    directives = csp_directives(CSP)
    for name in ("default-src", "script-src", "style-src"):
        assert directives[name] == ["'self'"], name
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"] and directives["form-action"] == ["'self'"]
    assert "unsafe" not in CSP and "*" not in CSP


@pytest.mark.parametrize("url", ["/login", "/sw.js", "/manifest.webmanifest", "/offline",
                                 "/healthz", "/static/css/app.css", "/no-such-page"])
def test_every_answer_has_the_security_headers(client, url):
    response = client.get(url)
    response.close()
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    if response.mimetype == "text/html" and url != "/offline":
        # Pages with people's data are never stored; the offline page is the exception
        # (it has none, and the service worker keeps it).
        assert "no-store" in response.headers["Cache-Control"]


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://ledger.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


# ------------------------------------------------------------------ no inline code anywhere

EVENT_ATTR = re.compile(r"^on[a-z]+$", re.I)


def inline_code_problems(html):
    """Return what in this HTML the CSP would block (or what would need 'unsafe-inline')."""
    doc = soup_text(html)
    problems = []
    for script in doc.find_all("script"):
        if not script.get("src") and script.get("type") != "application/json":
            problems.append(f"inline <script>: {str(script)[:80]}")
        elif script.get("src") and script.string and script.string.strip():
            problems.append(f"<script src> with content: {str(script)[:80]}")
    for style in doc.find_all("style"):
        problems.append(f"<style> element: {str(style)[:80]}")
    for tag in doc.find_all(True):
        for attr, value in tag.attrs.items():
            if EVENT_ATTR.match(attr):
                problems.append(f"{attr}= on <{tag.name}>")
            if attr == "style":
                problems.append(f"style= on <{tag.name}>")
            if attr in ("href", "src", "action", "formaction") and isinstance(value, str) and \
                    value.strip().lower().startswith("javascript:"):
                problems.append(f"javascript: URL on <{tag.name}>")
            if attr in ("hx-on", "hx-vars") or attr.startswith("hx-on"):
                problems.append(f"{attr} (evaluated code) on <{tag.name}>")
    return problems


def soup_text(html):
    from bs4 import BeautifulSoup
    return BeautifulSoup(html, "html.parser")


def test_the_inline_code_check_finds_what_it_should():
    bad = ('<script>alert(1)</script><div onclick="x()"></div><p style="color:red"></p>'
           '<style>p{}</style><a href="javascript:x()">a</a><button hx-on:click="x">b</button>')
    assert len(inline_code_problems(bad)) == 6
    good = '<script src="/static/js/app.js" defer></script><p class="x">ok</p>'
    assert inline_code_problems(good) == []


@pytest.mark.parametrize("role", ROLES)
def test_no_page_needs_unsafe_inline(app, client, world, make_user, fast_passwords, role):
    scene = make_scene(world, make_user, client, role)
    seen = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        url = build_url(app, rule, scene)
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code != 500, f"GET {url} as {role}"
            assert response.headers["Content-Security-Policy"] == (
                STORED_FILE_CSP if sent_a_file(rule.endpoint, response) else CSP)
            if response.mimetype != "text/html" or not response.data:
                response.close()
                continue
            seen += 1
            problems = inline_code_problems(response.get_data(as_text=True))
            assert not problems, f"GET {url} as {role} {headers}: {problems}"
    assert seen >= 5


def test_error_and_form_pages_have_no_inline_code(client, make_user, fast_passwords):
    user = make_user("county_admin")
    client.login(user)
    for response in (client.post("/admin/people/new", {"name": ""}),
                     client.post("/admin/firms/new", {"name": ""}),
                     client.post("/me/password", {"current": "x"}),
                     client.get("/admin/people/999999"),
                     client.post("/login", {"login": "x"}, csrf=False)):
        assert response.status_code in (400, 404)
        assert not inline_code_problems(response.get_data(as_text=True))


# ------------------------------------------------------------------ CSRF

def test_post_without_a_token_is_refused_and_changes_nothing(client, make_user, fast_passwords):
    admin = make_user("county_admin")
    client.login(admin)
    person = make_user()
    response = client.post(f"/admin/people/{person.id}/active", {"active": "0"}, csrf=False)
    assert response.status_code == 400
    assert text_of(soup(response).find("h1")) == (
        "This form has expired. Go back, reload the page and try again.")
    assert User.get_by_id(person.id).active is True


@pytest.mark.parametrize("how", ["form", "header"])
def test_post_with_the_token_in_the_form_or_the_htmx_header_is_accepted(
        client, make_user, fast_passwords, how):
    admin = make_user("county_admin")
    client.login(admin)
    person = make_user()
    token = client.csrf()
    if how == "form":
        response = client.post(f"/admin/people/{person.id}/active", {"active": "0"})
    else:
        response = client.post(f"/admin/people/{person.id}/active", {"active": "0"}, csrf=False,
                               htmx=True, headers={"X-CSRF-Token": token})
    assert response.status_code in (303, 204)
    assert User.get_by_id(person.id).active is False


@pytest.mark.parametrize("sent", ["wrong", "", "test-csrf-token "])
def test_a_wrong_token_is_refused(client, make_user, fast_passwords, sent):
    admin = make_user("county_admin")
    client.login(admin)
    person = make_user()
    response = client.post(f"/admin/people/{person.id}/active",
                           {"active": "0", "csrf_token": sent})
    assert response.status_code == 400
    response = client.post(f"/admin/people/{person.id}/active", {"active": "0"}, csrf=False,
                           headers={"X-CSRF-Token": sent})
    assert response.status_code == 400
    assert User.get_by_id(person.id).active is True


def test_a_token_from_another_browser_is_refused(make_client, make_user, fast_passwords):
    victim, attacker = make_client(), make_client()
    user = make_user()
    victim.login(user)
    with attacker.c.session_transaction() as sess:
        sess["csrf"] = "attackers-own-token"
    response = victim.post("/logout", {"csrf_token": "attackers-own-token"}, csrf=False)
    assert response.status_code == 400
    assert victim.get("/home/me").status_code == 200


def test_pages_carry_the_token_for_forms_and_htmx(client, make_user, fast_passwords):
    client.login(make_user("county_admin"))
    doc = soup(client.get("/admin/people/new"))
    token = doc.find("meta", attrs={"name": "csrf-token"})["content"]
    assert token
    for form in doc.find_all("form", method="post"):
        assert form.find("input", {"name": "csrf_token"})["value"] == token


# ------------------------------------------------------------------ cookies and sessions

def test_session_cookie_flags(client, make_user, fast_passwords):
    user = make_user()
    response = client.post("/login", {"login": user.phone, "password": PASSWORD})
    cookie = next(c for c in response.headers.getlist("Set-Cookie")
                  if c.startswith("gl_session="))
    flags = {part.strip().split("=")[0].lower(): part for part in cookie.split(";")[1:]}
    assert "httponly" in flags
    assert flags["samesite"].split("=")[1].strip() == "Lax"
    assert "expires" in flags  # a permanent session: phones stay signed in
    assert "secure" not in flags  # plain http in tests; SESSION_COOKIE_SECURE=1 in production


def _sets_session_cookie(response):
    response.close()  # a file is streamed
    return any(c.startswith("gl_session=") for c in response.headers.getlist("Set-Cookie"))


def test_only_a_change_to_the_session_sets_its_cookie(client, make_user, fast_passwords):
    """A slow read-only request must not put back the session as it was when it began."""
    client.login(make_user())
    client.get("/")  # the day's first request renews the cookie
    client.get("/scan")  # the first form makes the CSRF token
    for url in ("/", "/healthz", "/static/css/app.css", "/sw.js", "/scan"):
        assert not _sets_session_cookie(client.get(url)), url
    with client.c.session_transaction() as sess:
        sess["day"] = 1  # as if last seen long ago
    response = client.get("/")
    assert _sets_session_cookie(response)  # once a day, so the 60 days follow use
    assert "expires" in next(c for c in response.headers.getlist("Set-Cookie")
                             if c.startswith("gl_session=")).lower()
    assert not _sets_session_cookie(client.get("/"))


def test_login_replaces_the_session_so_a_planted_cookie_is_useless(client, make_user,
                                                                  fast_passwords):
    user = make_user()
    with client.c.session_transaction() as sess:
        sess["grant"] = 999
        sess["planted"] = "x"
    client.login(user)
    with client.c.session_transaction() as sess:
        assert "planted" not in sess and "grant" not in sess
        token = sess["token"]
    assert UserSession.get(UserSession.token == token).user_id == user.id


# ------------------------------------------------------------------ redirects stay on site

@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example",
    "/\t/evil.example", "/\n/evil.example", "/\r/evil.example", " //evil.example",
    "http:/evil.example", "javascript:alert(1)", "evil.example",
])
def test_login_next_cannot_leave_the_site(client, make_user, fast_passwords, target):
    user = make_user()
    response = client.post("/login", {"login": user.phone, "password": PASSWORD,
                                      "next": target})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location == "/", f"next={target!r} redirected to {location!r}"


@pytest.mark.parametrize("target", ["/\t/evil.example", "//evil.example"])
def test_language_next_cannot_leave_the_site(client, target):
    response = client.post("/language", {"locale": "en", "next": target})
    assert response.headers["Location"] == "/"


def test_password_next_cannot_leave_the_site(client, make_user, fast_passwords):
    user = make_user()
    client.login(user)
    response = client.post("/me/password?next=/%09/evil.example",
                           {"current": PASSWORD, "new": "new-pass-123", "repeat": "new-pass-123"})
    assert urlparse(response.headers["Location"]).netloc == ""
    assert response.headers["Location"] == "/me"


def test_login_next_keeps_a_local_path(client, make_user, fast_passwords):
    user = make_user()
    response = client.post("/login", {"login": user.phone, "password": PASSWORD,
                                      "next": "/home/me?x=1"})
    assert response.headers["Location"] == "/home/me?x=1"


# ------------------------------------------------------------------ crawl the demo as each role

CRAWL_LIMIT = 30
SKIP_SUFFIXES = (".xlsx", ".ics", ".png", ".jpg", ".pdf", ".css", ".js", ".webmanifest")


def _links(doc):
    """Same-site GET targets on a page: links, GET forms, hx-get."""
    found = []
    for tag in doc.find_all("a", href=True):
        found.append((tag["href"], False))
    for tag in doc.find_all(attrs={"hx-get": True}):
        found.append((tag["hx-get"], True))
    for form in doc.find_all("form"):
        if form.get("method", "get").lower() == "get" and form.get("action"):
            found.append((form["action"], False))
    out = []
    for href, htmx in found:
        parsed = urlparse(href)
        if parsed.scheme or parsed.netloc or not parsed.path.startswith("/"):
            continue
        if parsed.path.startswith("/static/") or parsed.path.endswith(SKIP_SUFFIXES):
            continue
        url = parsed.path + (f"?{parsed.query}" if parsed.query else "")
        out.append((url, htmx))
    return out


def crawl(client, start="/"):
    """Visit pages reachable by GET from start, a few per endpoint; return {url: status}."""
    adapter = client.c.application.url_map.bind("localhost")
    per_endpoint = {}
    seen, queue, statuses = set(), [(start, False)], {}
    while queue and len(statuses) < CRAWL_LIMIT:
        url, htmx = queue.pop(0)
        if (url, htmx) in seen:
            continue
        seen.add((url, htmx))
        try:
            endpoint = adapter.match(urlparse(url).path, method="GET")[0]
        except Exception:  # noqa: BLE001 - a 404 or a redirect: visit it anyway
            endpoint = url
        per_endpoint[endpoint] = per_endpoint.get(endpoint, 0) + 1
        if per_endpoint[endpoint] > 2:
            continue
        response = client.get(url, headers={"HX-Request": "true"} if htmx else {},
                              follow_redirects=True)
        statuses[(url, htmx)] = response.status_code
        assert response.status_code != 500, f"GET {url}: server error"
        assert response.headers["Content-Security-Policy"] == (
            STORED_FILE_CSP if sent_a_file(endpoint, response) else CSP)
        if response.mimetype != "text/html":
            response.close()
            continue
        html = response.get_data(as_text=True)
        problems = inline_code_problems(html)
        assert not problems, f"GET {url}: {problems}"
        queue.extend(link for link in _links(soup_text(html)) if link not in seen)
    return statuses


@pytest.fixture
def demo(fast_passwords):  # noqa: F811
    from webapp.demo import load_demo
    return load_demo()


# Each person of the demo in English, two of them in Chinese too; a few people per test, so
# the demo (the slow part) is built three times rather than once for each person.
CRAWLS = {"en-0-3": ([0, 1, 2, 3], "en"), "en-4-7": ([4, 5, 6, 7], "en"),
          "zh-1-4": ([1, 4], "zh-CN")}


@pytest.mark.parametrize("crawl_group", sorted(CRAWLS))
def test_crawl_the_demo_as_each_person(demo, make_client, crawl_group):
    indexes, language = CRAWLS[crawl_group]
    for index in indexes:
        _role, phone, password = demo[index]
        client = make_client(language)
        response = client.post("/login", {"login": phone, "password": password})
        assert response.status_code == 303, phone
        statuses = crawl(client)
        # Someone with several roles: look around in each of them.
        user = User.get(User.phone == phone)
        for grant in list(user.grants):
            assert client.post("/me/role", {"grant": grant.id}).status_code == 303
            statuses.update(crawl(client))
        assert len(statuses) >= 3, phone
        dead = {url: status for (url, _htmx), status in statuses.items() if status >= 400}
        assert not dead, f"pages link to what {phone} ({language}) cannot open: {dead}"
