"""The demo's trainings: a year of them with their attendance, and the ones still to come.

Attendance goes through the check-in services at the scan times of the story, so the hours
credited and the ledger entries they give are the trainings package's own.
"""
import datetime
from decimal import Decimal

from ..ledger.models import Entry
from ..trainings.models import Attendance, Training, TrainingCategory
from ..checkin import pipeline
from ..checkin.outcomes import CHECKED_IN, CHECKED_OUT
from ..trainings.attendance import correct_times, excuse, mark_present
from ..trainings.categories import ensure_categories
from ..trainings.services import cancel_training, save_training
from .data import (ATTEND_PROB, CITY_PLACES, COUNTIES, JOINT_ROOM, LEFT_EARLY_REASON,
                   PAST_TRAININGS, STAFF_MARK_REASONS, TRAINING_EXCUSES, UPCOMING_TRAININGS)

MINUTE = datetime.timedelta(minutes=1)


def make_trainings(story):
    ensure_categories()
    story.categories = {c.name: c for c in TrainingCategory.select()}
    for (org, title, cat, ago, start, end, credit, checkout, firms,
         cancelled) in PAST_TRAININGS:
        day = story.weekday_back(story.today - datetime.timedelta(days=ago))
        training = _training(story, org, title, cat, day, start, end, credit, checkout, firms,
                             place=JOINT_ROOM if firms else None)
        if cancelled:
            moment = story.before_cutoff(training.start_at - 2 * datetime.timedelta(days=1))
            with story.happened_at(moment):
                cancel_training(training.created_by, training)
            story.backdate(Training, training.id, updated_at=moment)
        else:
            _attendance(story, training, org, day, firms)
    story.upcoming = []
    for org, title, cat, ahead, start, end, credit, checkout in UPCOMING_TRAININGS:
        day = story.today + datetime.timedelta(days=ahead)
        if ahead:
            day = story.weekday_forward(day)
        story.upcoming.append(_training(story, org, title, cat, day, start, end, credit,
                                        checkout))


def _training(story, organiser, title, category, day, start, end, credit, checkout,
              audience_firms=None, place=None):
    rng = story.rng
    if organiser == "city":
        region, admin = story.city, story.city_admin
        place = place or rng.choice(CITY_PLACES)
    else:
        county = next(c for c in COUNTIES if c["key"] == organiser)
        region, admin = story.regions[organiser], story.county_admin[organiser]
        place = place or county["place"]
    start_at = story.utc(day, *start)
    created = story.before_cutoff(start_at - datetime.timedelta(
        days=rng.randint(8, 20), hours=rng.randint(0, 6)))
    clean = {"title": title, "category": story.categories[category], "place": place,
             "credit_hours": Decimal(credit), "start_at": start_at,
             "end_at": story.utc(day, *end), "checkout_required": checkout,
             "audience": "firms" if audience_firms else "region",
             "firms": [story.firms[name] for name in audience_firms or []], "people": []}
    with story.happened_at(created):
        training = save_training(admin, region, clean)
    story.backdate(Training, training.id, created_at=created, updated_at=created)
    return training


def _attendance(story, training, org, day, firms):
    audience = [p for p in story.people
                if (org == "city" or p.county["key"] == org)
                and (not firms or p.firm_name in firms) and p.active_from <= day]
    staff_marked = 0
    for person in audience:
        if story.rng.random() >= ATTEND_PROB[person.profile["education"]]:
            if story.rng.random() < 0.3:
                _excused(story, training, person)
            continue
        if staff_marked < 2 and story.rng.random() < 0.05:
            staff_marked += 1
            _staff_marked(story, training, person)
        else:
            _scanned(story, training, person)


def _stamp(training, row, created, updated):
    Attendance.update(created_at=created, updated_at=updated).where(
        Attendance.id == row.id).execute()
    Entry.update(created_at=updated, updated_at=updated).where(
        Entry.training == training.id, Entry.user == row.user_id).execute()


def _excused(story, training, person):
    with story.happened_at(training.start_at):
        row = excuse(training.created_by, training, person.user.id,
                     story.rng.choice(TRAINING_EXCUSES))
    _stamp(training, row, training.start_at, training.start_at)


def _staff_marked(story, training, person):
    """Someone without a working phone, checked in by the staff at the door."""
    moment = training.start_at + story.rng.randint(-10, 3) * MINUTE
    with story.happened_at(moment):
        row = mark_present(training.created_by, training, person.user.id,
                           story.rng.choice(STAFF_MARK_REASONS))
    _stamp(training, row, moment, training.end_at if training.checkout_required else moment)


def _recorded(outcome, done):
    """The row a scan wrote; the story's times sit inside the windows, so a refusal is a bug."""
    if outcome.code != done:
        raise RuntimeError(f"the demo's scan was refused: {outcome.code}")
    return outcome.row


def _scanned(story, training, person):
    """Check in (and out) by scanning at the times of the story."""
    rng = story.rng
    offset = rng.randint(11, 28) if rng.random() < 0.08 else rng.randint(-28, 6)
    checked_in = (training.start_at + offset * MINUTE
                  + datetime.timedelta(seconds=rng.randint(0, 59)))
    method = rng.choices(["qr", "code", "offline"], [84, 13, 3])[0]
    row = _recorded(pipeline.check_in(training, person.user, checked_in, method), CHECKED_IN)
    last = checked_in
    if training.checkout_required:
        roll = rng.random()
        if roll < 0.05:
            pass  # never checked out: the service leaves the row for the organisers to review
        elif roll < 0.08:
            # Left before check-out opened; the organisers entered the time they left.
            last = training.end_at - rng.randint(50, 80) * MINUTE
            with story.happened_at(story.later(training.end_at, 1, 20)):
                correct_times(training.created_by, training, row, checked_in, last,
                              LEFT_EARLY_REASON)
        else:
            last = (training.end_at + rng.randint(-12, 25) * MINUTE
                    + datetime.timedelta(seconds=rng.randint(0, 59)))
            _recorded(pipeline.check_out(training, person.user, last, "qr"), CHECKED_OUT)
    if method == "offline":
        last = checked_in + rng.randint(20, 180) * MINUTE
    _stamp(training, row, checked_in, last)
