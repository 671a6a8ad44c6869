"""What the practitioners log themselves: public service, legal-aid cases, outside learning.

Each entry is logged through the ledger's own service (its checks, its daily cap) and then
approved (in the county administrator's twice-weekly bulk review), declined or withdrawn
through the review services, as the administrator and the person would do on their screens.
"""
import datetime
import math

from ..access import Actor
from ..accounts.models import RoleGrant
from ..errors import DomainError
from ..i18n import to_local
from ..ledger.models import Entry
from ..ledger.services import bulk_approve, create_entry, decline, withdraw_entry
from ..targets.services import ledger_totals, outside_cap
from .data import (DECLINE_NOTES, DEFAULT_PUBLIC_SERVICE_PLACE, EDUCATION, LA_WEIGHTS, LEGAL_AID,
                   PS_WEIGHTS, PUBLIC_SERVICE, PUBLIC_SERVICE_PLACES, SURNAMES)
from .story import DAY

KINDS = ["public_service", "education", "legal_aid"]
REVIEW_DAYS = (1, 4)  # Tuesday, Friday


def _reviewers(story):
    """Each county administrator, acting in their county role."""
    actors = {}
    for key, admin in story.county_admin.items():
        grant = RoleGrant.get(RoleGrant.user == admin.id, RoleGrant.role == "county_admin")
        actors[key] = Actor(user=admin, grant=grant, grants=[grant])
    return actors


def _log(story, person, kind, data, status, created):
    """Log one entry through the ledger service and take it to `status`; None if refused."""
    try:
        entry, _created = create_entry(person.user, kind, data, today=story.today)
    except DomainError:
        return None  # the day is full, for instance: the person would have logged less
    story.backdate(Entry, entry.id, created_at=created, updated_at=created)
    if status == "withdrawn":
        withdraw_entry(person.user, entry)
        story.backdate(Entry, entry.id, updated_at=story.later(created, 1, 3))
    elif status == "approved":
        story.to_approve.append((person.county["key"], entry, created))
    elif status == "declined":
        reviewed = story.later(created, 14, 170)
        with story.happened_at(reviewed):
            decline(story.reviewers[person.county["key"]], entry,
                    story.rng.choice(DECLINE_NOTES[kind]))
        story.backdate(Entry, entry.id, reviewed_at=reviewed, updated_at=reviewed)
    return entry


def approve_in_batches(story):
    """Each county administrator approves what came in on Tuesdays and Fridays, in bulk."""
    batches = {}
    for county, entry, created in story.to_approve:
        day = to_local(created).date() + DAY
        while day.weekday() not in REVIEW_DAYS:
            day += DAY
        batches.setdefault((county, day), []).append(entry.id)
    for (county, day), ids in sorted(batches.items()):
        reviewed = story.before_cutoff(story.utc(day, story.rng.randint(9, 17)))
        with story.happened_at(reviewed, read_after=datetime.timedelta(
                hours=story.rng.randint(1, 40))):
            _done, skipped = bulk_approve(story.reviewers[county], [(i, "") for i in ids])
        if skipped:
            raise RuntimeError(f"the demo's review skipped {skipped} entries")
        Entry.update(reviewed_at=reviewed, updated_at=reviewed).where(Entry.id.in_(ids)).execute()


def _public_service(story, person, first, last, hours, status="approved"):
    rng = story.rng
    remaining = round(hours * 4) / 4
    attempts = 0
    while remaining > 0 and first <= last and attempts < 200:
        attempts += 1
        cat, choices, served, templates = rng.choices(PUBLIC_SERVICE, PS_WEIGHTS)[0]
        amount = max(min(rng.choice(choices), remaining), 1)
        day = story.random_day(first, last, weekend_ok=0.3 if cat == "publicity" else 0.1)
        village = rng.choice(story.firm_places[person.firm_name])
        s1, s2 = rng.sample(SURNAMES, 2)
        template = rng.choice(templates)
        place = village if "{v}" in template else \
            PUBLIC_SERVICE_PLACES.get(cat, DEFAULT_PUBLIC_SERVICE_PLACE)
        data = {"date": day.isoformat(), "hours": str(amount), "category": cat, "place": place,
                "people_served": str(rng.randint(*served)),
                "description": template.format(v=village, s1=s1, s2=s2)}
        if _log(story, person, "public_service", data, status, story.self_created(day)):
            remaining -= amount


def _legal_aid(story, person, first, last, count, status="approved"):
    """Plan the cases: they are logged together once numbered (see log_legal_aid)."""
    rng = story.rng
    for _ in range(count if first <= last else 0):
        case_type, templates = rng.choices(LEGAL_AID, LA_WEIGHTS)[0]
        day = story.random_day(first, last, weekend_ok=0)
        span = rng.randint(15, 60) if case_type == "criminal" else rng.randint(25, 150)
        closed = day + datetime.timedelta(days=span)
        done = closed < story.today and ((story.today - day).days > 60 or rng.random() < 0.4)
        data = {"date": day.isoformat(), "case_type": case_type,
                "case_status": "closed" if done else "in_progress",
                "closed_on": closed.isoformat() if done else "",
                "description": rng.choice(templates).format(s=rng.choice(SURNAMES))}
        story.cases.append((person, data, status, story.self_created(day)))


def log_legal_aid(story):
    """Number each county's assignments in date order, then log them."""
    by_key = {}
    for case in story.cases:
        by_key.setdefault((case[0].county["aid"], case[1]["date"][:4]), []).append(case)
    for (abbr, year), cases in sorted(by_key.items()):
        number = story.rng.randint(8, 30)
        for person, data, _status, _created in sorted(cases, key=lambda c: (c[1]["date"],
                                                                            c[0].user.id)):
            number += story.rng.randint(1, 4)
            data["case_number"] = f"({year}){abbr}字第{number:04d}号"
    for person, data, status, created in sorted(story.cases, key=lambda c: c[3]):
        _log(story, person, "legal_aid", data, status, created)


def _education(story, person, first, last, hours, status="approved"):
    rng = story.rng
    remaining = hours
    while remaining >= 1 and first <= last:
        provider, topic, cat, online = rng.choice(EDUCATION)
        amount = max(1, round(min(rng.choice([2, 3, 4, 4, 6, 8]), remaining) * 2) / 2)
        day = story.random_day(first, last, weekend_ok=0.4)
        data = {"date": day.isoformat(), "hours": str(amount), "category": cat,
                "provider": provider, "topic": topic, "place": "线上" if online else "江州市"}
        _log(story, person, "education", data, status, story.self_created(day))
        remaining -= amount


MAKERS = {"public_service": _public_service, "education": _education, "legal_aid": _legal_aid}


def _goal(story, profile, target, share_elapsed, share_year):
    """Return a year-to-date amount that puts a person in the given profile."""
    rng = story.rng
    full, expected = target * share_year, target * share_elapsed
    if profile == "done" and story.elapsed >= 0.5:
        return full * rng.uniform(1.02, 1.2)
    if profile in ("done", "on_track"):
        return max(expected, min(expected * rng.uniform(1.0, 1.15), full * 0.97))
    if profile == "behind":
        return expected * rng.uniform(0.7, 0.92)
    return expected * rng.uniform(0.12, 0.4)


def _last_year(story, person, prev_end):
    """The previous calendar year's part of the window: an ordinary year's pace."""
    rng = story.rng
    first = max(story.since, person.active_from)
    if first > prev_end:
        return
    share = ((prev_end - first).days + 1) / 365
    cap = float(outside_cap(person.user.county_id, prev_end.year))
    _public_service(story, person, first, prev_end, 36 * share * rng.uniform(0.75, 1.25))
    _legal_aid(story, person, first, prev_end, round(5 * share * rng.uniform(0.6, 1.3)))
    _education(story, person, first, prev_end, cap * share * rng.uniform(0.2, 0.9))


def _this_year(story, person, approved_end, credits):
    """This year: aim each metric at the person's profile."""
    start = max(story.jan1, person.active_from)
    if start > approved_end:
        return
    share_elapsed = ((story.today - start).days + 1) / story.days_in_year
    share_year = ((story.dec31 - start).days + 1) / story.days_in_year
    goal = _goal(story, person.profile["public_service"], 36, share_elapsed, share_year)
    _public_service(story, person, start, approved_end, goal)
    profile = person.profile["legal_aid"]
    goal = _goal(story, profile, 5, share_elapsed, share_year)
    cases = math.ceil(goal) if profile in ("done", "on_track") else math.floor(goal)
    _legal_aid(story, person, start, approved_end, cases)
    goal = _goal(story, person.profile["education"], 40, share_elapsed, share_year)
    cap = float(outside_cap(person.user.county_id, story.year))
    _education(story, person, start, approved_end, min(goal - credits, cap))


def _waiting(story, person):
    """Recent entries still waiting for review."""
    rng = story.rng
    recent = max(story.today - datetime.timedelta(days=14), person.active_from)
    if recent > story.today - DAY or not (rng.random() < 0.5 or person in story.demo.values()):
        return
    for _ in range(rng.choice([1, 1, 2, 3])):
        kind = rng.choices(KINDS, [70, 15, 15])[0]
        amount = 1 if kind == "legal_aid" else rng.choice([2, 3, 4])
        MAKERS[kind](story, person, recent, story.today - DAY, amount, status="pending")


def make_self_entries(story):
    rng = story.rng
    story.reviewers = _reviewers(story)
    story.cases, story.to_approve = [], []
    # Recent weeks are still under review; early in January that would leave nothing.
    lag = 15 if (story.today - story.jan1).days > 45 else 2
    approved_end = story.today - datetime.timedelta(days=lag)
    prev_end = min(datetime.date(story.year - 1, 12, 31), story.today - DAY)
    totals = ledger_totals([p.user.id for p in story.people], story.year, story.jan1)
    for person in story.people:
        credits = float(totals.get(person.user.id, {}).get("training_credit", (0,))[0])
        _last_year(story, person, prev_end)
        _this_year(story, person, approved_end, credits)
        _waiting(story, person)

    # A few older items nobody has reviewed yet.
    older_first = max(story.since, story.today - datetime.timedelta(days=40))
    older_last = story.today - datetime.timedelta(days=20)
    if older_first <= older_last:
        for person in rng.sample(story.people, 5):
            _public_service(story, person, older_first, older_last, rng.choice([2, 3]),
                            status="pending")

    # Declined items, each with the reviewer's reason, and two withdrawn ones.
    first = max(story.since, story.today - datetime.timedelta(days=90))
    last = story.today - datetime.timedelta(days=3)
    declined = rng.sample([p for p in story.people if not p.new], 9) + [story.demo["practitioner"]]
    for person in declined:
        kind = rng.choices(KINDS, [60, 25, 15])[0]
        amount = 1 if kind == "legal_aid" else rng.choice([2, 3, 4])
        MAKERS[kind](story, person, first, last, amount, status="declined")
    for person in rng.sample([p for p in story.people if not p.new], 2):
        _public_service(story, person, first, last, 1, status="withdrawn")
    log_legal_aid(story)
    approve_in_batches(story)
