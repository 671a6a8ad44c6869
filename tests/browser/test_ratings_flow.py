"""Ratings on phones at 360 px: the practitioner shows the code for an entry, a second phone
without a session opens the link and rates in a few taps, the rating shows on the
practitioner's page.

Runs in Debian's chromium against the app under gunicorn (see conftest.py).
"""
import datetime
import uuid
from zoneinfo import ZoneInfo

from tests.browser.helpers import NARROW, assert_clean, bound_to, check_layout, expect, screenshot
from tests.browser.helpers import zh as tr
from webapp.accounts.models import User
from webapp.ledger.models import Entry
from webapp.quality.rating_models import Rating


def _entry_for(live_server, role):
    """A pending public-service entry of the seeded person, made for this test."""
    with bound_to(live_server.database_url):
        user = User.get(User.phone == live_server.people[role]["phone"])
        today = datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date()
        entry = Entry.create(user=user, kind="public_service", date=today, hours=1,
                             category="consultation", description="劳动争议咨询",
                             people_served=1, source="self", status="pending")
        return user.id, entry.id


def test_a_person_served_rates_from_the_practitioner_s_phone(phone, live_server):
    user_id, entry_id = _entry_for(live_server, "practitioner")
    mine = phone("practitioner", **NARROW)
    page = mine.new_page()
    page.goto(f"/ledger/entries/{entry_id}")
    ask = page.locator(f"a[href='/ratings/entries/{entry_id}/ask']")
    expect(ask).to_have_text(tr("Ask the person served to rate"))
    ask.click()
    page.wait_for_url(f"**/ratings/entries/{entry_id}/ask")
    expect(page.locator(".rate-qr svg")).to_be_visible()
    check_layout(page, "rating code")
    screenshot(page, "ratings-code-360")
    url = page.locator("[data-rating-url]").inner_text().strip()
    assert "/r/" in url

    served = phone(None, **NARROW)        # another phone: no session, no cookies
    rater = served.new_page()
    rater.goto(url)
    expect(rater.locator("h1")).to_have_text(tr("How was the legal service?"))
    check_layout(rater, "rating form")
    screenshot(rater, "ratings-form-360")
    comment = f"讲得清楚 {uuid.uuid4().hex[:6]}"
    rater.locator("label.rate-tile", has=rater.locator("input[name=score][value='4']")).click()
    rater.locator("label.rate-tile", has=rater.locator("input[name=useful][value=partly]")).click()
    expect(rater.locator("input[name=score][value='4']")).to_be_checked()
    rater.locator("textarea[name=comment]").fill(comment)
    screenshot(rater, "ratings-form-chosen-360")
    rater.locator("form[data-rating-form] button[type=submit]").click()
    rater.wait_for_url("**/ratings/thanks")
    expect(rater.locator("[data-rating-thanks] h1")).to_have_text(tr("Thank you for your rating."))
    screenshot(rater, "ratings-thanks-360")

    rater.goto(url)                        # the code is spent
    expect(rater.locator("[data-refused=used]")).to_be_visible()

    page.goto("/ratings/mine")
    expect(page.locator("[data-comment]", has_text=comment)).to_be_visible()
    check_layout(page, "my ratings")
    screenshot(page, "ratings-mine-360")
    with bound_to(live_server.database_url):
        rating = Rating.get(Rating.comment == comment)
        assert (rating.score, rating.useful, rating.entry_id, rating.practitioner_id) == (
            4, "partly", entry_id, user_id)
    assert_clean(mine)
    assert_clean(served, ignore=("status of 409",))  # the spent code's page, on purpose


def test_the_desk_card_gives_each_scan_a_fresh_code(phone, live_server):
    mine = phone("practitioner", **NARROW)
    page = mine.new_page()
    page.goto("/ratings/card")
    expect(page.locator("[data-rating-card] svg")).to_be_visible()
    expect(page.locator("[data-print]")).to_be_visible()
    check_layout(page, "desk card")
    screenshot(page, "ratings-card-360")
    card_url = page.locator("[data-rating-card]").get_attribute("data-card-url")
    served = phone(None, **NARROW)
    rater = served.new_page()
    rater.goto(card_url)
    rater.wait_for_url("**/r/*")
    first = rater.url
    rater.locator("label.rate-tile", has=rater.locator("input[name=score][value='2']")).click()
    rater.locator("label.rate-tile", has=rater.locator("input[name=useful][value=no]")).click()
    rater.locator("form[data-rating-form] button[type=submit]").click()
    rater.wait_for_url("**/ratings/thanks")
    rater.goto(card_url)
    rater.wait_for_url("**/r/*")
    assert rater.url != first
    expect(rater.locator("form[data-rating-form]")).to_be_visible()
    assert_clean(mine)
    assert_clean(served)

    boss = phone("director", **NARROW).new_page()
    boss.goto("/ratings/firm")
    expect(boss.locator("[data-low-rating]").first).to_be_visible()
    check_layout(boss, "firm ratings")
    screenshot(boss, "ratings-firm-360")
