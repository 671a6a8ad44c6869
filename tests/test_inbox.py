"""The inbox: a person's messages newest first, a page at a time, unread ones marked; opening one
marks it read and goes to its page (on this site only); marking all read; the unread count in
the header; and the switches for each kind of message offered to each role on the Me page."""
import datetime
from urllib.parse import urlparse

import pytest

from tests.helpers import signed_in, soup, text_of
from webapp.accounts.models import Notification
from webapp.db import db, utcnow
from webapp.ledger.models import ReviewRule
from webapp.push import inbox
from webapp.push.inbox import notify
from webapp.push.models import NotificationMute, PushDelivery, PushSubscription
from webapp.reports.models import FirmReporter


def note(user, message, minutes_ago=0, read=False, link="/ledger/", kind="entry_approved"):
    at = utcnow() - datetime.timedelta(minutes=minutes_ago)
    return Notification.create(user=user, kind=kind, message=message, link=link, created_at=at,
                               read_at=at if read else None)


def rows_of(response):
    return soup(response).select("#inbox-list li.inbox-row")


def message_of(row):
    return text_of(row.find(class_="inbox-message"))


def location(response):
    return urlparse(response.headers["Location"]).path


def switch_boxes(response):
    """{switch name: checked} for the Me page's switches card."""
    card = soup(response).find(id="switches")
    return {box["value"]: box.has_attr("checked")
            for box in card.find_all("input", attrs={"type": "checkbox", "name": "on"})}


# ------------------------------------------------------------------ the list

def test_the_inbox_lists_only_ones_own_newest_first_with_unread_marked(app, make_user):
    me, other = make_user(), make_user()
    old = note(me, "较早的消息", minutes_ago=60, read=True)
    new = note(me, "最新的消息", minutes_ago=1)
    middle = note(me, "中间的消息", minutes_ago=30)
    note(other, "别人的消息")
    response = signed_in(app, me).get("/inbox/")
    assert response.status_code == 200
    rows = rows_of(response)
    assert [message_of(r) for r in rows] == ["最新的消息", "中间的消息", "较早的消息"]
    # Unread is said in words, not only by colour or weight.
    assert [text_of(r.find(class_="inbox-new")) for r in rows] == ["Unread", "Unread", ""]
    assert [r.find("a")["href"] for r in rows] == [
        f"/inbox/{new.id}", f"/inbox/{middle.id}", f"/inbox/{old.id}"]
    assert all(text_of(r.find("time")) for r in rows)
    assert "别人的消息" not in response.get_data(as_text=True)
    assert soup(response).find("form", action="/inbox/read") is not None


def test_the_time_is_local(app, make_user):
    me = make_user()
    Notification.create(user=me, kind="pace", message="m",
                        created_at=datetime.datetime(2026, 3, 1, 23, 30))  # UTC
    row = rows_of(signed_in(app, me).get("/inbox/"))[0]
    assert "7:30" in text_of(row.find("time"))  # 2 March, 07:30 in Asia/Shanghai
    assert "3/2/26" in text_of(row.find("time"))


def test_an_empty_inbox_says_so_and_offers_no_mark_all(app, make_user):
    response = signed_in(app, make_user()).get("/inbox/")
    page = soup(response)
    assert "No messages yet" in text_of(page.find(id="inbox-list"))
    assert page.find("form", action="/inbox/read") is None


def test_the_inbox_is_paged_thirty_at_a_time_as_a_page_and_as_a_fragment(app, make_user):
    me = make_user()
    for i in range(65):
        note(me, f"消息{i:02d}", minutes_ago=i)
    client = signed_in(app, me)
    first = client.get("/inbox/")
    rows = rows_of(first)
    assert len(rows) == 30 and message_of(rows[0]) == "消息00"
    pager = soup(first).find("nav", class_="inbox-pager")
    assert [text_of(a) for a in pager.find_all("a")] == ["Older"]
    assert pager.find("a")["href"] == "/inbox/?page=2"
    assert pager.find("a")["hx-get"] == "/inbox/?page=2"

    second = client.htmx_get("/inbox/?page=2")
    assert second.status_code == 200 and "HX-Request" in second.headers["Vary"]
    fragment = soup(second)
    assert fragment.find("html") is None and fragment.find("h1") is None
    assert fragment.find(id="inbox-list") is not None
    assert [message_of(r) for r in rows_of(second)] == [f"消息{i:02d}" for i in range(30, 60)]
    assert [text_of(a) for a in fragment.find("nav").find_all("a")] == ["Newer", "Older"]

    third = client.get("/inbox/?page=3")
    assert [message_of(r) for r in rows_of(third)] == [f"消息{i:02d}" for i in range(60, 65)]
    assert [text_of(a) for a in soup(third).find("nav").find_all("a")] == ["Newer"]
    # A page past the end, or junk, is not an error.
    assert rows_of(client.get("/inbox/?page=9")) == []
    assert len(rows_of(client.get("/inbox/?page=abc"))) == 30
    assert client.get("/inbox/?page=99999999999999999999").status_code == 200


# ------------------------------------------------------------------ opening one

def test_opening_a_message_marks_it_read_and_goes_to_its_page(app, make_user):
    me = make_user()
    mine = note(me, "已通过", link="/ledger/entries/7")
    client = signed_in(app, me)
    response = client.get(f"/inbox/{mine.id}")
    assert response.status_code in (302, 303)
    assert location(response) == "/ledger/entries/7"
    read_at = Notification.get_by_id(mine.id).read_at
    assert read_at is not None
    # Opening it again keeps the first reading's time.
    assert location(client.get(f"/inbox/{mine.id}")) == "/ledger/entries/7"
    assert Notification.get_by_id(mine.id).read_at == read_at
    assert rows_of(client.get("/inbox/"))[0].find(class_="inbox-new") is None


def test_another_persons_message_is_not_found_and_stays_unread(app, make_user):
    me, other = make_user(), make_user()
    theirs = note(other, "别人的", link="/ledger/entries/9")
    response = signed_in(app, me).get(f"/inbox/{theirs.id}")
    assert response.status_code == 404
    assert Notification.get_by_id(theirs.id).read_at is None


@pytest.mark.parametrize("path", ["/inbox/0", "/inbox/abc", "/inbox/-1", "/inbox/1.5",
                                  "/inbox/99999999999999999999", f"/inbox/{2**31}",
                                  "/inbox/%EF%BC%91"])
def test_a_bad_id_is_not_found(app, make_user, path):
    note(make_user(), "x")
    response = signed_in(app, make_user()).get(path)
    assert response.status_code == 404


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                  "javascript:alert(1)", "/\t/evil.example", "", "ledger/"])
def test_a_link_off_this_site_opens_the_inbox_instead(app, make_user, link):
    me = make_user()
    bad = note(me, "x", link=link)
    response = signed_in(app, me).get(f"/inbox/{bad.id}")
    assert response.status_code in (302, 303)
    assert response.headers["Location"] in ("/inbox/", "http://localhost/inbox/")
    assert Notification.get_by_id(bad.id).read_at is not None


def test_a_visitor_is_asked_to_sign_in_and_comes_back_to_the_message(client, make_user):
    mine = note(make_user(), "x")
    response = client.get(f"/inbox/{mine.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/login?next=/inbox/{mine.id}")
    assert Notification.get_by_id(mine.id).read_at is None


# ------------------------------------------------------------------ mark all, the count

def test_mark_all_read_marks_only_ones_own(app, make_user):
    me, other = make_user(), make_user()
    for i in range(3):
        note(me, f"m{i}", minutes_ago=i)
    theirs = note(other, "t")
    client = signed_in(app, me)
    response = client.post("/inbox/read")
    assert response.status_code == 303 and location(response) == "/inbox/"
    assert inbox.unread_count(me) == 0
    assert Notification.get_by_id(theirs.id).read_at is None
    page = client.get("/inbox/")
    assert all(r.find(class_="inbox-new") is None for r in rows_of(page))
    assert "All messages are marked read." in text_of(soup(page).find(class_="flash"))


def test_mark_all_read_answers_htmx_with_a_redirect(app, make_user):
    me = make_user()
    note(me, "m")
    response = signed_in(app, me).post("/inbox/read", htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/inbox/"
    assert inbox.unread_count(me) == 0


def test_the_posts_need_the_csrf_token(app, make_user):
    me = make_user()
    note(me, "m")
    client = signed_in(app, me)
    assert client.post("/inbox/read", csrf=False).status_code == 400
    assert client.post("/inbox/read", {"csrf_token": "wrong"}).status_code == 400
    assert inbox.unread_count(me) == 1
    assert client.post("/inbox/switches", {"on": "training"}, csrf=False).status_code == 400
    assert NotificationMute.select().count() == 0


def test_the_unread_count_is_one_count_query(app, make_user, monkeypatch):
    me, other = make_user(), make_user()
    note(me, "a")
    note(me, "b")
    note(me, "c", read=True)
    note(other, "d")
    seen = []
    execute = db.obj.execute_sql
    monkeypatch.setattr(db.obj, "execute_sql",
                        lambda sql, *a, **kw: seen.append(sql) or execute(sql, *a, **kw))
    assert inbox.unread_count(me) == 2
    assert len(seen) == 1 and "COUNT" in seen[0].upper()
    monkeypatch.undo()
    assert inbox.unread_count(make_user()) == 0


@pytest.mark.parametrize("role, home", [("practitioner", "/home/me"), ("director", "/home/firm"),
                                        ("secretary", "/home/branch"),
                                        ("county_admin", "/home/county"),
                                        ("city_admin", "/home/city")])
def test_every_roles_header_links_the_inbox_with_the_unread_count(app, make_user, role, home):
    me = make_user(role)
    note(me, "a")
    note(me, "b")
    client = signed_in(app, me)
    response = client.get(home)
    assert response.status_code == 200
    badge = soup(response).find("header").find("a", class_="inbox-link")
    assert badge["href"] == "/inbox/"
    assert text_of(badge) == "Inbox 2 unread"
    client.post("/inbox/read")
    badge = soup(client.get(home)).find("header").find("a", class_="inbox-link")
    assert text_of(badge) == "Inbox" and badge.find(class_="inbox-count") is None


def test_the_practitioner_home_opens_its_messages_through_the_inbox(app, make_user):
    me = make_user()
    first = note(me, "请补充证明材料", minutes_ago=5)
    note(me, "已读的", read=True)
    page = soup(signed_in(app, me).get("/home/me"))
    card = next(s for s in page.find_all("section") if text_of(s.find("h2")) == "Messages")
    assert [a["href"] for a in card.select("li a")] == [f"/inbox/{first.id}"]
    assert card.find("a", string="All messages")["href"] == "/inbox/"


# ------------------------------------------------------------------ switches

def test_a_practitioner_is_offered_trainings_decisions_and_pace(app, make_user):
    response = signed_in(app, make_user()).get("/me")
    assert switch_boxes(response) == {"training": True, "review": True, "pace": True}
    card = soup(response).find(id="switches")
    assert card.find("a", href="/inbox/") is not None
    assert "still come to your inbox" in text_of(card)
    assert "Trainings I am expected at (the day before, and one hour before)" in text_of(card)


def test_a_director_is_offered_reports_due_ratings_and_review_waiting_where_they_review(
        app, world, make_user):
    director = make_user("director")
    assert switch_boxes(signed_in(app, director).get("/me")) == {
        "training": True, "review": True, "pace": True, "reports_due": True, "ratings": True}
    ReviewRule.create(county=world["a"], year=2026, director_reviews=True)
    assert set(switch_boxes(signed_in(app, director).get("/me"))) == {
        "training", "review", "pace", "reports_due", "ratings", "review_waiting"}


def test_a_county_admin_is_offered_review_waiting_and_a_city_admin_nothing(app, make_user):
    assert switch_boxes(signed_in(app, make_user("county_admin")).get("/me")) == {
        "review_waiting": True}
    city = signed_in(app, make_user("city_admin")).get("/me")
    assert switch_boxes(city) == {}
    card = soup(city).find(id="switches")
    assert card.find("form") is None and card.find("a", href="/inbox/") is not None


def test_a_firms_named_reporter_hears_of_decisions_not_of_reports_due(app, world, make_user):
    # reports_due goes to the firm's director (push.due.reports_due); the named reporter,
    # who writes the reports, still hears of the decisions on them (the review switch).
    reporter = make_user()
    FirmReporter.create(firm=world["firm_a"], user=reporter)
    assert set(switch_boxes(signed_in(app, reporter).get("/me"))) == {
        "training", "review", "pace"}


def test_switches_are_saved_and_shown(app, make_user):
    me = make_user()
    client = signed_in(app, me)
    response = client.post("/inbox/switches", {"on": ["training", "pace"]})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/me#switches")
    assert inbox.switches_off(me) == {"review"}
    page = client.get("/me")
    assert switch_boxes(page) == {"training": True, "review": False, "pace": True}
    assert "Your choice of messages is saved." in text_of(soup(page).find(class_="flash"))
    client.post("/inbox/switches", {"on": ["review"]})
    assert inbox.switches_off(me) == {"training", "pace"}
    client.post("/inbox/switches", {"on": ["training", "review", "pace"]})
    assert inbox.switches_off(me) == set()


def test_an_unknown_switch_is_refused_and_nothing_changes(app, make_user):
    me = make_user()
    client = signed_in(app, me)
    client.post("/inbox/switches", {"on": ["training"]})
    response = client.post("/inbox/switches", {"on": ["pace", "lottery"]})
    assert response.status_code == 400
    assert "Choose among the kinds of message" in text_of(soup(response).find("h1"))
    assert inbox.switches_off(me) == {"review", "pace"}


def test_a_switch_not_offered_to_the_person_is_ignored(app, make_user):
    me = make_user()
    client = signed_in(app, me)
    response = client.post("/inbox/switches", {"on": ["training", "reports_due"]})
    assert response.status_code == 303
    # reports_due is not theirs to set: neither kept on as a row nor muted.
    assert inbox.switches_off(me) == {"review", "pace"}
    client.post("/inbox/switches", {"on": []})
    assert inbox.switches_off(me) == {"training", "review", "pace"}
    assert not NotificationMute.select().where(
        NotificationMute.switch.in_(("reports_due", "review_waiting"))).exists()


def test_a_switched_off_kind_stays_in_the_inbox_but_is_not_pushed(app, make_user):
    me = make_user()
    PushSubscription.create(user=me, endpoint="https://push.example/wpush/1", p256dh="k",
                            auth="a")
    signed_in(app, me).post("/inbox/switches", {"on": ["review", "pace"]})
    with app.test_request_context("/"):
        reminder = notify(me, "training_day", "明天有培训")
        decision = notify(me, "entry_approved", "已通过")
    assert Notification.select().where(Notification.user == me.id).count() == 2
    assert not PushDelivery.select().where(PushDelivery.notification == reminder.id).exists()
    assert PushDelivery.select().where(PushDelivery.notification == decision.id).count() == 1
    assert [message_of(r) for r in rows_of(signed_in(app, me).get("/inbox/"))] == [
        "已通过", "明天有培训"]
