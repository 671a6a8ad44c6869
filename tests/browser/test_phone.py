"""The app on a phone: sign-in per role, PWA (manifest, service worker, offline), language,
layout at 360 px, and no console errors or CSP violations.

Everything runs in Debian's chromium (see conftest.py) against the app under gunicorn.
"""
import pytest

from tests.browser.conftest import (HOME_PATHS, ROLES, home_heading, login, screenshot,
                                    translated)


def assert_clean(context, ignore=()):
    """No console errors, uncaught exceptions or CSP violations on the context's pages."""
    problems = [p for p in context.problems if not any(text in p for text in ignore)]
    assert not problems, "\n".join(problems)


def heading(page):
    return page.locator("main h1").first.inner_text().strip()


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


def activate_service_worker(page):
    """Wait until the service worker is active, reload, and return its script URL as the
    page's controller (None if it does not control the page)."""
    state = page.evaluate("""() => Promise.race([
      navigator.serviceWorker.ready.then(async (registration) => {
        const worker = registration.active;
        if (worker.state !== 'activated') {
          await new Promise(done => worker.addEventListener('statechange', () => {
            if (worker.state === 'activated') done();
          }));
        }
        return worker.state;
      }),
      new Promise(done => setTimeout(() => done('no service worker after 10 s'), 10000)),
    ])""")
    assert state == "activated"
    page.reload()
    return page.evaluate("navigator.serviceWorker.controller && "
                         "navigator.serviceWorker.controller.scriptURL")


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
    page.locator("[data-reload]").click()
    page.wait_for_url("**/home/me")
    page.locator("[data-offline-page]").wait_for(state="detached")
    assert heading(page) == home_heading(live_server, "practitioner")
    assert page.locator("#offline-banner").is_hidden()
    assert_clean(context, ignore=("ERR_INTERNET_DISCONNECTED",))


# ---------------------------------------------------------------- (4) language switch

def test_language_switch_on_login_page(phone):
    context = phone()
    page = context.new_page()
    page.goto("/login")
    html = page.locator("html")
    assert html.get_attribute("lang") == "zh-CN"
    chinese, has_chinese = translated("Sign in")

    page.locator("button[name=locale][value=en]").click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.url.endswith("/login")
    assert heading(page) == "Sign in"
    assert page.locator("button[name=locale][value=en]").get_attribute("aria-pressed") == "true"
    screenshot(page, "login-en")

    page.locator("button[name=locale][value=zh_Hans_CN]").click()
    page.wait_for_function("document.documentElement.lang === 'zh-CN'")
    assert page.locator("button[name=locale][value=zh_Hans_CN]").get_attribute(
        "aria-pressed") == "true"
    if has_chinese:  # translations are filled in as the work goes on
        assert heading(page) == chinese
    screenshot(page, "login-zh")
    assert_clean(context)


# ---------------------------------------------------------------- (5) layout at 360 px

LAYOUT_JS = """() => {
  const vw = document.documentElement.clientWidth;
  const describe = (el, box) => {
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim();
    return el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '')
      + ' "' + text.slice(0, 30) + '" ' + Math.round(box.width) + 'x' + Math.round(box.height);
  };
  const small = [], wide = [], tiny = [];
  const targets = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]';
  for (const el of document.querySelectorAll(targets)) {
    if (!el.checkVisibility({visibilityProperty: true})) continue;
    let box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || box.right <= 0 || box.left >= vw) continue;
    const label = (el.type === 'checkbox' || el.type === 'radio') && el.closest('label');
    if (label) box = label.getBoundingClientRect();
    if (box.height < 44) small.push(describe(el, box));
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el || !el.checkVisibility({visibilityProperty: true})) continue;
    const style = getComputedStyle(el);
    if (el.closest('.sr-only, .skip')) continue;
    if (parseFloat(style.fontSize) < 14) tiny.push(describe(el, el.getBoundingClientRect()) + ' ' + style.fontSize);
  }
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.table-wrap') && !el.classList.contains('table-wrap')) continue;
    const box = el.getBoundingClientRect();
    if (box.width && box.right > vw + 0.5 && el.checkVisibility()) wide.push(describe(el, box));
  }
  // Nothing may end up hidden behind the fixed bottom tab bar.
  let hidden = null;
  const tabbar = document.querySelector('.tabbar');
  if (tabbar) {
    window.scrollTo(0, document.documentElement.scrollHeight);
    const last = [...document.querySelectorAll('main > *')].filter(el => el.checkVisibility()).pop();
    const bottom = last ? last.getBoundingClientRect().bottom : 0;
    const top = tabbar.getBoundingClientRect().top;
    if (bottom > top) hidden = describe(last, last.getBoundingClientRect()) + ' ends at ' + bottom + ', tab bar starts at ' + top;
    window.scrollTo(0, 0);
  }
  return {scrollWidth: document.documentElement.scrollWidth, viewport: vw, hidden: hidden,
          bodyFont: parseFloat(getComputedStyle(document.body).fontSize),
          small: small, tiny: tiny, wide: wide.slice(0, 10)};
}"""


def check_layout(page, where):
    got = page.evaluate(LAYOUT_JS)
    assert got["viewport"] == 360, where
    assert got["scrollWidth"] <= 360, (where, got["scrollWidth"], got["wide"])
    assert got["bodyFont"] >= 16, (where, got["bodyFont"])
    assert got["small"] == [], (where, "tap targets under 44 px tall", got["small"])
    assert got["tiny"] == [], (where, "text under 14 px", got["tiny"])
    assert got["hidden"] is None, (where, got["hidden"])


NARROW = {"viewport": {"width": 360, "height": 740}}


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
    page.locator("form[action$='/login'] button[type=submit]").click()
    page.locator(".form-error").wait_for()
    check_layout(page, "/login with an error")
    screenshot(page, "login-error-360")


# ---------------------------------------------------------------- (6) console and CSP

def test_csp_violations_are_caught(phone):
    """The listener the next test relies on does see a violation (so that test can fail)."""
    context = phone()
    page = context.new_page()
    page.goto("/login")
    assert_clean(context)
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color:red\">x</p>')")
    page.wait_for_timeout(200)
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
        page.wait_for_load_state("load")
        visited.append(path)
        screenshot(page, f"page-{role or 'visitor'}-{path.strip('/').replace('/', '-')}")
        if role:
            for href in page.locator(".tabbar a, .section-nav a").evaluate_all(
                    "links => links.map(a => new URL(a.href).pathname)"):
                if href not in visited and href not in queue:
                    queue.append(href)
    page.wait_for_timeout(300)  # late script errors
    assert_clean(context)
    assert len(visited) >= 2, visited  # the home page and at least one navigation target
