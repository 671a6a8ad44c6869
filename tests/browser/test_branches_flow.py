"""Party branches on a phone: the secretary records a theme party day and who came (with
htmx, one tap per member), and a member then sees it in their party record."""
import datetime
from zoneinfo import ZoneInfo

from tests.browser.helpers import NARROW, assert_clean, check_layout, screenshot, zh


def _when():
    """A date and times already past (an activity recorded afterwards), in local time."""
    now = datetime.datetime.now(ZoneInfo("Asia/Shanghai"))
    if now.hour >= 3:
        start, end = now - datetime.timedelta(minutes=150), now - datetime.timedelta(minutes=30)
        return now.date(), start.strftime("%H:%M"), end.strftime("%H:%M")
    return now.date() - datetime.timedelta(days=1), "14:30", "16:30"


def test_secretary_records_a_theme_day_and_a_member_sees_it(phone, live_server):
    topic = "主题党日：学习《中国共产党章程》第二章（浏览器测试）"
    day, start, end = _when()
    secretary = phone("secretary", **NARROW)
    page = secretary.new_page()
    page.goto("/home/branch")
    check_layout(page, "secretary home")
    page.get_by_role("link", name=zh("Record an activity")).click()
    page.wait_for_url("**/branch/activities/new")
    check_layout(page, "activity form")
    page.locator("label.kind-tile", has_text=zh("Theme party day")).click()
    page.locator("#f-date").fill(day.isoformat())
    page.locator("#f-start").fill(start)
    page.locator("#f-end").fill(end)
    page.locator("#f-topic").fill(topic)
    page.locator("#f-place").fill("白沙镇法律服务所会议室")
    page.locator("#f-summary").fill("书记陈红梅主持，集体学习党章第二章。")
    screenshot(page, "branches-activity-form")
    page.get_by_role("button", name=zh("Save")).click()
    page.wait_for_url("**/attendance")
    assert page.locator("main h2").first.inner_text().strip() == topic
    check_layout(page, "attendance")

    counts = page.locator("#att-counts")
    assert counts.locator("dd[data-count=expected]").inner_text() == "4"
    assert counts.locator("dd[data-count=present]").inner_text() == "0"
    member = live_server.people["practitioner"]["name"]
    row = page.locator("li.att-row", has_text=member)
    row.get_by_role("button", name=zh("Present")).click()
    page.locator(f"li.att-row.state-present:has-text('{member}')").wait_for()
    assert counts.locator("dd[data-count=present]").inner_text() == "1"
    # Excused without a reason is refused in the row; with one it is saved.
    other = page.locator("li.att-row", has_text="张伟")
    other.get_by_role("button", name=zh("Excused")).click()
    error = page.locator("li.att-row:has-text('张伟') .field-error")
    error.wait_for()
    assert error.inner_text().strip() == zh("Write why this member is excused.")
    page.locator("li.att-row:has-text('张伟') input[name=reason]").fill("外出办案")
    page.locator("li.att-row:has-text('张伟')").get_by_role("button", name=zh("Excused")).click()
    page.locator("li.att-row.state-excused:has-text('张伟')").wait_for()
    assert counts.locator("dd[data-count=excused]").inner_text() == "1"
    assert counts.locator("dd[data-count=absent]").inner_text() == "2"
    screenshot(page, "branches-attendance")
    check_layout(page, "attendance after marking")
    page.get_by_role("link", name=zh("Finish taking attendance"), exact=True).click()
    page.wait_for_url("**/branch/activities/*")
    assert page.locator("#att-counts dd[data-count=present]").inner_text() == "1"
    page.goto("/home/branch")
    if day.month == datetime.datetime.now(ZoneInfo("Asia/Shanghai")).month:
        this_month = page.locator("section.card").first
        assert "status-done" in this_month.get_attribute("class").split()
    screenshot(page, "branches-secretary-home-after")
    assert_clean(secretary, ignore=("status of 400",))  # the refused "excused" above

    practitioner = phone("practitioner", **NARROW)
    mine = practitioner.new_page()
    mine.goto("/me")
    mine.get_by_role("link", name=zh("My party record")).click()
    mine.wait_for_url("**/party/record")
    if day.year != datetime.date.today().year:
        mine.goto(f"/party/record?year={day.year}")
    check_layout(mine, "my party record")
    entry = mine.locator("#record li", has_text=topic)
    assert entry.locator(".status-word").inner_text().strip() == zh("Attended")
    assert int(mine.locator("#summary dd[data-count=present]").inner_text()) >= 1
    screenshot(mine, "branches-member-record")
    assert_clean(practitioner)


def test_county_admin_sees_the_branches_on_a_phone(phone, live_server):
    admin = phone("county_admin", **NARROW)
    page = admin.new_page()
    page.goto("/home/county")
    page.locator("nav.tabbar").get_by_role("link", name=zh("People"), exact=True).click()
    page.wait_for_url("**/admin/people")  # the People page, before its own navigation
    page.locator("nav.section-nav").get_by_role("link", name=zh("Branches"), exact=True).click()
    page.wait_for_url("**/branches")
    check_layout(page, "branches list")
    screenshot(page, "branches-county-list")
    page.locator("#branches h3 a").first.click()
    page.wait_for_url("**/branches/*")
    check_layout(page, "branch detail")
    screenshot(page, "branches-county-detail")
    assert page.locator("#members li").count() == 4
    assert_clean(admin)
