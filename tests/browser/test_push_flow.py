"""Notifications on a phone: the Me page's toggle asks for permission only after a tap, and the
service worker shows a pushed message (delivered through the DevTools protocol)."""
import json
import re

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.helpers import (LAUNCH_ARGS, NARROW, PHONE, WAIT_MS, activate_service_worker,
                                   assert_clean, check_layout, expect, login, screenshot,
                                   translated)

PUSH_ATTEMPTS = 4

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

# Sets window.__glShown to the notifications shown, once there is one (checked as each
# lookup answers, so the test waits on the condition, not on a time).
WATCH_NOTIFICATIONS = """() => {
  window.__glShown = null;
  const look = () => navigator.serviceWorker.ready.then(r => r.getNotifications()).then(list => {
    if (list.length) {
      window.__glShown = list.map(n => ({title: n.title, body: n.body, url: n.data && n.data.url}));
    } else {
      requestAnimationFrame(look);
    }
  });
  look();
}"""


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


def test_the_service_worker_shows_a_pushed_message(browser, chromium, live_server, tmp_path):
    # Push needs a profile that is not incognito: a persistent context of its own.
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=chromium, headless=True, args=LAUNCH_ARGS,
        base_url=live_server.base_url, **PHONE)
    try:
        context.set_default_timeout(WAIT_MS)
        context.grant_permissions(["notifications"], origin=live_server.base_url)
        page = context.pages[0] if context.pages else context.new_page()
        login(page, "practitioner", live_server.people)
        page.goto("/me")
        activate_service_worker(page)
        cdp = context.new_cdp_session(page)
        registrations = []
        cdp.on("ServiceWorker.workerRegistrationUpdated",
               lambda event: registrations.extend(event["registrations"]))
        cdp.send("ServiceWorker.enable")
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        mine = [r for r in registrations if r["scopeURL"].startswith(live_server.base_url)]
        assert mine, registrations
        page.evaluate(WATCH_NOTIFICATIONS)
        # A push delivered while a loaded machine is still starting the worker can be dropped
        # by the browser; the same push (one tag, so never shown twice) is sent again until
        # the notification is there, each time waiting on that condition.
        for attempt in range(1, PUSH_ATTEMPTS + 1):
            cdp.send("ServiceWorker.deliverPushMessage", {
                "origin": live_server.base_url, "registrationId": mine[-1]["registrationId"],
                "data": json.dumps({"title": "基层法律服务台账", "body": "已通过：公益服务",
                                    "url": "/ledger/", "tag": "n1"})})
            try:
                page.wait_for_function("() => window.__glShown !== null",
                                       timeout=WAIT_MS // PUSH_ATTEMPTS)
                break
            except PlaywrightTimeout:
                if attempt == PUSH_ATTEMPTS:
                    raise
        assert page.evaluate("window.__glShown") == [
            {"title": "基层法律服务台账", "body": "已通过：公益服务", "url": "/ledger/"}]
    finally:
        context.close()
