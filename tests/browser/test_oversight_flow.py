"""The oversight screens in the browser: the city compares its counties and opens one, at a
phone's 360 px and at a desktop's width; the county figures form; screenshots to look at."""
from tests.browser.helpers import (LAYOUT_JS, NARROW, assert_clean, check_layout, expect,
                                   screenshot)

DESKTOP = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1}
# A desktop browser proper: no phone viewport emulation, no touch screen.
DESKTOP_BROWSER = dict(DESKTOP, is_mobile=False, has_touch=False)


def test_city_compares_counties_and_opens_one_on_a_phone(phone, live_server):
    context = phone("city_admin", **NARROW)
    page = context.new_page()
    page.goto("/home/city")
    table = page.locator("#counties table")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(2)
    check_layout(page, "/home/city")
    screenshot(page, "oversight-city-360")
    page.locator("#counties tbody th a").first.click()
    page.wait_for_url("**/home/county?county=*")
    expect(page.locator("main h1")).to_be_visible()
    screenshot(page, "oversight-city-drilldown-360")
    assert_clean(context)


def test_city_comparison_at_desktop_width(phone):
    context = phone("city_admin", **DESKTOP)
    page = context.new_page()
    page.goto("/home/city")
    expect(page.locator("#counties table")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280
    screenshot(page, "oversight-city-desktop")
    assert_clean(context)


def check_desktop_layout(page, where, width=1280):
    """At a desktop's width: the checks of check_layout that apply there (check_layout itself
    is for 360 px): no sideways scrolling, nothing wider than the window outside a scrolling
    table, 16 px body text, no text under 14 px, nothing hidden behind a tab bar."""
    got = page.evaluate(LAYOUT_JS)
    assert got["viewport"] == width, where
    assert got["scrollWidth"] <= width, (where, got["scrollWidth"], got["wide"])
    assert got["wide"] == [], (where, got["wide"])
    assert got["bodyFont"] >= 16, (where, got["bodyFont"])
    assert got["tiny"] == [], (where, "text under 14 px", got["tiny"])
    assert got["hidden"] is None, (where, got["hidden"])


def test_county_dashboard_on_a_phone(phone):
    context = phone("county_admin", **NARROW)
    page = context.new_page()
    page.goto("/home/county")
    expect(page.locator("#chart")).to_be_visible()
    check_layout(page, "/home/county")
    screenshot(page, "county-dashboard-360")
    assert_clean(context)


def test_county_dashboard_at_desktop_width(phone):
    context = phone("county_admin", **DESKTOP_BROWSER)
    page = context.new_page()
    page.goto("/home/county")
    for section in ("#headline", "#year", "#behind", "#firms", "#chart"):
        expect(page.locator(section)).to_be_visible()
    check_desktop_layout(page, "/home/county")
    screenshot(page, "county-dashboard-desktop")
    assert_clean(context)


def test_county_records_its_residents_and_lawyers(phone):
    context = phone("county_admin", **NARROW)
    page = context.new_page()
    page.goto("/home/figures")
    lawyers = page.locator("input[name^=lawyers-]")
    expect(lawyers).to_have_count(1)
    lawyers.fill("120")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**saved=1")
    expect(page.locator("input[name^=lawyers-]")).to_have_value("120")
    check_layout(page, "/home/figures")
    screenshot(page, "oversight-figures-360")
    assert_clean(context)


def test_targets_screen_on_a_phone(phone):
    context = phone("county_admin", **NARROW)
    page = context.new_page()
    page.goto("/admin/targets")
    expect(page.locator("main form").first).to_be_visible()
    check_layout(page, "/admin/targets")
    screenshot(page, "oversight-targets-360")
    assert_clean(context)
