"""Firm monthly reports on a phone: the director writes a typical case, the county returns it
with a reason, the director corrects it; a case with a photo made smaller on the phone; a case
written without network kept on the phone and sent once; every screen fits 360 px.

Runs in Debian's chromium against the app under gunicorn (see conftest.py).
"""
import io
import re
import uuid

from PIL import Image

from tests.browser.helpers import (NARROW, NETWORK_NOISE, assert_clean, bound_to, check_layout,
                                   expect, screenshot)
from tests.browser.helpers import zh as tr
from webapp.reports.models import FirmReport, FirmReportAttachment



def test_write_return_and_correct_a_typical_case(phone, live_server):
    director = phone("director", **NARROW)
    page = director.new_page()
    page.goto("/reports/")
    check_layout(page, "reports page")
    screenshot(page, "reports-index")
    page.goto("/reports/new")
    check_layout(page, "report kind choice")
    page.locator(".report-kinds a[href$='kind=case']").click()
    page.wait_for_url("**/reports/new?kind=case")
    check_layout(page, "typical case form")
    screenshot(page, "reports-case-form")
    page.locator("#f-title").fill("一起劳动报酬纠纷的调解")
    page.locator("#f-facts").fill("务工人员被拖欠工资三个月。")
    page.locator("#f-handling").fill("所里组织双方调解。")
    page.locator("#f-result").fill("当场结清工资。")
    page.locator("form.report-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/reports/\d+$"))
    check_layout(page, "report page")
    [report] = reports_where(live_server, FirmReport.title == "一起劳动报酬纠纷的调解")
    assert (report.kind, report.status) == ("case", "submitted")

    county = phone("county_admin", **NARROW)
    queue = county.new_page()
    queue.goto("/reports/queue")
    check_layout(queue, "report queue")
    screenshot(queue, "reports-queue")
    queue.locator(f"#r-{report.id} details.decline summary").click()
    queue.locator(f"#reason-{report.id}").fill("请写明调解的时间和地点")
    queue.locator(f"#r-{report.id} form[action$='/return'] button").click()
    queue.wait_for_url("**/reports/queue")
    assert reports_where(live_server, FirmReport.id == report.id)[0].status == "returned"

    page.goto("/reports/")
    returned = page.locator(".report-returned")
    assert "请写明调解的时间和地点" in returned.inner_text()
    returned.locator("a").click()
    page.wait_for_url(f"**/reports/{report.id}/edit")
    check_layout(page, "correcting a returned report")
    page.locator("#f-handling").fill("六月三日在所会议室组织双方调解。")
    page.locator("form.report-form button[type=submit]").click()
    page.wait_for_url(f"**/reports/{report.id}")
    assert reports_where(live_server, FirmReport.id == report.id)[0].status == "submitted"
    assert_clean(director)
    assert_clean(county)


def noisy_photo(width=3200, height=2400):
    """A large, hard-to-compress phone photo with camera EXIF."""
    image = Image.effect_noise((width, height), 80).convert("RGB")
    exif = Image.Exif()
    exif[0x0110] = "PhoneModel 12"
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


def reports_where(live_server, *conditions):
    with bound_to(live_server.database_url):
        return list(FirmReport.select().where(*conditions).order_by(FirmReport.id))


def attachments_of(live_server, report):
    with bound_to(live_server.database_url):
        return list(FirmReportAttachment.select().where(FirmReportAttachment.report == report.id))


def write_case(page, title):
    page.locator("#f-title").fill(title)
    page.locator("#f-facts").fill("村民因宅基地边界发生争执。")
    page.locator("#f-handling").fill("所里两次到现场勘查，组织双方协商。")
    page.locator("#f-result").fill("双方签订调解协议，重新确定边界。")
    page.locator("#f-lesson").fill("现场勘查有助于化解边界纠纷。")


def test_a_director_at_360px_sends_a_typical_case_with_a_photo(phone, live_server):
    director = phone("director", **NARROW)
    page = director.new_page()
    page.goto("/reports/new?kind=case")
    title = f"宅基地边界纠纷的调解 {uuid.uuid4().hex[:6]}"
    write_case(page, title)
    photo = noisy_photo()
    page.locator("#f-attachments").set_input_files(
        files=[{"name": "IMG_3001.JPG", "mimeType": "image/jpeg", "buffer": photo}])
    check_layout(page, "typical case form with a photo chosen")
    screenshot(page, "reports-case-with-photo-form")
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/reports/new")) \
            as sent:
        page.locator("form.report-form button[type=submit]").click()
    assert int(sent.value.all_headers()["content-length"]) < len(photo) / 3
    page.wait_for_url(re.compile(r"/reports/\d+$"))
    [report] = reports_where(live_server, FirmReport.title == title)
    assert (report.kind, report.status) == ("case", "submitted")
    [item] = attachments_of(live_server, report)
    assert item.content_type == "image/jpeg" and item.size < len(photo) / 3
    thumb = page.locator("img.report-file-thumb")
    thumb.wait_for()
    expect(thumb).to_have_js_property("complete", True)
    # Wait until the picture has loaded (a broken one never gets a width, and the wait fails).
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=thumb.element_handle())
    check_layout(page, "report page with a photo")
    screenshot(page, "reports-case-with-photo")
    assert_clean(director)


def test_a_case_written_offline_is_kept_and_sent_once(phone, live_server):
    director = phone("director", **NARROW)
    page = director.new_page()
    page.goto("/reports/new?kind=case")
    key = page.locator("[name=idempotency_key]").input_value()
    director.set_offline(True)
    page.locator("form.report-form [data-offline-hint]").wait_for()
    title = f"离线写的典型案例 {uuid.uuid4().hex[:6]}"
    write_case(page, title)
    # A photo cannot wait on the phone: the text is kept, and the director is told so.
    page.locator("#f-attachments").set_input_files(
        files=[{"name": "IMG_3002.JPG", "mimeType": "image/jpeg", "buffer": noisy_photo(800, 600)}])
    page.locator("form.report-form button[type=submit]").click()
    kept = page.locator(".js-report-message")
    kept.wait_for()
    assert tr("No network: the text is kept on this phone and will be sent by itself when the "
              "network returns. Photos and PDFs cannot wait on the phone: add them by changing "
              "the report once it is sent.") in kept.inner_text()
    outbox = page.locator("[data-outbox]")
    outbox.wait_for()
    assert page.locator("[data-outbox-count]").inner_text() == "1"
    assert title in outbox.inner_text()
    # The form is ready for the next report, under a new key.
    assert page.locator("[name=idempotency_key]").input_value() not in ("", key)
    assert page.locator("#f-title").input_value() == ""
    check_layout(page, "report kept offline")
    screenshot(page, "reports-offline-kept")
    assert reports_where(live_server, FirmReport.idempotency_key == key) == []

    # Back online, the first send reaches the server but its answer is lost on the way.
    calls = []

    def lose_the_answer(route):
        calls.append(route.request.url)
        if len(calls) == 1:
            route.fetch()          # the server saves it...
            route.abort()          # ...and the phone never hears back
        else:
            route.continue_()

    page.route("**/reports/new", lose_the_answer)
    with page.expect_event("requestfailed", lambda r: r.url.endswith("/reports/new")):
        director.set_offline(False)
    assert len(calls) == 1
    assert len(reports_where(live_server, FirmReport.idempotency_key == key)) == 1
    # Still kept (no answer came): the outbox tries again by itself, with the same key, and
    # the server keeps the one report.
    outbox.wait_for(state="hidden")
    assert len(calls) == 2
    [report] = reports_where(live_server, FirmReport.idempotency_key == key)
    assert (report.title, report.kind, report.status) == (title, "case", "submitted")
    assert report.result == "双方签订调解协议，重新确定边界。"
    assert attachments_of(live_server, report) == []
    page.goto(f"/reports/{report.id}")
    check_layout(page, "the report sent from the outbox")
    assert_clean(director, ignore=NETWORK_NOISE)


def test_the_director_names_a_reporter_who_then_writes_from_home(phone, live_server):
    director = phone("director", **NARROW)
    page = director.new_page()
    page.goto("/reports/")
    name = live_server.people["practitioner"]["name"]
    page.locator("#f-reporter").select_option(label=name)
    page.locator("#reporter button[value=name]").click()
    expect(page.locator("#reporter button[value=unname]")).to_contain_text(name)
    check_layout(page, "reports page with a reporter named")
    screenshot(page, "reports-reporter-named")

    reporter = phone("practitioner", **NARROW)
    home = reporter.new_page()
    home.goto("/home/me")
    card = home.locator(".report-reporter-home")
    check_layout(home, "practitioner home with the reports card")
    screenshot(home, "reports-reporter-home")
    card.locator("a").click()
    home.wait_for_url("**/reports/")
    expect(home.locator(".report-months")).to_be_visible()
    assert home.locator("#reporter form").count() == 0
    check_layout(home, "the reporter's reports page")

    # Unnamed again (the other tests' practitioner is no reporter): the card goes.
    page.locator("#reporter button[value=unname]").click()
    expect(page.locator("#reporter button[value=unname]")).to_have_count(0)
    home.goto("/home/me")
    expect(home.locator(".report-reporter-home")).to_have_count(0)
    assert_clean(director)
    assert_clean(reporter)
