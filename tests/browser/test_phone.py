"""The app on a phone: sign-in per role, PWA (manifest, service worker, offline), language,
layout at 360 px, and no console errors or CSP violations.

Everything runs in Debian's chromium (see conftest.py) against the app under gunicorn.
"""
import pytest

from tests.browser.helpers import (HOME_PATHS, LAYOUT_JS, NARROW, NETWORK_NOISE, ROLES,
                                   activate_service_worker, assert_clean, check_layout, expect,
                                   heading, home_heading, login, screenshot, translated)


# ---------------------------------------------------------------- (1) every role signs in

@pytest.mark.parametrize("role", ROLES)
def test_each_role_signs_in_and_reaches_home(phone, live_server, role_states, role):
    context = phone()  # signed out: go through the real form
    page = context.new_page()
    login(page, role, live_server.people)
    assert page.url == live_server.base_url + HOME_PATHS[role]
    assert heading(page) == home_heading(live_server, role)
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    role_states.setdefault(role, context.storage_state())
    screenshot(page, f"home-{role}")
    assert_clean(context)


# ---------------------------------------------------------------- (2) manifest and service worker

MANIFEST_JS = """async () => {
  const link = document.querySelector('link[rel=manifest]');
  const response = await fetch(link.href);
  const manifest = await response.json();
  const icons = [];
  for (const icon of manifest.icons || []) {
    const url = new URL(icon.src, link.href).href;
    const img = new Image();
    img.src = url;
    let size = null;
    try { await img.decode(); size = img.naturalWidth + 'x' + img.naturalHeight; } catch (e) {}
    const head = await fetch(url);
    icons.push({src: icon.src, sizes: icon.sizes, type: icon.type, purpose: icon.purpose || 'any',
                status: head.status, contentType: head.headers.get('content-type'), size});
  }
  return {status: response.status, contentType: response.headers.get('content-type'),
          manifest, icons, manifestUrl: link.href,
          themeMeta: document.querySelector('meta[name=theme-color]').content};
}"""


def test_manifest_is_installable(phone):
    page = phone().new_page()
    page.goto("/login")
    got = page.evaluate(MANIFEST_JS)
    assert got["status"] == 200
    assert got["contentType"].startswith("application/manifest+json")
    m = got["manifest"]
    assert m["name"] and m["short_name"] and len(m["short_name"]) <= 12
    assert m["display"] in ("standalone", "fullscreen", "minimal-ui")
    assert m["lang"] == "zh-CN"
    assert m["scope"] == "/"
    assert m["start_url"].startswith(m["scope"])
    assert m["theme_color"].lower() == got["themeMeta"].lower()
    assert m["background_color"]
    for icon in got["icons"]:
        assert icon["status"] == 200, icon
        assert icon["type"] == "image/png" and icon["contentType"] == "image/png", icon
        assert icon["size"] == icon["sizes"], icon  # the declared size is the real one
    any_sizes = {i["sizes"] for i in got["icons"] if "any" in i["purpose"].split()}
    assert {"192x192", "512x512"} <= any_sizes
    assert any("maskable" in i["purpose"].split() for i in got["icons"])


def test_service_worker_controls_the_page(phone, live_server):
    context = phone()
    page = context.new_page()
    page.goto("/login")
    assert page.evaluate("window.isSecureContext") is True
    assert activate_service_worker(page) == live_server.base_url + "/sw.js"
    # The shell and the offline page are precached; pages with people's data are not.
    cached = page.evaluate("""async () => {
      const out = [];
      for (const key of await caches.keys()) {
        const cache = await caches.open(key);
        for (const r of await cache.keys()) out.push(new URL(r.url).pathname);
      }
      return out;
    }""")
    assert "/offline" in cached and "/static/css/app.css" in cached
    assert not any(path.startswith(("/home", "/login", "/me", "/admin")) for path in cached)
    assert_clean(context)


# ---------------------------------------------------------------- (3) offline

def test_offline_page_then_back_online(phone, live_server):
    context = phone("practitioner")
    page = context.new_page()
    page.goto("/home/me")
    assert activate_service_worker(page)
    banner = page.locator("#offline-banner")
    assert banner.is_hidden()

    context.set_offline(True)
    banner.wait_for(state="visible")  # the open page says it is offline
    page.reload()
    offline_heading, _ = translated("No network")
    assert page.locator("[data-offline-page]").count() == 1
    assert heading(page) == offline_heading
    # The offline page shows nobody's data and no form token.
    assert live_server.people["practitioner"]["name"] not in page.content()
    assert page.locator("meta[name=csrf-token]").count() == 0
    screenshot(page, "offline")

    context.set_offline(False)
    # The offline page stands at the page's own address: wait for the reload, not the address.
    with page.expect_navigation(url="**/home/me"):
        page.locator("[data-reload]").click()
    expect(page.locator("[data-offline-page]")).to_have_count(0)
    assert heading(page) == home_heading(live_server, "practitioner")
    assert page.locator("#offline-banner").is_hidden()
    assert_clean(context, ignore=NETWORK_NOISE)


# ---------------------------------------------------------------- (4) language switch

def test_language_switch_on_login_page(phone):
    context = phone()
    page = context.new_page()
    page.goto("/login")
    html = page.locator("html")
    assert html.get_attribute("lang") == "zh-CN"
    chinese, has_chinese = translated("Sign in")

    # The switch posts a form that leads back to this address: wait for that page to load
    # (a check run while it was loading once found no document element).
    with page.expect_navigation(url="**/login"):
        page.locator("button[name=locale][value=en]").click()
    expect(html).to_have_attribute("lang", "en")
    assert page.url.endswith("/login")
    assert heading(page) == "Sign in"
    assert page.locator("button[name=locale][value=en]").get_attribute("aria-pressed") == "true"
    screenshot(page, "login-en")

    with page.expect_navigation(url="**/login"):
        page.locator("button[name=locale][value=zh_Hans_CN]").click()
    expect(html).to_have_attribute("lang", "zh-CN")
    assert page.locator("button[name=locale][value=zh_Hans_CN]").get_attribute(
        "aria-pressed") == "true"
    if has_chinese:  # translations are filled in as the work goes on
        assert heading(page) == chinese
    screenshot(page, "login-zh")
    assert_clean(context)


# ---------------------------------------------------------------- (5) layout at 360 px

def test_layout_checks_can_fail(phone):
    """The layout probe does see overflow, small targets, tiny text and the tab bar
    covering content (so the tests below can fail)."""
    page = phone("practitioner", **NARROW).new_page()
    page.goto(HOME_PATHS["practitioner"])
    page.evaluate("""() => {
      document.body.style.paddingBottom = '0';
      const spacer = document.querySelector('.tabbar-spacer');
      if (spacer) { spacer.style.display = 'none'; }
      const main = document.querySelector('main');
      main.style.paddingBottom = '0';
      const wide = document.createElement('div');
      wide.style.width = '500px';
      wide.textContent = 'wide';
      wide.style.fontSize = '10px';
      const button = document.createElement('button');
      button.textContent = 'small';
      button.style.cssText = 'min-height:0;height:30px;padding:0';
      main.append(button, wide);
    }""")
    got = page.evaluate(LAYOUT_JS)
    assert got["scrollWidth"] > 360
    assert any('"small"' in s for s in got["small"])
    assert any('"wide"' in s for s in got["tiny"])
    assert got["hidden"] is not None


@pytest.mark.parametrize("role", ROLES)
def test_home_fits_360_px(phone, role):
    context = phone(role, **NARROW)
    page = context.new_page()
    page.goto(HOME_PATHS[role])
    screenshot(page, f"home-{role}-360")
    check_layout(page, HOME_PATHS[role])
    page.goto("/me")
    check_layout(page, f"/me as {role}")


def test_login_and_offline_pages_fit_360_px(phone):
    page = phone(**NARROW).new_page()
    for path in ("/login", "/offline"):
        page.goto(path)
        check_layout(page, path)
    page.goto("/login")
    page.locator("input[name=login]").fill("13800000009")
    page.locator("input[name=password]").fill("wrong-password")
    with page.expect_navigation(url="**/login"):  # the answer, loaded, before measuring it
        page.locator("form[action$='/login'] button[type=submit]").click()
    expect(page.locator(".form-error")).to_be_visible()
    check_layout(page, "/login with an error")
    screenshot(page, "login-error-360")


# ---------------------------------------------------------------- (6) console and CSP

def test_csp_violations_are_caught(phone):
    """The listener the next test relies on does see a violation (so that test can fail)."""
    context = phone()
    page = context.new_page()
    page.goto("/login")
    assert_clean(context)
    # Wait for chromium's own report of the refusal, not for a while.
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        page.evaluate(
            "document.body.insertAdjacentHTML('beforeend', '<p style=\"color:red\">x</p>')")
    assert any("CSP violation" in p or "Content Security Policy" in p for p in context.problems)


@pytest.mark.parametrize("role", (None,) + ROLES)
def test_no_console_errors_or_csp_violations(phone, live_server, role):
    """Each role's home and every page its navigation links to load cleanly."""
    context = phone(role)
    page = context.new_page()
    visited = []
    queue = [HOME_PATHS[role]] if role else ["/login", "/offline"]
    while queue:
        path = queue.pop(0)
        if path in visited:
            continue
        response = page.goto(path)
        assert response.status == 200, (path, response.status, live_server.log()[-3000:])
        # Until the page's own requests are done, so that their errors are seen here.
        page.wait_for_load_state("networkidle")
        visited.append(path)
        screenshot(page, f"page-{role or 'visitor'}-{path.strip('/').replace('/', '-')}")
        if role:
            for href in page.locator(".tabbar a, .section-nav a").evaluate_all(
                    "links => links.map(a => new URL(a.href).pathname)"):
                if href not in visited and href not in queue:
                    queue.append(href)
    assert_clean(context)
    assert len(visited) >= 2, visited  # the home page and at least one navigation target
