"""The demo's shared state: its random source, its calendar, and the story's own clock.

The services stamp what they write with the present moment. The demo tells a year that has
already happened, so after each service call it moves those stamps back to when the story
says the thing happened: `backdate` for a row it knows, `happened_at` for the notifications a
service wrote on the side. Audit events are never moved (the trail is append-only):
`happened_at` has them written with the story's moment in the first place. Only stamps move;
no rule is recomputed here.
"""
import calendar
import contextlib
import datetime
import random

from peewee import fn

from ..access import recorded_as
from ..accounts.models import Notification
from ..i18n import to_utc
from .data import PHONE_PREFIXES

DAY = datetime.timedelta(days=1)


class Story:
    """The year being told: today, its calendar, and everything built so far."""

    def __init__(self, today):
        self.rng = random.Random(2026)
        self.today = today
        self.year = today.year
        self.jan1 = datetime.date(self.year, 1, 1)
        self.dec31 = datetime.date(self.year, 12, 31)
        self.days_in_year = 366 if calendar.isleap(self.year) else 365
        self.elapsed = ((today - self.jan1).days + 1) / self.days_in_year
        # Everything generated happened before today began, so nothing lies in the future.
        self.cutoff = self.utc(today, 0, 0)
        self.since = today - datetime.timedelta(days=365)
        self.created = self.utc(self.since - datetime.timedelta(days=40), 10, 0)
        self.phones = set()
        self.licence_seq = {}
        self._last_ids = {Notification: Notification.select(fn.MAX(Notification.id)).scalar() or 0}

    # -- the calendar ---------------------------------------------------------

    @staticmethod
    def utc(day, hour, minute=0):
        """The stored (naive UTC) form of a local time on a day."""
        return to_utc(datetime.datetime.combine(day, datetime.time(hour, minute)))

    def before_cutoff(self, moment):
        if moment < self.cutoff:
            return moment
        return self.cutoff - datetime.timedelta(minutes=self.rng.randint(20, 600))

    @staticmethod
    def weekday_back(day):
        while day.weekday() >= 5:
            day -= DAY
        return day

    @staticmethod
    def weekday_forward(day):
        while day.weekday() >= 5:
            day += DAY
        return day

    def random_day(self, first, last, weekend_ok=0.15):
        span = (last - first).days
        day = first
        for _ in range(4):
            day = first + datetime.timedelta(days=self.rng.randint(0, span))
            if day.weekday() < 5 or self.rng.random() < weekend_ok:
                break
        return day

    def self_created(self, day):
        """When a person logs an entry: the evening of the day or within a few days."""
        moment = self.utc(day, self.rng.randint(17, 21), self.rng.choice([0, 10, 25, 40, 55]))
        moment += datetime.timedelta(days=self.rng.choice([0, 0, 0, 1, 1, 2, 3]))
        return self.before_cutoff(moment)

    def later(self, moment, low_hours, high_hours):
        """A moment some hours after another, but before today."""
        return self.before_cutoff(
            moment + datetime.timedelta(hours=self.rng.randint(low_hours, high_hours)))

    # -- made-up identifiers ----------------------------------------------------

    def phone(self):
        while True:
            phone = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randint(0, 99_999_999):08d}"
            if phone not in self.phones and not phone.startswith("1390000"):
                self.phones.add(phone)
                return phone

    def licence(self, county, year):
        key = (county["code"], year)
        self.licence_seq[key] = (self.licence_seq.get(key, self.rng.randint(3, 40))
                                 + self.rng.randint(1, 9))
        return f"{county['code']}{year}{self.licence_seq[key]:04d}"

    def address(self):
        return f"10.36.{self.rng.randint(1, 8)}.{self.rng.randint(10, 250)}"

    # -- the story's clock ------------------------------------------------------

    @staticmethod
    def backdate(model, row_id, **stamps):
        """Give a row the story's times (created_at, updated_at, reviewed_at, ...)."""
        model.update(**stamps).where(model.id == row_id).execute()

    @contextlib.contextmanager
    def happened_at(self, moment, read_after=None):
        """Date the audit events and notifications written inside the block at `moment`.

        Audit events are append-only, so they are written with the moment and an address;
        the notifications are dated afterwards. With `read_after` (a timedelta), the
        notifications count as read that long after.
        """
        with recorded_as(moment, self.address()):
            yield
        stamps = {"created_at": moment}
        if read_after is not None:
            stamps["read_at"] = min(moment + read_after, self.cutoff)
        last = self._last_ids[Notification]
        if Notification.update(**stamps).where(Notification.id > last).execute():
            self._last_ids[Notification] = Notification.select(fn.MAX(Notification.id)).scalar()
