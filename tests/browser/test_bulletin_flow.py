"""The monthly bulletin in the browser: the county administrator at a desktop opens last month,
writes the bureau's remarks and issues it; the printed page hides the navigation; the firm's
director opens the issued bulletin from the reports page on a 360 px phone.

Runs in Debian's chromium against the app under gunicorn (see conftest.py).
"""
import datetime
from zoneinfo import ZoneInfo

from tests.browser.helpers import (LAYOUT_JS, NARROW, assert_clean, bound_to, check_layout,
                                   expect, screenshot)
from webapp.reports.bulletin_models import Bulletin

DESKTOP = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1,
           "is_mobile": False, "has_touch": False}
REMARKS = "本月各所信息报送总体及时，白沙镇所典型案例质量较高；请未完成的所本月补齐。"


def issued(live_server):
    with bound_to(live_server.database_url):
        return list(Bulletin.select().where(Bulletin.status == "issued"))


def check_desktop(page, where):
    """At 1280 px: no sideways scrolling, 16 px body text, no text under 14 px."""
    got = page.evaluate(LAYOUT_JS)
    assert got["scrollWidth"] <= 1280, (where, got["wide"])
    assert got["bodyFont"] >= 16, where
    assert got["tiny"] == [], (where, got["tiny"])
    assert got["hidden"] is None, (where, got["hidden"])


def last_month():
    today = datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the server's zone
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1).strftime("%Y-%m")


def test_county_issues_and_the_director_reads_it(phone, live_server):
    month = last_month()
    county = phone("county_admin", **DESKTOP)
    page = county.new_page()
    page.goto("/home/county")
    page.locator("a[href='/bulletins/']").click()
    page.wait_for_url("**/bulletins/")
    check_desktop(page, "bulletin months")
    screenshot(page, "bulletin-months-desktop")
    page.locator(f".bulletin-link[href='/bulletins/{month}']").click()
    page.wait_for_url(f"**/bulletins/{month}")
    expect(page.locator(".bulletin-state-preview")).to_be_visible()
    expect(page.locator("button[data-print]")).to_be_visible()     # shown by its script
    check_desktop(page, "bulletin preview")
    screenshot(page, "bulletin-preview-desktop")

    page.locator("#f-remarks").fill(REMARKS)
    page.locator("form.bulletin-form button[type=submit]").click()
    expect(page.locator(".bulletin-state-issued")).to_be_visible()
    expect(page.locator(".bulletin-remarks")).to_contain_text(REMARKS)
    expect(page.locator("form.bulletin-form")).to_have_count(0)
    assert [b.remarks for b in issued(live_server)] == [REMARKS]
    check_desktop(page, "issued bulletin")
    screenshot(page, "bulletin-issued-desktop")

    # The printed page: no tab bar, no top bar, no buttons; the bulletin itself shows.
    page.emulate_media(media="print")
    for hidden in (".tabbar", ".topbar", "button[data-print]", ".bulletin-actions"):
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.locator("article.bulletin")).to_be_visible()
    screenshot(page, "bulletin-issued-print")
    page.emulate_media(media="screen")
    assert_clean(county)

    director = phone("director", **NARROW)
    phone_page = director.new_page()
    phone_page.goto("/reports/")
    phone_page.locator("main a[href='/bulletins/']").click()
    phone_page.wait_for_url("**/bulletins/")
    expect(phone_page.locator(".bulletin-link")).to_have_count(1)
    check_layout(phone_page, "director's bulletins")
    screenshot(phone_page, "bulletin-director-list-360")
    phone_page.locator(".bulletin-link").click()
    phone_page.wait_for_url(f"**/bulletins/{month}")
    expect(phone_page.locator(".bulletin-remarks")).to_contain_text(REMARKS)
    expect(phone_page.locator("form.bulletin-form")).to_have_count(0)
    check_layout(phone_page, "issued bulletin on a phone")
    screenshot(phone_page, "bulletin-director-360")
    assert_clean(director)
