"""The installable app: manifest, icons, service worker, offline page, sign-out clearing."""
import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from PIL import Image

from tests.helpers import soup
from webapp.config import ROOT


@pytest.fixture
def manifest(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    data = json.loads(response.get_data(as_text=True))
    response.close()
    return data


def test_manifest_has_what_an_install_needs(manifest):
    for key in ("name", "short_name", "start_url", "theme_color", "background_color", "scope"):
        assert isinstance(manifest[key], str) and manifest[key], key
    assert len(manifest["short_name"]) <= 12
    assert manifest["display"] == "standalone"
    assert manifest["start_url"].startswith("/") and manifest["scope"] == "/"
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", manifest["theme_color"])
    assert manifest["lang"] == "zh-CN"


def _icon_path(src):
    path = urlparse(src).path
    assert path.startswith("/static/"), src
    return ROOT / "static" / path[len("/static/"):]


def test_manifest_icons_exist_with_their_stated_sizes(client, manifest):
    icons = manifest["icons"]
    sizes = {icon["sizes"] for icon in icons}
    assert {"192x192", "512x512"} <= sizes
    assert any("maskable" in icon.get("purpose", "").split() for icon in icons)
    assert any("any" in icon.get("purpose", "any").split() and icon["sizes"] == "512x512"
               for icon in icons)
    for icon in icons:
        path = _icon_path(icon["src"])
        assert path.is_file(), icon["src"]
        width, height = (int(n) for n in icon["sizes"].split("x"))
        with Image.open(path) as image:
            assert image.format == "PNG" and icon["type"] == "image/png"
            assert image.size == (width, height), icon["src"]
        response = client.get(icon["src"])
        assert response.status_code == 200
        response.close()


def test_maskable_icon_keeps_its_content_in_the_safe_zone(manifest):
    icon = next(i for i in manifest["icons"] if "maskable" in i.get("purpose", ""))
    with Image.open(_icon_path(icon["src"])) as image:
        rgba = image.convert("RGBA")
        width, height = rgba.size
        # A maskable icon is fully opaque: the platform cuts its own shape out of it.
        assert rgba.getextrema()[3][0] == 255
        corner = rgba.getpixel((2, 2))
        assert corner == rgba.getpixel((width - 3, height - 3))


def test_pages_link_the_manifest_and_icons(client):
    doc = soup(client.get("/login"))
    assert doc.find("link", rel="manifest")["href"] == "/manifest.webmanifest"
    icon = doc.find("link", rel="apple-touch-icon")["href"]
    with Image.open(_icon_path(icon)) as image:
        assert image.size == (180, 180)
    assert doc.find("meta", attrs={"name": "theme-color"})["content"]
    assert doc.find("meta", attrs={"name": "sw-url"})["content"] == "/sw.js"


@pytest.fixture
def service_worker(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    return response


def test_service_worker_is_served_from_the_root_as_javascript(service_worker, app):
    assert service_worker.mimetype in ("text/javascript", "application/javascript")
    assert service_worker.headers["Service-Worker-Allowed"] == "/"
    assert "no-cache" in service_worker.headers["Cache-Control"]
    body = service_worker.get_data(as_text=True)
    version = app.config["STATIC_VERSION"]
    assert re.fullmatch(r"[0-9a-f]{10}", version)
    assert f'var VERSION = "{version}";' in body
    assert "__PRECACHE__" not in body and "__OFFLINE__" not in body and "__VERSION__" not in body


def precache_list(body):
    match = re.search(r"var PRECACHE = (\[.*?\]);", body)
    assert match, "no precache list in sw.js"
    return json.loads(match.group(1))


def test_every_precached_url_answers_200(client, service_worker, app):
    body = service_worker.get_data(as_text=True)
    urls = precache_list(body)
    assert len(urls) >= 4
    version = app.config["STATIC_VERSION"]
    paths = {urlparse(u).path for u in urls}
    assert {"/static/css/app.css", "/static/js/core.js", "/static/js/outbox.js",
            "/offline"} <= paths
    for url in urls:
        assert f"v={version}" in url, url
        response = client.get(url)
        assert response.status_code == 200, url
        response.close()
    offline = json.loads(re.search(r"var OFFLINE_URL = (\".*?\");", body).group(1))
    assert offline in urls


def test_nothing_personal_is_precached(service_worker):
    for url in precache_list(service_worker.get_data(as_text=True)):
        path = urlparse(url).path
        assert path.startswith("/static/") or path in ("/offline", "/manifest.webmanifest"), url


def test_static_version_follows_the_static_files(tmp_path):
    from webapp.app import _set_static_version

    (tmp_path / "static" / "css").mkdir(parents=True)
    (tmp_path / "templates" / "pwa").mkdir(parents=True)
    (tmp_path / "static" / "css" / "app.css").write_text("body{}")
    (tmp_path / "templates" / "pwa" / "offline.html").write_text("<p>offline</p>")

    class Fake:
        static_folder = str(tmp_path / "static")
        template_folder = str(tmp_path / "templates")

        def __init__(self):
            self.config = {}

    def version():
        fake = Fake()
        _set_static_version(fake)
        return fake.config["STATIC_VERSION"]

    first = version()
    assert version() == first
    (tmp_path / "static" / "css" / "app.css").write_text("body{color:red}")
    second = version()
    assert second != first
    (tmp_path / "templates" / "pwa" / "offline.html").write_text("<p>no network</p>")
    assert version() not in (first, second)


def test_offline_page_has_no_personal_data_when_signed_in(client, make_user, fast_passwords):
    user = make_user(name="独特名字", licence_no="LIC-UNIQUE-77")
    client.login(user)
    home = client.get("/home/me").get_data(as_text=True)
    assert user.name in home  # so the check below could fail
    response = client.get("/offline")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for secret in (user.name, user.phone, user.firm.name, "LIC-UNIQUE-77"):
        assert secret not in html
    doc = soup(response)
    assert doc.find("meta", attrs={"name": "csrf-token"}) is None
    assert doc.find("input", attrs={"name": "csrf_token"}) is None
    # Its one tab bar is the practitioner's, the same for everyone, in a template that
    # offline.js puts in only if this phone keeps their Log tab.
    [nav] = doc.find_all("nav")
    assert nav.find_parent(attrs={"data-kept-tabbar": True}).name == "template"
    assert doc.find(attrs={"data-offline-page": True})


def test_offline_page_for_a_visitor(client):
    response = client.get("/offline")
    assert response.status_code == 200
    assert soup(response).find("h1")


def test_logout_clears_site_data(client, make_user, fast_passwords):
    client.login(make_user())
    response = client.logout()
    assert response.status_code == 303
    directives = [d.strip() for d in response.headers["Clear-Site-Data"].split(",")]
    assert '"cache"' in directives and '"storage"' in directives


def test_sign_out_forms_are_marked_for_the_client_side_cleanup(client, make_user,
                                                               fast_passwords):
    client.login(make_user())
    doc = soup(client.get("/me"))
    form = doc.find("form", action="/logout")
    assert form is not None and form.has_attr("data-logout")


def test_service_worker_source_keeps_no_page_but_the_listed_ones():
    source = (ROOT / "static" / "js" / "sw.js").read_text(encoding="utf-8")
    navigate = source[source.index('if (request.mode === "navigate") {'):]
    navigate = navigate[:navigate.index("return;")]
    # The pages kept are the listed ones (the Scan tab, the Log tab and its three forms), each
    # under its one path, with the server's mark, and only as an answer to a navigation that
    # the network could not answer (tests/test_scan_offline.py).
    assert re.findall(r"\.put\(([^,)]*)", navigate) == ["keptUrl"]
    assert re.findall(r"\.match\(([^,)]*)", navigate) == ["keptUrl", "OFFLINE_URL"]
    assert re.findall(r"keptUrl = ([^;]*);", navigate) == [
        "KEEP_URLS.indexOf(url.pathname) >= 0 || KEEP_OPENED.test(url.pathname) ? url.pathname : null"]
    # A study material is kept once opened (its own path, /study/<n>, and nothing else).
    assert "var KEEP_OPENED = /^\\/study\\/([0-9]+)?$/;" in source
    assert "keptUrl && keepable(response)" in navigate
    keepable = source[source.index("function keepable("):]
    keepable = keepable[:keepable.index("\n}\n")]
    assert 'response.headers.get("X-Keep-Offline") === "1"' in keepable
    # The kept pages a kept page links to are kept too (warm), on the same terms: only the
    # listed paths, only with the server's mark, and not after a drop of the kept pages.
    warm = source[source.index("function warm("):]
    warm = warm[:warm.index("\n}\n")]
    assert re.findall(r"\.put\(([^,)]*)", warm) == ["path"]
    assert "keepable(response)" in warm and "gen !== generation" in warm
    links = source[source.index("function keptLinks("):]
    assert "KEEP_URLS.indexOf(target.pathname) >= 0" in links[:links.index("\n}\n")]
    puts = re.findall(r"\.put\(([^,)]*)", source)
    assert puts.count("keptUrl") == 1 and puts.count("path") == 1  # pages: these two only


# ---------------------------------------------------------------- scripts: one core, page scripts

JS = ROOT / "static" / "js"


def _scripts(response):
    """The local script paths a page loads, in order."""
    return [urlparse(tag["src"]).path for tag in soup(response).find_all("script")]


def test_every_script_a_template_names_is_a_static_file():
    named = set()
    for template in (ROOT / "templates").rglob("*.html"):
        named |= set(re.findall(r"filename='(js/[^']+)'", template.read_text(encoding="utf-8")))
    assert {"js/core.js", "js/outbox.js", "js/ledger.js", "js/scanner.js"} <= named
    for name in named:
        assert (ROOT / "static" / name).is_file(), name
    assert not (JS / "app.js").exists()  # core.js took its place


@pytest.mark.parametrize("path, page_scripts", [
    ("/home/me", []),
    ("/ledger/", []),
    ("/ledger/new/public_service", ["/static/js/ledger.js"]),
    ("/ledger/year", []),
    ("/scan", ["/static/js/scanner.js"]),
    ("/me", ["/static/js/push.js"]),
])
def test_each_page_loads_the_core_the_outbox_and_only_its_own_scripts(
        client, make_user, fast_passwords, path, page_scripts):
    user = make_user()
    client.login(user)
    response = client.get(path)
    assert response.status_code == 200
    assert _scripts(response) == ["/static/vendor/htmx/htmx.min.js", "/static/js/core.js",
                                  "/static/js/outbox.js"] + page_scripts
    outbox = soup(response).find("script", src=re.compile("outbox.js"))
    assert outbox["data-user"] == str(user.id) and outbox["data-scan-sync"] == "/checkin/sync"
    assert all(tag.has_attr("defer") for tag in soup(response).find_all("script"))


def test_a_visitor_gets_the_core_but_no_outbox(client):
    assert _scripts(client.get("/login")) == ["/static/vendor/htmx/htmx.min.js",
                                              "/static/js/core.js"]


def test_the_kept_pages_scripts_are_all_precached(client, make_user, fast_passwords, service_worker):
    """A page the service worker keeps must run without network: every script it names."""
    precached = {urlparse(u).path for u in precache_list(service_worker.get_data(as_text=True))}
    client.login(make_user())
    keep = json.loads(re.search(r"var KEEP_URLS = (.*?);", service_worker.get_data(as_text=True))[1])
    assert "/scan" in keep and "/ledger/new/education" in keep
    for path in keep:
        response = client.get(path)
        assert response.status_code == 200, path
        assert set(_scripts(response)) <= precached, path


@pytest.mark.parametrize("marker, home", [
    ('meta[name="csrf-token"]', "core.js"),          # the CSRF token
    ("createImageBitmap(", "core.js"),               # photos made smaller
    ("data-logout", "core.js"),                      # the sign-out warning
    ("htmx:beforeSwap", "core.js"),                  # refused htmx answers shown
    ("indexedDB.open(", "outbox.js"),                # the one outbox
    ("gl-scan-queue", "outbox.js"),                  # (only to move old scans in)
])
def test_each_front_end_rule_lives_in_one_script(marker, home):
    holders = sorted(p.name for p in JS.glob("*.js") if marker in p.read_text(encoding="utf-8"))
    assert holders == [home]


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"ok": True}


def test_icon_files_are_all_used_or_known():
    icons = {p.name for p in (Path(ROOT) / "static" / "icons").glob("*.png")}
    assert {"icon-192.png", "icon-512.png", "maskable-512.png", "favicon-32.png",
            "apple-touch-icon.png"} <= icons
