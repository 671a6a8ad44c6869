"""Check-in rules: windows, lateness, crediting at each boundary, idempotency, offline sync."""
import datetime
import threading
from decimal import Decimal

import pytest

from tests.helpers import START, minutes, unix
from webapp.db import db
from webapp.ledger.models import Entry
from webapp.checkin import codes as qr
from webapp.checkin import outcomes, pipeline
from webapp.trainings import attendance as att
from webapp.trainings import services as s
from webapp.trainings.models import Attendance, ScanReceipt, TrainingFirm

END = START + datetime.timedelta(hours=3)


@pytest.fixture(autouse=True)
def english(app):
    """Services raise translated messages, so run each test inside an English request."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def person(make_user):
    return make_user("practitioner")


def code_at(training, purpose, at):
    return qr.current_code(training, purpose, unix(at))


# ------------------------------------------------------------------ windows and lateness

@pytest.mark.parametrize("offset,expected", [
    (-31, outcomes.NOT_OPEN), (-30, outcomes.CHECKED_IN), (0, outcomes.CHECKED_IN), (30, outcomes.CHECKED_IN), (31, outcomes.CLOSED),
])
def test_checkin_window_edges(make_training, person, offset, expected):
    t = make_training()
    assert pipeline.check_in(t, person, START + minutes(offset)).code == expected


@pytest.mark.parametrize("offset,late", [(10, False), (10.02, True), (25, True), (-5, False)])
def test_late_after_ten_minutes(make_training, person, offset, late):
    t = make_training()
    outcome = pipeline.check_in(t, person, START + minutes(offset))
    assert outcome.code == outcomes.CHECKED_IN and outcome.late is late
    assert Attendance.get().late is late


@pytest.mark.parametrize("offset,expected", [
    (-16, outcomes.NOT_OPEN), (-15, outcomes.CHECKED_OUT), (60, outcomes.CHECKED_OUT), (61, outcomes.CLOSED),
])
def test_checkout_window_edges(make_training, person, offset, expected):
    t = make_training(checkout_required=True)
    pipeline.check_in(t, person, START)
    assert pipeline.check_out(t, person, END + minutes(offset)).code == expected


def test_not_open_says_when_it_opens(make_training, person, app):
    t = make_training()
    outcome = pipeline.check_in(t, person, START - minutes(45))
    assert outcome.code == outcomes.NOT_OPEN and outcome.at == START - minutes(30)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert "09:30" not in outcomes.message(outcome) and "08:30" in outcomes.message(outcome)


def test_cancelled_and_audience(make_training, make_user, world, person):
    t = make_training(status="cancelled")
    assert pipeline.check_in(t, person, START).code == outcomes.CANCELLED
    other_county = make_user("practitioner", county=world["b"])
    t2 = make_training()
    assert pipeline.check_in(t2, other_county, START).code == outcomes.NOT_AUDIENCE
    t3 = make_training(audience="firms")
    TrainingFirm.create(training=t3, firm=world["firm_b"])
    assert pipeline.check_in(t3, person, START).code == outcomes.NOT_AUDIENCE
    assert pipeline.check_in(t3, other_county, START).code == outcomes.CHECKED_IN
    city_wide = make_training(organiser=world["city"])
    assert pipeline.check_in(city_wide, other_county, START).code == outcomes.CHECKED_IN
    assert Attendance.select().count() == 2


def test_second_scan_changes_nothing(make_training, person):
    t = make_training()
    first = pipeline.check_in(t, person, START - minutes(5))
    again = pipeline.check_in(t, person, START + minutes(20))
    assert again.code == outcomes.ALREADY_IN and again.at == first.at and not again.late
    assert Attendance.select().count() == 1 and Entry.select().count() == 1


def test_already_in_even_after_the_window_closed(make_training, person):
    t = make_training()
    pipeline.check_in(t, person, START)
    assert pipeline.check_in(t, person, START + minutes(90)).code == outcomes.ALREADY_IN


def test_checkout_needs_a_checkin(make_training, person):
    t = make_training(checkout_required=True)
    assert pipeline.check_out(t, person, END).code == outcomes.NOT_CHECKED_IN
    assert Attendance.select().count() == 0


# ------------------------------------------------------------------ crediting

def credited(training, person):
    row = Attendance.get(Attendance.training == training.id, Attendance.user == person.id)
    return row.credited_hours, row.needs_review


@pytest.mark.parametrize("in_offset,out_offset,hours", [
    (0, 0, "3.00"),          # on time, out at the end
    (10, -15, "3.00"),       # last on-time minute, first minute of the check-out window
    (-30, 60, "3.00"),       # earliest in, latest out
    (11, 0, "2.75"),         # late by a minute: 169/180 × 3 = 2.816… → 2.75
    (30, 0, "2.50"),         # 150/180 × 3 = 2.5 exactly
    (29, 0, "2.50"),         # 151/180 × 3 = 2.516… → 2.5
])
def test_credit_with_checkout(make_training, person, in_offset, out_offset, hours):
    t = make_training(checkout_required=True)
    pipeline.check_in(t, person, START + minutes(in_offset))
    assert credited(t, person) == (Decimal("0"), True)  # waits for check-out
    outcome = pipeline.check_out(t, person, END + minutes(out_offset))
    assert outcome.hours == Decimal(hours)
    assert credited(t, person) == (Decimal(hours), False)
    entry = Entry.get()
    assert (entry.kind, entry.source, entry.status, entry.training_id) == (
        "training_credit", "system", "recorded", t.id)
    assert entry.hours == Decimal(hours)


def test_credit_without_checkout_required(make_training, person):
    t = make_training()
    pipeline.check_in(t, person, START + minutes(10))
    assert credited(t, person) == (Decimal("3"), False)
    other = pipeline.check_in(make_training(), person, START + minutes(20))
    assert other.late
    # 160/180 × 3 = 2.666… → 2.5
    assert Attendance.get(Attendance.training == other.subject.id).credited_hours == Decimal("2.5")


def test_no_checkout_when_required_gives_no_credit_and_needs_review(make_training, person):
    t = make_training(checkout_required=True)
    pipeline.check_in(t, person, START)
    assert credited(t, person) == (Decimal("0"), True)
    assert Entry.select().count() == 0


def test_left_early_is_pro_rata_rounded_down(make_training, person, make_user):
    t = make_training(checkout_required=True)
    pipeline.check_in(t, person, START)
    row = Attendance.get()
    admin = make_user("county_admin")
    # Left after 100 minutes: 100/180 × 3 = 1.666… → 1.5
    att.correct_times(admin, t, row, START, START + minutes(100), "left at the break")
    assert credited(t, person) == (Decimal("1.5"), False)
    att.correct_times(admin, t, row, START, END, "came back")
    assert credited(t, person) == (Decimal("3"), False)
    assert Entry.select().count() == 1 and Entry.get().hours == Decimal("3")


def test_excuse_and_mark_present(make_training, person, make_user):
    t = make_training(checkout_required=True)
    admin = make_user("county_admin")
    with pytest.raises(s.DomainError):
        att.mark_present(admin, t, person.id, "  ")
    att.excuse(admin, t, person.id, "在外地出庭")
    assert Attendance.get().status == "excused"
    row = att.mark_present(admin, t, person.id, "无智能手机，工作人员核实身份")
    assert (row.status, row.method_in, row.checked_out_at) == ("present", "staff", END)
    assert credited(t, person) == (Decimal("3"), False)
    with pytest.raises(s.DomainError):
        att.mark_present(admin, t, person.id, "again")


# ------------------------------------------------------------------ scanning a code

def test_scan_with_the_projector_code(make_training, person):
    t = make_training()
    outcome = pipeline.scan(person, code_at(t, "in", START), START)
    assert outcome.code == outcomes.CHECKED_IN and Attendance.get().method_in == "qr"


def test_scan_expired_code(make_training, person):
    t = make_training()
    outcome = pipeline.scan(person, code_at(t, "in", START), START + datetime.timedelta(seconds=25))
    assert outcome.code == outcomes.EXPIRED and Attendance.select().count() == 0


def test_stale_code_is_flagged_not_refused(make_training, person):
    t = make_training()
    outcome = pipeline.scan(person, code_at(t, "in", START), START + datetime.timedelta(seconds=17))
    assert outcome.code == outcomes.CHECKED_IN and Attendance.get().flags == "stale_code"


def test_scan_for_another_training(make_training, person):
    mine, other = make_training(), make_training(title="另一场")
    outcome = pipeline.scan(person, code_at(other, "in", START), START, expected=mine)
    assert outcome.code == outcomes.OTHER_TRAINING and outcome.other.id == other.id


def test_static_code_only_inside_windows(make_training, person):
    t = make_training(checkout_required=True)
    static = qr.static_code(t)
    assert pipeline.scan(person, static, START - minutes(40)).code == outcomes.NOT_OPEN
    assert pipeline.scan(person, static, START).code == outcomes.CHECKED_IN
    assert Attendance.get().method_in == "static"
    assert pipeline.scan(person, static, START + minutes(20)).code == outcomes.ALREADY_IN
    assert pipeline.scan(person, static, START + minutes(60)).code == outcomes.NOT_OPEN  # check-out not yet
    assert pipeline.scan(person, static, END).code == outcomes.CHECKED_OUT
    assert pipeline.scan(person, static, END + minutes(90)).code == outcomes.ALREADY_OUT


def test_same_device_for_two_people_is_flagged(make_training, make_user):
    t = make_training()
    a, b = make_user("practitioner"), make_user("practitioner")
    pipeline.check_in(t, a, START, device="dev-1")
    outcome = pipeline.check_in(t, b, START, device="dev-1")
    assert outcome.code == outcomes.CHECKED_IN
    assert Attendance.get(Attendance.user == b.id).flags == "shared_device"


def test_typed_code(make_training, person):
    t = make_training()
    typed = qr.typed_code(t.secret, "in", qr.slice_of(unix(START), qr.TYPED_SLICE_SECONDS))
    outcome = pipeline.scan_typed(person, typed, START)
    assert outcome.code == outcomes.CHECKED_IN and Attendance.get().method_in == "code"
    assert pipeline.scan_typed(person, "000000" if typed != "000000" else "111111", START).code == outcomes.WRONG_CODE


# ------------------------------------------------------------------ offline

def test_offline_scan_accepted_once(make_training, person):
    t = make_training()
    scanned = START + minutes(2)
    code = code_at(t, "in", scanned)
    first = pipeline.sync_offline(person, code, scanned, "key-1", now=scanned + datetime.timedelta(hours=5))
    assert first.code == outcomes.CHECKED_IN and Attendance.get().method_in == "offline"
    assert Attendance.get().checked_in_at == scanned
    again = pipeline.sync_offline(person, code, scanned, "key-1", now=scanned + datetime.timedelta(hours=6))
    assert again.code == outcomes.ALREADY_IN
    assert Attendance.select().count() == 1 and ScanReceipt.select().count() == 1


@pytest.mark.parametrize("delay_hours,expected", [(71.9, outcomes.CHECKED_IN), (72.1, outcomes.TOO_OLD)])
def test_offline_delay_bound(make_training, person, delay_hours, expected):
    t = make_training()
    code = code_at(t, "in", START)
    outcome = pipeline.sync_offline(person, code, START, f"k{delay_hours}",
                             now=START + datetime.timedelta(hours=delay_hours))
    assert outcome.code == expected


def test_offline_claimed_time_must_match_the_code(make_training, person):
    t = make_training()
    code = code_at(t, "in", START)
    outcome = pipeline.sync_offline(person, code, START + minutes(5), "k", now=START + minutes(30))
    assert outcome.code == outcomes.TIME_MISMATCH and Attendance.select().count() == 0
    future = pipeline.sync_offline(person, code, START, "k2", now=START - minutes(10))
    assert future.code == outcomes.TIME_MISMATCH


# ------------------------------------------------------------------ concurrency

def _in_threads(app, n, work):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run():
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                barrier.wait()
                results.append(work())
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.close()
    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def test_concurrent_identical_checkins(app, make_training, person):
    t = make_training()
    results = _in_threads(app, 8, lambda: pipeline.check_in(t, person, START).code)
    assert sorted(results) == [outcomes.ALREADY_IN] * 7 + [outcomes.CHECKED_IN]
    assert Attendance.select().count() == 1 and Entry.select().count() == 1


def test_concurrent_identical_checkouts(app, make_training, person):
    t = make_training(checkout_required=True)
    pipeline.check_in(t, person, START)
    results = _in_threads(app, 8, lambda: pipeline.check_out(t, person, END).code)
    assert sorted(results) == [outcomes.ALREADY_OUT] * 7 + [outcomes.CHECKED_OUT]
    assert Entry.select().count() == 1 and Entry.get().hours == Decimal("3")


def test_concurrent_offline_syncs(app, make_training, person):
    t = make_training()
    code = code_at(t, "in", START)
    results = _in_threads(app, 6, lambda: pipeline.sync_offline(person, code, START, "same-key",
                                                         now=START + minutes(60)).code)
    assert results.count(outcomes.CHECKED_IN) == 1
    assert Attendance.select().count() == 1 and ScanReceipt.select().count() == 1
