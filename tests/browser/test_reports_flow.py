"""Firm monthly reports on a phone: the director writes a typical case, the county returns it
with a reason, the director corrects it; every screen fits 360 px.

Runs in Debian's chromium against the app under gunicorn (see conftest.py).
"""
from tests.browser.helpers import NARROW, assert_clean, bound_to, check_layout, screenshot
from webapp.reports.models import FirmReport


def reports(live_server):
    with bound_to(live_server.database_url):
        return list(FirmReport.select().order_by(FirmReport.id))


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
    page.wait_for_url("**/reports/*")
    check_layout(page, "report page")
    [report] = reports(live_server)
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
    assert reports(live_server)[0].status == "returned"

    page.goto("/reports/")
    returned = page.locator(".report-returned")
    assert "请写明调解的时间和地点" in returned.inner_text()
    returned.locator("a").click()
    page.wait_for_url(f"**/reports/{report.id}/edit")
    check_layout(page, "correcting a returned report")
    page.locator("#f-handling").fill("六月三日在所会议室组织双方调解。")
    page.locator("form.report-form button[type=submit]").click()
    page.wait_for_url(f"**/reports/{report.id}")
    assert reports(live_server)[0].status == "submitted"
    assert_clean(director)
    assert_clean(county)
