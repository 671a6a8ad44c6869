"""Issue 13's field walk in a real browser: the review queue in pages at 360 px, its count
kept right by htmx after each decision, and the practitioner's home after checking in.

Runs in Debian's chromium against the app under gunicorn (see conftest.py).
"""
import datetime
import secrets
from decimal import Decimal

import pytest

from tests.browser.helpers import NARROW, assert_clean, bound_to, expect, screenshot
from tests.browser.helpers import zh as tr
from tests.helpers import password_hash
from webapp.accounts.models import Firm, Region, RoleGrant, User
from webapp.db import utcnow
from webapp.ledger.models import Entry
from webapp.ledger.review import QUEUE_PAGE
from webapp.trainings.models import Attendance, Training, TrainingCategory

EXTRA = QUEUE_PAGE + 5   # enough for a second page whatever else waits


@pytest.fixture
def many_waiting(live_server):
    """EXTRA pending entries of a person made for this test (removed after it)."""
    with bound_to(live_server.database_url):
        firm = Firm.get(Firm.name == "江南区白沙镇法律服务所")
        author = User.create(name="审核分页测试", phone=f"1370{secrets.randbelow(10**7):07d}",
                             password_hash=password_hash(), firm=firm, county=firm.county)
        RoleGrant.create(user=author, role="practitioner", firm=firm)
        first = utcnow() - datetime.timedelta(days=400)   # oldest of all: on page 1
        for i in range(EXTRA):
            Entry.create(user=author, kind="public_service", date=datetime.date.today(),
                         hours=Decimal(1), category="consultation", source="self",
                         status="pending", created_at=first + datetime.timedelta(minutes=i))
    yield author
    with bound_to(live_server.database_url):
        Entry.delete().where(Entry.user == author.id).execute()
        RoleGrant.delete().where(RoleGrant.user == author.id).execute()
        User.delete().where(User.id == author.id).execute()


def waiting_total(live_server):
    with bound_to(live_server.database_url):
        county = Region.get(Region.name == "江南区")
        return (Entry.select().join(User, on=(Entry.user == User.id))
                .where(Entry.status == "pending", Entry.source == "self",
                       User.county == county.id).count())


def count_line(total, page, pages):
    return tr("%(total)d waiting — page %(page)d of %(pages)d") % {
        "total": total, "page": page, "pages": pages}


def test_the_review_queue_in_pages_and_its_count_after_a_decision(phone, live_server,
                                                                  many_waiting):
    total = waiting_total(live_server)
    pages = -(-total // QUEUE_PAGE)
    context = phone("county_admin", **NARROW)
    page = context.new_page()
    page.goto("/ledger/review")
    count = page.locator("#queue-count p").first
    expect(count).to_have_text(count_line(total, 1, pages))
    assert page.locator(".queue-entry").count() == QUEUE_PAGE
    nxt = page.locator("nav.queue-pager a[rel=next]")
    box = nxt.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "review-queue-paged-360")

    first = page.locator(".queue-entry").first
    entry_id = first.get_attribute("id")
    first.locator(".queue-actions form button[type=submit]").first.click()   # Approve, by htmx
    expect(page.locator(f"#{entry_id}.decided")).to_be_visible()
    expect(count).to_have_text(count_line(total - 1, 1, -(-(total - 1) // QUEUE_PAGE)))

    nxt.click()
    page.wait_for_url("**/ledger/review?page=2")
    expect(page.locator("#queue-count p").first).to_have_text(
        count_line(total - 1, 2, -(-(total - 1) // QUEUE_PAGE)))
    expect(page.locator("nav.queue-pager a[rel=prev]")).to_be_visible()
    assert_clean(context)


@pytest.fixture
def checked_in_training(live_server):
    """A training of the practitioner's county running now, checked in to (removed after).

    It starts at the local day's first minute, so that it comes first among today's
    trainings on the home, whatever trainings other tests of this server made today."""
    now = utcnow().replace(microsecond=0)
    local = datetime.timedelta(hours=8)  # Asia/Shanghai has no daylight saving
    day_start = (now + local).replace(hour=0, minute=0, second=0) - local
    with bound_to(live_server.database_url):
        person = User.get(User.phone == live_server.people["practitioner"]["phone"])
        training = Training.create(
            title="签到后首页测试培训", organiser=Region.get(Region.name == "江南区"),
            category=TrainingCategory.select().order_by(TrainingCategory.id).first(),
            start_at=min(day_start, now - datetime.timedelta(minutes=5)),
            end_at=now + datetime.timedelta(hours=2),
            credit_hours=Decimal(2), secret=secrets.token_hex(16))
        Attendance.create(training=training, user=person, credited_hours=Decimal(2),
                          checked_in_at=now - datetime.timedelta(minutes=4))
    yield training
    with bound_to(live_server.database_url):
        Attendance.delete().where(Attendance.training == training.id).execute()
        Training.delete().where(Training.id == training.id).execute()


def test_home_after_checking_in_shows_it_done(phone, checked_in_training):
    context = phone("practitioner", **NARROW)
    page = context.new_page()
    page.goto("/home/me")
    card = page.locator("section.next-training", has_text=checked_in_training.title)
    expect(card.locator("[data-checkin-state=done]")).to_be_visible()
    assert card.get_by_role("link", name=tr("Scan to check in")).count() == 0
    screenshot(page, "home-after-check-in-360")
    assert_clean(context)
