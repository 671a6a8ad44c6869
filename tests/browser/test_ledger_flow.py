"""The ledger on a phone: the three forms, a photo made smaller before upload, an entry made
offline and sent exactly once (also from a form the phone kept, opened without network), My
year's filters, and the review queue.

Runs in Debian's chromium against the app under gunicorn (see conftest.py).
"""
import datetime
import io
import re
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from tests.browser.helpers import (NETWORK_NOISE, activate_service_worker, assert_clean, bound_to,
                                   expect, kept_pages, screenshot)
from tests.browser.helpers import zh as tr
from webapp.accounts.models import Notification, User
from webapp.ledger.models import Entry, Evidence

VIEWPORT_HEIGHT = 844


def person(live_server, role):
    with bound_to(live_server.database_url):
        return User.get(User.phone == live_server.people[role]["phone"])


def entries_where(live_server, *conditions):
    with bound_to(live_server.database_url):
        return list(Entry.select().where(*conditions).order_by(Entry.id))


def fits_first_screen(page, locator):
    """Say whether the element ends above the tab bar on the first screen (no scrolling)."""
    page.evaluate("window.scrollTo(0, 0)")
    box = locator.bounding_box()
    tabbar = page.locator(".tabbar").bounding_box()
    return box["y"] + box["height"] <= (tabbar["y"] if tabbar else VIEWPORT_HEIGHT)


# ---------------------------------------------------------------- the three forms

def test_public_service_in_a_few_taps_then_undo(phone, live_server):
    context = phone("practitioner")
    page = context.new_page()
    page.goto("/ledger/")
    assert page.locator(".tabbar a[aria-current=page]").get_attribute("href") == "/ledger/"
    screenshot(page, "ledger-log-tab")
    page.locator("a.tile[href='/ledger/new/public_service']").click()
    page.wait_for_url("**/ledger/new/public_service")
    today = page.locator("#f-date").input_value()
    assert today == page.locator("#f-date").get_attribute("max")
    plus = page.locator("[data-stepper] button").last
    minus = page.locator("[data-stepper] button").first
    for _ in range(4):
        plus.click()
    minus.click()
    assert page.locator("#f-hours").input_value() == "1.5"
    page.locator("label.choice-tile", has_text=tr("Legal publicity")).click()
    # Evidence is what reviewers ask for, so the photo field is in view, not under "More"
    # (issue 13); Save follows it, one scroll down on a phone.
    assert fits_first_screen(page, page.locator("label[for=f-evidence]"))
    assert page.locator("details.more #f-evidence").count() == 0
    screenshot(page, "ledger-form-public-service", full_page=False)
    page.locator("form[data-ledger-form] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/ledger/\?saved=\d+$"))
    entry_id = int(page.url.rsplit("=", 1)[1])
    card = page.locator(".saved-card")
    assert tr("Saved — waiting for review") in card.inner_text()
    screenshot(page, "ledger-saved")
    [entry] = entries_where(live_server, Entry.id == entry_id)
    assert (entry.hours, entry.category, entry.status) == (Decimal("1.5"), "publicity", "pending")
    card.locator("button[type=submit]").click()      # undo
    page.wait_for_url("**/ledger/")
    assert entries_where(live_server, Entry.id == entry_id)[0].status == "withdrawn"
    assert_clean(context)


def test_legal_aid_refuses_an_identity_number_and_says_why(phone, live_server):
    context = phone("practitioner")
    page = context.new_page()
    page.goto("/ledger/new/legal_aid")
    closing = page.locator("[data-closed-only]")
    assert closing.is_hidden()                       # only for closed cases
    page.locator("#f-case_number").fill("江南法援〔2026〕88号")
    page.locator("label.choice-tile", has_text=tr("Civil")).click()
    page.locator("label.choice-tile", has_text=tr("Closed")).click()
    assert closing.is_visible()
    page.locator("#f-closed_on").fill(page.locator("#f-date").input_value())
    page.locator("details.more summary").click()
    page.locator("#f-description").fill("受援人身份证号 36250219800101123X，追索劳动报酬")
    page.locator("form[data-ledger-form] button[type=submit]").click()
    error = page.locator("#description-error")
    error.wait_for()
    assert "身份证" in error.inner_text()
    assert page.locator("details.more").get_attribute("open") is not None
    screenshot(page, "ledger-form-legal-aid-refused")
    before = len(entries_where(live_server, Entry.case_number == "江南法援〔2026〕88号"))
    assert before == 0
    page.locator("#f-description").fill("追索劳动报酬纠纷，代理申请人")
    page.locator("form[data-ledger-form] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/ledger/\?saved=\d+$"))
    [case] = entries_where(live_server, Entry.case_number == "江南法援〔2026〕88号")
    assert (case.kind, case.case_status, case.count) == ("legal_aid", "closed", 1)
    assert_clean(context, ignore=("status of 400",))   # the refusal itself


def noisy_photo(width=3200, height=2400):
    """A large, hard-to-compress phone photo with camera EXIF."""
    image = Image.effect_noise((width, height), 80).convert("RGB")
    exif = Image.Exif()
    exif[0x0110] = "PhoneModel 12"
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


def test_outside_learning_with_a_photo_made_smaller_on_the_phone(phone, live_server):
    context = phone("practitioner")
    page = context.new_page()
    page.goto("/ledger/new/education")
    page.locator("#f-hours").fill("3")
    page.locator("label.choice-tile").first.click()
    page.locator("#f-provider").fill("中国法律服务网")
    topic = f"民法典合同编解读 {uuid.uuid4().hex[:6]}"
    page.locator("#f-topic").fill(topic)
    page.locator("details.more summary").click()
    photo = noisy_photo()
    page.locator("#f-evidence").set_input_files(
        files=[{"name": "IMG_2041.JPG", "mimeType": "image/jpeg", "buffer": photo}])
    with page.expect_request(lambda r: r.method == "POST" and "/ledger/new/" in r.url) as sent:
        page.locator("form[data-ledger-form] button[type=submit]").click()
    sent_bytes = int(sent.value.all_headers()["content-length"])
    assert sent_bytes < len(photo) / 3, (sent_bytes, len(photo))
    page.wait_for_url(re.compile(r"/ledger/\?saved=\d+$"))
    [entry] = entries_where(live_server, Entry.description == topic)
    page.goto(f"/ledger/entries/{entry.id}")
    thumb = page.locator("img.evidence-thumb")
    thumb.wait_for()
    # Wait until the picture has loaded (the element is there before its bytes): a broken
    # picture never gets a width, and the wait fails.
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=thumb.element_handle())
    with bound_to(live_server.database_url):
        item = Evidence.get(Evidence.entry == entry.id)
        assert item.content_type == "image/jpeg" and item.size < len(photo) / 3
    screenshot(page, "ledger-entry-with-photo")
    # A second photo added on the entry's page is made smaller on the phone too.
    page.locator("form[data-evidence-form] input[type=file]").set_input_files(
        files=[{"name": "IMG_2042.JPG", "mimeType": "image/jpeg", "buffer": photo}])
    with page.expect_request(lambda r: r.method == "POST" and "/evidence" in r.url) as added:
        page.locator("form[data-evidence-form] button[type=submit]").click()
    assert int(added.value.all_headers()["content-length"]) < len(photo) / 3
    # The form is sent by script, which then loads the entry's page again: wait for that page.
    expect(page.locator("img.evidence-thumb")).to_have_count(2)
    assert_clean(context)


def test_the_form_works_without_javascript_and_a_resend_saves_once(phone, live_server):
    context = phone("practitioner", java_script_enabled=False)
    page = context.new_page()
    page.goto("/ledger/new/public_service")
    assert page.locator("[data-stepper] button").count() == 0     # no stepper without JS
    page.locator("#f-hours").fill("0.75")
    page.locator("label.choice-tile", has_text=tr("Dispute mediation")).click()
    fields = {name: page.locator(f"form[data-ledger-form] [name={name}]").input_value()
              for name in ("csrf_token", "idempotency_key", "for_user", "date", "hours")}
    assert fields["idempotency_key"]
    page.locator("form[data-ledger-form] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/ledger/\?saved=\d+$"))
    assert tr("Saved — waiting for review") in page.locator(".saved-card").inner_text()
    # The same form sent again (a double tap on a slow network, a browser resend).
    again = context.request.post(live_server.base_url + "/ledger/new/public_service",
                                 form=dict(fields, category="mediation"), max_redirects=0)
    assert again.status == 303
    assert again.headers["location"] == page.url.replace(live_server.base_url, "")
    assert len(entries_where(live_server,
                             Entry.idempotency_key == fields["idempotency_key"])) == 1


# ---------------------------------------------------------------- offline, sent exactly once

def test_an_entry_made_offline_is_kept_and_sent_once(phone, live_server):
    context = phone("practitioner")
    page = context.new_page()
    page.goto("/ledger/new/public_service")
    key = page.locator("[name=idempotency_key]").input_value()
    context.set_offline(True)
    page.locator("#f-hours").fill("2.75")
    page.locator("label.choice-tile", has_text=tr("Dispute mediation")).click()
    page.locator("form[data-ledger-form] button[type=submit]").click()
    kept = page.locator(".flash.js-kept")
    kept.wait_for()
    assert tr("Kept on this phone. It will be sent by itself when the network returns.") in \
        kept.inner_text()
    outbox = page.locator("[data-outbox]")
    outbox.wait_for()
    assert page.locator("[data-outbox-count]").inner_text() == "1"
    assert tr("Waiting to send") in outbox.inner_text()
    # The form is ready for the next entry, under a new key.
    assert page.locator("[name=idempotency_key]").input_value() not in ("", key)
    screenshot(page, "ledger-offline-kept")
    assert entries_where(live_server, Entry.idempotency_key == key) == []

    # Back online, the first send reaches the server but its answer is lost on the way.
    calls = []

    def lose_the_answer(route):
        calls.append(route.request.url)
        if len(calls) == 1:
            route.fetch()          # the server saves it...
            route.abort()          # ...and the phone never hears back
        else:
            route.continue_()

    page.route("**/ledger/new/public_service", lose_the_answer)
    with page.expect_event("requestfailed", lambda r: r.url.endswith("/ledger/new/public_service")):
        context.set_offline(False)
    assert len(calls) == 1
    assert len(entries_where(live_server, Entry.idempotency_key == key)) == 1

    # Still kept (no answer came): the outbox tries again by itself a few seconds later, with
    # the same key, and the server keeps the one entry.
    outbox.wait_for(state="hidden")
    assert len(calls) == 2
    saved = entries_where(live_server, Entry.idempotency_key == key)
    assert len(saved) == 1 and saved[0].hours == Decimal("2.75")
    assert_clean(context, ignore=NETWORK_NOISE)


KEPT_FORM = """async () => {
  for (const key of await caches.keys())
    if (key.startsWith('gl-pages')) {
      const hit = await (await caches.open(key)).match('/ledger/new/public_service');
      if (hit) return await hit.text();
    }
  return '';
}"""

# What the outbox (static/js/outbox.js, IndexedDB) holds on this browser, for every person.
OUTBOX = """() => new Promise((done, fail) => {
  const open = indexedDB.open('gl-ledger');
  open.onerror = () => fail(open.error);
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains('outbox')) { db.close(); done([]); return; }
    const get = db.transaction('outbox').objectStore('outbox').getAll();
    get.onsuccess = () => { db.close(); done(get.result.map(i => ({key: i.key, kind: i.kind,
      user: i.user, action: i.action, fields: i.fields, url: i.url, scanned_at: i.scanned_at,
      state: i.state}))); };
  };
})"""

# Send what waits now, and wait until the outbox has been shown again.
FLUSH = "() => GL.outbox.flush().then(() => null)"

RESEND = """async (item) => {
  const data = new FormData();
  item.fields.forEach(([name, value]) => data.append(name, value));
  data.set('csrf_token', document.querySelector('meta[name=csrf-token]').content);
  const r = await fetch(item.action, {method: 'POST', body: data, credentials: 'same-origin',
                                      headers: {'Accept': 'application/json'}});
  return {status: r.status, body: await r.json()};
}"""


def test_a_kept_form_opens_without_network_and_its_entry_is_sent_once(phone, live_server):
    me = person(live_server, "practitioner")
    context = phone("practitioner")
    page = context.new_page()
    page.goto("/ledger/")
    assert activate_service_worker(page) == live_server.base_url + "/sw.js"  # reloads the tab
    with page.expect_response("**/ledger/new/public_service") as served:
        page.goto("/ledger/new/public_service")
    served_key = re.search(r'name="idempotency_key" value="([^"]+)"', served.value.text())[1]
    # The Log tab and this form, and (kept with the Log tab) the other forms and the Scan tab.
    kept = ["/ledger/", "/ledger/new/education", "/ledger/new/legal_aid",
            "/ledger/new/public_service", "/scan"]
    assert kept_pages(page, kept) == kept
    # The very page, key and all (the visit's copy, not the one kept with the Log tab before).
    page.wait_for_function(f"async (key) => ({KEPT_FORM})().then(text => text.includes(key))",
                           arg=served_key)
    before = len(entries_where(live_server, Entry.user == me.id))

    # No network, and (for the phone) the next day: the form still opens, from the kept copy,
    # with a key of its own and the phone's today instead of the day the copy was made.
    today = datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    tomorrow = today + datetime.timedelta(days=1)
    page.clock.set_fixed_time(datetime.datetime.combine(
        tomorrow, datetime.time(10), ZoneInfo("Asia/Shanghai")))
    context.set_offline(True)
    page.reload()
    form = page.locator("form[data-ledger-form]")
    assert form.count() == 1 and page.locator("[data-offline-page]").count() == 0
    page.locator("#offline-banner").wait_for(state="visible")
    key_input = page.locator("[name=idempotency_key]")
    key = key_input.input_value()
    assert key not in ("", served_key)  # the kept page, under a key of its own
    date = page.locator("#f-date")
    assert date.get_attribute("value") == today.isoformat()
    assert date.input_value() == tomorrow.isoformat()
    assert date.get_attribute("max") == tomorrow.isoformat()
    assert page.locator("[name=for_user]").input_value() == str(me.id)
    screenshot(page, "ledger-kept-form-offline")

    # The server's today is still today: fill in that date, and the rest.
    date.fill(today.isoformat())
    page.locator("#f-hours").fill("1.25")
    page.locator("label.choice-tile", has_text=tr("Legal publicity")).click()
    form.locator("button[type=submit]").click()
    kept = page.locator(".flash.js-kept")
    kept.wait_for()
    assert tr("Kept on this phone. It will be sent by itself when the network returns.") in \
        kept.inner_text()
    assert tr("Waiting to send") in page.locator("[data-outbox]").inner_text()
    [item] = page.evaluate(OUTBOX)
    assert item["key"] == key and item["user"] == str(me.id) and item["kind"] == "entry"
    # Ready for another entry: a new key, and the phone's today again.
    assert key_input.input_value() not in ("", served_key, key)
    assert date.input_value() == tomorrow.isoformat()
    assert entries_where(live_server, Entry.idempotency_key == key) == []

    # The Log tab opens without network too, and shows what waits to send.
    page.goto("/ledger/")
    assert page.locator("nav.tiles").count() == 1 and page.locator("[data-offline-page]").count() == 0
    outbox = page.locator("[data-outbox]")
    outbox.wait_for()
    assert page.locator("[data-outbox-count]").inner_text() == "1"
    assert tr("Waiting to send") in outbox.inner_text()
    screenshot(page, "ledger-kept-log-tab-offline")

    # Network back: the kept Log tab sends it by itself, once.
    context.set_offline(False)
    outbox.wait_for(state="hidden")
    saved = entries_where(live_server, Entry.idempotency_key == key)
    assert len(saved) == 1
    assert (saved[0].user_id, saved[0].date, saved[0].hours, saved[0].category) == \
        (me.id, today, Decimal("1.25"), "publicity")
    assert len(entries_where(live_server, Entry.user == me.id)) == before + 1

    # A second sync (another 'online', the same item sent again) adds nothing.
    page.evaluate(FLUSH)
    again = page.evaluate(RESEND, item)
    assert again["status"] == 200 and again["body"]["created"] is False
    assert again["body"]["id"] == saved[0].id
    assert len(entries_where(live_server, Entry.user == me.id)) == before + 1
    assert page.evaluate(OUTBOX) == []
    assert_clean(context, ignore=NETWORK_NOISE)


def test_home_shows_what_waits_to_send(phone, live_server):
    context = phone("practitioner")
    page = context.new_page()
    # The network is too weak for the form to reach the server.
    page.route("**/ledger/new/**", lambda route: route.abort() if route.request.method == "POST"
               else route.continue_())
    page.goto("/ledger/new/public_service")
    page.locator("#f-hours").fill("1")
    page.locator("label.choice-tile", has_text=tr("Legal consultation")).click()
    page.locator("form[data-ledger-form] button[type=submit]").click()
    page.locator(".flash.js-kept").wait_for()
    page.goto("/home/me")
    card = page.locator("[data-outbox]")
    card.wait_for()
    assert page.locator("[data-outbox-count]").inner_text() == "1"
    screenshot(page, "ledger-home-waiting-to-send")
    # The network recovers: the card empties by itself.
    page.unroute("**/ledger/new/**")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    card.wait_for(state="hidden")
    assert_clean(context, ignore=NETWORK_NOISE)


# ---------------------------------------------------------------- My year

def test_my_year_filters_without_reloading(phone, live_server):
    who = person(live_server, "practitioner")
    with bound_to(live_server.database_url):
        Entry.create(user=who.id, kind="public_service", date=datetime.date.today(), hours=1,
                     category="other", source="self", status="withdrawn")
    context = phone("practitioner")
    page = context.new_page()
    page.goto("/home/me")
    page.locator(".progress-row a").nth(1).click()        # public service
    page.wait_for_url(re.compile(r"/ledger/year\?.*kind=public_service"))
    page.evaluate("window.__samePage = true")
    page.locator("#f-status").select_option("withdrawn")
    page.wait_for_url(re.compile(r"status=withdrawn"))
    assert page.evaluate("window.__samePage === true")    # htmx swapped the list only
    rows = page.locator("#year-list .entry-row")
    assert rows.count() >= 1
    assert all(tr("Withdrawn") in rows.nth(i).inner_text() for i in range(rows.count()))
    screenshot(page, "ledger-my-year")
    page.goto(page.locator("a[href*='/summary']").first.get_attribute("href"))
    assert page.locator(".signatures .sign-line").count() == 3
    screenshot(page, "ledger-annual-summary")
    assert_clean(context)


# ---------------------------------------------------------------- the review queue

@pytest.fixture
def waiting(live_server):
    """Three fresh pending entries of the practitioner."""
    who = person(live_server, "practitioner")
    today = datetime.date.today()
    marker = uuid.uuid4().hex[:8]
    with bound_to(live_server.database_url):
        rows = [Entry.create(user=who.id, kind="public_service", date=today, hours=Decimal(h),
                             category="consultation", description=f"审核测试 {marker} {h}",
                             source="self", status="pending")
                for h in ("0.5", "0.75", "1")]
    return rows


def test_review_queue_approve_decline_and_bulk(phone, live_server, waiting):
    context = phone("county_admin")
    page = context.new_page()
    page.goto("/ledger/review")
    first, second, third = (page.locator(f"#q-{e.id}") for e in waiting)
    first.wait_for()
    screenshot(page, "ledger-review-queue")
    page.reload()   # the screenshot leaves style="" on inputs (hidden caret); start clean

    first.locator("form[action$='/approve'] button").click()
    page.locator(f"#q-{waiting[0].id}.decided").wait_for()
    assert tr("Approved") in page.locator(f"#q-{waiting[0].id}").inner_text()

    second.locator("details.decline summary").click()
    second.locator("textarea[name=reason]").fill("请补充服务记录照片")
    second.locator("form[action$='/decline'] button").click()
    decided = page.locator(f"#q-{waiting[1].id}.decided")
    decided.wait_for()
    assert "请补充服务记录照片" in decided.inner_text()

    third.locator("input[name=pick]").check()
    page.locator("#bulk button[type=submit]").click()
    expect(page.locator(f"#q-{waiting[2].id}")).to_have_count(0)
    screenshot(page, "ledger-review-after-bulk")

    statuses = {e.id: e.status for e in entries_where(
        live_server, Entry.id.in_([w.id for w in waiting]))}
    assert statuses == {waiting[0].id: "approved", waiting[1].id: "declined",
                        waiting[2].id: "approved"}
    with bound_to(live_server.database_url):
        assert Notification.select().where(
            Notification.link == f"/ledger/entries/{waiting[1].id}").count() == 1
    assert_clean(context)

    # The practitioner sees why, on their home page, and can fix it.
    mine = phone("practitioner").new_page()
    mine.goto("/home/me")
    assert "请补充服务记录照片" in mine.locator("main").inner_text()
    mine.goto(f"/ledger/entries/{waiting[1].id}")
    assert "请补充服务记录照片" in mine.locator(".decline-reason").inner_text()


def test_review_filters_swap_the_list(phone, live_server, waiting):
    context = phone("county_admin")
    page = context.new_page()
    page.goto("/ledger/review")
    page.evaluate("window.__samePage = true")
    page.locator("#f-kind").select_option("legal_aid")
    page.wait_for_url(re.compile(r"kind=legal_aid"))
    assert page.evaluate("window.__samePage === true")
    assert page.locator(f"#q-{waiting[0].id}").count() == 0
    page.locator("input[name=group][value=firm]").check()
    page.wait_for_url(re.compile(r"group=firm"))
    assert_clean(context)
