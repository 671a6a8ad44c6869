"""Idempotency and the day's cap hold under concurrent requests (threads, real connections)."""
import threading
from decimal import Decimal

import pytest

from tests.helpers import key, signed_in
from webapp.accounts.models import AuditEvent, Notification
from webapp.i18n import local_today
from webapp.ledger.models import Entry

THREADS = 6


def run_together(calls):
    """Run the callables at the same moment in threads; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)
    errors = []

    def worker(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return results


@pytest.fixture
def person(make_user):
    return make_user("practitioner")


def test_identical_concurrent_submissions_make_one_entry(app, person):
    data = {"date": local_today().isoformat(), "hours": "2", "category": "consultation",
            "idempotency_key": key()}
    clients = [signed_in(app, person) for _ in range(THREADS)]
    responses = run_together([lambda c=c: c.post("/ledger/new/public_service", data)
                              for c in clients])
    assert {r.status_code for r in responses} == {303}
    assert len({r.headers["Location"] for r in responses}) == 1
    assert Entry.select().count() == 1


def test_identical_concurrent_outbox_retries_make_one_entry(app, person):
    data = {"date": local_today().isoformat(), "hours": "1.5", "category": "publicity",
            "idempotency_key": key()}
    clients = [signed_in(app, person) for _ in range(THREADS)]
    responses = run_together([
        lambda c=c: c.post("/ledger/new/public_service", data,
                           headers={"Accept": "application/json"}) for c in clients])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * (THREADS - 1) + [201]
    assert len({r.get_json()["id"] for r in responses}) == 1
    assert Entry.select().count() == 1


def test_the_day_cap_holds_under_concurrent_entries(app, person):
    clients = [signed_in(app, person) for _ in range(THREADS)]
    day = local_today().isoformat()
    responses = run_together([
        lambda c=c: c.post("/ledger/new/public_service", {
            "date": day, "hours": "3", "category": "mediation", "idempotency_key": key()})
        for c in clients])
    assert sorted(r.status_code for r in responses) == [303, 303] + [400] * (THREADS - 2)
    total = sum((e.hours for e in Entry.select()), Decimal(0))
    assert total == Decimal(6)


def test_two_reviewers_deciding_at_once_decide_once(app, make_user, person):
    signed_in(app, person).post("/ledger/new/public_service", {
        "date": local_today().isoformat(), "hours": "2", "category": "mediation",
        "idempotency_key": key()})
    entry = Entry.get()
    admins = [signed_in(app, make_user("county_admin")) for _ in range(4)]
    responses = run_together(
        [lambda a=a: a.post(f"/ledger/review/{entry.id}/approve") for a in admins[:2]] +
        [lambda a=a: a.post(f"/ledger/review/{entry.id}/decline", {"reason": "重复"})
         for a in admins[2:]])
    assert sorted(r.status_code for r in responses) == [303, 409, 409, 409]
    assert AuditEvent.select().count() == 1
    assert Notification.select().count() == 1
    assert Entry.get_by_id(entry.id).status in ("approved", "declined")
