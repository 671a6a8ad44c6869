"""Typed codes cannot be guessed: wrong numbers are limited per person and per client address,
the person is told how long to wait, and a check-in after several wrong numbers is flagged."""
import datetime

import pytest

from tests.helpers import minutes, signed_in, soup, text_of
from webapp.accounts.models import LoginAttempt
from webapp.checkin import codes as qr
from webapp.checkin import outcomes, pipeline
from webapp.db import utcnow
from webapp.trainings.models import Attendance

HOME, CAFE, ELSEWHERE = "10.30.0.1", "10.40.0.1", "10.50.0.1"


@pytest.fixture
def training(make_training):
    return make_training(start_at=utcnow() + minutes(5), end_at=utcnow() + minutes(185))


def shown(training, purpose="in"):
    return qr.typed_code(training.secret, purpose,
                         qr.slice_of(qr.now_seconds(), qr.TYPED_SLICE_SECONDS))


def wrong_for(training):
    """A number no screen shows now or showed lately."""
    recent = {qr.typed_code(training.secret, p, qr.slice_of(qr.now_seconds(),
                                                            qr.TYPED_SLICE_SECONDS) - back)
              for p in ("in", "out") for back in range(12)}
    return next(f"{n:06d}" for n in range(1000) if f"{n:06d}" not in recent)


def type_code(client, code, address=HOME):
    return client.post("/checkin/code", {"code": code}, environ_base={"REMOTE_ADDR": address})


def error_of(page):
    return text_of(soup(page).find(class_="field-error"))


def test_300_wrong_numbers_from_one_account_are_refused_after_the_limit(app, make_user,
                                                                        training):
    person = make_user()
    client = signed_in(app, person)
    wrong = wrong_for(training)
    statuses = [type_code(client, wrong).status_code for _ in range(300)]
    assert 303 not in statuses                           # never taken, never silent
    assert statuses[:10] == [400] * 10 and set(statuses[10:]) == {429}
    refused = type_code(client, shown(training))         # not even the right one, for now
    assert refused.status_code == 429
    assert error_of(refused) == ("Too many wrong numbers. Wait 10 minutes and try again, or scan "
                                 "the code on the screen.")
    assert soup(refused).find("form", action="/checkin/code") is not None
    # Refused tries are not counted: the wait does not grow while the guessing goes on.
    assert LoginAttempt.select().count() == 10
    assert Attendance.select().count() == 0


def test_the_wait_says_how_long_is_left(app, make_user, training):
    person = make_user()
    client = signed_in(app, person)
    for _ in range(10):
        type_code(client, wrong_for(training))
    LoginAttempt.update(created_at=utcnow() - datetime.timedelta(minutes=7, seconds=30)).execute()
    assert "Wait 3 minutes" in error_of(type_code(client, shown(training)))
    LoginAttempt.update(created_at=utcnow() - datetime.timedelta(minutes=11)).execute()
    assert type_code(client, shown(training)).status_code == 303
    assert Attendance.get(Attendance.user == person).checked_in_at is not None


def test_wrong_numbers_are_limited_per_address_across_accounts(app, make_user, training):
    people = [make_user() for _ in range(4)]
    clients = [signed_in(app, p) for p in people]
    wrong = wrong_for(training)
    statuses = []
    for _round in range(8):                  # 32 tries, 8 each: no one reaches their own 10
        for client in clients:
            statuses.append(type_code(client, wrong, CAFE).status_code)
    assert statuses[:30] == [400] * 30 and statuses[30:] == [429, 429]
    assert "Too many wrong numbers" in error_of(type_code(clients[0], wrong, CAFE))
    # A fifth person at the same address waits too, even with the right number ...
    fifth = signed_in(app, make_user())
    assert type_code(fifth, shown(training), CAFE).status_code == 429
    # ... and from another address checks in; so do the four, away from that address.
    assert type_code(fifth, shown(training), ELSEWHERE).status_code == 303
    assert type_code(clients[0], shown(training), ELSEWHERE).status_code == 303
    assert Attendance.select().count() == 2


def test_the_right_code_works_for_someone_else_from_another_address(app, make_user, training):
    guesser = signed_in(app, make_user())
    for _ in range(40):
        type_code(guesser, wrong_for(training), CAFE)
    other = make_user()
    response = type_code(signed_in(app, other), shown(training), ELSEWHERE)
    assert response.status_code == 303
    row = Attendance.get(Attendance.user == other)
    assert row.method_in == "code" and "after_wrong_codes" not in row.flags


def test_the_address_limit_follows_the_config(app, make_user, training, monkeypatch):
    monkeypatch.setitem(app.config, "TYPED_MAX_WRONG_ADDRESS", 3)
    clients = [signed_in(app, make_user()) for _ in range(3)]
    for client in clients:
        assert type_code(client, wrong_for(training), CAFE).status_code == 400
    assert type_code(clients[0], wrong_for(training), CAFE).status_code == 429


def test_a_check_in_after_several_wrong_numbers_is_flagged_and_shown(app, make_user, training):
    person, admin = make_user(name="李明"), make_user("county_admin")
    client = signed_in(app, person)
    for _ in range(3):
        assert type_code(client, wrong_for(training)).status_code == 400
    assert type_code(client, shown(training)).status_code == 303
    row = Attendance.get(Attendance.user == person)
    assert "after_wrong_codes" in row.flags.split(",")
    sheet = soup(signed_in(app, admin).get(f"/trainings/{training.id}/attendance?state=flagged"))
    chips = sheet.select('[data-flag="after_wrong_codes"]')
    assert [text_of(c) for c in chips] == ["after several wrong typed numbers"]


def test_fewer_wrong_numbers_or_old_ones_raise_no_flag(app, make_user, training):
    person, late = make_user(), make_user()
    for _ in range(2):
        type_code(signed_in(app, person), wrong_for(training))
    assert type_code(signed_in(app, person), shown(training)).status_code == 303
    for _ in range(5):
        type_code(signed_in(app, late), wrong_for(training))
    LoginAttempt.update(created_at=utcnow() - datetime.timedelta(minutes=11)).execute()
    assert type_code(signed_in(app, late), shown(training)).status_code == 303
    assert [r.flags for r in Attendance.select()] == ["", ""]


def test_the_service_counts_per_person_and_per_address(make_user, training):
    person, other = make_user(), make_user()
    limits = dict(pipeline.typed_limits({}), person=2, address=3)
    wrong = wrong_for(training)
    for _ in range(2):
        assert pipeline.scan_typed(person, wrong, utcnow(), address=HOME,
                                   limits=limits).code == outcomes.WRONG_CODE
    assert pipeline.scan_typed(person, shown(training), utcnow(), address=ELSEWHERE,
                               limits=limits).code == outcomes.TOO_MANY_CODES
    assert pipeline.scan_typed(other, wrong, utcnow(), address=HOME,
                               limits=limits).code == outcomes.WRONG_CODE
    assert pipeline.scan_typed(other, shown(training), utcnow(), address=HOME,
                               limits=limits).code == outcomes.TOO_MANY_CODES
    outcome = pipeline.scan_typed(other, shown(training), utcnow(), address=ELSEWHERE,
                                  limits=limits)
    assert outcome.code == outcomes.CHECKED_IN
    # Wrong numbers never count against the sign-in: their keys are their own.
    keys = {(a.account, a.address) for a in LoginAttempt.select()}
    assert keys == {(f"typed code:{person.id}", "typed code " + HOME),
                    (f"typed code:{other.id}", "typed code " + HOME)}
