"""Targets and progress: the person's year, expected-by-now, status words, what counts."""
import datetime
from decimal import Decimal

import pytest

from webapp.ledger.models import Entry, ReviewRule
from webapp.targets import services
from webapp.targets.models import Target

D = Decimal
date = datetime.date


# ------------------------------------------------------------------ period

def test_period_of_a_full_year():
    assert services.period(2026, date(2026, 7, 2)) == (
        date(2026, 1, 1), date(2026, 12, 31), 183, 365, D(1))


@pytest.mark.parametrize("today,elapsed", [
    (date(2026, 1, 1), 1),
    (date(2026, 12, 31), 365),
    (date(2025, 12, 31), 0),          # the year has not begun
    (date(2027, 1, 1), 365),          # the year is over
])
def test_period_at_the_year_boundaries(today, elapsed):
    assert services.period(2026, today)[2:4] == (elapsed, 365)


@pytest.mark.parametrize("today,elapsed", [
    (date(2028, 2, 28), 59), (date(2028, 2, 29), 60), (date(2028, 3, 1), 61),
    (date(2028, 12, 31), 366),
])
def test_period_in_a_leap_year(today, elapsed):
    start, end, got, total, share = services.period(2028, today)
    assert (got, total, share) == (elapsed, 366, D(1))


def test_period_of_a_person_licensed_during_the_year():
    start, end, elapsed, total, share = services.period(2026, date(2026, 7, 2),
                                                        datetime.datetime(2026, 7, 1, 9, 30))
    assert (start, end, elapsed, total) == (date(2026, 7, 1), date(2026, 12, 31), 2, 184)
    assert share == D(184) / D(365)
    # Before the licence date nothing has elapsed yet.
    assert services.period(2026, date(2026, 6, 30), date(2026, 7, 1))[2] == 0


def test_period_of_a_leap_year_licence():
    start, _end, elapsed, total, share = services.period(2028, date(2028, 3, 1), date(2028, 2, 29))
    assert (start, elapsed, total, share) == (date(2028, 2, 29), 2, 307, D(307) / D(366))


@pytest.mark.parametrize("licensed,total,share", [
    (date(2020, 5, 1), 365, D(1)),             # licensed in an earlier year: the whole year
    (date(2026, 1, 1), 365, D(1)),
    (date(2026, 12, 31), 1, D(1) / D(365)),
    (date(2027, 3, 1), 0, D(0)),               # licensed only next year: nothing expected
])
def test_period_licence_edges(licensed, total, share):
    _start, _end, elapsed, got_total, got_share = services.period(2026, date(2026, 12, 31),
                                                                  licensed)
    assert (got_total, got_share, elapsed) == (total, share, total)


# ------------------------------------------------------------------ status words

@pytest.mark.parametrize("done,target,expected,recent,recent_days,remaining,status", [
    (D(40), D(40), D(50), D(0), 90, 100, "done"),          # reaching the target is done
    (D(41), D(40), D(50), D(0), 90, 0, "done"),
    (D(0), D(0), D(0), D(0), 90, 0, "done"),               # nothing asked
    (D("39.75"), D(40), D("39.75"), D(0), 90, 0, "on_track"),   # exactly on pace
    (D(20), D(40), D("19.75"), D(0), 90, 100, "on_track"),
    (D(10), D(20), D(12), D(9), 90, 100, "behind"),        # the pace just reaches 20
    (D(10), D(20), D(12), D(9), 90, 99, "at_risk"),        # ... and just misses it
    (D(0), D(20), D(1), D(0), 90, 300, "at_risk"),         # nothing lately
    (D(0), D(1), D("0.5"), D(1), 0, 1, "behind"),          # no recent days counts as one
])
def test_status_at_every_boundary(done, target, expected, recent, recent_days, remaining,
                                  status):
    assert services.status_for(done, target, expected, recent, recent_days, remaining) == status


def test_progress_row_percentages():
    row = services.Progress("education_hours", D(30), D(0), D(40), D(20), "on_track", "hours")
    assert (row.percent, row.pace_percent) == (75, 50)
    over = services.Progress("education_hours", D(50), D(0), D(40), D(40), "done", "hours")
    assert over.percent == 100
    nothing = services.Progress("legal_aid_cases", D(0), D(0), D(0), D(0), "done", "cases")
    assert (nothing.percent, nothing.pace_percent) == (100, 100)


# ------------------------------------------------------------------ progress from the ledger

def entry(user, kind, day, status, amount, source="self"):
    fields = {"count": amount} if kind == "legal_aid" else {"hours": D(str(amount))}
    return Entry.create(user=user, kind=kind, date=day, status=status, source=source, **fields)


TODAY = date(2026, 7, 2)        # day 183 of 365; the 90 recent days start on 4 April


@pytest.fixture
def person(make_user):
    user = make_user()
    # Public service: approved + recorded count, the rest does not.
    entry(user, "public_service", date(2026, 6, 1), "approved", 10)
    entry(user, "public_service", date(2026, 2, 1), "recorded", 5, source="system")
    entry(user, "public_service", date(2026, 6, 2), "pending", 3)
    entry(user, "public_service", date(2026, 6, 3), "declined", 7)
    entry(user, "public_service", date(2026, 6, 4), "withdrawn", 2)
    entry(user, "public_service", date(2025, 12, 31), "approved", 30)   # last year
    entry(user, "public_service", date(2027, 1, 1), "approved", 30)     # next year
    # Legal aid counts cases, not hours.
    entry(user, "legal_aid", date(2026, 5, 1), "approved", 3)
    entry(user, "legal_aid", date(2026, 5, 2), "pending", 1)
    # Education: outside learning is capped; training credits are not.
    entry(user, "education", date(2026, 3, 1), "approved", 15)
    entry(user, "education", date(2026, 6, 10), "approved", 10)
    entry(user, "education", date(2026, 6, 11), "pending", 4)
    entry(user, "training_credit", date(2026, 6, 20), "recorded", 8, source="system")
    return user


def by_metric(rows):
    return {row.metric: row for row in rows}


def test_progress_counts_approved_and_recorded_only(person, make_user):
    make_user()  # someone else with nothing
    other = make_user()
    entry(other, "public_service", date(2026, 6, 1), "approved", 99)
    rows = by_metric(services.progress_for([person], 2026, TODAY, cap=D(20))[person.id])
    public = rows["public_service_hours"]
    assert (public.done, public.pending, public.target, public.expected) == (
        D(15), D(3), D(36), D(18))
    assert public.unit == "hours"
    # 15 done, 10 of them in the last 90 days: 15 + 10/90 * 182 = 35.2 < 36.
    assert public.status == "at_risk"
    aid = rows["legal_aid_cases"]
    assert (aid.done, aid.pending, aid.target, aid.expected, aid.unit) == (
        D(3), D(1), D(5), D("2.5"), "cases")
    assert aid.status == "on_track"
    edu = rows["education_hours"]
    # min(15 + 10, cap 20) + 8 of training credit.
    assert (edu.done, edu.pending, edu.target, edu.expected) == (D(28), D(4), D(40), D(20))
    assert edu.status == "on_track"
    assert [r.metric for r in services.progress_for([person], 2026, TODAY, cap=D(20))[person.id]
            ] == list(services.PERSON_METRICS)


def test_outside_learning_cap_comes_from_the_county_rule(person, world):
    ReviewRule.create(county=world["a"], year=2026, outside_education_cap=D(5))
    edu = by_metric(services.progress_for([person], 2026, TODAY)[person.id])["education_hours"]
    assert edu.done == D(13)
    # Another year's rule does not apply; the default cap (20) does.
    ReviewRule.delete().execute()
    ReviewRule.create(county=world["a"], year=2025, outside_education_cap=D(5))
    edu = by_metric(services.progress_for([person], 2026, TODAY)[person.id])["education_hours"]
    assert edu.done == D(28)
    assert services.outside_cap(world["a"].id, 2026) == services.DEFAULT_OUTSIDE_CAP == D(20)


def test_progress_with_a_cap_larger_than_the_outside_hours(person):
    edu = by_metric(services.progress_for([person], 2026, TODAY, cap=D(100))[person.id]
                    )["education_hours"]
    assert edu.done == D(33)


def test_progress_for_a_person_licensed_this_summer(make_user):
    user = make_user(licensed_on=datetime.datetime(2026, 7, 1))
    rows = by_metric(services.progress_for([user], 2026, TODAY)[user.id])
    edu = rows["education_hours"]
    # 40 h x 184/365 = 20.16, rounded down to the quarter hour; 2 of 184 days gone.
    assert (edu.target, edu.expected, edu.done, edu.status) == (D(20), D(0), D(0), "on_track")
    assert rows["legal_aid_cases"].target == D("2.5")


def test_progress_at_the_end_of_the_year(make_user):
    user = make_user()
    entry(user, "public_service", date(2026, 12, 31), "approved", 36)
    rows = by_metric(services.progress_for([user], 2026, date(2026, 12, 31))[user.id])
    assert rows["public_service_hours"].status == "done"
    assert rows["public_service_hours"].expected == D(36)
    edu = rows["education_hours"]
    assert (edu.expected, edu.status) == (D(40), "at_risk")


def test_progress_on_new_years_day(make_user):
    user = make_user()
    rows = by_metric(services.progress_for([user], 2026, date(2026, 1, 1))[user.id])
    # 40 x 1/365 rounds down to nothing expected yet: nobody is behind on 1 January.
    assert {r.status for r in rows.values()} == {"on_track"}


def test_progress_for_nobody():
    assert services.progress_for([], 2026, TODAY) == {}


def test_status_counts(person, make_user):
    other = make_user()
    progress = services.progress_for([person, other], 2026, TODAY, cap=D(20))
    counts = services.status_counts(progress)
    assert counts["public_service_hours"] == {"done": 0, "on_track": 0, "behind": 0,
                                              "at_risk": 2}
    assert counts["education_hours"]["on_track"] == 1
    assert counts["education_hours"]["at_risk"] == 1


def test_active_practitioners(make_user):
    from webapp.accounts.models import User
    active, _gone = make_user(), make_user(active=False)
    make_user("county_admin")
    assert [u.id for u in services.active_practitioners(User.select())] == [active.id]


# ------------------------------------------------------------------ which target applies

@pytest.fixture
def scoped_targets(world):
    def add(value, region=None, firm=None, year=2026, metric="education_hours"):
        Target.create(year=year, metric=metric, region=region, firm=firm, value=D(value),
                      source=f"s{value}")
    add(41)
    add(42, region=world["city"])
    add(43, region=world["a"])
    add(44, firm=world["firm_a"])
    add(99, region=world["a"], year=2025)
    add(98, firm=world["firm_b"])
    return world


def test_most_specific_target_wins(scoped_targets):
    w = scoped_targets
    def value(**scope):
        return services.targets_for(2026, **scope)["education_hours"]
    assert value(county_id=w["a"].id, city_id=w["city"].id, firm_id=w["firm_a"].id) == (
        D(44), "s44")
    assert value(county_id=w["a"].id, city_id=w["city"].id) == (D(43), "s43")
    assert value(county_id=w["b"].id, city_id=w["city"].id) == (D(42), "s42")
    assert value() == (D(41), "s41")
    assert value(county_id=w["a"].id, city_id=w["city"].id, firm_id=w["firm_b"].id) == (
        D(98), "s98")


def test_a_city_target_beats_the_deployment_wide_one(scoped_targets):
    assert services.targets_for(2026, city_id=scoped_targets["city"].id)["education_hours"] == (
        D(42), "s42")


def test_a_county_without_its_own_target_takes_its_citys(scoped_targets):
    assert services.targets_for(2026, county_id=scoped_targets["b"].id)["education_hours"] == (
        D(42), "s42")
    assert services.targets_for(2026, county_id=scoped_targets["a"].id)["education_hours"] == (
        D(43), "s43")


def test_defaults_fill_what_no_row_sets(scoped_targets):
    targets = services.targets_for(2026, county_id=scoped_targets["a"].id)
    assert set(targets) == set(services.DEFAULTS)
    assert targets["public_service_hours"] == services.DEFAULTS["public_service_hours"]
    assert services.targets_for(2024)["education_hours"] == (D(40), "001 五(一)")


def test_progress_uses_the_citys_target(make_user, world):
    Target.create(year=2026, metric="public_service_hours", region=world["city"], value=D(48))
    user = make_user(county=world["b"])
    rows = by_metric(services.progress_for([user], 2026, date(2026, 12, 31))[user.id])
    assert rows["public_service_hours"].target == D(48)
