"""Issue 13, weight, in a real browser at 360 x 740: what the practitioner's phone downloads.

Bytes are counted on the wire by a relay between chromium and the server (every byte the server
sends, headers included, whoever asked: the page, the service worker, the browser itself), and,
for the first load, by chromium's own count of the page's requests (CDP encodedDataLength).
The Scan tab fetches the QR decoder (jsQR, 257 KB) only where the browser has no working
BarcodeDetector, and the service worker keeps it so a scan works without network.

The figures are printed (run with -s to see them).
"""
import re
import socket
import threading
from urllib.parse import urlparse

import pytest
from PIL import Image

from tests.browser.helpers import (CHROMIUM, LAUNCH_ARGS, NARROW, assert_clean, expect, zh)
from tests.browser.test_checkin_flow import (CAMERA_SIZE, code_url_now, make_training,
                                             qr_picture, write_y4m)

KB = 1024
FIRST_LOAD = 60 * KB
LATER_VISIT = 10 * KB
HTMX_SWAP = 5 * KB
JSQR = "/static/vendor/jsqr/jsQR.js"

# A BarcodeDetector that reads QR codes, as Android's Chrome has (Linux's chromium has none):
# it "sees" whatever the test puts in window.__glCode.
WORKING_DETECTOR = """
window.BarcodeDetector = class {
  static getSupportedFormats() { return Promise.resolve(['qr_code', 'ean_13']); }
  constructor(options) { this.formats = options.formats; }
  detect(source) {
    return Promise.resolve(window.__glCode ? [{rawValue: window.__glCode, format: 'qr_code'}] : []);
  }
};
"""
# One that cannot read QR codes (chromium with experimental features on Linux: no formats).
NO_QR_DETECTOR = """
window.BarcodeDetector = class {
  static getSupportedFormats() { return Promise.resolve([]); }
  detect() { return Promise.reject(new DOMException('not supported', 'NotSupportedError')); }
};
"""
NO_DETECTOR = "delete window.BarcodeDetector;"

# Wait until this page's service worker is active (it installs after the first load).
SW_ACTIVE = """() => navigator.serviceWorker.ready.then(async (registration) => {
  const worker = registration.active;
  if (worker.state !== 'activated') {
    await new Promise(done => worker.addEventListener('statechange', () => {
      if (worker.state === 'activated') done();
    }));
  }
  return worker.state;
})"""

REQUEST_LINE = re.compile(rb"(?:GET|POST|HEAD) (\S+) HTTP/1\.[01]\r\n")


# ---------------------------------------------------------------- the relay that counts bytes

class Relay:
    """A TCP relay in front of the live server that counts what goes through it, per request:
    chromium sends a connection's next request only once the answer before has come, so what
    comes back between two requests of a connection is the first one's answer."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.lock = threading.Lock()
        self.answers = []  # [path, bytes from the server], in the order asked
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, path):
        return self.base_url + path

    def reset(self):
        with self.lock:
            self.answers = []

    def figures(self):
        """(bytes from the server, the paths asked for) since the last reset."""
        with self.lock:
            return sum(size for _path, size in self.answers), [path for path, _ in self.answers]

    def sizes(self):
        with self.lock:
            return [tuple(answer) for answer in self.answers]

    def _accept(self):
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return  # closed
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()  # the browser sees a failed request; the test says what failed
                continue
            connection = {"answer": None}  # the answer being received on this connection
            threading.Thread(target=self._pump, args=(client, server, connection, False),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, connection, True),
                             daemon=True).start()

    def _pump(self, source, sink, connection, downstream):
        pending = b""  # a request line may arrive in two pieces
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                with self.lock:
                    if downstream:
                        if connection["answer"] is not None:
                            connection["answer"][1] += len(data)
                    else:
                        pending = (pending + data)[-4096:]
                        for match in REQUEST_LINE.finditer(pending):
                            connection["answer"] = [match.group(1).decode(), 0]
                            self.answers.append(connection["answer"])
                        cut = pending.rfind(b"\r\n")
                        if cut >= 0:  # what is before the last line end has been read
                            pending = pending[cut + 2:]
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                end.close()

    def close(self):
        self.listener.close()


@pytest.fixture(scope="module")
def relay(live_server):
    counting = Relay(int(live_server.base_url.rsplit(":", 1)[1]))
    yield counting
    counting.close()


def settle(page, relay):
    """Wait until the page and the service worker have nothing left to fetch; return the relay's
    figures: (bytes from the server, paths asked for)."""
    page.wait_for_load_state("networkidle")
    page.evaluate(SW_ACTIVE)
    page.wait_for_load_state("networkidle")
    return relay.figures()


def visit_bytes(relay):
    """What a visit moved, less the browser's own checks for a new service worker (chromium
    makes one a while after some navigations: it may fall in any measure, so it is apart)."""
    answers = relay.sizes()
    page = [(path, size) for path, size in answers if path != "/sw.js"]
    return sum(size for _path, size in page), page, sum(
        size for path, size in answers if path == "/sw.js")


class PageBytes:
    """Chromium's own count of the bytes each of a page's requests took (CDP), for requests the
    page made itself (not those the service worker answered)."""

    def __init__(self, page):
        self.sizes = {}
        self.urls = {}
        self.session = page.context.new_cdp_session(page)
        self.session.on("Network.responseReceived", self._response)
        self.session.on("Network.loadingFinished", self._finished)
        self.session.send("Network.enable")

    def _response(self, event):
        self.urls[event["requestId"]] = (event["response"]["url"],
                                         event["response"].get("fromServiceWorker", False))

    def _finished(self, event):
        self.sizes[event["requestId"]] = event["encodedDataLength"]

    def rows(self):
        return [(self.urls.get(key, ("?", False)), size) for key, size in self.sizes.items()]


def fresh_phone(phone):
    """A signed-in practitioner's phone with an empty cache and no service worker yet."""
    phone("practitioner")  # signs in once through the form (in a context of its own)
    return phone("practitioner", **NARROW)


def show(title, down, paths):
    print(f"  {title:44} {down:7,} bytes on the wire ({len(paths)} requests)")
    for path in paths:
        print(f"      {path}")


# ---------------------------------------------------------------- the practitioner's home

def test_the_practitioners_home_on_the_wire(phone, live_server, relay):
    context = fresh_phone(phone)
    page = context.new_page()
    counted = PageBytes(page)
    print("\nthe practitioner's home at 360 x 740, chromium (brotli):")

    # First load, empty cache: the page and its files, by chromium's count; then the service
    # worker installs, fetching the few files the page did not need (the relay counts all).
    relay.reset()
    page.goto(relay.url("/home/me"))
    page.wait_for_load_state("networkidle")
    rows = counted.rows()
    assert not any(from_sw for (_url, from_sw), _size in rows)  # no service worker yet
    first = sum(size for _key, size in rows)
    assert {"/static/vendor/htmx/htmx.min.js", "/static/css/app.css"} <= {
        urlparse(url).path for (url, _from_sw), _size in rows}
    down, paths = settle(page, relay)
    print(f"  {'first load: the page and its files':44} {first:7,} bytes on the wire "
          f"({len(rows)} requests)")
    for (url, _from_sw), size in rows:
        print(f"      {size:7,}  {urlparse(url).path}")
    show("first load and the service worker's install", down, paths)
    assert first <= FIRST_LOAD
    assert down - first <= 25 * KB  # the install adds little: the files the page had are cached
    assert not any(path.startswith(JSQR) for path in paths)

    # A later visit: the files are kept (a year, and by the service worker); only the page.
    relay.reset()
    page.goto(relay.url("/home/me"))
    expect(page.locator("main h1")).to_be_visible()
    settle(page, relay)
    later, answers, update_check = visit_bytes(relay)
    show("later visit", later, [path for path, _size in answers])
    assert later <= LATER_VISIT
    assert not any(path.startswith("/static/") for path, _size in answers)

    # An htmx swap reached from home: My year, filtered by kind (the list is swapped in).
    page.goto(relay.url("/ledger/year"))
    list_before = page.locator("#year-list").inner_html()
    settle(page, relay)
    relay.reset()
    with page.expect_response(lambda r: "/ledger/year?" in r.url) as swapped:
        page.locator("#f-kind").select_option("public_service")
    assert swapped.value.headers.get("content-encoding") in ("br", None)  # small ones stay plain
    expect(page.locator("#year-list")).not_to_have_js_property("innerHTML", list_before)
    settle(page, relay)
    swap, answers, more_checks = visit_bytes(relay)
    show("htmx swap: My year by kind", swap, [path for path, _size in answers])
    assert [path.split("?")[0] for path, _size in answers] == ["/ledger/year"]
    assert swap <= HTMX_SWAP
    if update_check or more_checks:
        print(f"  {'(a check for a new service worker, apart)':44} "
              f"{max(update_check, more_checks):7,}")
    assert_clean(context)


# ---------------------------------------------------------------- the Scan tab's decoder

@pytest.fixture(scope="module")
def camera_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("camera") / "camera.y4m"
    write_y4m(path, Image.new("RGB", CAMERA_SIZE, "white"))
    return path


@pytest.fixture(scope="module")
def browser(browser, camera_file):
    """This module's chromium: conftest's, plus a fake camera that plays `camera_file`."""
    camera = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True,
        args=LAUNCH_ARGS + ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                            f"--use-file-for-fake-video-capture={camera_file}"])
    yield camera
    camera.close()


def jsqr_asked(paths):
    return [path for path in paths if path.startswith(JSQR)]


def test_a_phone_with_barcode_detector_never_fetches_the_decoder(phone, live_server, relay,
                                                                 camera_file):
    training_id = make_training(live_server, "基层法律服务实务（浏览器测试·原生识码）", rotation=60)
    write_y4m(camera_file, Image.new("RGB", CAMERA_SIZE, "white"))
    context = fresh_phone(phone)
    context.add_init_script(WORKING_DETECTOR)
    page = context.new_page()
    relay.reset()
    page.goto(relay.url("/scan"))
    page.locator("#camera").wait_for(state="visible")
    down, paths = settle(page, relay)
    assert jsqr_asked(paths) == []
    assert page.evaluate("typeof window.jsQR") == "undefined"
    # The phone's own detector reads the code: the scanner opens the confirm page.
    code = code_url_now(live_server, training_id).replace(live_server.base_url, relay.base_url)
    page.evaluate("code => { window.__glCode = code; }", code)
    page.wait_for_url("**/checkin")
    down, paths = relay.figures()
    print(f"\nthe Scan tab with a BarcodeDetector: {down:,} bytes on the wire, jsQR never asked")
    assert jsqr_asked(paths) == []
    assert_clean(context)


@pytest.mark.parametrize("detector", [NO_DETECTOR, NO_QR_DETECTOR], ids=["none", "no-qr"])
def test_without_barcode_detector_the_decoder_is_fetched_once_and_kept_offline(
        phone, live_server, relay, camera_file, detector):
    training_id = make_training(live_server, "基层法律服务实务（浏览器测试·解码器）", rotation=60)
    write_y4m(camera_file, qr_picture("https://example.com/not-a-check-in"))
    context = fresh_phone(phone)
    context.add_init_script(detector)
    page = context.new_page()
    relay.reset()
    page.goto(relay.url("/scan"))
    status = page.locator("#scan-status")
    # jsQR reads the code the camera sees (not one of ours), so the decoder works.
    status.filter(has_text=zh("This is not a check-in code of this service.")).wait_for()
    settle(page, relay)
    # Under the service worker's control, the Scan tab again: it keeps the decoder.
    page.reload()
    status.filter(has_text=zh("This is not a check-in code of this service.")).wait_for()
    down, paths = settle(page, relay)
    assert len(jsqr_asked(paths)) == 1, paths  # once on the wire; then the caches answer
    decoder = page.locator("#scanner").get_attribute("data-decoder")
    kept = page.evaluate("url => caches.match(url).then(r => !!r)", decoder)
    assert kept, "the service worker did not keep the decoder"
    print(f"\nthe Scan tab without a working BarcodeDetector: {down:,} bytes on the wire over "
          f"two visits, jsQR asked {len(jsqr_asked(paths))} time(s)")

    # No network: the kept Scan tab opens, the kept decoder reads the code, the scan is kept.
    write_y4m(camera_file, qr_picture(code_url_now(live_server, training_id)))
    context.set_offline(True)
    page.reload()
    page.locator("#outbox-count", has_text="1").wait_for(timeout=15_000)
    expect(status).to_have_text(zh(
        "No network. The scan is kept on this phone and will be sent when the network is back."))
    assert page.evaluate("typeof window.jsQR") == "function"
    # Back online, the kept scan is sent, and the outbox empties.
    write_y4m(camera_file, Image.new("RGB", CAMERA_SIZE, "white"))
    context.set_offline(False)
    page.locator("#outbox-results li").wait_for()
    assert_clean(context, ignore=("ERR_INTERNET_DISCONNECTED",))
