"""Offline on a 360 × 740 phone: every form a person can reach from a kept tab opens without
network though never opened on the phone (the service worker keeps the kept pages a kept page
links to, sw.js); the offline page leads back to what is kept; an entry kept offline that the
server refuses when the network returns shows the server's reason, is not sent again by
itself, and is corrected in its form and sent again (a ledger entry, and a firm report); one
the server could not take (5xx) is sent again by itself.

Runs in Debian's chromium against the app under gunicorn (see conftest.py). Waits on
conditions only (an element, a response, a URL).
"""
import datetime
import re
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

from tests.browser.helpers import (NARROW, NETWORK_NOISE, activate_service_worker, assert_clean,
                                   bound_to, free_day, kept_pages, screenshot)
from tests.browser.helpers import zh as tr
from webapp.accounts.models import User
from webapp.ledger.models import Entry
from webapp.reports.models import FirmReport

KEPT = ["/ledger/", "/ledger/new/education", "/ledger/new/legal_aid",
        "/ledger/new/public_service", "/scan"]
FORMS = [("public_service", "Public service"), ("legal_aid", "Legal-aid case"),
         ("education", "Outside learning")]


OUTBOX = "() => GL.outbox.all().then(items => items.map(i => ({key: i.key, state: i.state})))"
FLUSH = "() => GL.outbox.flush().then(() => null)"


def person(live_server, role="practitioner"):
    with bound_to(live_server.database_url):
        return User.get(User.phone == live_server.people[role]["phone"])


def entries_where(live_server, *conditions):
    with bound_to(live_server.database_url):
        return list(Entry.select().where(*conditions).order_by(Entry.id))


def today():
    return datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def log_elsewhere(live_server, user, day, hours):
    """Public service logged meanwhile from another phone (it counts toward the day's cap)."""
    with bound_to(live_server.database_url):
        Entry.create(user=user, kind="public_service", source="self", status="pending",
                     date=day, hours=Decimal(hours), category="consultation")


def reports_where(live_server, *conditions):
    with bound_to(live_server.database_url):
        return list(FirmReport.select().where(*conditions).order_by(FirmReport.id))


def on_form(page, kind):
    """The form opened (not the offline page), with the tab bar."""
    page.locator(f'form[data-ledger-form][data-kind="{kind}"]').wait_for()
    assert page.locator("[data-offline-page]").count() == 0
    assert page.locator("nav.tabbar").is_visible()


def test_every_form_of_the_log_tab_opens_offline_though_never_opened(phone, live_server):
    context = phone("practitioner", **NARROW)
    page = context.new_page()
    page.goto("/ledger/")
    assert activate_service_worker(page) == live_server.base_url + "/sw.js"
    # Only the Log tab was opened; its forms and the Scan tab (in its tab bar) are kept too.
    assert kept_pages(page, KEPT) == KEPT

    context.set_offline(True)
    for n, (kind, label) in enumerate(FORMS):
        if n:
            page.locator("a.back-link").click()  # back to the Log tab, kept too
            page.locator("nav.tiles").wait_for()
        page.locator("a.tile", has_text=tr(label)).click()
        page.wait_for_url(f"**/ledger/new/{kind}")
        on_form(page, kind)
        screenshot(page, f"offline-form-{kind}")
    page.locator("nav.tabbar a[href='/scan']").click()
    page.locator("#scanner").wait_for()
    assert page.locator("[data-offline-page]").count() == 0

    # A page that is not kept gives the offline page, with the tab bar and the kept pages.
    page.locator("nav.tabbar a[href='/home/me']").click()
    page.locator("[data-offline-page]").wait_for()
    page.locator("nav.tabbar").wait_for()  # the kept Log tab's person's
    links = page.locator("[data-kept-links] a[data-kept]")
    links.first.wait_for()
    assert sorted(links.evaluate_all("els => els.map(a => a.getAttribute('href'))")) == KEPT
    screenshot(page, "offline-page-with-kept-pages")
    page.locator("[data-kept-links] a[href='/ledger/new/legal_aid']").click()
    page.wait_for_url("**/ledger/new/legal_aid")
    on_form(page, "legal_aid")
    page.locator("nav.tabbar a[href='/me']").click()
    page.locator("[data-offline-page]").wait_for()
    page.locator("nav.tabbar a[href='/ledger/']").click()
    page.wait_for_url("**/ledger/")
    page.locator("nav.tiles").wait_for()
    assert_clean(context, ignore=NETWORK_NOISE)


def test_the_scan_tab_keeps_the_log_tab_and_its_forms_too(phone, live_server):
    context = phone("practitioner", **NARROW)
    page = context.new_page()
    page.goto("/scan")
    activate_service_worker(page)
    assert kept_pages(page, KEPT) == KEPT
    context.set_offline(True)
    page.locator("nav.tabbar a[href='/ledger/']").click()
    page.locator("nav.tiles").wait_for()
    page.locator("a.tile", has_text=tr("Outside learning")).click()
    page.wait_for_url("**/ledger/new/education")
    on_form(page, "education")
    assert_clean(context, ignore=NETWORK_NOISE)


def test_a_director_keeps_no_practitioner_page(phone, live_server):
    context = phone("director", **NARROW)
    page = context.new_page()
    page.goto("/scan")
    activate_service_worker(page)
    assert kept_pages(page, ["/scan"]) == ["/scan"]
    context.set_offline(True)
    page.goto("/ledger/new/public_service")
    page.locator("[data-offline-page]").wait_for()
    page.locator("[data-kept-links] a[href='/scan']").wait_for()
    assert page.locator("[data-kept-links] a[data-kept]:visible").count() == 1
    assert page.locator("nav.tabbar").count() == 0  # no Log tab of theirs kept
    assert_clean(context, ignore=NETWORK_NOISE)


def keep_public_service(page, day, hours):
    """Fill the public-service form without network and keep it; return its key."""
    page.locator("#offline-banner").wait_for()
    key = page.locator("[name=idempotency_key]").input_value()
    page.locator("#f-date").fill(day.isoformat())
    page.locator("#f-hours").fill(hours)
    page.locator("label.choice-tile", has_text=tr("Dispute mediation")).click()
    page.locator("form[data-ledger-form] button[type=submit]").click()
    page.locator(".flash.js-kept").wait_for()
    page.locator("[data-outbox] .outbox-item").wait_for()
    return key


def test_an_entry_the_server_refuses_shows_why_and_is_corrected_and_sent_again(
        phone, live_server):
    me = person(live_server)
    day = free_day(live_server, me.id, today())
    context = phone("practitioner", **NARROW)
    page = context.new_page()
    page.goto("/ledger/")
    activate_service_worker(page)
    assert kept_pages(page, KEPT) == KEPT
    context.set_offline(True)
    page.locator("a.tile", has_text=tr("Public service")).click()
    page.wait_for_url("**/ledger/new/public_service")
    on_form(page, "public_service")  # never opened online: the kept copy
    key = keep_public_service(page, day, "2")
    # Meanwhile 7 hours of that day were logged from another phone: 2 more go over the cap (8).
    log_elsewhere(live_server, me, day, "7")

    # Network back: the outbox sends it, and the server refuses it with a reason.
    with page.expect_response(lambda r: r.url.endswith("/ledger/new/public_service")
                              and r.request.method == "POST") as answer:
        context.set_offline(False)
    assert answer.value.status == 400
    reason = answer.value.json()["error"]
    assert answer.value.json()["field"] == "hours"
    card = page.locator("[data-outbox]")
    row = card.locator(".outbox-item.refused")
    row.wait_for()
    assert reason in row.inner_text() and tr("Not accepted:") in row.inner_text()
    assert card.locator("[data-outbox-heading]").inner_text() == tr("Not accepted")
    assert card.locator("[data-outbox-waiting-note]").is_hidden()
    assert card.locator("[data-outbox-refused-note]").is_visible()
    screenshot(page, "offline-refused-entry")
    assert entries_where(live_server, Entry.idempotency_key == key) == []

    # Refused: not sent again by itself (a send of what waits asks the server nothing).
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.evaluate(FLUSH)
    assert posts == [] and page.evaluate(OUTBOX) == [{"key": key, "state": "refused"}]

    # Correct it in its form (this very page): the values and the reason are there, under
    # the same key (a refused entry was never saved).
    row.locator("a[data-outbox-fix]").click()
    form = page.locator("form[data-ledger-form]")
    error = form.locator(".field-error", has_text=reason)
    error.wait_for()
    assert page.locator("#f-hours").input_value() == "2"
    assert page.locator("#f-date").input_value() == day.isoformat()
    assert page.locator("input[name=category][value=mediation]").is_checked()
    assert page.locator("[name=idempotency_key]").input_value() == key
    screenshot(page, "offline-refused-entry-reopened")
    page.locator("#f-hours").fill("1")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/ledger/?saved=*")
    page.locator("[data-saved]").wait_for()
    [saved] = entries_where(live_server, Entry.idempotency_key == key)
    assert (saved.user_id, saved.date, saved.hours, saved.category) == \
        (me.id, day, Decimal("1"), "mediation")
    # The kept copy is gone with it.
    assert page.evaluate(OUTBOX) == []
    assert card.is_hidden()
    assert_clean(context, ignore=NETWORK_NOISE + ("400",))


def test_an_entry_the_server_could_not_take_is_sent_again_by_itself(phone, live_server):
    me = person(live_server)
    day = free_day(live_server, me.id, today())
    # (No service worker, so that the test can stand in for the server's 503.)
    context = phone("practitioner", service_workers="block", **NARROW)
    page = context.new_page()
    page.goto("/ledger/new/public_service")
    context.set_offline(True)
    key = keep_public_service(page, day, "1.5")

    calls = []

    def busy_once(route):
        calls.append(route.request.url)
        if len(calls) == 1:
            route.fulfill(status=503, content_type="application/json", body='{"error": "busy"}')
        else:
            route.continue_()

    page.route("**/ledger/new/public_service", busy_once)
    with page.expect_response(lambda r: r.url.endswith("/ledger/new/public_service")
                              and r.status == 503):
        context.set_offline(False)
    card = page.locator("[data-outbox]")
    row = card.locator(".outbox-item")
    # Not refused: still waiting, with nothing to correct, and sent again a few seconds later.
    assert row.locator("a[data-outbox-fix]").is_hidden()
    assert "refused" not in (row.get_attribute("class") or "")
    card.wait_for(state="hidden")
    assert len(calls) == 2
    [saved] = entries_where(live_server, Entry.idempotency_key == key)
    assert (saved.user_id, saved.hours) == (me.id, Decimal("1.5"))
    assert_clean(context, ignore=NETWORK_NOISE + ("503",))


def test_a_report_the_server_refuses_is_corrected_in_its_form_and_sent_again(phone, live_server):
    director = phone("director", **NARROW)
    page = director.new_page()
    page.goto("/reports/new?kind=case")
    activate_service_worker(page)  # (not installing still when the network goes)
    director.set_offline(True)
    page.locator("form.report-form [data-offline-hint]").wait_for()
    title = f"离线写的典型案例（被退回） {uuid.uuid4().hex[:6]}"
    page.locator("#f-title").fill(title)
    page.locator("#f-facts").fill("村民因宅基地边界发生争执，联系电话13912345678。")
    page.locator("#f-handling").fill("所里两次到现场勘查，组织双方协商。")
    page.locator("#f-result").fill("双方签订调解协议，重新确定边界。")
    page.locator("form.report-form button[type=submit]").click()
    page.locator(".js-report-message").wait_for()
    [item] = page.evaluate(OUTBOX)
    key = item["key"]

    # Network back: refused (a phone number in the text), with the server's reason.
    with page.expect_response(lambda r: r.url.endswith("/reports/new")
                              and r.request.method == "POST") as answer:
        director.set_offline(False)
    assert answer.value.status == 400 and answer.value.json()["field"] == "facts"
    reason = answer.value.json()["error"]
    row = page.locator("[data-outbox] .outbox-item.refused")
    row.wait_for()
    assert reason in row.inner_text()

    # Opened back in its form from the report list's card (another page): corrected, sent.
    page.goto("/reports/")
    page.locator("[data-outbox] .outbox-item.refused a[data-outbox-fix]").click()
    page.wait_for_url("**/reports/new?kind=case")
    page.locator("form.report-form .field-error", has_text=reason).wait_for()
    assert page.locator("#f-title").input_value() == title
    assert page.locator("[name=idempotency_key]").input_value() == key
    page.locator("#f-facts").fill("村民因宅基地边界发生争执。")
    page.locator("form.report-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/reports/\d+$"))
    [report] = reports_where(live_server, FirmReport.idempotency_key == key)
    assert (report.title, report.facts) == (title, "村民因宅基地边界发生争执。")
    assert page.evaluate(OUTBOX) == []
    assert_clean(director, ignore=NETWORK_NOISE)
