"""The database helpers of the hot paths: one-statement inserts, hydrated rows, the SQLite
writer queue and the PostgreSQL pool's check-out, on whichever engine the run uses."""
import datetime
import fcntl
import os
import tempfile
import threading
import time
from decimal import Decimal

import pytest
from peewee import IntegrityError

from webapp import db as db_module
from webapp.accounts.models import User
from webapp.db import (
    WriterQueue, db, hydrate, insert_row, insert_row_then, is_postgres, select_rows, width,
)
from webapp.ledger.models import Entry
from webapp.trainings.models import Attendance, Training
from webapp.trainings.attendance import load_training

from tests.helpers import START


@pytest.fixture
def person(make_user):  # noqa: F811
    return make_user()


def attendance_values(training, person, **extra):
    values = {"training": training.id, "user": person.id, "checked_in_at": START,
              "method_in": "qr", "credited_hours": Decimal("3.00")}
    values.update(extra)
    return values


def entry_values(training, person, hours=Decimal("3.00")):
    return {"user": person.id, "kind": "training_credit", "date": START.date(), "hours": hours,
            "category": "业务技能", "description": training.title, "source": "system",
            "training": training.id, "status": "recorded",
            "idempotency_key": f"training:{training.id}:{person.id}"}


# ------------------------------------------------------------------ insert_row

def test_insert_row_fills_defaults_like_peewee(make_training, person):
    training = make_training()
    row_id = insert_row(Attendance, attendance_values(training, person))
    row = Attendance.get_by_id(row_id)
    assert row.status == "present" and row.flags == "" and row.device == ""
    assert row.late is False and row.needs_review is False and row.distance_m is None
    assert row.checked_in_at == START and row.credited_hours == Decimal("3.00")
    assert abs(row.created_at - db_module.utcnow()) < datetime.timedelta(seconds=5)


def test_insert_row_on_a_clash_does_nothing_and_says_so(make_training, person):
    training = make_training()
    first = insert_row(Attendance, attendance_values(training, person), conflict=("training", "user"))
    again = insert_row(Attendance, attendance_values(training, person, flags="far"),
                       conflict=("training", "user"))
    assert first is not None and again is None
    assert Attendance.select().count() == 1 and Attendance.get().flags == ""


def test_insert_row_on_a_clash_updates_only_the_named_fields(make_training, person):
    training = make_training()
    first = insert_row(Entry, entry_values(training, person), conflict=("idempotency_key",),
                       update=("hours", "updated_at"))
    changed = dict(entry_values(training, person, Decimal("1.50")), description="changed")
    second = insert_row(Entry, changed, conflict=("idempotency_key",), update=("hours", "updated_at"))
    assert first == second
    entry = Entry.get()
    assert entry.hours == Decimal("1.50") and entry.description == training.title


def test_insert_row_without_conflict_target_raises_on_a_clash(make_training, person):
    training = make_training()
    insert_row(Attendance, attendance_values(training, person))
    with pytest.raises(IntegrityError):
        with db.atomic():
            insert_row(Attendance, attendance_values(training, person))
    assert Attendance.select().count() == 1


# ------------------------------------------------------------------ insert_row_then

def then(training, person, hours=Decimal("3.00"), **extra):
    return insert_row_then(Attendance, attendance_values(training, person, **extra),
                           ("training", "user"), Entry, entry_values(training, person, hours),
                           ("idempotency_key",), ("hours", "updated_at"))


def test_insert_row_then_writes_both(make_training, person):
    training = make_training()
    row_id = then(training, person)
    assert Attendance.get_by_id(row_id).user_id == person.id
    assert Entry.get().hours == Decimal("3.00")


def test_insert_row_then_writes_nothing_when_the_first_row_clashes(make_training, person):
    training = make_training()
    then(training, person)
    Entry.delete().execute()
    assert then(training, person, Decimal("1.00")) is None
    assert Attendance.select().count() == 1 and Entry.select().count() == 0


def test_insert_row_then_is_all_or_nothing(make_training, person):
    """A second row the database refuses (negative hours break a CHECK) takes the first with it."""
    training = make_training()
    with pytest.raises(IntegrityError):
        with db.atomic():
            then(training, person, Decimal("-1.00"))
    assert Attendance.select().count() == 0 and Entry.select().count() == 0


# ------------------------------------------------------------------ hydrate

def test_hydrate_matches_peewee_row_reading(make_training):
    training = make_training(latitude=30.5, longitude=None, checkout_required=True)
    fast = load_training(training.id)
    slow = Training.get_by_id(training.id)
    assert fast.__data__ == slow.__data__
    assert isinstance(fast.start_at, datetime.datetime) and fast.checkout_required is True
    assert fast._category_name == "业务技能"
    assert load_training(training.id + 1000) is None


def test_hydrate_reads_a_row_from_an_offset(person):
    rows = select_rows("test_user_pair", lambda: User.select(User, User).where(User.id == 0),
                       (person.id,))
    twice = rows[0] + rows[0]
    assert hydrate(User, twice, width(User)).__data__ == User.get_by_id(person.id).__data__


def test_hydrated_instances_save_like_loaded_ones(person):
    user = hydrate(User, select_rows("test_user", lambda: User.select().where(User.id == 0),
                                     (person.id,))[0])
    user.name = "改过的名字"
    user.save()
    assert User.get_by_id(person.id).name == "改过的名字"


# ------------------------------------------------------------------ the SQLite writer queue

def test_writer_queue_nests_and_queues_threads_and_processes():
    path = os.path.join(tempfile.mkdtemp(), "w.lock")
    queue = WriterQueue(path)
    order = []

    def other():
        with queue:
            order.append("other")

    with queue:
        with queue:  # nested: no deadlock, still held
            pass
        # Another open file (as another process has) cannot take the lock now.
        fd = os.open(path, os.O_RDWR)
        with pytest.raises(BlockingIOError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        thread = threading.Thread(target=other)
        thread.start()
        time.sleep(0.05)
        order.append("first")
    thread.join(5)
    assert order == ["first", "other"]
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free once every holder has left
    os.close(fd)


def test_write_transaction_rolls_back_and_lets_go(make_training, person):
    training = make_training()
    with pytest.raises(RuntimeError):
        with db_module.write_transaction():
            insert_row(Attendance, attendance_values(training, person))
            raise RuntimeError("boom")
    assert Attendance.select().count() == 0
    with db_module.write_transaction():  # the queue was let go
        insert_row(Attendance, attendance_values(training, person))
    assert Attendance.select().count() == 1


# ------------------------------------------------------------------ the PostgreSQL pool

@pytest.mark.skipif(os.environ.get("TEST_ENGINE", "sqlite") != "postgres",
                    reason="the PostgreSQL pool")
def test_pool_pings_only_connections_idle_for_a_while(monkeypatch):
    assert is_postgres()
    pool = db.obj
    pings = []
    real = type(pool).__mro__[1]._is_closed

    def counting(self, conn):
        pings.append(conn)
        return real(self, conn)

    monkeypatch.setattr(type(pool).__mro__[1], "_is_closed", counting)
    db.close()
    db.connect()
    db.close()
    db.connect()  # handed back a moment ago: no round trip
    assert pings == []
    db.close()
    monkeypatch.setattr(pool, "PING_AFTER", 0.0)
    db.connect()  # idle "too long": checked with a round trip
    assert len(pings) == 1
    db.execute_sql("SELECT 1")
