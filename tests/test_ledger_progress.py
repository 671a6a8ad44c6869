"""Progress from ledger entries (targets.services): what counts, year boundaries, leap years,
partial-year licences."""
import datetime
from decimal import Decimal

import pytest

from tests.helpers import actor_for, categories, log
from webapp.ledger import services
from webapp.ledger.models import Entry, ReviewRule
from webapp.targets.services import period, progress_for


@pytest.fixture(autouse=True)
def request_ctx(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def people(make_user):
    categories()
    return {"p": make_user("practitioner"), "admin": make_user("county_admin")}


def approved(people, kind="public_service", today=None, **form):
    entry = log(people["p"], kind, today=today or datetime.date(2026, 12, 31), **form)
    return services.approve(actor_for(people["admin"], "county_admin"), entry)


def figures(user, year, today):
    return {p.metric: p for p in progress_for([user], year, today)[user.id]}


def test_only_approved_and_system_entries_count_and_pending_is_apart(people):
    p = people["p"]
    approved(people, hours="2", date="2026-03-02")
    log(p, hours="3", date="2026-03-03", today=datetime.date(2026, 12, 31))
    withdrawn = log(p, hours="4", date="2026-03-04", today=datetime.date(2026, 12, 31))
    services.withdraw_entry(p, withdrawn)
    declined = log(p, hours="5", date="2026-03-05", today=datetime.date(2026, 12, 31))
    services.decline(actor_for(people["admin"], "county_admin"), declined, "不计入")
    Entry.create(user=p, kind="training_credit", date=datetime.date(2026, 4, 1), hours=6,
                 source="system", status="recorded")
    row = figures(p, 2026, datetime.date(2026, 12, 31))
    assert row["public_service_hours"].done == Decimal(2)
    assert row["public_service_hours"].pending == Decimal(3)
    assert row["education_hours"].done == Decimal(6)


def test_entries_count_in_their_own_year(people):
    approved(people, hours="2", date="2025-12-31")
    approved(people, hours="3", date="2026-01-01")
    approved(people, "legal_aid", date="2025-12-31")
    last = figures(people["p"], 2025, datetime.date(2025, 12, 31))
    this = figures(people["p"], 2026, datetime.date(2026, 1, 1))
    assert last["public_service_hours"].done == Decimal(2)
    assert last["legal_aid_cases"].done == Decimal(1)
    assert this["public_service_hours"].done == Decimal(3)
    assert this["legal_aid_cases"].done == Decimal(0)
    # On 1 January the year has barely begun: one day of 365 is expected.
    assert this["public_service_hours"].expected == Decimal(0)
    assert this["public_service_hours"].status == "on_track"


def test_leap_years_have_366_days(people):
    assert period(2024, datetime.date(2024, 12, 31))[3] == 366
    assert period(2025, datetime.date(2025, 12, 31))[3] == 365
    # 1 July is day 183 of 366: exactly half of the 40 hours are expected.
    leap = figures(people["p"], 2024, datetime.date(2024, 7, 1))["education_hours"]
    plain = figures(people["p"], 2025, datetime.date(2025, 7, 1))["education_hours"]
    assert leap.expected == Decimal(20)
    assert plain.expected == Decimal("19.75")
    # 29 February can be logged in a leap year.
    entry = approved(people, "education", today=datetime.date(2024, 7, 1), date="2024-02-29",
                     hours="4")
    assert entry.date == datetime.date(2024, 2, 29)
    assert figures(people["p"], 2024, datetime.date(2024, 7, 1))["education_hours"].done == 4


def test_a_partial_year_licence_prorates_the_targets(people):
    p = people["p"]
    p.licensed_on = datetime.datetime(2026, 7, 1)
    p.save()
    row = figures(p, 2026, datetime.date(2026, 10, 1))
    # 184 of 365 days licensed.
    assert row["education_hours"].target == Decimal(20)
    assert row["public_service_hours"].target == Decimal(18)
    assert row["legal_aid_cases"].target == Decimal("2.5")
    # 93 of those 184 days have passed by 1 October.
    assert row["education_hours"].expected == Decimal(10)
    before = figures(p, 2026, datetime.date(2026, 6, 1))["education_hours"]
    assert before.expected == Decimal(0)
    # Licensed in an earlier year: the whole year counts.
    assert figures(p, 2027, datetime.date(2027, 12, 31))["education_hours"].target == Decimal(40)


def test_outside_learning_counts_up_to_the_county_cap(people, world):
    ReviewRule.create(county=world["a"], year=2026, outside_education_cap=10)
    for day in ("2026-02-01", "2026-02-02"):
        approved(people, "education", hours="8", date=day)
    Entry.create(user=people["p"], kind="training_credit", date=datetime.date(2026, 4, 1),
                 hours=6, source="system", status="recorded")
    row = figures(people["p"], 2026, datetime.date(2026, 12, 31))["education_hours"]
    assert row.done == Decimal(16)        # 10 of the 16 outside hours, plus 6 from a training


def test_reaching_the_target_is_done(people):
    for n in range(5):
        approved(people, "legal_aid", date=f"2026-0{n + 1}-10")
    assert figures(people["p"], 2026, datetime.date(2026, 6, 1))["legal_aid_cases"].status == "done"
