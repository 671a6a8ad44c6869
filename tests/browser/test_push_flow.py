"""Notifications on a phone: the Me page's toggle asks for permission only after a tap; the
service worker shows a pushed message (delivered through the DevTools protocol) and a tap on it
opens its page; a subscription the browser changed is kept for its person, and only for them.

Nothing reads the notifications while one is being shown. Chromium's getNotifications() keeps a
stored notification only if the platform already reports it displayed or it was stored after
the call began, and deletes every other one from its database (content/browser/notifications/
platform_notification_context_impl.cc, DoReadAllNotificationDataForServiceWorkerRegistration).
A read that starts after the worker stored the notification but before it is on display loses
it for good: it stays on screen, and every later read lists nothing. The test used to poll
getNotifications() on every animation frame while the push was being shown, which on a loaded
machine now and then lost the notification (and re-sending the push only hid that). So the test
waits for the worker's own showNotification() to resolve, then reads once.

Headless Chromium has no notification to tap and no DevTools command for it, so the tap is a
NotificationEvent dispatched in the worker. Such an event cannot be extended (its waitUntil
throws, so the test stands in for it) and gives no right to focus or open a window (Chromium
grants that only for a real tap): sw.js then still shows the page in the open window, which is
what this checks; with no window open, it checks the window asked for."""
import base64
import json
import os
import re
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.browser.helpers import (LAUNCH_ARGS, NARROW, PHONE, WAIT_MS, activate_service_worker,
                                   assert_clean, bound_to, check_layout, expect, login,
                                   screenshot, translated)
from webapp.push.models import PushSubscription

# Counts the permission prompts the page asks for (Playwright runs it before the page's scripts).
COUNT_PROMPTS = """
(() => {
  if (!window.Notification) { return; }
  window.__glAsked = 0;
  const original = Notification.requestPermission.bind(Notification);
  Notification.requestPermission = function () {
    window.__glAsked += 1;
    return original.apply(null, arguments);
  };
})();
"""

def test_the_toggle_asks_only_after_a_tap(phone, live_server):
    context = phone("practitioner", **NARROW)
    context.add_init_script(COUNT_PROMPTS)
    page = context.new_page()
    page.goto("/me")
    activate_service_worker(page)
    card = page.locator("[data-push]")
    status = card.locator("[data-push-status]")
    expect(status).to_have_text(translated("Notifications are off for this phone.")[0])
    turn_on = card.locator("[data-push-on]")
    expect(turn_on).to_be_visible()
    expect(card.locator("[data-push-unsupported]")).to_be_hidden()
    assert page.evaluate("window.__glAsked") == 0  # nothing asked on page load
    card.scroll_into_view_if_needed()
    check_layout(page, "/me")
    screenshot(page, "push-me-off")

    context.grant_permissions(["notifications"], origin=live_server.base_url)
    turn_on.click()
    page.wait_for_function("() => window.__glAsked === 1")
    # Headless Chromium reaches no real push service: turning on ends on or, plainly, failed.
    expect(status).to_have_text(re.compile("|".join(re.escape(translated(m)[0]) for m in (
        "Notifications are on for this phone.",
        "Notifications could not be turned on. Check the connection and try again."))))
    assert page.evaluate("window.__glAsked") == 1
    screenshot(page, "push-me-after-tap")
    # Playwright's contexts are incognito windows, where Chromium has no Push API (and says so).
    assert_clean(context, ignore=("does not support the Push API in incognito mode",))


# In the worker: self.__glShown resolves once the worker's own showNotification() has (and
# rejects if none is shown in time), so the test reads the notifications only after that.
SPY_SHOWN = """(wait) => {
  const registration = self.registration;
  self.__glShow = self.__glShow || registration.showNotification;
  self.__glShown = new Promise((resolve, reject) => {
    registration.showNotification = function () {
      const shown = self.__glShow.apply(this, arguments);
      shown.then(resolve, reject);
      return shown;
    };
    setTimeout(() => reject(new Error('no notification shown in ' + wait + ' ms')), wait);
  });
}"""

# In the page, once a notification is on display: what is shown.
SHOWN = """() => navigator.serviceWorker.ready.then(r => r.getNotifications()).then(list =>
  list.map(n => ({title: n.title, body: n.body, tag: n.tag, url: n.data && n.data.url})))"""

# In the worker: a tap on the notification tagged `tag` (see the module's note); resolves when
# sw.js's handler has finished.
TAP = """async (tag) => {
  const [notification] = await self.registration.getNotifications({tag});
  if (!notification) { throw new Error('no notification tagged ' + tag); }
  const event = new NotificationEvent('notificationclick', {notification});
  let handled = null;
  Object.defineProperty(event, 'waitUntil', {value: promise => { handled = promise; }});
  self.dispatchEvent(event);
  await handled;
}"""

# In the worker: record the windows sw.js asks to open (the browser refuses a script-made tap).
SPY_OPEN = """() => {
  const open = self.clients.openWindow.bind(self.clients);
  self.__glOpened = [];
  self.clients.openWindow = url => { self.__glOpened.push(url); return open(url).catch(() => null); };
}"""


def service_worker(context, base_url):
    """The app's service worker as Playwright sees it (it is running: it controls the page)."""
    for worker in context.service_workers:
        if worker.url.startswith(base_url):
            return worker
    return context.wait_for_event("serviceworker", lambda w: w.url.startswith(base_url))


def registration_id(cdp, registrations, base_url):
    """The app's registration, once an event has named it (each round trip to the browser lets
    the events that came before its answer in)."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while True:
        mine = [r["registrationId"] for r in registrations
                if r["scopeURL"].startswith(base_url) and not r["isDeleted"]]
        if mine:
            return mine[-1]
        assert time.monotonic() < deadline, ("no service worker registration", registrations)
        cdp.send("Runtime.evaluate", {"expression": "0"})


def push(cdp, origin, registration_id, payload):
    cdp.send("ServiceWorker.deliverPushMessage", {
        "origin": origin, "registrationId": registration_id, "data": json.dumps(payload)})


def test_the_service_worker_shows_a_pushed_message_and_a_tap_opens_its_page(
        browser, chromium, live_server, tmp_path):
    # Push needs a profile that is not incognito: a persistent context of its own.
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=chromium, headless=True, args=LAUNCH_ARGS,
        base_url=live_server.base_url, **PHONE)
    try:
        context.set_default_timeout(WAIT_MS)
        context.grant_permissions(["notifications"], origin=live_server.base_url)
        page = context.pages[0] if context.pages else context.new_page()
        # The DevTools protocol names the registration a push goes to in events that come when
        # they come (after ServiceWorker.enable, and as the worker is registered): listen first.
        cdp = context.new_cdp_session(page)
        registrations = []
        cdp.on("ServiceWorker.workerRegistrationUpdated",
               lambda event: registrations.extend(event["registrations"]))
        cdp.send("ServiceWorker.enable")
        login(page, "practitioner", live_server.people)
        page.goto("/me")
        activate_service_worker(page)
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        worker = service_worker(context, live_server.base_url)
        origin = live_server.base_url
        registration = registration_id(cdp, registrations, origin)

        # A push is shown as sent, with its page kept for the tap.
        worker.evaluate(SPY_SHOWN, WAIT_MS)
        push(cdp, origin, registration, {"title": "基层法律服务台账", "body": "已通过：公益服务",
                                     "url": "/ledger/", "tag": "n1"})
        worker.evaluate("() => self.__glShown")
        assert page.evaluate(SHOWN) == [{"title": "基层法律服务台账", "body": "已通过：公益服务",
                                         "tag": "n1", "url": "/ledger/"}]

        # A tap shows that page in the open window.
        worker.evaluate(TAP, "n1")
        page.wait_for_url("**/ledger/")
        expect(page.locator("main h1")).to_be_visible()

        # A page of another site is never opened: the tap opens the app's start instead.
        worker.evaluate(SPY_SHOWN, WAIT_MS)
        push(cdp, origin, registration, {"title": "基层法律服务台账", "body": "别处",
                                     "url": "https://example.com/elsewhere", "tag": "n2"})
        worker.evaluate("() => self.__glShown")
        worker.evaluate(TAP, "n2")
        page.wait_for_url("**/home/me")

        # With no window of the app open, the tap asks for a new one on the notification's page.
        worker.evaluate(SPY_SHOWN, WAIT_MS)
        push(cdp, origin, registration, {"title": "基层法律服务台账", "body": "培训明天",
                                     "url": "/ledger/", "tag": "n3"})
        worker.evaluate("() => self.__glShown")
        context.new_page()  # the browser stays open, on a blank page
        page.close()
        worker.evaluate(SPY_OPEN)
        worker.evaluate(TAP, "n3")
        assert worker.evaluate("() => self.__glOpened") == [live_server.base_url + "/ledger/"]
    finally:
        context.close()


# ------------------------------------------------------------ a subscription the browser changed

# Stands in for the browser's push service (headless Chromium reaches none): the subscription
# is the JSON the test keeps in localStorage under __glFakeSub; subscribe() takes __glNextSub.
FAKE_PUSH = """
(() => {
  if (!window.PushManager) { return; }
  const read = () => JSON.parse(localStorage.getItem('__glFakeSub') || 'null');
  const wrap = json => json && {
    endpoint: json.endpoint, options: {}, toJSON: () => json,
    unsubscribe: () => { localStorage.removeItem('__glFakeSub'); return Promise.resolve(true); }};
  PushManager.prototype.getSubscription = function () { return Promise.resolve(wrap(read())); };
  PushManager.prototype.subscribe = function () {
    localStorage.setItem('__glFakeSub', localStorage.getItem('__glNextSub'));
    return Promise.resolve(wrap(read()));
  };
})();
"""


def b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def subscription(name):
    """A browser's subscription JSON with real keys, at a push service's address."""
    key = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"endpoint": f"https://push.example.net/send/{name}-{b64(os.urandom(9))}",
            "expirationTime": None, "keys": {"p256dh": b64(key), "auth": b64(os.urandom(16))}}


def kept(live_server, *subscriptions):
    """Whose each endpoint is on the server for (a phone number, or None)."""
    endpoints = [s["endpoint"] for s in subscriptions]
    with bound_to(live_server.database_url):
        found = {row.endpoint: row.user.phone for row in
                 PushSubscription.select().where(PushSubscription.endpoint.in_(endpoints))}
    return [found.get(endpoint) for endpoint in endpoints]


def test_a_subscription_the_browser_changed_is_kept_for_its_person_only(phone, live_server):
    context = phone("practitioner", **NARROW)
    context.add_init_script(FAKE_PUSH)
    context.grant_permissions(["notifications"], origin=live_server.base_url)
    page = context.new_page()
    page.goto("/me")
    activate_service_worker(page)
    card = page.locator("[data-push]")
    status = card.locator("[data-push-status]")
    on = translated("Notifications are on for this phone.")[0]
    off = translated("Notifications are off for this phone.")[0]
    expect(status).to_have_text(off)
    me = live_server.people["practitioner"]["phone"]
    old, new, stray = subscription("old"), subscription("new"), subscription("stray")
    try:
        # Turned on: the server keeps it, the page remembers what the server took.
        page.evaluate("s => localStorage.setItem('__glNextSub', JSON.stringify(s))", old)
        card.locator("[data-push-on]").click()
        expect(status).to_have_text(on)
        assert kept(live_server, old) == [me]

        # The browser changed it (sw.js re-subscribes on pushsubscriptionchange): on the next
        # visit the new one is kept for this person and the old one dropped.
        page.evaluate("s => localStorage.setItem('__glFakeSub', JSON.stringify(s))", new)
        page.reload()
        expect(status).to_have_text(on)
        page.wait_for_function("e => JSON.parse(localStorage.getItem('gl-push-sent')).endpoint === e",
                               arg=new["endpoint"])
        assert kept(live_server, old, new) == [None, me]

        # One the server never took from this person is not passed on to them: it is dropped.
        page.evaluate("""([sent, now]) => {
          localStorage.setItem('gl-push-sent', JSON.stringify(sent));
          localStorage.setItem('__glFakeSub', JSON.stringify(now));
        }""", [subscription("someone-elses"), stray])
        page.reload()
        expect(status).to_have_text(off)
        page.wait_for_function("() => localStorage.getItem('__glFakeSub') === null")
        assert page.evaluate("localStorage.getItem('gl-push-sent')") is None
        assert kept(live_server, new, stray) == [me, None]
        # (the refresh the server refused is the one 404 the browser reports)
        assert_clean(context, ignore=("the server responded with a status of 404",))
    finally:
        with bound_to(live_server.database_url):
            PushSubscription.delete().where(PushSubscription.endpoint.in_(
                [old["endpoint"], new["endpoint"], stray["endpoint"]])).execute()
