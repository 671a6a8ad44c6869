"""Training rules: who a training is for, and creating, changing and cancelling trainings."""
import datetime
import secrets
from decimal import Decimal

from flask_babel import gettext as _

from ..access import audit, changed, snapshot
from ..accounts.models import Firm, Region, RoleGrant, User
from ..db import db, utcnow
from ..errors import DomainError
from ..hours import QUARTER
from ..i18n import to_local
from ..inputs import clean_text, parse_decimal
from . import geo
from .models import Training, TrainingFirm, TrainingPerson


# ------------------------------------------------------------------ audiences and lists

def for_person(user):
    """Trainings whose audience includes the person (county/city-wide, their firm, or them)."""
    regions = [user.county_id] if user.county_id else []
    if user.county_id:
        parent = Region.select(Region.parent).where(Region.id == user.county_id).scalar()
        if parent:
            regions.append(parent)
    in_firms = TrainingFirm.select(TrainingFirm.training).where(TrainingFirm.firm == user.firm_id)
    in_people = TrainingPerson.select(TrainingPerson.training).where(TrainingPerson.user == user.id)
    return Training.select().where(
        ((Training.audience == "region") & Training.organiser.in_(regions or [0]))
        | ((Training.audience == "firms") & Training.id.in_(in_firms))
        | ((Training.audience == "people") & Training.id.in_(in_people)))


def runs_on(training, day):
    """Say whether a training runs on a local day: one that began before midnight and goes on
    after it is that day's too (the home still offers its check-in)."""
    return to_local(training.start_at).date() <= day <= to_local(training.end_at).date()


def upcoming_for(user, now, days=7, ended_since=None):
    """The person's scheduled trainings from now (or still running) to `days` ahead.

    `ended_since` also keeps those that ended after it (the home keeps today's).
    """
    return (for_person(user)
            .where(Training.status == "scheduled", Training.end_at >= (ended_since or now),
                   Training.start_at <= now + datetime.timedelta(days=days))
            .order_by(Training.start_at))


def for_regions(county_ids, city_id=None):
    """Trainings organised by these counties (and the city, if given)."""
    ids = list(county_ids) + ([city_id] if city_id else [])
    return Training.select().where(Training.organiser.in_(ids or [0]))


def managed(actor):
    """Trainings an administrator may see and manage: their region's (a city's and its counties')."""
    if actor is None or actor.role not in ("county_admin", "city_admin"):
        return Training.select().where(False)
    city = actor.grant.region_id if actor.role == "city_admin" else None
    return for_regions(actor.county_ids(), city)


def organiser_region(actor):
    """Return the region an administrator organises trainings for."""
    return Region.get_by_id(actor.grant.region_id)


def in_audience(training, user):
    """Say whether the person is in the training's audience."""
    if training.audience == "region":
        if user.county_id is None:
            return False
        if user.county_id == training.organiser_id:
            return True  # the common case needs no query
        return Region.select().where(Region.id == user.county_id,
                                     Region.parent == training.organiser_id).exists()
    if training.audience == "firms":
        return user.firm_id is not None and TrainingFirm.select().where(
            TrainingFirm.training == training.id, TrainingFirm.firm == user.firm_id).exists()
    return TrainingPerson.select().where(TrainingPerson.training == training.id,
                                         TrainingPerson.user == user.id).exists()


def audience_people(training):
    """Active practitioners the training expects."""
    query = (User.select().where(User.active == True, User.firm.is_null(False),  # noqa: E712
                                 User.id.in_(RoleGrant.select(RoleGrant.user)
                                             .where(RoleGrant.role == "practitioner"))))
    if training.audience == "firms":
        return query.where(User.firm.in_(
            TrainingFirm.select(TrainingFirm.firm).where(TrainingFirm.training == training.id)))
    if training.audience == "people":
        return query.where(User.id.in_(
            TrainingPerson.select(TrainingPerson.user).where(TrainingPerson.training == training.id)))
    counties = Region.select(Region.id).where(
        (Region.id == training.organiser_id) | (Region.parent == training.organiser_id))
    return query.where(User.county.in_(counties))




# ------------------------------------------------------------------ creating trainings

def _int_field(data, name, default, low, high, label):
    raw = str(data.get(name, "") or "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or not (low <= int(raw) <= high):
        raise DomainError(_("%(label)s must be a whole number from %(a)d to %(b)d.",
                            label=label, a=low, b=high), field=name)
    return int(raw)


def clean_training(data, categories, firms, people, to_utc):
    """Validate a training form; return a dict of clean values or raise DomainError.

    `firms` and `people` are the choices the admin may pick from; `to_utc` converts a naive local
    datetime to naive UTC.
    """
    title = clean_text(data.get("title"), "title", _("the title"), 200, required=True,
                       missing=_("Fill in the title."),
                       too_long=_("The title is too long (at most 200 characters)."))
    category = next((c for c in categories if str(c.id) == str(data.get("category_id") or "")), None)
    if category is None:
        raise DomainError(_("Choose a category."), field="category_id")
    try:
        day = datetime.date.fromisoformat((data.get("date") or "").strip())
    except ValueError:
        raise DomainError(_("Enter the date of the training."), field="date") from None
    try:
        start = datetime.time.fromisoformat((data.get("start") or "").strip())
        end = datetime.time.fromisoformat((data.get("end") or "").strip())
    except ValueError:
        raise DomainError(_("Enter the start and end times, like 09:00 and 12:00."),
                          field="start") from None
    if end <= start:
        raise DomainError(_("The end time must be after the start time."), field="end")
    place = clean_text(data.get("place"), "place", _("the place"), 200,
                       too_long=_("The place is too long (at most 200 characters)."))
    credit_message = _("Credit hours must be between 0.25 and 24, in quarter hours.")
    credit = parse_decimal(data.get("credit_hours"), "credit_hours", _("Credit hours"), QUARTER,
                           Decimal(24), step=QUARTER, required=True, invalid=credit_message,
                           missing=credit_message)
    latitude, longitude = clean_venue(data.get("latitude"), data.get("longitude"))
    audience = data.get("audience") or "region"
    if audience not in ("region", "firms", "people"):
        raise DomainError(_("Choose who the training is for."), field="audience")
    chosen_firms, chosen_people = [], []
    if audience == "firms":
        wanted = set(map(str, _getlist(data, "firm_ids")))
        chosen_firms = [f for f in firms if str(f.id) in wanted]
        if not chosen_firms or len(chosen_firms) != len(wanted):
            raise DomainError(_("Choose at least one firm from the list."), field="firm_ids")
    if audience == "people":
        wanted = set(map(str, _getlist(data, "person_ids")))
        chosen_people = [p for p in people if str(p.id) in wanted]
        if not chosen_people or len(chosen_people) != len(wanted):
            raise DomainError(_("Choose at least one person from the list."), field="person_ids")
    clean = {
        "title": title, "category": category, "place": place, "credit_hours": credit,
        "latitude": latitude, "longitude": longitude,
        "start_at": to_utc(datetime.datetime.combine(day, start)),
        "end_at": to_utc(datetime.datetime.combine(day, end)),
        "audience": audience, "firms": chosen_firms, "people": chosen_people,
        "checkout_required": str(data.get("checkout_required", "")).lower() in ("1", "on", "true", "yes"),
        "checkin_opens_before": _int_field(data, "checkin_opens_before", 30, 0, 240,
                                           _("Check-in opens before start (minutes)")),
        "checkin_closes_after": _int_field(data, "checkin_closes_after", 30, 0, 240,
                                           _("Check-in closes after start (minutes)")),
        "late_after": _int_field(data, "late_after", 10, 0, 240, _("Late after (minutes)")),
        "checkout_opens_before": _int_field(data, "checkout_opens_before", 15, 0, 240,
                                            _("Check-out opens before end (minutes)")),
        "checkout_closes_after": _int_field(data, "checkout_closes_after", 60, 0, 240,
                                            _("Check-out closes after end (minutes)")),
        "rotation_seconds": _int_field(data, "rotation_seconds", 10, 5, 60,
                                       _("Code changes every (seconds)")),
    }
    if clean["late_after"] > clean["checkin_closes_after"]:
        raise DomainError(_("“Late after” cannot be later than check-in closes."), field="late_after")
    return clean


def clean_venue(latitude, longitude):
    """Validate the venue's optional position; return (latitude, longitude), both None if empty.

    A pair pasted whole into the latitude box ("31.2304, 121.4737") is split.
    """
    lat_text = " ".join(str(latitude or "").split())
    lng_text = " ".join(str(longitude or "").split())
    if not lng_text and ("," in lat_text or "，" in lat_text):
        lat_text, _sep, lng_text = lat_text.replace("，", ",").partition(",")
        lat_text, lng_text = lat_text.strip(), lng_text.strip()
    if not lat_text and not lng_text:
        return None, None
    if not lat_text or not lng_text:
        raise DomainError(_("Enter both the latitude and the longitude, or leave both empty."),
                          field="latitude" if not lat_text else "longitude")
    lat, lng = geo.finite_number(lat_text), geo.finite_number(lng_text)
    if lat is None or not -90 <= lat <= 90:
        raise DomainError(_("The latitude must be a number from -90 to 90, like 31.2304."),
                          field="latitude")
    if lng is None or not -180 <= lng <= 180:
        raise DomainError(_("The longitude must be a number from -180 to 180, like 121.4737."),
                          field="longitude")
    return round(lat, 6), round(lng, 6)


def _getlist(data, name):
    return data.getlist(name) if hasattr(data, "getlist") else list(data.get(name) or [])


def save_training(actor, region, clean, training=None):
    """Create or update a training with its audience."""
    fields = {k: v for k, v in clean.items() if k not in ("firms", "people")}
    detail = {}
    with db.atomic():
        if training is None:
            training = Training.create(organiser=region, created_by=actor,
                                       secret=secrets.token_hex(32), **fields)
            action = "training.create"
        else:
            before = dict(snapshot(training, fields), firms=sorted(
                r.firm_id for r in TrainingFirm.select().where(TrainingFirm.training == training)),
                people=sorted(r.user_id for r in TrainingPerson.select().where(
                    TrainingPerson.training == training)))
            for key, value in fields.items():
                setattr(training, key, value)
            detail["changes"] = changed(before, dict(
                snapshot(training, fields), firms=sorted(f.id for f in clean["firms"]),
                people=sorted(p.id for p in clean["people"])))
            training.updated_at = utcnow()
            training.save()
            TrainingFirm.delete().where(TrainingFirm.training == training).execute()
            TrainingPerson.delete().where(TrainingPerson.training == training).execute()
            action = "training.update"
        for firm in clean["firms"]:
            TrainingFirm.create(training=training, firm=firm)
        for person in clean["people"]:
            TrainingPerson.create(training=training, user=person)
        audit(actor, action, training, training.organiser_id, {"title": training.title, **detail})
    return training


def cancel_training(actor, training):
    """Cancel a training (kept, shown as cancelled; scans are refused)."""
    if training.status == "cancelled":
        raise DomainError(_("This training is already cancelled."))
    with db.atomic():
        training.status, training.updated_at = "cancelled", utcnow()
        training.save(only=[Training.status, Training.updated_at])
        audit(actor, "training.cancel", training, training.organiser_id,
              {"title": training.title})
    return training


def firm_choices(actor):
    """Firms an administrator may put in an audience."""
    return list(Firm.select().where(Firm.county.in_(actor.county_ids() or [0]),
                                    Firm.active == True).order_by(Firm.name))  # noqa: E712
