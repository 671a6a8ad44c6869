"""The oversight screens in the browser: the city compares its counties and opens one, at a
phone's 360 px and at a desktop's width; the county figures form; screenshots to look at."""
from tests.browser.helpers import NARROW, assert_clean, check_layout, expect, screenshot

DESKTOP = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1}


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
