"""An open rectification (限期整改) shows on the person's own home and the firm's pages until closed."""
import datetime

import pytest

from tests.helpers import actor_for, signed_in, soup, text_of
from webapp.i18n import local_today
from webapp.targets import assessment as service
from webapp.targets.models import Assessment


@pytest.fixture(autouse=True)
def _fast(fast_passwords):
    """Sessions here are made directly: keep hashing cheap anyway."""


@pytest.fixture(autouse=True)
def request_context(app):
    """Services translate their messages, so they run inside a request (English)."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def today():
    return local_today()


@pytest.fixture
def admin(make_user, world):
    user = make_user("county_admin", county=world["a"])
    return actor_for(user, "county_admin")


def fail(actor, subject, today, days=30, comment="公益服务学时不足"):
    """Record a fail with a deadline `days` ahead, for this year."""
    result = "incompetent" if hasattr(subject, "firm_id") else "unqualified"
    return service.record_result(actor, today.year, subject, result, comment,
                                 today + datetime.timedelta(days=days))


def move_deadline(row, day):
    """Put the deadline where record_result refuses to (in the past), as time passing does."""
    Assessment.update(rectify_by=day).where(Assessment.id == row.id).execute()


def cards(response):
    assert response.status_code == 200
    return soup(response).select("section.rectification-card")


def facts(card):
    return {text_of(dt): text_of(dt.find_next_sibling("dd")) for dt in card.select("dl dt")}


# ------------------------------------------------------------------ the rule

def test_overdue_only_after_the_deadline_day(make_user, admin, today):
    person = make_user("practitioner")
    row = fail(admin, person, today)
    assert [r.overdue for r in service.open_rectifications(person, today)] == [False]
    move_deadline(row, today)
    assert service.open_rectifications(person, today)[0].overdue is False  # the day itself
    move_deadline(row, today - datetime.timedelta(days=1))
    assert service.open_rectifications(person, today)[0].overdue is True
    assert service.is_overdue(Assessment.get_by_id(row.id), today)


def test_only_open_fails_are_listed(make_user, admin, today, world):
    person = make_user("practitioner")
    service.record_result(admin, today.year, person, "competent", "", None)
    assert service.open_rectifications(person, today) == []
    firm_row = fail(admin, world["firm_a"], today)
    assert service.open_rectifications(world["firm_a"], today) == [firm_row]
    assert service.open_rectifications(person, today) == []  # a firm's is not its people's


# ------------------------------------------------------------------ the practitioner's home

def test_own_home_shows_result_comment_and_deadline(app, make_user, admin, today):
    person = make_user("practitioner")
    row = fail(admin, person, today, days=20)
    found = cards(signed_in(app, person).get("/home/me"))
    assert len(found) == 1
    card = found[0]
    assert card["data-assessment"] == str(row.id)
    assert "rectification-overdue" not in card["class"]
    shown = facts(card)
    assert "Incompetent" in shown["Result"] and str(today.year) in shown["Result"]
    assert shown["Comment"] == "公益服务学时不足"
    assert card.find("time")["datetime"] == row.rectify_by.isoformat()
    assert card.find(class_="rectification-overdue-word") is None
    assert card.find("form") is None  # only the county closes it
    assert text_of(card.find("h2")) == "Rectification open"


def test_own_home_says_overdue_once_past(app, make_user, admin, today):
    person = make_user("practitioner")
    move_deadline(fail(admin, person, today), today - datetime.timedelta(days=3))
    card = cards(signed_in(app, person).get("/home/me"))[0]
    assert "rectification-overdue" in card["class"]
    assert text_of(card.find(class_="rectification-overdue-word")) == "Overdue"


def test_own_home_shows_nothing_once_closed_or_passed(app, make_user, admin, today):
    person, other = make_user("practitioner"), make_user("practitioner")
    row = fail(admin, person, today)
    service.record_result(admin, today.year, other, "competent", "", None)
    client = signed_in(app, person)
    assert len(cards(client.get("/home/me"))) == 1
    service.close_rectification(admin, row, "已补足学时")
    assert cards(client.get("/home/me")) == []
    assert cards(signed_in(app, other).get("/home/me")) == []


def test_own_home_shows_only_own(app, make_user, admin, today, world):
    person, colleague = make_user("practitioner"), make_user("practitioner")
    fail(admin, colleague, today)
    fail(admin, world["firm_a"], today)
    assert cards(signed_in(app, person).get("/home/me")) == []


def test_an_older_years_open_rectification_still_shows(app, make_user, admin, today):
    person = make_user("practitioner")
    row = fail(admin, person, today)
    Assessment.update(year=today.year - 1).where(Assessment.id == row.id).execute()
    card = cards(signed_in(app, person).get("/home/me"))[0]
    assert str(today.year - 1) in facts(card)["Result"]


# ------------------------------------------------------------------ the firm: director and dossier

def test_director_home_shows_the_firms_open_rectification(app, make_user, admin, today, world):
    director = make_user("director")
    other_director = make_user("director", county=world["b"])
    person = make_user("practitioner")
    row = fail(admin, world["firm_a"], today, comment="台账不全")
    fail(admin, person, today)  # a person's is on their own home, not the firm's
    found = cards(signed_in(app, director).get("/home/firm"))
    assert [c["data-assessment"] for c in found] == [str(row.id)]
    shown = facts(found[0])
    assert "Unqualified" in shown["Result"] and shown["Comment"] == "台账不全"
    assert found[0].find("form") is None
    assert cards(signed_in(app, other_director).get("/home/firm")) == []
    service.close_rectification(admin, row, "已整改")
    assert cards(signed_in(app, director).get("/home/firm")) == []


def test_firm_dossier_shows_overdue_and_the_close_form(app, make_user, admin, today, world):
    row = fail(admin, world["firm_a"], today)
    move_deadline(row, today - datetime.timedelta(days=1))
    client = signed_in(app, admin.user)
    card = cards(client.get(f"/home/assessment/firm/{world['firm_a'].id}"))[0]
    assert "rectification-overdue" in card["class"]
    form = card.find("form")
    assert form["action"] == f"/home/assessment/{row.id}/close" and form["method"] == "post"
    director = make_user("director")
    card = cards(signed_in(app, director).get(f"/home/assessment/firm/{world['firm_a'].id}"))[0]
    assert card.find("form") is None


def test_cards_carry_no_inline_style_or_script(app, make_user, admin, today):
    person = make_user("practitioner")
    fail(admin, person, today)
    page = soup(signed_in(app, person).get("/home/me"))
    card = page.select_one("section.rectification-card")
    assert not card.select("[style], script, style")
    assert not page.select("main style, main script:not([src])")


def test_homes_render_in_chinese(app, make_user, admin, today, world):
    person, director = make_user("practitioner"), make_user("director")
    fail(admin, person, today)
    fail(admin, world["firm_a"], today)
    for user, url in ((person, "/home/me"), (director, "/home/firm")):
        card = cards(signed_in(app, user, language="zh-CN").get(url))[0]
        assert "限期整改中" in text_of(card.find("h2"))
