"""The offline queues (scans and entries, static/js/outbox.js) survive what a phone lives through:
(a) made without network, kept through the browser being closed and opened again on the same
profile, then sent once; (b) a send the server fails (a 500, or an answer lost after the server
saved it) stays kept, is sent again by itself, and arrives once.

The camera is chromium's fake device playing a .y4m file written from the code current at that
moment (chromium reads the file again at every getUserMedia). Waits on conditions only.
"""
import datetime
import secrets
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from tests.browser.helpers import (CHROMIUM, LAUNCH_ARGS, NETWORK_NOISE, PHONE, WAIT_MS,
                                   activate_service_worker, assert_clean, bound_to, free_day, login,
                                   screenshot, zh)
from tests.browser.test_checkin_flow import qr_picture, write_y4m
from webapp.accounts.models import Region, User
from webapp.checkin import codes as qr
from webapp.db import utcnow
from webapp.trainings.models import Attendance, ScanReceipt, Training, TrainingCategory

CAMERA_SIZE = (640, 480)
WHITE = Image.new("RGB", CAMERA_SIZE, "white")
# A retry comes 3 s after a failed attempt, then 6, 12 …: wait for the second one with room.
RETRY_WAIT_MS = 60_000
KEPT = ["/ledger/new/public_service", "/scan"]
KEPT_STATES = ("waiting", "signin")  # what outbox.js sends again by itself

OUTBOX = """() => GL.outbox.all().then(items => items.map(i => ({key: i.key, kind: i.kind,
  user: i.user, state: i.state})))"""
FLUSH = "() => GL.outbox.flush().then(() => null)"
# True once nothing of the person's waits to be sent (a scan's answer may wait to be shown).
NOTHING_WAITS = """() => GL.outbox.all().then(items =>
  items.every(i => i.kind === 'scan' && i.state === 'answered'))"""
# True once the scanner can read a QR code without network: the browser's own detector, or
# jsQR (loaded once the camera is on) kept by the service worker, as any static file it fetched.
DECODER_KEPT = """async () => (!!window.BarcodeDetector &&
    (await BarcodeDetector.getSupportedFormats()).includes('qr_code'))
  || !!(await caches.match('/static/vendor/jsqr/jsQR.js', {ignoreSearch: true}))"""
FETCH_DECODER = """async () => {
  const v = new URL(document.querySelector('script[src*="/static/js/core.js"]').src).searchParams.get('v');
  if (!window.BarcodeDetector) await fetch('/static/vendor/jsqr/jsQR.js?v=' + v);
}"""
# True once the service worker keeps every page of `want`.
PAGES_KEPT = """async (want) => {
  const have = [];
  for (const key of await caches.keys())
    if (key.startsWith('gl-pages'))
      for (const r of await (await caches.open(key)).keys()) have.push(new URL(r.url).pathname);
  return want.every(p => have.includes(p));
}"""


# ---------------------------------------------------------------- the fake camera

@pytest.fixture(scope="module")
def camera_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("camera") / "camera.y4m"
    write_y4m(path, WHITE)
    return path


def camera_args(camera_file):
    return LAUNCH_ARGS + ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                          f"--use-file-for-fake-video-capture={camera_file}"]


@pytest.fixture(scope="module")
def browser(browser, camera_file):
    """This module's chromium: conftest's, with the fake camera (the `phone` fixture uses it)."""
    camera = browser.browser_type.launch(executable_path=CHROMIUM, headless=True,
                                         args=camera_args(camera_file))
    yield camera
    camera.close()


# ---------------------------------------------------------------- the server's rows

def make_training(live_server, title):
    """A training of the practitioner's county, open now for check-in (60 s codes)."""
    now = utcnow()
    with bound_to(live_server.database_url):
        return Training.create(
            title=title, category=TrainingCategory.select().order_by(TrainingCategory.id).first(),
            organiser=Region.get(Region.name == "江南区"), start_at=now - datetime.timedelta(minutes=5),
            end_at=now + datetime.timedelta(minutes=30), place="江南区司法局二楼会议室",
            credit_hours=Decimal("1.5"), rotation_seconds=60, secret=secrets.token_hex(16)).id


def code_url_now(live_server, training_id):
    with bound_to(live_server.database_url):
        training = Training.get_by_id(training_id)
    return live_server.base_url + qr.path_of(qr.current_code(training, "in"))


def practitioner_id(live_server):
    with bound_to(live_server.database_url):
        return User.get(User.phone == live_server.people["practitioner"]["phone"]).id


def counts(live_server, training_id, key):
    """(attendance rows of the training, scan receipts of it, entries with the key)."""
    with bound_to(live_server.database_url) as database:
        entries = database.execute_sql(
            f"SELECT count(*) FROM entry WHERE idempotency_key = {database.param}",
            (key,)).fetchone()[0]
        return (Attendance.select().where(Attendance.training == training_id).count(),
                ScanReceipt.select().where(ScanReceipt.training == training_id).count(),
                entries)


def checked_in(live_server, training_id):
    with bound_to(live_server.database_url):
        row = Attendance.get(Attendance.training == training_id)
        return row.user_id, row.method_in


def today():
    return datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date()


# ---------------------------------------------------------------- on the phone

def keep_entry(page, day, hours):
    """Fill the public-service form without network and keep it; return its key."""
    page.locator("#offline-banner").wait_for()
    key = page.locator("[name=idempotency_key]").input_value()
    page.locator("#f-date").fill(day.isoformat())
    page.locator("#f-hours").fill(hours)
    page.locator("label.choice-tile").first.click()
    page.locator("form[data-ledger-form] button[type=submit]").click()
    page.locator(".flash.js-kept").wait_for()
    return key


def wait_until_nothing_waits(page):
    page.wait_for_function(NOTHING_WAITS, polling=200, timeout=RETRY_WAIT_MS)


def scan_answer_shown(page, title):
    """The Scan tab shows the kept scan's answer once; then the outbox lets it go."""
    assert [(i["kind"], i["state"]) for i in page.evaluate(OUTBOX)] == [("scan", "answered")]
    page.goto("/scan")
    result = page.locator("#outbox-results li")
    result.wait_for()
    assert result.inner_text().strip().startswith(title + " — ")
    assert page.locator("#outbox-count").inner_text() == "0"


# ---------------------------------------------------------------- (a) a browser restart

def test_a_scan_and_an_entry_made_offline_survive_a_browser_restart_and_are_sent_once(
        browser, live_server, camera_file, tmp_path):
    title = "人民调解实务培训（浏览器测试·离线重启）"
    training_id = make_training(live_server, title)
    me = practitioner_id(live_server)
    day = free_day(live_server, me, today())
    errors = []

    def start_browser():
        """Chromium on one profile directory, as a phone's browser closed and opened again:
        cookies, IndexedDB and the service worker stay on disk."""
        context = browser.browser_type.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True,
            args=camera_args(camera_file), base_url=live_server.base_url, **PHONE)
        context.set_default_timeout(WAIT_MS)
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return context, page

    # First run: online, the service worker keeps the Scan tab and the entry forms.
    context, page = start_browser()
    login(page, "practitioner", live_server.people)
    page.goto("/ledger/")
    assert activate_service_worker(page) == live_server.base_url + "/sw.js"
    # The QR decoder, as the Scan tab fetches it when the browser has no detector of its own
    # (so the camera is first turned on offline, when it sees the code: a camera turned on and
    # off just before may still be playing what it played).
    page.evaluate(FETCH_DECODER)
    page.wait_for_function(DECODER_KEPT, polling=100)
    page.wait_for_function(PAGES_KEPT, arg=KEPT, polling=100)

    # No network: a scan (the camera sees the training's code) and an entry, both kept.
    context.set_offline(True)
    write_y4m(camera_file, qr_picture(code_url_now(live_server, training_id)))
    page.goto("/scan")
    page.locator("#outbox-count", has_text="1").wait_for()
    page.locator("#scan-status", has_text=zh(
        "No network. The scan is kept on this phone and will be sent when the network is back."
    )).wait_for()
    write_y4m(camera_file, WHITE)  # nothing more to read
    page.goto("/ledger/new/public_service")
    key = keep_entry(page, day, "1.5")
    kept = page.evaluate(OUTBOX)
    assert sorted((i["kind"], i["user"], i["state"]) for i in kept) == [
        ("entry", str(me), "waiting"), ("scan", str(me), "waiting")]
    assert counts(live_server, training_id, key) == (0, 0, 0)
    context.close()  # the browser is closed with both kept

    # Opened again, still without network: both are there, for this person, waiting.
    context, page = start_browser()
    context.set_offline(True)
    page.goto("/ledger/")
    page.evaluate("() => GL.outbox.ready")
    assert sorted((i["key"], i["state"]) for i in page.evaluate(OUTBOX)) == sorted(
        (i["key"], "waiting") for i in kept)
    card = page.locator("[data-outbox]")
    card.wait_for()
    assert page.locator("[data-outbox-count]").inner_text() == "1"  # the Log tab lists entries
    screenshot(page, "queue-after-restart")
    assert counts(live_server, training_id, key) == (0, 0, 0)

    # The network comes back: both are sent by themselves, each once.
    context.set_offline(False)
    card.wait_for(state="hidden")
    wait_until_nothing_waits(page)
    assert counts(live_server, training_id, key) == (1, 1, 1)
    assert checked_in(live_server, training_id) == (me, "offline")
    scan_answer_shown(page, title)
    # Sending again finds nothing; reopened, the outbox is empty and nothing arrived twice.
    page.evaluate(FLUSH)
    page.reload()
    page.evaluate("() => GL.outbox.ready")
    assert page.evaluate(OUTBOX) == [] and page.locator("#outbox-results li").count() == 0
    assert counts(live_server, training_id, key) == (1, 1, 1)
    context.close()
    assert errors == []


# ---------------------------------------------------------------- (b) a server error mid-send

def test_a_send_the_server_fails_stays_kept_is_sent_again_and_arrives_once(
        phone, live_server, camera_file):
    title = "法律援助案件质量培训（浏览器测试·发送出错）"
    training_id = make_training(live_server, title)
    me = practitioner_id(live_server)
    day = free_day(live_server, me, today())
    # No service worker, so that page.route sees what the page sends (and can stand in for
    # the server); the pages are opened online first.
    context = phone("practitioner", service_workers="block")
    page = context.new_page()
    failing = {"scan": True, "entry": True}
    sends = {"scan": [], "entry": []}

    def scan_send(route):
        """The scan's sends: a 500 while failing (the server never sees them), then through."""
        sends["scan"].append(500 if failing["scan"] else "through")
        if failing["scan"]:
            route.fulfill(status=500, content_type="text/html", body="Internal Server Error")
        else:
            route.continue_()

    def entry_send(route):
        """The entry's sends: the first reaches the server, which saves it, but the connection
        drops before its answer; the next ones get a 503 while failing; then through."""
        if route.request.method != "POST":
            route.continue_()
        elif not sends["entry"]:
            answer = route.fetch()
            sends["entry"].append(answer.status)
            route.abort("connectionreset")
        elif failing["entry"]:
            sends["entry"].append(503)
            route.fulfill(status=503, content_type="text/html", body="Service Unavailable")
        else:
            sends["entry"].append("through")
            route.continue_()

    # The code's address does not answer, so the scanner keeps the scan (a dead connection).
    page.route("**/c/**", lambda route: route.abort())
    page.route("**/checkin/sync", scan_send)
    page.route("**/ledger/new/public_service", entry_send)
    write_y4m(camera_file, qr_picture(code_url_now(live_server, training_id)))
    page.goto("/scan")
    page.locator("#outbox-count", has_text="1").wait_for()
    write_y4m(camera_file, WHITE)

    # The next page sends the kept scan at once: the server answers 500. It stays kept.
    with page.expect_response(lambda r: r.url.endswith("/checkin/sync") and r.status == 500):
        page.goto("/ledger/new/public_service")
    [scan] = page.evaluate(OUTBOX)
    # Kept, waiting to be sent again by itself (a 500 is never taken for signing out, even
    # though this server's error page is HTML), never refused nor dropped.
    assert scan["kind"] == "scan" and scan["state"] == "waiting"
    assert counts(live_server, training_id, "none") == (0, 0, 0)

    # An entry kept without network; the scan now goes through.
    context.set_offline(True)
    key = keep_entry(page, day, "2.25")
    failing["scan"] = False
    # The network back: the entry reaches the server and is saved, but its answer is lost.
    with page.expect_event("requestfailed", timeout=RETRY_WAIT_MS,
                           predicate=lambda r: r.url.endswith("/ledger/new/public_service")):
        context.set_offline(False)
    assert sends["entry"][0] == 201
    # Still kept, waiting to be sent again (nothing to correct); on the server once.
    entry = next(i for i in page.evaluate(OUTBOX) if i["kind"] == "entry")
    assert entry["key"] == key and entry["state"] in KEPT_STATES
    row = page.locator("[data-outbox] .outbox-item")
    row.wait_for()
    assert "refused" not in (row.get_attribute("class") or "")
    assert row.locator("a[data-outbox-fix]").is_hidden()
    assert counts(live_server, training_id, key) == (1, 1, 1)

    # Let it through: sent again by itself, under the same key, and there once.
    failing["entry"] = False
    page.locator("[data-outbox]").wait_for(state="hidden", timeout=RETRY_WAIT_MS)
    wait_until_nothing_waits(page)
    assert sends["entry"][-1] == "through" and sends["scan"][-1] == "through"
    assert counts(live_server, training_id, key) == (1, 1, 1)
    assert checked_in(live_server, training_id) == (me, "offline")
    scan_answer_shown(page, title)
    page.evaluate(FLUSH)
    assert page.evaluate(OUTBOX) == []
    assert counts(live_server, training_id, key) == (1, 1, 1)
    assert_clean(context, ignore=NETWORK_NOISE)
