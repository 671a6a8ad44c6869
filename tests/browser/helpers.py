"""Helpers for the browser tests: the phone's settings, signing in, waiting for pages,
pictures, translations, and the checks every test runs on what a page shows.

Fixtures are in tests/browser/conftest.py; the seeded people in tests/browser/seed.py.

Waiting: wait on a condition, never on time. After a click that loads another page, wait
for that page (`page.wait_for_url(...)` to a new address, or `with page.expect_navigation()`
when the address stays the same) before running JavaScript in it; `expect(locator)` retries
across a navigation, `page.evaluate`/`wait_for_function` do not.
"""
import contextlib
import datetime
import gettext
from pathlib import Path

try:
    from playwright.sync_api import expect
except ImportError:  # the `chromium` fixture then skips the browser tests and says why
    expect = None

from tests.helpers import PASSWORD
from webapp.db import db, make_database
from webapp.ledger.rules import day_total

# How long a wait on a condition may last before the test fails: long enough for a machine
# whose cores are all busy elsewhere (signing in hashes the password on purpose slowly, and a
# click waits for the page it loads). The phone's contexts and expect() both use it.
WAIT_MS = 20_000

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE / "screenshots"
FAILURES = HERE / "failures"
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "locale": "zh-CN",
         "timezone_id": "Asia/Shanghai"}
NARROW = {"viewport": {"width": 360, "height": 740}}
ROLES = ("practitioner", "director", "secretary", "county_admin", "city_admin")
HOME_PATHS = {"practitioner": "/home/me", "director": "/home/firm", "secretary": "/home/branch",
              "county_admin": "/home/county", "city_admin": "/home/city"}


# ---------------------------------------------------------------- the server's database

@contextlib.contextmanager
def bound_to(url):
    """Point webapp.db.db at `url` for a while, then give the previous binding back
    (the session-scoped `app` fixture of other test files may have bound it already)."""
    previous = db.obj
    database = make_database(url)
    db.initialize(database)
    database.connect()
    try:
        yield database
    finally:
        database.close()
        database.close_all()
        db.initialize(previous)


def free_day(live_server, user_id, today):
    """A recent day without public service for the person: other tests of the same server log
    on today, and the day's cap (8 hours) would refuse a test's entry."""
    with bound_to(live_server.database_url):
        for back in range(2, 60):
            day = today - datetime.timedelta(days=back)
            if day_total(user_id, day) == 0:
                return day
    raise AssertionError("no free day")


# ---------------------------------------------------------------- signing in

def login(page, role, people):
    """Sign in through the real form; return once the role's home page has loaded."""
    page.goto("/login")
    field = page.locator("input[name=login]")
    expect(field).to_be_visible()
    field.fill(people[role]["phone"])
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form[action$='/login'] button[type=submit]").click()
    page.wait_for_url("**" + HOME_PATHS[role])


def home_heading(live_server, role):
    """The <h1> of a role's home page in Chinese (the practitioner is greeted by name)."""
    person = live_server.people[role]
    if role == "practitioner":
        return translated("Hello, %(name)s")[0] % {"name": person["name"]}
    return person["heading"]


def heading(page):
    return page.locator("main h1").first.inner_text().strip()


# ---------------------------------------------------------------- the service worker

def activate_service_worker(page):
    """Wait until the service worker is active, reload, and return its script URL as the
    page's controller (None if it does not control the page)."""
    state = page.evaluate("""(wait) => Promise.race([
      navigator.serviceWorker.ready.then(async (registration) => {
        const worker = registration.active;
        if (worker.state !== 'activated') {
          await new Promise(done => worker.addEventListener('statechange', () => {
            if (worker.state === 'activated') done();
          }));
        }
        return worker.state;
      }),
      new Promise(done => setTimeout(() => done('no service worker in time'), wait)),
    ])""", WAIT_MS)
    assert state == "activated"
    page.reload()
    return page.evaluate("navigator.serviceWorker.controller && "
                         "navigator.serviceWorker.controller.scriptURL")


# The pages the service worker keeps. It writes (and drops) them just after the responses, so
# wait up to 10 s for the expected list; return what is there in the end.
KEPT_PAGES = """async (want) => {
  let out = [];
  for (let tries = 0; tries < 100; tries++) {
    out = [];
    for (const key of await caches.keys())
      if (key.startsWith('gl-pages'))
        for (const r of await (await caches.open(key)).keys()) out.push(new URL(r.url).pathname);
    out.sort();
    if (JSON.stringify(out) === JSON.stringify(want)) break;
    await new Promise(done => setTimeout(done, 100));
  }
  return out;
}"""


def kept_pages(page, want):
    """The paths of the pages the service worker keeps, once they are `want` (sorted) or 10 s
    have passed."""
    return page.evaluate(KEPT_PAGES, want)


# ---------------------------------------------------------------- what a page shows

# What chromium logs by itself when a test takes the network away: failed loads, and the
# service worker's script fetch (a registration, or the update check a navigation starts) cut
# off as the phone went offline ("An unknown error occurred when fetching the script.", seen
# once in a loaded run). Tests that go offline ignore these; any other message still fails them.
NETWORK_NOISE = ("ERR_INTERNET_DISCONNECTED", "Failed to load resource", "net::ERR_",
                 "An unknown error occurred when fetching the script")


def assert_clean(context, ignore=()):
    """No console errors, uncaught exceptions or CSP violations on the context's pages."""
    problems = [p for p in context.problems if not any(text in p for text in ignore)]
    assert not problems, "\n".join(problems)


def screenshot(page, name, full_page=True):
    """Save a screenshot to tests/browser/screenshots/<name>.png (git-ignored)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    # In a full-page picture the fixed tab bar would sit where the first screen ends; put it
    # at the foot of the page instead, where a person scrolling would see it.
    # (Through the CSSOM: the page's CSP rightly refuses an injected style sheet.)
    toggle = "p => document.querySelectorAll('.tabbar').forEach(t => { t.style.position = p; })"
    if full_page:
        page.evaluate(toggle, "static")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)
    if full_page:
        page.evaluate(toggle, "")


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
    """At 360 px: no sideways scrolling, 16 px body text, 44 px tap targets, no text under
    14 px, nothing hidden behind the tab bar. Call it on a page that has loaded."""
    got = page.evaluate(LAYOUT_JS)
    assert got["viewport"] == 360, where
    assert got["scrollWidth"] <= 360, (where, got["scrollWidth"], got["wide"])
    assert got["bodyFont"] >= 16, (where, got["bodyFont"])
    assert got["small"] == [], (where, "tap targets under 44 px tall", got["small"])
    assert got["tiny"] == [], (where, "text under 14 px", got["tiny"])
    assert got["hidden"] is None, (where, got["hidden"])


# ---------------------------------------------------------------- translations

_CATALOGUES = {}


def translated(msgid, locale="zh_Hans_CN"):
    """What the server shows for `msgid` in `locale`: the compiled catalogue's text, else
    the msgid itself (gettext's fallback). Second value: whether a translation exists."""
    if locale not in _CATALOGUES:
        path = ROOT / "webapp" / "translations" / locale / "LC_MESSAGES" / "messages.mo"
        try:
            with open(path, "rb") as fh:
                _CATALOGUES[locale] = gettext.GNUTranslations(fh)
        except OSError:
            _CATALOGUES[locale] = gettext.NullTranslations()
    text = _CATALOGUES[locale].gettext(msgid)
    return text, text != msgid


def zh(msgid):
    """The Chinese the server shows for `msgid`."""
    return translated(msgid)[0]
