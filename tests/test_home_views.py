"""Each role's home shows what SCREENS.md puts first."""
import datetime
from decimal import Decimal

import pytest

from tests.helpers import soup, text_of
from webapp.accounts.models import Firm, Notification
from webapp.branches.models import ActivityAttendance, BranchActivity, BranchMember
from webapp.db import utcnow
from webapp.i18n import local_today, to_utc
from webapp.ledger.models import Entry
from webapp.trainings.models import Training, TrainingCategory


@pytest.fixture(autouse=True)
def _fast(fast_passwords):  # noqa: F811
    """Every test here signs in: use cheap hashes."""


@pytest.fixture
def today():
    return local_today()


def add_entry(user, kind, status, amount, day=None, source="self", created_at=None):
    fields = {"count": amount} if kind == "legal_aid" else {"hours": Decimal(str(amount))}
    if created_at is not None:
        fields["created_at"] = created_at
    return Entry.create(user=user, kind=kind, date=day or local_today().replace(month=1, day=1),
                        status=status, source=source, **fields)


def add_training(county, title, start_local, hours=2):
    category = TrainingCategory.create(name="业务技能")
    start = to_utc(start_local)
    return Training.create(title=title, category=category, organiser=county, start_at=start,
                           end_at=start + datetime.timedelta(hours=hours), credit_hours=hours,
                           secret="s" * 32, place="县司法局三楼会议室")


# ------------------------------------------------------------------ practitioner

def progress_rows(page):
    section = next(s for s in page.find_all("section") if text_of(s.find("h2")) == "This year")
    return section.select("ul.progress-list > li.progress-row")


def test_practitioner_home_shows_the_three_targets(client, make_user, today):
    user = make_user(name="李明")
    add_entry(user, "public_service", "approved", 12.5)
    add_entry(user, "public_service", "pending", 3)
    add_entry(user, "legal_aid", "approved", 2)
    add_entry(user, "education", "declined", 6)
    add_entry(user, "training_credit", "recorded", 8, source="system")
    client.login(user)
    page = soup(client.get("/home/me"))
    assert text_of(page.find("h1")) == "Hello, 李明"
    assert user.firm.name in text_of(page.find("header", class_="greeting"))
    rows = progress_rows(page)
    assert [text_of(r.find(class_="progress-label")) for r in rows] == [
        "Continuing education", "Public service", "Legal-aid cases"]
    figures = [text_of(r.find(class_="progress-figure")) for r in rows]
    assert figures == ["8 / 40 h", "12.5 / 36 h", "2 / 5"]
    statuses = [text_of(r.find(class_="status-word")) for r in rows]
    assert set(statuses) <= {"Done", "On track", "Behind", "At risk"} and len(statuses) == 3
    for row, word in zip(rows, statuses):
        status = next(c for c in row["class"] if c.startswith("status-"))[len("status-"):]
        assert {"done": "Done", "on_track": "On track", "behind": "Behind",
                "at_risk": "At risk"}[status] == word
        bar = row.find(class_="bar")
        assert bar.find(class_="bar-fill") and bar.find(class_="bar-pace")
        assert bar["aria-label"]
    # Pending is shown apart from what counts.
    assert "3 waiting for review" in text_of(rows[1])
    waiting = next(s for s in page.find_all("section") if text_of(s.find("h2")) == "Waiting")
    items = [text_of(li) for li in waiting.find_all("li")]
    assert items == ["1 entry waiting for review", "1 declined — fix it"]
    assert page.find("nav", class_="tabbar")


def test_practitioner_home_shows_a_training_today_with_the_scan_button(client, make_user, today):
    user = make_user()
    now_local = (utcnow() + datetime.timedelta(hours=8)).replace(microsecond=0)
    # Started a little while ago (but today), check-in still open.
    start = max(now_local - datetime.timedelta(minutes=20),
                datetime.datetime.combine(today, datetime.time(0, 0)))
    add_training(user.county, "今日培训", start)
    client.login(user)
    page = soup(client.get("/home/me"))
    card = page.find("section", class_="next-training")
    assert text_of(card.find("h2")) == "今日培训"
    assert text_of(card.find(class_="eyebrow")) == "Today"
    button = card.find("a", class_="btn-primary")
    assert text_of(button) == "Scan to check in"


def test_practitioner_home_shows_only_trainings_within_a_week(client, make_user, world):
    user = make_user()
    now_local = (utcnow() + datetime.timedelta(hours=8)).replace(microsecond=0)
    add_training(world["a"], "三天后培训", now_local + datetime.timedelta(days=3))
    add_training(world["a"], "十天后培训", now_local + datetime.timedelta(days=10))
    add_training(world["b"], "别县培训", now_local + datetime.timedelta(days=2))
    client.login(user)
    cards = soup(client.get("/home/me")).find_all("section", class_="next-training")
    assert [text_of(c.find("h2")) for c in cards] == ["三天后培训"]
    assert text_of(cards[0].find(class_="eyebrow")) == "Next training"
    assert cards[0].find("a", class_="btn-primary") is None


def test_practitioner_home_for_a_new_person(client, make_user):
    user = make_user()
    Notification.create(user=user, kind="entry_declined", message="请补充证明材料")
    client.login(user)
    page = soup(client.get("/home/me"))
    rows = progress_rows(page)
    assert [text_of(r.find(class_="progress-figure")) for r in rows] == [
        "0 / 40 h", "0 / 36 h", "0 / 5"]
    assert not [s for s in page.find_all("section") if text_of(s.find("h2")) == "Waiting"]
    messages = next(s for s in page.find_all("section") if text_of(s.find("h2")) == "Messages")
    assert "请补充证明材料" in text_of(messages)
    outbox = page.find("section", attrs={"data-outbox": True})
    assert outbox is not None and outbox.has_attr("hidden")


# ------------------------------------------------------------------ county admin

def section_titled(page, title):
    return next(s for s in page.find_all("section") if text_of(s.find("h2")) == title)


def status_table(page):
    table = page.find("table", class_="grid")
    heads = [text_of(th) for th in table.find("thead").find_all("th")]
    rows = {}
    for tr in table.find("tbody").find_all("tr"):
        rows[text_of(tr.find("th"))] = [int(text_of(td)) for td in tr.find_all("td")]
    return heads, rows


def test_county_home_shows_reviews_waiting_and_the_status_table(client, make_user, world):
    admin = make_user("county_admin")
    people = [make_user() for _ in range(3)]
    make_user(active=False)
    far = make_user(county=world["b"])
    old = utcnow() - datetime.timedelta(days=4, hours=1)
    add_entry(people[0], "public_service", "pending", 2, created_at=old)
    add_entry(people[1], "legal_aid", "pending", 1)
    add_entry(people[1], "public_service", "approved", 36)
    for _ in range(5):
        add_entry(far, "public_service", "pending", 1)
    client.login(admin)
    page = soup(client.get("/home/county"))
    assert text_of(page.find("h1")) == world["a"].name
    reviews = section_titled(page, "Reviews waiting")
    assert text_of(reviews.find(class_="big-number")) == "2"
    assert text_of(reviews.find("p", class_="muted")) == "oldest waiting 4 days"
    year = section_titled(page, "The year so far")
    assert text_of(year.find("p", class_="muted")) == "3 active practitioners"
    heads, rows = status_table(year)
    assert heads == ["Target", "Done", "On track", "Behind", "At risk"]
    assert list(rows) == ["Continuing education", "Public service", "Legal-aid cases"]
    assert all(sum(counts) == 3 for counts in rows.values())
    assert rows["Public service"][0] == 1        # one person has 36 h: done
    firms = section_titled(page, "Firms")
    assert world["firm_a"].name in text_of(firms)
    assert world["firm_b"].name not in text_of(page)


def test_county_home_lists_upcoming_trainings(client, make_user, world):
    admin = make_user("county_admin")
    now_local = (utcnow() + datetime.timedelta(hours=8)).replace(microsecond=0)
    add_training(world["a"], "下周培训", now_local + datetime.timedelta(days=6))
    add_training(world["b"], "别县培训", now_local + datetime.timedelta(days=6))
    client.login(admin)
    section = section_titled(soup(client.get("/home/county")), "Today and upcoming trainings")
    assert "下周培训" in text_of(section) and "别县培训" not in text_of(section)


def test_county_home_when_empty(client, make_user, world):
    Firm.update(active=False).execute()
    client.login(make_user("county_admin"))
    page = soup(client.get("/home/county"))
    assert text_of(section_titled(page, "Reviews waiting").find(class_="big-number")) == "0"
    assert section_titled(page, "Today and upcoming trainings").find(class_="empty")
    assert section_titled(page, "Firms").find(class_="empty")
    _heads, rows = status_table(page)
    assert all(sum(c) == 0 for c in rows.values())


# ------------------------------------------------------------------ director, city

def test_director_home(client, make_user, world):
    director = make_user("director", name="所主任")
    staff = make_user(name="所员")
    make_user(county=world["b"], name="别县人")
    add_entry(staff, "public_service", "pending", 2)
    add_entry(staff, "public_service", "pending", 2)
    client.login(director)
    page = soup(client.get("/home/firm"))
    assert text_of(page.find("h1")) == world["firm_a"].name
    assert text_of(section_titled(page, "Entries waiting for review").find(
        class_="big-number")) == "2"
    names = [text_of(li.find("strong")) for li in page.select("li.person-row")]
    assert sorted(names) == sorted(["所主任", "所员"])
    _heads, rows = status_table(page)
    assert all(sum(c) == 2 for c in rows.values())


def test_city_home_shows_each_county(client, make_user, world):
    for _ in range(5):
        make_user()
    make_user(county=world["b"])
    client.login(make_user("city_admin"))
    page = soup(client.get("/home/city"))
    assert text_of(page.find("h1")) == world["city"].name
    table = page.find("section", id="counties").find("table")
    rows = {text_of(tr.find("th")): [text_of(td) for td in tr.find_all("td")]
            for tr in table.find("tbody").find_all("tr")}
    assert rows[world["a"].name][0] == "5"
    assert rows[world["b"].name][0] == "1"
    year = section_titled(page, "The year so far")
    assert text_of(year.find("p", class_="muted")) == "6 active practitioners · 1 party branch"


# ------------------------------------------------------------------ secretary

def theme_day(branch, local_start, status="held"):
    start = to_utc(local_start)
    return BranchActivity.create(branch=branch, kind="theme_day", start_at=start,
                                 end_at=start + datetime.timedelta(hours=2), topic="主题党日",
                                 status=status)


def test_secretary_home_has_twelve_month_cells(client, make_user, world, today):
    secretary = make_user("secretary")
    branch = world["branch"]
    theme_day(branch, datetime.datetime(today.year, 1, 10, 9))
    theme_day(branch, datetime.datetime(today.year, 1, 1, 0, 30))   # 1 Jan, local time
    theme_day(branch, datetime.datetime(today.year, today.month, 1, 9))
    theme_day(branch, datetime.datetime(today.year - 1, 2, 10, 9))  # last year
    client.login(secretary)
    page = soup(client.get("/home/branch"))
    assert text_of(page.find("h1")) == branch.name
    cells = page.select("ol.month-strip > li.month")
    assert [text_of(c.find(class_="month-no")) for c in cells] == [str(m) for m in range(1, 13)]
    states = [next(k for k in c["class"] if k.startswith("month-"))[len("month-"):]
              for c in cells]
    for month, state in enumerate(states, start=1):
        if month in (1, today.month):
            assert state == "done", month
        elif month < today.month:
            assert state == "missing", month
        else:
            assert state == "future", month
    this_month = section_titled(page, "This month")
    assert "status-done" in this_month["class"]
    assert text_of(this_month.find(class_="status-word")) == "Theme party day held"


def test_secretary_home_this_month_missing_and_attendance(client, make_user, world, today):
    secretary = make_user("secretary", name="书记")
    member = make_user(name="党员甲")
    BranchMember.create(branch=world["branch"], user=member)
    activities = []
    for month in range(1, 4):
        activities.append(BranchActivity.create(
            branch=world["branch"], kind="members_meeting", topic="党员大会",
            start_at=to_utc(datetime.datetime(today.year, 1, 1 + month, 9)),
            end_at=to_utc(datetime.datetime(today.year, 1, 1 + month, 11))))
    for activity in activities:
        ActivityAttendance.create(activity=activity, user=secretary, status="present")
        ActivityAttendance.create(activity=activity, user=member, status="absent")
    client.login(secretary)
    page = soup(client.get("/home/branch"))
    this_month = section_titled(page, "This month")
    assert "status-behind" in this_month["class"]
    attendance = section_titled(page, "Members' attendance this year")
    rows = {text_of(li.find("span")): text_of(li) for li in attendance.find_all("li")}
    assert rows["书记"].endswith("100% (3/3)")
    assert "0% (0/3)" in rows["党员甲"] and "missed 3 in a row" in rows["党员甲"]
    current = page.select("ol.month-strip > li.month")[today.month - 1]
    assert "month-open" in current["class"]


def test_a_firm_target_reaches_the_directors_dashboard(client, make_user, world):
    from webapp.targets.models import Target
    director = make_user("director")
    Target.create(year=local_today().year, metric="education_hours",
                  firm=world["firm_a"], value=Decimal(60))
    client.login(director)
    page = soup(client.get("/home/firm"))
    chips = [text_of(c) for c in page.select(".person-row .chip")]
    assert any("/60" in c for c in chips), chips
