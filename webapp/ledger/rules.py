"""A county's ledger rules for a year: the daily public-service cap, outside learning, reviews."""
from decimal import Decimal

from flask_babel import format_date
from flask_babel import gettext as _
from peewee import IntegrityError, fn

from ..access import audit, changed, snapshot
from ..db import db, write_transaction
from ..errors import DomainError
from ..i18n import fmt_hours
from ..inputs import decimal_or_none
from .forms import normal
from .models import Entry, ReviewRule

DEFAULT_DAY_CAP = Decimal("8")
COUNTS_TOWARD_CAP = ("pending", "approved", "recorded")


def rule_for(county_id, year):
    """Return the county's rule for the year, or an unsaved one with the defaults."""
    rule = ReviewRule.get_or_none(ReviewRule.county == county_id, ReviewRule.year == year)
    return rule or ReviewRule(county=county_id, year=year)


def day_total(user_id, day, exclude_id=None):
    """Sum the public-service hours the day already carries (pending, approved, recorded)."""
    query = Entry.select(fn.COALESCE(fn.SUM(Entry.hours), 0)).where(
        Entry.user == user_id, Entry.kind == "public_service", Entry.date == day,
        Entry.status.in_(COUNTS_TOWARD_CAP))
    if exclude_id:
        query = query.where(Entry.id != exclude_id)
    return Decimal(str(query.scalar() or 0))


def check_day_cap(user, day, hours, exclude_id=None):
    """Refuse public-service hours beyond what the county lets one day carry."""
    cap = Decimal(str(rule_for(user.county_id, day.year).max_public_hours_per_day))
    already = day_total(user.id, day, exclude_id)
    if already + hours > cap:
        left = max(Decimal(0), cap - already)
        if not already:
            raise DomainError(_("A day can carry at most %(cap)s hours of public service.",
                                cap=fmt_hours(cap)), field="hours")
        raise DomainError(_("A day can carry at most %(cap)s hours of public service. "
                            "%(date)s already has %(done)s, so at most %(left)s more.",
                            cap=fmt_hours(cap), date=format_date(day, "long"),
                            done=fmt_hours(already), left=fmt_hours(left)), field="hours")


def clean_rule(data):
    """Validate the county rules form."""
    cap = clean_hours_value(data.get("max_public_hours_per_day"), "max_public_hours_per_day",
                            Decimal("0.25"), Decimal(24))
    outside = clean_hours_value(data.get("outside_education_cap"), "outside_education_cap",
                                Decimal(0), Decimal(40))
    truthy = ("1", "on", "true", "yes")
    return {
        "max_public_hours_per_day": cap,
        "outside_education_cap": outside,
        "education_needs_evidence": str(data.get("education_needs_evidence", "")) in truthy,
        "director_reviews": str(data.get("director_reviews", "")) in truthy,
    }


def clean_hours_value(value, field, low, high):
    """Return hours between low and high in quarter hours, or raise DomainError."""
    hours = decimal_or_none(normal(value).replace(",", "."))
    if hours is None or hours < low or hours > high or (hours * 4) % 1:
        raise DomainError(_("Give a number of hours between %(low)s and %(high)s, in quarter "
                            "hours.", low=fmt_hours(low), high=fmt_hours(high)), field=field)
    return hours.quantize(Decimal("0.01"))


def save_rule(actor, county, year, clean):
    """Create or update the county's rules for a year."""
    with write_transaction():
        rule = ReviewRule.get_or_none(ReviewRule.county == county.id, ReviewRule.year == year)
        before = snapshot(rule, clean) if rule is not None else {}
        if rule is None:
            try:
                with db.atomic():
                    rule = ReviewRule.create(county=county, year=year, **clean)
            except IntegrityError:
                rule = ReviewRule.get(ReviewRule.county == county.id, ReviewRule.year == year)
        for key, value in clean.items():
            setattr(rule, key, value)
        rule.save()
        audit(actor, "review_rule.save", rule, county,
              {"year": year, **clean, "changes": changed(before, snapshot(rule, clean))})
    return rule
