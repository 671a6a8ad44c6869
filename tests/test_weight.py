"""Issue 13, weight: the app compresses what it sends (Flask-Compress: brotli, else gzip), lets
browsers keep versioned static files for a year, and the practitioner's home stays light.

The figures are printed (run with -s to see them); the browser's own measure, on the wire, is
tests/browser/test_weight_flow.py.
"""
import datetime
import gzip
import io
from decimal import Decimal
from urllib.parse import urlparse

import brotli
import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook

from tests.helpers import soup
from webapp.accounts.models import Notification
from webapp.i18n import local_today, to_utc
from webapp.ledger.models import Entry
from webapp.pwa import SHELL
from webapp.trainings.models import Training, TrainingCategory

BROWSER = "gzip, deflate, br, zstd"  # what chromium sends over https and to localhost
KB = 1024
FIRST_LOAD = 60 * KB
LATER_VISIT = 10 * KB
HTMX_SWAP = 5 * KB
IMMUTABLE = "public, max-age=31536000, immutable"
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _fast(fast_passwords):
    """Every test here signs in: use cheap hashes."""


@pytest.fixture
def practitioner(make_user, world):
    """A practitioner with a full home: a training today, entries waiting, messages."""
    user = make_user(name="李明华")
    today = local_today()
    category = TrainingCategory.create(name="业务技能")
    start = to_utc(datetime.datetime.combine(today, datetime.time(14, 30)))
    Training.create(title="《民法典》合同编疑难问题解析", category=category, organiser=world["a"],
                    start_at=start, end_at=start + datetime.timedelta(hours=2),
                    credit_hours=2, secret="s" * 32, place="县司法局三楼会议室")
    kept = [("public_service", "approved"), ("public_service", "pending"),
            ("legal_aid", "approved"), ("education", "declined")]
    for n, (kind, status) in enumerate(kept):
        fields = {"count": 1} if kind == "legal_aid" else {"hours": Decimal("2.5")}
        Entry.create(user=user, kind=kind, status=status, source="self",
                     date=today - datetime.timedelta(days=n), **fields)
    for n in range(3):
        Notification.create(user=user, kind="review", message=f"您提交的公益服务记录（第{n + 1}条）已通过审核。")
    return user


def fetch(client, url, accept="", **headers):
    """GET url asking for these encodings; read the body and close the response (a file)."""
    response = client.get(url, headers={"Accept-Encoding": accept, **headers})
    response.get_data()
    response.close()
    return response


def signed_in_client(client, user):
    client.login(user)
    client.c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    return client


def decoded(response):
    """The response's body as the browser sees it, after Content-Encoding."""
    body = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        return brotli.decompress(body)
    if encoding == "gzip":
        return gzip.decompress(body)
    assert encoding is None, encoding
    return body


def page_of(response):
    """Parse a (perhaps compressed) HTML response."""
    return BeautifulSoup(decoded(response).decode(), "html.parser")


def wire(response):
    """Bytes on the wire for an HTTP/1.1 response: status line, headers, body."""
    head = f"HTTP/1.1 {response.status}\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in response.headers.items()) + "\r\n"
    return len(head.encode()) + len(response.get_data())


def linked_files(page):
    """The style sheets and scripts a page loads, as the browser asks for them."""
    links = [tag["href"] for tag in page.find_all("link", rel="stylesheet")]
    scripts = [tag["src"] for tag in page.find_all("script", src=True)]
    return links + scripts


def version_of(app):
    return app.config["STATIC_VERSION"]


# ---------------------------------------------------------------- the encoding chosen

@pytest.mark.parametrize("accept, expected", [
    (BROWSER, "br"),
    ("gzip, deflate", "gzip"),   # chromium over plain http, older WebViews
    ("br;q=0.5, gzip", "gzip"),  # the browser's order of preference
    ("identity", None),
    ("", None),
])
def test_pages_fragments_and_static_files_are_compressed_as_the_browser_accepts(
        app, client, practitioner, accept, expected):
    signed_in_client(client, practitioner)
    home = fetch(client, "/home/me", accept)
    fragment = fetch(client, "/ledger/year?kind=public_service", accept, **HTMX)
    script = fetch(client, f"/static/vendor/htmx/htmx.min.js?v={version_of(app)}", accept)
    style = fetch(client, "/static/css/app.css", accept)
    worker = fetch(client, "/sw.js", accept)
    manifest = fetch(client, "/manifest.webmanifest", accept)
    with open(app.static_folder + "/vendor/htmx/htmx.min.js", "rb") as fh:
        plain_script = fh.read()
    for response in (home, fragment, script, style, worker, manifest):
        assert response.status_code == 200, response.request.path
        assert response.headers.get("Content-Encoding") == expected, response.request.path
        assert "accept-encoding" in response.headers["Vary"].lower(), response.request.path
        if expected:
            assert len(response.get_data()) < len(decoded(response)) * 0.6, response.request.path
    assert decoded(script) == plain_script
    assert "hx-request" in home.headers["Vary"].lower()  # the page's own Vary is kept
    assert page_of(home).find("h1") is not None and b"<!doctype html>" in decoded(home)
    assert fragment.headers["Cache-Control"] == "no-store"
    assert b"<html" not in decoded(fragment)  # a fragment, as htmx asked


def test_compressed_pages_keep_the_security_headers(client, practitioner):
    signed_in_client(client, practitioner)
    response = fetch(client, "/home/me", BROWSER)
    assert response.headers["Content-Encoding"] == "br"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_images_workbooks_and_tiny_answers_are_sent_as_they_are(app, client, practitioner):
    signed_in_client(client, practitioner)
    icon = fetch(client, "/static/icons/icon-192.png", BROWSER)
    assert icon.status_code == 200 and "Content-Encoding" not in icon.headers
    year = local_today().year
    workbook = fetch(client, f"/ledger/year/{year}/summary.xlsx", BROWSER)
    assert workbook.status_code == 200 and "Content-Encoding" not in workbook.headers
    assert load_workbook(io.BytesIO(workbook.get_data())).active is not None  # still a workbook
    health = fetch(client, "/healthz", BROWSER)
    assert health.status_code == 200 and "Content-Encoding" not in health.headers  # under 500 B
    assert health.get_json() == {"ok": True}


# ---------------------------------------------------------------- cache headers

def test_versioned_static_files_are_kept_a_year_and_others_asked_again(app, client):
    version = version_of(app)
    fresh = fetch(client, f"/static/js/core.js?v={version}", BROWSER)
    assert fresh.headers["Cache-Control"] == IMMUTABLE
    assert "cookie" not in fresh.headers["Vary"].lower()  # a new cookie must not refetch it
    for url in ("/static/js/core.js", "/static/js/core.js?v=0123456789",  # none, an old one
                "/static/icons/favicon-32.png"):
        response = fetch(client, url, BROWSER)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-cache", url
        assert response.headers.get("ETag"), url
    missing = fetch(client, f"/static/js/nothing.js?v={version}")
    assert missing.status_code == 404 and missing.headers["Cache-Control"] == "no-store"
    worker = fetch(client, "/sw.js", BROWSER)
    assert worker.headers["Cache-Control"] == "no-cache"  # a new version is seen at once


@pytest.mark.parametrize("accept", [BROWSER, "gzip", ""])
def test_etags_still_answer_304_to_a_browser_that_has_the_file(app, client, accept):
    for url in (f"/static/css/app.css?v={version_of(app)}", "/static/css/app.css",
                "/static/icons/icon-192.png", "/manifest.webmanifest"):
        first = fetch(client, url, accept)
        etag = first.headers["ETag"]
        again = fetch(client, url, accept, **{"If-None-Match": etag})
        assert again.status_code == 304, url
        assert again.get_data() == b""


# ---------------------------------------------------------------- the practitioner's home

def test_the_practitioners_home_is_light_compressed(app, client, practitioner):
    """First load (page and its files) <= 60 KB, a later visit (the page alone: its files are
    kept a year) <= 10 KB, and an htmx swap reached from it (My year's filter) <= 5 KB."""
    signed_in_client(client, practitioner)
    home = fetch(client, "/home/me", BROWSER)
    assert home.status_code == 200 and home.headers["Content-Encoding"] == "br"
    page = page_of(home)
    sizes = {"/home/me (HTML)": (wire(home), len(decoded(home)))}
    files = linked_files(page)
    assert {urlparse(f).path for f in files} >= {"/static/css/app.css",
                                                 "/static/vendor/htmx/htmx.min.js",
                                                 "/static/js/core.js", "/static/js/outbox.js"}
    for url in files:
        assert urlparse(url).query == f"v={version_of(app)}", url  # kept a year
        response = fetch(client, url, BROWSER)
        assert response.status_code == 200 and response.headers["Content-Encoding"] == "br", url
        assert response.headers["Cache-Control"] == IMMUTABLE, url
        sizes[urlparse(url).path] = (wire(response), len(decoded(response)))
    swap = fetch(client, "/ledger/year?kind=public_service", BROWSER, **HTMX)
    assert swap.status_code == 200

    first = sum(on_wire for on_wire, _plain in sizes.values())
    plain = sum(raw for _on_wire, raw in sizes.values())
    print("\nthe practitioner's home, brotli (bytes on the wire / uncompressed):")
    for name, (on_wire, raw) in sizes.items():
        print(f"  {name:40} {on_wire:7,} / {raw:7,}")
    print(f"  {'first load (without icons, manifest)':40} {first:7,} / {plain:7,}")
    print(f"  {'later visit (the page alone)':40} {wire(home):7,}")
    print(f"  {'htmx swap: My year filtered':40} {wire(swap):7,} / {len(decoded(swap)):7,}")
    assert first <= FIRST_LOAD
    assert wire(home) <= LATER_VISIT
    assert wire(swap) <= HTMX_SWAP


def test_the_service_worker_precaches_no_qr_decoder_and_little_else(app, client):
    """jsQR is fetched by the Scan tab only without a BarcodeDetector (then sw.js keeps it)."""
    assert "vendor/jsqr/jsQR.js" not in SHELL
    version = version_of(app)
    total = 0
    for name in SHELL:
        response = fetch(client, f"/static/{name}?v={version}", BROWSER)
        assert response.status_code == 200, name
        total += wire(response)
    print(f"\nthe service worker's precache, brotli: {total:,} bytes on the wire "
          f"({len(SHELL)} files; much of it already in the browser's cache from the page)")
    assert total <= 80 * KB


def test_the_scan_tab_names_the_decoder_but_does_not_load_it(app, client, practitioner):
    signed_in_client(client, practitioner)
    page = soup(fetch(client, "/scan"))
    scripts = [urlparse(tag["src"]).path for tag in page.find_all("script", src=True)]
    assert "/static/js/scanner.js" in scripts
    assert not any("jsqr" in path.lower() for path in scripts)
    decoder = page.find(id="scanner")["data-decoder"]
    assert decoder == f"/static/vendor/jsqr/jsQR.js?v={version_of(app)}"
    response = fetch(client, decoder, BROWSER)
    assert response.headers["Content-Encoding"] == "br"
    assert response.headers["Cache-Control"] == IMMUTABLE
    print(f"\njsQR, fetched only without a BarcodeDetector: {wire(response):,} bytes on the "
          f"wire ({len(decoded(response)):,} uncompressed)")
