"""The field walk's findings (issue 13): each fixed, each held by a test here.

Check-in on the home, a mistyped code, a 0-hour attendance in My year, the evidence field in
view, the review queue in pages, and signed-in devices named in words.
"""
import datetime
from decimal import Decimal

import pytest

from tests.helpers import minutes, signed_in, soup, text_of
from webapp.accounts.models import LoginAttempt, UserSession
from webapp.accounts.services import device_name, keep_agent, start_session
from webapp.checkin import codes as qr
from webapp.checkin import outcomes, pipeline
from webapp.db import utcnow
from webapp.i18n import local_today, to_local, to_utc
from webapp.trainings.services import runs_on
from webapp.ledger.models import Entry
from webapp.trainings import attendance
from webapp.trainings.models import Attendance


@pytest.fixture
def person(make_user):
    return make_user("practitioner", name="王芳")


@pytest.fixture
def as_person(app, person):
    return signed_in(app, person)


def home_card(client, training):
    page = soup(client.get("/home/me"))
    return next(s for s in page.select("section.next-training")
                if text_of(s.find("h2")) == training.title)


def scan_links(card):
    return [text_of(a) for a in card.select("a.btn-primary")]


# ------------------------------------------------------------------ 1. check-in on the home

def test_home_says_checked_in_instead_of_offering_the_scan_again(as_person, person,
                                                                 make_training):
    start = utcnow().replace(microsecond=0) - minutes(5)
    t = make_training(title="今天的培训", start_at=start, end_at=start + datetime.timedelta(hours=3))
    assert scan_links(home_card(as_person, t)) == ["Scan to check in"]
    pipeline.check_in(t, person, start)
    card = home_card(as_person, t)
    assert scan_links(card) == []                      # no 扫码签到 once checked in
    state = card.select_one("[data-checkin-state]")
    assert state["data-checkin-state"] == "done"
    assert "Credited: 3 hours." in text_of(state)


def test_home_offers_check_out_when_it_is_required_then_says_done(as_person, person,
                                                                  make_training):
    now = utcnow().replace(microsecond=0)
    start = now - datetime.timedelta(hours=2, minutes=55)
    t = make_training(title="要签退的培训", start_at=start, end_at=now + minutes(5),
                      checkout_required=True)
    pipeline.check_in(t, person, start)
    card = home_card(as_person, t)
    assert card.select_one("[data-checkin-state]")["data-checkin-state"] == "check_out"
    assert "Checked in at" in text_of(card.select_one("[data-checkin-state]"))
    assert scan_links(card) == ["Scan to check out"]
    assert card.select_one("a.btn-primary")["href"] == f"/scan?for={t.id}"
    pipeline.check_out(t, person, now)
    card = home_card(as_person, t)
    assert scan_links(card) == []
    assert card.select_one("[data-checkin-state]")["data-checkin-state"] == "done"
    assert "Credited: 3 hours." in text_of(card)


def test_home_keeps_a_training_that_ended_today(as_person, person, make_training):
    now = utcnow().replace(microsecond=0)
    if to_local(now).hour < 4:
        pytest.skip("the training would have ended yesterday")
    start = now - datetime.timedelta(hours=3, minutes=20)
    t = make_training(title="刚结束的培训", start_at=start, end_at=now - minutes(20),
                      checkout_required=True)
    pipeline.check_in(t, person, start)
    pipeline.check_out(t, person, now - minutes(10))
    card = home_card(as_person, t)
    assert card.select_one("[data-checkin-state]")["data-checkin-state"] == "done"


@pytest.mark.parametrize("checked_out, at, state", [
    (False, -60, "check_in"), (False, 40, "closed"), (True, 60, "in"), (True, 170, "check_out"),
    (True, 250, "no_checkout")])
def test_person_state(make_training, person, checked_out, at, state):
    t = make_training(checkout_required=True)
    row = None
    if checked_out:
        pipeline.check_in(t, person, t.start_at)
        row = attendance.existing(t, person)
    assert attendance.person_state(t, row, t.start_at + minutes(at)) == state


# ------------------------------------------------------------------ 2. a mistyped code

def typed_now(training, purpose="in", back=0):
    return qr.typed_code(training.secret, purpose,
                         qr.slice_of(qr.now_seconds(), qr.TYPED_SLICE_SECONDS) - back)


def not_a_code(*shown):
    return next(c for c in ("000000", "111111", "222222") if c not in shown)


def test_a_mistyped_code_says_the_number_is_wrong(as_person, make_training):
    t = make_training(start_at=utcnow() + minutes(5), end_at=utcnow() + minutes(185))
    response = as_person.post("/checkin/code", {"code": not_a_code(typed_now(t))})
    assert response.status_code == 400
    assert text_of(soup(response).find(class_="field-error")) == (
        "This number is not right. Check the six digits on the screen and type them again.")
    assert soup(response).find("form", action="/checkin/code") is not None   # type it again here
    assert Attendance.select().count() == 0


def test_a_code_shown_minutes_ago_has_expired(as_person, make_training):
    t = make_training(start_at=utcnow() + minutes(5), end_at=utcnow() + minutes(185))
    response = as_person.post("/checkin/code", {"code": typed_now(t, back=6)})   # 3 minutes ago
    assert response.status_code == 303
    result = soup(as_person.get("/checkin/result"))
    assert result.select_one("[data-outcome]")["data-outcome"] == "expired"
    assert text_of(result.select_one(".result-message")) == (
        "This code has expired. Scan the code on the screen again.")


def test_wrong_numbers_are_limited(as_person, person, make_training):
    t = make_training(start_at=utcnow() + minutes(5), end_at=utcnow() + minutes(185))
    wrong = not_a_code(typed_now(t))
    for _ in range(pipeline.TYPED_MAX_WRONG):
        assert as_person.post("/checkin/code", {"code": wrong}).status_code == 400
    blocked = as_person.post("/checkin/code", {"code": typed_now(t)})   # even the right one
    assert blocked.status_code == 429
    assert "Too many wrong numbers" in text_of(soup(blocked).find(class_="field-error"))
    assert Attendance.select().count() == 0
    LoginAttempt.update(created_at=utcnow() - pipeline.TYPED_WRONG_WINDOW).execute()
    assert pipeline.scan_typed(person, typed_now(t), utcnow()).code == outcomes.CHECKED_IN


# ------------------------------------------------------------------ 3. 0 hours in My year

def test_assess_credit_says_why_it_is_short(make_training, person):
    t = make_training(credit_hours=Decimal("1"))
    row = Attendance(training=t, user=person, checked_in_at=t.start_at + minutes(40),
                     checked_out_at=t.start_at + minutes(65))
    credit = attendance.assess_credit(t, row)
    assert (credit.hours, credit.reasons) == (Decimal("0.00"), ("late", "left_early"))
    assert attendance.compute_credit(t, row) == (Decimal("0.00"), False)
    on_time = Attendance(training=t, user=person, checked_in_at=t.start_at)
    assert attendance.assess_credit(t, on_time).reasons == ()


def test_a_0_hour_attendance_has_a_line_in_my_year(as_person, person, make_training):
    start = to_utc(datetime.datetime.combine(local_today(), datetime.time(9, 0)))
    t = make_training(title="迟到早退的培训", start_at=start, end_at=start + datetime.timedelta(hours=3),
                      credit_hours=Decimal("1"))
    attendance.check_in(t, person, start + minutes(40))
    attendance.check_out(t, person, start + minutes(65))
    assert Attendance.get().credited_hours == 0
    assert not Entry.select().where(Entry.status == "recorded").exists()
    page = soup(as_person.get("/ledger/year"))
    rows = page.select("#year-list .uncredited-row")
    assert len(rows) == 1 and t.title in text_of(rows[0])
    assert "Attended 9:40 AM–10:05 AM; arrived late and left early: 0 hours credited." in \
        text_of(rows[0]).replace("\u202f", " ")
    fragment = soup(as_person.htmx_get("/ledger/year?kind=education"))
    assert fragment.select_one("html") is None and len(fragment.select(".uncredited-row")) == 1
    assert soup(as_person.get("/ledger/year?kind=public_service")).select(".uncredited-row") == []


# ------------------------------------------------------------------ 4. evidence in view

@pytest.mark.parametrize("kind", ["public_service", "legal_aid"])
def test_the_evidence_field_is_in_view(as_person, kind):
    page = soup(as_person.get(f"/ledger/new/{kind}"))
    field = page.select_one("form [name=evidence]")
    assert field is not None and field.find_parent("details") is None


def test_outside_learning_keeps_evidence_under_more_unless_the_county_asks(as_person):
    page = soup(as_person.get("/ledger/new/education"))
    assert page.select_one("details.more [name=evidence]") is not None


# ------------------------------------------------------------------ 5. the review queue in pages

@pytest.fixture
def many_waiting(make_user):
    author = make_user("practitioner", name="赵六")
    first = utcnow() - datetime.timedelta(days=30)
    return [Entry.create(user=author, kind="public_service", date=local_today(), hours=1,
                         category="consultation", status="pending", source="self",
                         created_at=first + minutes(i)) for i in range(45)]


def queue_ids(page):
    return [int(li["id"][2:]) for li in page.select(".queue-entry")]


def test_the_queue_is_paged_oldest_first(app, make_user, many_waiting):
    admin = signed_in(app, make_user("county_admin"))
    page = soup(admin.get("/ledger/review"))
    assert queue_ids(page) == [e.id for e in many_waiting[:20]]
    count = page.select_one("#queue-count")
    assert text_of(count.p) == "45 waiting — page 1 of 3"
    pager = page.select_one("nav.queue-pager")
    nxt = pager.select_one("a[rel=next]")
    assert nxt["href"] == "/ledger/review?page=2" and "btn" in nxt["class"]
    assert pager.select_one("a[rel=prev]") is None
    last = admin.htmx_get("/ledger/review?page=3")          # one URL: the fragment of page 3
    frag = soup(last)
    assert frag.select_one("html") is None and queue_ids(frag) == [e.id for e in many_waiting[40:]]
    assert text_of(frag.select_one("#queue-count p")) == "45 waiting — page 3 of 3"
    assert frag.select_one("a[rel=prev]")["href"] == "/ledger/review?page=2"
    assert queue_ids(soup(admin.get("/ledger/review?page=99"))) == queue_ids(frag)


def test_deciding_on_a_page_updates_the_count(app, make_user, many_waiting):
    admin = signed_in(app, make_user("county_admin"))
    entry = many_waiting[20]
    page = soup(admin.get("/ledger/review?page=2"))
    form = page.select_one(f"#q-{entry.id} form")
    assert form.select_one("input[name=page]")["value"] == "2"
    response = admin.post(f"/ledger/review/{entry.id}/approve",
                          {"version": form.select_one("[name=version]")["value"], "page": "2"},
                          htmx=True)
    count = soup(response).select_one("#queue-count")
    assert count["hx-swap-oob"] == "true" and text_of(count.p) == "44 waiting — page 2 of 3"
    plain = admin.post(f"/ledger/review/{many_waiting[21].id}/approve", {"page": "2"})
    assert plain.headers["Location"].endswith("/ledger/review?page=2")


# ------------------------------------------------------------------ 6. devices in words

WECHAT = ("Mozilla/5.0 (Linux; Android 12; V2055A Build/SP1A.210812.003; wv) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5023 "
          "MMWEBSDK/20230303 MMWEBID/1234 MicroMessenger/8.0.34.2340(0x28002237) WeChat/arm64 "
          "Weixin NetType/4G Language/zh_CN ABI/arm64")
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")
EDGE = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80")
CHROME_ANDROID = ("Mozilla/5.0 (Linux; Android 13; M2012K11AC) AppleWebKit/537.36 (KHTML, like "
                  "Gecko) Chrome/120.0.0.0 Mobile Safari/537.36")


@pytest.mark.parametrize("agent, words", [
    (WECHAT, "Android phone · WeChat"), (IPHONE, "iPhone · Safari"),
    (EDGE, "Windows computer · Edge"), (CHROME_ANDROID, "Android phone · Chrome"),
    ("", "Unknown device"), ("curl/8.0", "Unknown device")])
def test_device_name(app, agent, words):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert device_name(agent) == words
        assert device_name(keep_agent(agent)) == words   # also as a login keeps it


def test_me_lists_devices_in_words_with_the_last_use(app, person):
    client = signed_in(app, person)
    assert len(WECHAT) > 200 and len(keep_agent(WECHAT)) <= 200   # as a login keeps it
    phone = UserSession.get(UserSession.token == start_session(person, WECHAT))
    UserSession.update(last_seen_at=datetime.datetime(2026, 3, 1, 2, 5)).where(
        UserSession.id == phone.id).execute()
    page = soup(client.get("/me"))
    row = page.find("form", action=f"/me/devices/{phone.id}/end").find_parent("li")
    assert text_of(row.strong) == "Android phone · WeChat"
    assert "Last used 3/1/26, 10:05 AM" in text_of(row).replace("\u202f", " ")
    assert "Mozilla" not in text_of(page.select_one("main"))
    page_zh = soup(signed_in(app, person, "zh-CN").get("/me"))
    assert "Mozilla" not in text_of(page_zh.select_one("main"))


def test_a_training_going_on_past_midnight_is_todays_on_the_home(app):
    """A training that began before local midnight and goes on after it still offers the
    check-in (the home's test above once failed when run at local midnight)."""
    class Training:
        start_at = to_utc(datetime.datetime(2026, 3, 1, 23, 30))
        end_at = to_utc(datetime.datetime(2026, 3, 2, 2, 30))

    assert runs_on(Training, datetime.date(2026, 3, 1))
    assert runs_on(Training, datetime.date(2026, 3, 2))
    assert not runs_on(Training, datetime.date(2026, 3, 3))
