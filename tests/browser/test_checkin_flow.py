"""Issue 3 in a real browser: from the projector to a practitioner's phone, the in-app scanner
reading the code from a camera, and a scan made without network that is sent once.

The camera is chromium's fake device playing a .y4m file that each test writes from the code
current at that moment (chromium reads the file again at every getUserMedia).
"""
import datetime
import os
import secrets
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import qrcode
from PIL import Image

from tests.browser.helpers import (CHROMIUM, LAUNCH_ARGS, NETWORK_NOISE, WAIT_MS,
                                   activate_service_worker, assert_clean, bound_to, expect,
                                   free_day, kept_pages, login, screenshot, zh)
from tests.browser.seed import PEOPLE
from tests.helpers import PASSWORD
from webapp.accounts.models import Region, User
from webapp.db import utcnow
from webapp.checkin import codes as qr
from webapp.trainings.models import Attendance, ScanReceipt, Training, TrainingCategory

PROJECTOR = {"viewport": {"width": 1280, "height": 720}, "device_scale_factor": 1,
             "is_mobile": False, "has_touch": False}
CST = datetime.timedelta(hours=8)
CAMERA_SIZE = (640, 480)


# ---------------------------------------------------------------- the fake camera

def write_y4m(path, image, frames=3):
    """Write `image` as a short YUV4MPEG2 4:2:0 video (chromium loops it)."""
    width, height = image.size
    y, cb, cr = image.convert("YCbCr").split()
    half = (width // 2, height // 2)
    frame = (b"FRAME\n" + y.tobytes() + cb.resize(half, Image.BILINEAR).tobytes()
             + cr.resize(half, Image.BILINEAR).tobytes())
    partial = f"{path}.part"
    with open(partial, "wb") as fh:
        fh.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        fh.write(frame * frames)
    os.replace(partial, path)  # chromium never reads a half-written file


def qr_picture(text):
    """A camera frame: the QR for `text` on a white background, about as a phone would see it."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    code.add_data(text)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    side = 400
    image = image.resize((side, side), Image.NEAREST)
    frame = Image.new("RGB", CAMERA_SIZE, "white")
    frame.paste(image, ((CAMERA_SIZE[0] - side) // 2, (CAMERA_SIZE[1] - side) // 2))
    return frame


@pytest.fixture(scope="module")
def camera_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("camera") / "camera.y4m"
    write_y4m(path, Image.new("RGB", CAMERA_SIZE, "white"))
    return path


@pytest.fixture(autouse=True)
def blank_camera(camera_file):
    """Each test starts with a camera that sees no code: a code left by the test before is
    read by any Scan tab this test opens, which then leaves for that code's confirm page."""
    write_y4m(camera_file, Image.new("RGB", CAMERA_SIZE, "white"))


@pytest.fixture(scope="module")
def browser(browser, camera_file):
    """This module's chromium: conftest's, plus a fake camera that plays `camera_file` (the
    `phone` fixture builds its contexts on it)."""
    camera = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True,
        args=LAUNCH_ARGS + ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                            f"--use-file-for-fake-video-capture={camera_file}"])
    yield camera
    camera.close()


# ---------------------------------------------------------------- data

def make_training(live_server, title, rotation=10, credit="1.5"):
    """A training of the county open now for check-in (started 5 minutes ago, on time) and for
    check-out (it ends in 10 minutes); return its id."""
    now = utcnow()
    with bound_to(live_server.database_url):
        training = Training.create(
            title=title, category=TrainingCategory.select().order_by(TrainingCategory.id).first(),
            organiser=Region.get(Region.name == "江南区"), start_at=now - datetime.timedelta(minutes=5),
            end_at=now + datetime.timedelta(minutes=10), place="江南区公共法律服务中心三楼会议室",
            credit_hours=Decimal(credit), rotation_seconds=rotation, secret=secrets.token_hex(16),
            created_by=User.get(User.phone == PEOPLE["county_admin"][1]))
        return training.id


def attendance(live_server, training_id):
    """The training's attendance rows as plain dicts."""
    with bound_to(live_server.database_url):
        return [{"user": a.user_id, "in": a.checked_in_at, "out": a.checked_out_at,
                 "method_in": a.method_in, "method_out": a.method_out,
                 "hours": a.credited_hours, "late": a.late}
                for a in Attendance.select().where(Attendance.training == training_id)]


def receipts(live_server, training_id):
    with bound_to(live_server.database_url):
        return ScanReceipt.select().where(ScanReceipt.training == training_id).count()


def practitioner_id(live_server):
    with bound_to(live_server.database_url):
        return User.get(User.phone == PEOPLE["practitioner"][1]).id


def code_url_now(live_server, training_id, purpose="in"):
    """The code a projector shows now for the training (the same maths as the server's)."""
    with bound_to(live_server.database_url):
        training = Training.get_by_id(training_id)
    return live_server.base_url + qr.path_of(qr.current_code(training, purpose))


def hhmm(utc):
    return (utc + CST).strftime("%H:%M")


# ---------------------------------------------------------------- page helpers

def shown_code(projector):
    """The URL in the projector's QR right now (projector.js redraws it every slice)."""
    projector.wait_for_function("document.getElementById('qr-box').dataset.url")
    return projector.locator("#qr-box").get_attribute("data-url")


def wait_count(projector, value):
    """Wait until the projector's live count (polled every 5 s) shows `value`."""
    expect(projector.locator("#count-in")).to_have_text(str(value), timeout=12_000)


def confirm(page):
    """Tap the one primary button of the confirm page; return the result section."""
    page.locator("form[action$='/checkin'] button[type=submit]").click()
    page.wait_for_url("**/checkin/result")
    return page.locator("section.result")


def message(page):
    return page.locator(".result-message").inner_text().strip()


# ---------------------------------------------------------------- (1) projector to phone

def test_projector_to_phone_check_in_again_and_out(phone, live_server):
    title = "基层法律服务工作者调解技能实务培训（浏览器测试·签到）"
    training_id = make_training(live_server, title)
    admin = phone("county_admin", **PROJECTOR)
    projector = admin.new_page()
    projector.goto(f"/trainings/{training_id}/projector")
    assert projector.locator(".projector-info h1").inner_text().strip() == title
    assert projector.locator("#count-in").inner_text() == "0"
    code_url = shown_code(projector)
    assert qr.parse(code_url).purpose == "in" and code_url.startswith(live_server.base_url)
    projector.locator("#qr-box svg").wait_for()
    screenshot(projector, "checkin-projector", full_page=False)

    # A phone opens the code signed out: the scan is kept, the sign-in form is on the same page.
    person = phone()
    page = person.new_page()
    page.goto(code_url)
    page.wait_for_url("**/checkin")
    assert page.locator("h1.confirm-title").inner_text().strip() == title
    assert page.locator(".confirm .notice").is_visible()
    assert page.locator("form[action$='/checkin']").count() == 0  # no button before signing in
    assert attendance(live_server, training_id) == []  # opening a code changes nothing
    screenshot(page, "checkin-confirm-signin")
    page.locator("input[name=login]").fill(PEOPLE["practitioner"][1])
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation(url="**/checkin"):
        page.locator("form[action$='/login'] button[type=submit]").click()
    button = page.locator("form[action$='/checkin'] button[type=submit]")
    assert button.inner_text().strip() == zh("Check in")

    result = confirm(page)
    assert result.get_attribute("data-outcome") == "checked_in"
    [row] = attendance(live_server, training_id)
    assert row["user"] == practitioner_id(live_server) and row["method_in"] == "qr"
    assert not row["late"]
    checked_in = hhmm(row["in"])
    assert message(page) == zh("Checked in at %(time)s.") % {"time": checked_in}
    assert page.locator(".result-title").inner_text().strip() == title
    clock = page.locator("#live-clock")
    first = clock.inner_text()
    page.wait_for_function("t => document.getElementById('live-clock').textContent !== t",
                           arg=first, timeout=3_000)  # it ticks: not a screenshot
    screenshot(page, "checkin-success")

    # The code scanned again: the same answer, nothing changes.
    page.goto(shown_code(projector))
    page.wait_for_url("**/checkin")
    assert confirm(page).get_attribute("data-outcome") == "already_in"
    assert message(page) == zh("You already checked in at %(time)s. Nothing has changed.") % {
        "time": checked_in}
    assert attendance(live_server, training_id) == [row]
    screenshot(page, "checkin-again")
    wait_count(projector, 1)  # the projector's live count went up
    assert projector.locator("#last-names li").all_inner_texts() == [PEOPLE["practitioner"][0]]

    # Check-out with the projector's check-out code: credited hours shown.
    projector.get_by_role("link", name=zh("Switch to check-out")).click()
    projector.wait_for_url("**purpose=out")
    assert projector.locator("#count-in").inner_text() == "0"
    out_url = shown_code(projector)
    assert qr.parse(out_url).purpose == "out"
    page.goto(out_url)
    page.wait_for_url("**/checkin")
    assert page.locator("form[action$='/checkin'] button").inner_text().strip() == zh("Check out")
    assert confirm(page).get_attribute("data-outcome") == "checked_out"
    [row] = attendance(live_server, training_id)
    assert row["hours"] == Decimal("1.5") and row["method_out"] == "qr"
    assert message(page) == zh("Checked out at %(time)s. Credited: %(hours)s hours.") % {
        "time": hhmm(row["out"]), "hours": "1.5"}
    screenshot(page, "checkout-success")
    wait_count(projector, 1)
    assert_clean(person)
    assert_clean(admin)


# ---------------------------------------------------------------- (2) the in-app scanner

def test_in_app_scanner_reads_the_code_from_the_camera(phone, live_server, camera_file):
    title = "《民法典》合同编疑难问题解析（浏览器测试·扫码）"
    # The longest rotation an admin can choose, so a busy machine cannot outrun the code.
    training_id = make_training(live_server, title, rotation=60)
    projector = phone("county_admin", **PROJECTOR).new_page()
    projector.goto(f"/trainings/{training_id}/projector")
    write_y4m(camera_file, qr_picture(shown_code(projector)))

    person = phone("practitioner")
    page = person.new_page()
    page.goto("/scan")
    # The camera reads the code and the scanner opens it: the confirm page, already signed in.
    page.wait_for_url("**/checkin", timeout=15_000)
    assert page.locator("h1.confirm-title").inner_text().strip() == title
    assert confirm(page).get_attribute("data-outcome") == "checked_in"
    [row] = attendance(live_server, training_id)
    assert row["method_in"] == "qr" and row["user"] == practitioner_id(live_server)
    assert message(page) == zh("Checked in at %(time)s.") % {"time": hhmm(row["in"])}
    assert_clean(person)


# ---------------------------------------------------------------- (3) offline, sent once


# What the outbox (static/js/outbox.js) keeps for the signed-in person, and a send of what
# waits (the promise settles once the outbox has been shown again).
OUTBOX = """() => GL.outbox.all().then(items => items.map(i => ({key: i.key, kind: i.kind,
  user: i.user, url: i.url, scanned_at: i.scanned_at, state: i.state})))"""
FLUSH = "() => GL.outbox.flush().then(() => null)"
DATABASES = "async () => (await indexedDB.databases()).map(d => d.name)"

def test_scan_made_offline_is_sent_once_when_back_online(phone, live_server, camera_file):
    title = "基层法律服务所规范化建设培训（浏览器测试·离线）"
    training_id = make_training(live_server, title, rotation=60)
    # First the camera sees a QR that is not ours: the scanner says so and stays.
    write_y4m(camera_file, qr_picture("https://example.com/not-a-check-in"))
    person = phone("practitioner")
    page = person.new_page()
    page.goto("/scan")
    assert activate_service_worker(page) == live_server.base_url + "/sw.js"
    status = page.locator("#scan-status")
    status.filter(has_text=zh("This is not a check-in code of this service.")).wait_for()
    assert page.locator("#camera").is_visible()
    assert page.locator("#camera-start").is_hidden()  # the camera is on already
    screenshot(page, "scanner")
    # The service worker kept this person's Scan tab, and the kept pages it leads to (the
    # Log tab in its tab bar, and its forms), and nothing else of theirs.
    kept = ["/ledger/", "/ledger/new/education", "/ledger/new/legal_aid",
            "/ledger/new/public_service", "/scan"]
    assert kept_pages(page, kept) == kept

    # No network; the Scan tab still opens, and the camera now sees the current code.
    write_y4m(camera_file, qr_picture(code_url_now(live_server, training_id)))
    person.set_offline(True)
    page.reload()
    assert page.locator("#scanner").count() == 1 and page.locator("[data-offline-page]").count() == 0
    page.locator("#offline-banner").wait_for(state="visible")
    page.locator("#outbox").wait_for(state="visible", timeout=15_000)
    assert page.locator("#outbox-count").inner_text() == "1"
    assert status.inner_text().strip() == zh(
        "No network. The scan is kept on this phone and will be sent when the network is back.")
    assert page.locator("#camera").is_hidden()  # this scan is done; the camera is off
    assert page.locator("#camera-start").is_visible()  # ... until started for another code
    [item] = page.evaluate(OUTBOX)  # kept in the one outbox (IndexedDB), as entries are
    assert (item["kind"], item["state"]) == ("scan", "waiting")
    assert item["user"] == str(practitioner_id(live_server))
    assert qr.parse(item["url"]).subject_id == training_id
    assert attendance(live_server, training_id) == []  # nothing reached the server
    screenshot(page, "scanner-offline-queue")
    # A typed code cannot be kept (it is checked when it arrives): the page says so and stays.
    page.locator("#f-code").fill("123456")
    page.locator("#typed button[type=submit]").click()
    status.filter(has_text=zh("No network. A typed code is checked at once, so it cannot be "
                              "kept for later. Scan the code with the camera instead: a scan "
                              "is kept on this phone and sent when the network is back.")).wait_for()
    assert page.url.endswith("/scan") and page.locator("#outbox-count").inner_text() == "1"

    # Network back: the page sends the kept scan by itself, once.
    person.set_offline(False)
    page.locator("#outbox-results li").wait_for()
    [row] = attendance(live_server, training_id)
    assert row["method_in"] == "offline" and row["user"] == practitioner_id(live_server)
    assert page.locator("#outbox-results li").inner_text().strip() == (
        title + " — " + zh("Checked in at %(time)s.") % {"time": hhmm(row["in"])})
    assert page.locator("#outbox-count").inner_text() == "0"
    assert status.inner_text().strip() == zh("Sent.")
    assert page.evaluate(OUTBOX) == []  # the answer shown, the scan is dropped
    screenshot(page, "scanner-offline-sent")

    # Sending the same kept scan again (a lost answer, a second tab) changes nothing.
    again = page.evaluate("""async (item) => {
      const r = await fetch(document.getElementById('scanner').dataset.sync, {
        method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json',
                  'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content},
        body: JSON.stringify({url: item.url, scanned_at: item.scanned_at, key: item.key})});
      return {status: r.status, body: await r.json()};
    }""", item)
    assert again["status"] == 200 and again["body"]["code"] == "already_in"
    # The camera still shows the code: the reloaded Scan tab would read it and leave for its
    # confirm page while the checks below run in it.
    write_y4m(camera_file, Image.new("RGB", CAMERA_SIZE, "white"))
    page.reload()
    page.evaluate(FLUSH)  # another attempt to send finds nothing left to send
    assert attendance(live_server, training_id) == [row]
    assert receipts(live_server, training_id) == 1
    assert_clean(person, ignore=NETWORK_NOISE)


# ---------------------------------------------------------------- (3b) a browser restart keeps both

PHONE_WINDOW = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
                "is_mobile": True, "has_touch": True, "locale": "zh-CN",
                "timezone_id": "Asia/Shanghai"}


def entries_with_key(live_server, key):
    with bound_to(live_server.database_url) as database:
        sql = f"SELECT count(*) FROM entry WHERE idempotency_key = {database.param}"
        return database.execute_sql(sql, (key,)).fetchone()[0]


def weak_network(context):
    """Requests that leave but never come back: the scanner's check of the code's address,
    the sends of kept scans, and entry forms."""
    context.route("**/c/**", lambda route: route.abort())
    context.route("**/checkin/sync", lambda route: route.abort())
    context.route("**/ledger/new/**", lambda route: route.abort()
                  if route.request.method == "POST" else route.continue_())


def test_a_kept_scan_and_a_kept_entry_survive_a_browser_restart_and_are_sent_once(
        browser, live_server, camera_file, tmp_path):
    title = "公共法律服务实务培训（浏览器测试·重启）"
    training_id = make_training(live_server, title, rotation=60)
    me = str(practitioner_id(live_server))
    args = LAUNCH_ARGS + ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                          f"--use-file-for-fake-video-capture={camera_file}"]
    errors = []

    def start_browser():
        """Chromium on the one profile directory, as a phone's browser that is closed and
        opened again: cookies, IndexedDB and the service worker stay on disk."""
        context = browser.browser_type.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=args,
            base_url=live_server.base_url, **PHONE_WINDOW)
        context.set_default_timeout(WAIT_MS)
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return context, page

    # First run: the network is too weak to answer. A scan and an entry are both kept.
    context, page = start_browser()
    login(page, "practitioner", live_server.people)
    weak_network(context)
    write_y4m(camera_file, qr_picture(code_url_now(live_server, training_id)))
    page.goto("/scan")
    page.locator("#outbox-count", has_text="1").wait_for(timeout=15_000)
    page.locator("#scan-status", has_text=zh(
        "No network. The scan is kept on this phone and will be sent when the network is back."
    )).wait_for()
    write_y4m(camera_file, Image.new("RGB", CAMERA_SIZE, "white"))  # nothing more to read
    page.goto("/ledger/new/public_service")
    key = page.locator("[name=idempotency_key]").input_value()
    # A day the other tests of this server left free, so the day's cap cannot refuse it.
    day = free_day(live_server, int(me), datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date())
    page.locator("#f-date").fill(day.isoformat())
    page.locator("#f-hours").fill("1.75")
    page.locator("label.choice-tile").first.click()
    page.locator("form[data-ledger-form] button[type=submit]").click()
    page.locator(".flash.js-kept").wait_for()
    kept = page.evaluate(OUTBOX)
    assert sorted((i["kind"], i["user"], i["state"]) for i in kept) == [
        ("entry", me, "waiting"), ("scan", me, "waiting")]
    scan = next(i for i in kept if i["kind"] == "scan")
    assert qr.parse(scan["url"]).subject_id == training_id
    assert key in [i["key"] for i in kept]
    assert attendance(live_server, training_id) == [] and entries_with_key(live_server, key) == 0
    context.close()

    # The browser opened again, the network still weak: both are still there, for this person.
    context, page = start_browser()
    weak_network(context)
    page.goto("/ledger/")
    if "/login" in page.url:  # the session ended meanwhile: the outbox waits for its person
        login(page, "practitioner", live_server.people)
        page.goto("/ledger/")
    page.evaluate("() => GL.outbox.ready")
    assert sorted(i["key"] for i in page.evaluate(OUTBOX)) == sorted(i["key"] for i in kept)
    card = page.locator("[data-outbox]")
    card.wait_for()
    assert page.locator("[data-outbox-count]").inner_text() == "1"  # the Log tab lists entries
    screenshot(page, "outbox-after-restart")

    # The network comes back: both are sent by themselves, each once.
    context.unroute_all()
    context.set_offline(True)
    context.set_offline(False)
    card.wait_for(state="hidden")
    assert entries_with_key(live_server, key) == 1
    [row] = attendance(live_server, training_id)
    assert row["method_in"] == "offline" and row["user"] == int(me)
    # The Scan tab shows the scan's answer once, then the outbox lets it go.
    page.goto("/scan")
    result = page.locator("#outbox-results li")
    result.wait_for()
    assert result.inner_text().strip() == (
        title + " — " + zh("Checked in at %(time)s.") % {"time": hhmm(row["in"])})
    assert page.locator("#outbox-count").inner_text() == "0"
    screenshot(page, "scanner-after-restart-sent")
    page.evaluate(FLUSH)
    page.reload()
    page.evaluate("() => GL.outbox.ready")
    assert page.evaluate(OUTBOX) == [] and page.locator("#outbox-results li").count() == 0
    assert attendance(live_server, training_id) == [row] and receipts(live_server, training_id) == 1
    assert entries_with_key(live_server, key) == 1
    context.close()
    assert errors == []


# ---------------------------------------------------------------- (4) signing out asks first

def test_signing_out_asks_before_deleting_kept_scans(phone, live_server):
    person = phone()  # its own session: signing out must not end the shared practitioner's
    page = person.new_page()
    login(page, "practitioner", live_server.people)
    page.goto("/me")
    # A scan kept by the scanner before the one outbox (in localStorage), on a network too weak
    # to send it: the next page moves it into the outbox, and it stays there, waiting.
    page.route("**/checkin/sync", lambda route: route.abort())
    page.evaluate("""user => localStorage.setItem('gl-scan-queue', JSON.stringify([
      {url: '/c/1/in/1/0123456789abcdef', scanned_at: Date.now(), key: 'k'.repeat(32), user: user}]))""",
                  str(practitioner_id(live_server)))
    page.reload()
    page.evaluate("() => GL.outbox.ready")
    [kept] = page.evaluate(OUTBOX)
    assert (kept["key"], kept["kind"], kept["state"]) == ("k" * 32, "scan", "waiting")
    assert page.evaluate("localStorage.getItem('gl-scan-queue')") is None
    dialogs = []

    def answer(dialog, accept):
        dialogs.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    page.get_by_role("button", name=zh("Sign out of this phone")).click()
    assert dialogs == [zh("Check-in scans waiting to send on this phone: %(n)s. Signing out "
                          "deletes them. Sign out anyway?") % {"n": 1}]
    assert page.url.endswith("/me")  # still signed in, the scan still kept
    assert [i["key"] for i in page.evaluate(OUTBOX)] == ["k" * 32]

    page.once("dialog", lambda d: answer(d, True))
    with page.expect_navigation(url="**/login?signed_out=1"):
        page.get_by_role("button", name=zh("Sign out of this phone")).click()
    assert len(dialogs) == 2
    assert "gl-ledger" not in page.evaluate(DATABASES)  # the outbox went with Clear-Site-Data
    assert_clean(person, ignore=NETWORK_NOISE)  # the weak network's aborted sends


# ---------------------------------------------------------------- (5) one person's page, never another's

def test_kept_scan_tab_is_dropped_when_someone_signs_in(phone, live_server):
    context = phone()
    page = context.new_page()
    login(page, "practitioner", live_server.people)
    page.goto("/scan")
    activate_service_worker(page)
    kept = ["/ledger/", "/ledger/new/education", "/ledger/new/legal_aid",
            "/ledger/new/public_service", "/scan"]  # the Scan tab and what it leads to
    assert kept_pages(page, kept) == kept
    assert page.locator("#scanner").get_attribute("data-user") == str(practitioner_id(live_server))
    # The session ends without this phone's sign-out (expired, or ended from another device),
    # and someone else signs in here: the first person's Scan tab is gone before anything shows.
    context.clear_cookies()
    login(page, "director", live_server.people)
    assert kept_pages(page, []) == []
    context.set_offline(True)
    page.goto("/scan")
    assert page.locator("[data-offline-page]").count() == 1
    assert page.locator("#scanner").count() == 0
    assert_clean(context, ignore=NETWORK_NOISE)
