"""Training rules: audiences, check-in windows, scans, hour crediting, staff corrections."""
import datetime
import math
import secrets
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from flask_babel import gettext as _
from peewee import IntegrityError, fn

from ..accounts.models import Firm, Region, RoleGrant, User
from ..access import audit
from ..db import (
    db, hydrate, insert_row, insert_row_then, prepared, select_rows, utcnow, width,
    write_transaction,
)
from ..errors import DomainError
from ..i18n import to_local
from . import qr
from .models import Attendance, ScanReceipt, Training, TrainingCategory, TrainingFirm, TrainingPerson

OFFLINE_MAX_DELAY = datetime.timedelta(hours=72)
OFFLINE_CLOCK_SKEW = datetime.timedelta(minutes=2)
QUARTER = Decimal("0.25")
DEFAULT_CATEGORIES = [("政治理论", "Political theory"), ("业务技能", "Professional skills"),
                      ("职业道德与执业纪律", "Ethics and discipline"), ("其他", "Other")]


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


def upcoming_for(user, now, days=7):
    """The person's scheduled trainings from now (or still running) to `days` ahead."""
    return (for_person(user)
            .where(Training.status == "scheduled", Training.end_at >= now,
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


def ensure_categories():
    """Create the shared default categories when there are no categories at all."""
    if not TrainingCategory.select().exists():
        for pos, (name, name_en) in enumerate(DEFAULT_CATEGORIES, start=1):
            TrainingCategory.create(name=name, name_en=name_en, position=pos)


# ------------------------------------------------------------------ categories
#
# Three kinds of rows: shared defaults (region NULL), a city's own (region = the city) and a
# county's own (region = the county). Together the shared and the city's rows are the
# city-wide list: every county of the city sees it, and the city administrator edits it (the
# shared defaults only while the deployment serves one city, since they belong to every
# city). A county administrator sees the city-wide list and edits their county's own rows,
# which only that county's trainings can use.

def _city_id(actor):
    if actor.role == "city_admin":
        return actor.grant.region_id
    return Region.select(Region.parent).where(Region.id == actor.grant.region_id).scalar()


def _is_admin(actor):
    return actor is not None and actor.role in ("county_admin", "city_admin")


def _one_city():
    return Region.select().where(Region.kind == "city").limit(2).count() < 2


def _own_region(actor):
    """The region a new category of this administrator belongs to: their county, or their city."""
    return actor.grant.region_id


def _ordered(rows, actor):
    """City-wide rows first, then the county's own, each by position."""
    county = actor.grant.region_id if actor.role == "county_admin" else None
    return sorted(rows, key=lambda c: (c.region_id is not None and c.region_id == county,
                                       c.position, c.id))


def visible_categories(actor):
    """Categories the administrator sees and may choose: the city-wide list and their county's."""
    if not _is_admin(actor):
        return TrainingCategory.select().where(False)
    regions = [r for r in (_city_id(actor), actor.grant.region_id) if r]
    return TrainingCategory.select().where(TrainingCategory.region.is_null()
                                           | TrainingCategory.region.in_(regions or [0]))


def editable_categories(actor):
    """Categories the administrator may change (see the note above)."""
    if not _is_admin(actor):
        return TrainingCategory.select().where(False)
    mine = TrainingCategory.region == actor.grant.region_id
    if actor.role == "city_admin" and _one_city():
        mine = mine | TrainingCategory.region.is_null()
    return TrainingCategory.select().where(mine)


def category_lists(actor):
    """Return (city-wide rows, the county's own rows), each in order, active or not."""
    rows = _ordered(visible_categories(actor), actor)
    county = actor.grant.region_id if actor.role == "county_admin" else None
    return ([c for c in rows if county is None or c.region_id != county],
            [c for c in rows if county is not None and c.region_id == county])


def county_categories(actor):
    """A city administrator's view of the counties' own categories: [(county, rows)]."""
    if actor is None or actor.role != "city_admin":
        return []
    counties = list(Region.select().where(Region.parent == actor.grant.region_id)
                    .order_by(Region.name))
    rows = list(TrainingCategory.select().where(
        TrainingCategory.region.in_([c.id for c in counties] or [0]))
        .order_by(TrainingCategory.position, TrainingCategory.id))
    return [(c, [r for r in rows if r.region_id == c.id]) for c in counties
            if any(r.region_id == c.id for r in rows)]


def form_categories(actor, training=None):
    """The categories a training form offers: the active ones the administrator sees, and the
    training's own (kept even if it was deactivated or belongs to a county's list)."""
    rows = _ordered(visible_categories(actor).where(TrainingCategory.active == True), actor)  # noqa: E712
    if training is not None and all(c.id != training.category_id for c in rows):
        rows.append(training.category)
    return rows


def category_name(category, english):
    """The category's name in the reader's language (the Chinese name when no English one)."""
    return category.name_en if english and category.name_en else category.name


def clean_category(data):
    """Validate a category form; return {'name', 'name_en'} or raise DomainError."""
    name = " ".join((data.get("name") or "").split())
    name_en = " ".join((data.get("name_en") or "").split())
    if not name:
        raise DomainError(_("Fill in the Chinese name."), field="name")
    if len(name) > 60:
        raise DomainError(_("The Chinese name is too long (at most 60 characters)."), field="name")
    if len(name_en) > 60:
        raise DomainError(_("The English name is too long (at most 60 characters)."),
                          field="name_en")
    return {"name": name, "name_en": name_en}


def _neighbours(region_id):
    """Rows that share a list with a row of this region (their names must differ)."""
    if region_id is None:
        return TrainingCategory.select()
    region = Region.get_by_id(region_id)
    if region.kind == "city":
        counties = Region.select(Region.id).where(Region.parent == region.id)
        return TrainingCategory.select().where(TrainingCategory.region.is_null()
                                               | (TrainingCategory.region == region.id)
                                               | TrainingCategory.region.in_(counties))
    return TrainingCategory.select().where(TrainingCategory.region.is_null()
                                           | TrainingCategory.region.in_(
                                               [region.id, region.parent_id or 0]))


def _check_unique(region_id, clean, category=None):
    others = [c for c in _neighbours(region_id) if category is None or c.id != category.id]
    if any(c.name.casefold() == clean["name"].casefold() for c in others):
        raise DomainError(_("There is already a category called “%(name)s”.", name=clean["name"]),
                          field="name")
    if clean["name_en"] and any(c.name_en.casefold() == clean["name_en"].casefold()
                                for c in others):
        raise DomainError(_("There is already a category called “%(name)s”.",
                            name=clean["name_en"]), field="name_en")


def _audit_region(actor, category):
    return category.region_id or actor.grant.region_id


def add_category(actor, clean):
    """Add a category to the administrator's own list (county or city), at its end."""
    region = _own_region(actor)
    with db.atomic():
        _check_unique(region, clean)
        same_list = editable_categories(actor)
        last = same_list.select(fn.MAX(TrainingCategory.position)).scalar() or 0
        category = TrainingCategory.create(region=region, position=last + 1, **clean)
        audit(actor.user, "training_category.create", category, region,
              {"name": category.name, "name_en": category.name_en})
    return category


def rename_category(actor, category, clean):
    """Change a category's Chinese and English names."""
    before = {"name": category.name, "name_en": category.name_en}
    if before == clean:
        return category
    with db.atomic():
        _check_unique(category.region_id, clean, category)
        category.name, category.name_en = clean["name"], clean["name_en"]
        category.save(only=[TrainingCategory.name, TrainingCategory.name_en])
        audit(actor.user, "training_category.rename", category, _audit_region(actor, category),
              {"before": before, "after": clean})
    return category


def move_category(actor, category, direction):
    """Move a category one place up or down among the rows the administrator edits."""
    if direction not in ("up", "down"):
        raise DomainError(_("Choose up or down."))
    with db.atomic():
        rows = _ordered(editable_categories(actor), actor)
        i = next(k for k, c in enumerate(rows) if c.id == category.id)
        j = i - 1 if direction == "up" else i + 1
        if not 0 <= j < len(rows):
            raise DomainError(_("This category is already first.") if direction == "up"
                              else _("This category is already last."))
        slots = sorted(c.position for c in rows)
        for k in range(1, len(slots)):  # strictly increasing, so equal positions still move
            slots[k] = max(slots[k], slots[k - 1] + 1)
        rows[i], rows[j] = rows[j], rows[i]
        for row, slot in zip(rows, slots):
            if row.position != slot:
                TrainingCategory.update(position=slot).where(TrainingCategory.id == row.id).execute()
        audit(actor.user, "training_category.move", category, _audit_region(actor, category),
              {"name": category.name, "direction": direction})
    return category


def set_category_active(actor, category, active):
    """Deactivate a category (trainings keep it; new ones cannot choose it) or reactivate it."""
    if category.active == active:
        return category
    with db.atomic():
        if not active and not visible_categories(actor).where(
                TrainingCategory.active == True, TrainingCategory.id != category.id).exists():  # noqa: E712
            raise DomainError(_("Keep at least one category in use, or trainings cannot be "
                                "created."))
        category.active = active
        category.save(only=[TrainingCategory.active])
        audit(actor.user, "training_category.activate" if active else "training_category.deactivate",
              category, _audit_region(actor, category), {"name": category.name})
    return category


def category_in_use(category):
    return Training.select().where(Training.category == category.id).exists()


def delete_category(actor, category):
    """Delete a category that no training uses (one that trainings use can only be deactivated)."""
    with db.atomic():
        if category_in_use(category):
            raise DomainError(_("Trainings use this category, so it cannot be deleted. "
                                "Deactivate it instead."))
        if category.active and not visible_categories(actor).where(
                TrainingCategory.active == True, TrainingCategory.id != category.id).exists():  # noqa: E712
            raise DomainError(_("Keep at least one category in use, or trainings cannot be "
                                "created."))
        audit(actor.user, "training_category.delete", category, _audit_region(actor, category),
              {"name": category.name, "name_en": category.name_en})
        try:
            with db.atomic():
                category.delete_instance()
        except IntegrityError:  # a training took it meanwhile
            raise DomainError(_("Trainings use this category, so it cannot be deleted. "
                                "Deactivate it instead.")) from None


# ------------------------------------------------------------------ windows

def checkin_window(training):
    """Return (opens, closes) of check-in."""
    return (training.start_at - datetime.timedelta(minutes=training.checkin_opens_before),
            training.start_at + datetime.timedelta(minutes=training.checkin_closes_after))


def checkout_window(training):
    """Return (opens, closes) of check-out."""
    return (training.end_at - datetime.timedelta(minutes=training.checkout_opens_before),
            training.end_at + datetime.timedelta(minutes=training.checkout_closes_after))


def window_of(training, purpose):
    return checkin_window(training) if purpose == "in" else checkout_window(training)


def window_state(training, purpose, at):
    """Return None when the window is open at `at`, else NOT_OPEN or CLOSED."""
    opens, closes = window_of(training, purpose)
    if at < opens:
        return NOT_OPEN
    if at > closes:
        return CLOSED
    return None


def is_late(training, at):
    """Say whether a check-in at `at` is late."""
    return at > training.start_at + datetime.timedelta(minutes=training.late_after)


# ------------------------------------------------------------------ outcomes

CHECKED_IN, ALREADY_IN, CHECKED_OUT, ALREADY_OUT = "checked_in", "already_in", "checked_out", "already_out"
NOT_CHECKED_IN, EXPIRED, OTHER_TRAINING, INVALID = "not_checked_in", "expired", "other_training", "invalid"
NOT_OPEN, CLOSED, NOT_AUDIENCE, CANCELLED = "not_open", "closed", "not_audience", "cancelled"
TOO_OLD, TIME_MISMATCH, EXCUSED = "too_old", "time_mismatch", "excused"
GOOD = (CHECKED_IN, ALREADY_IN, CHECKED_OUT, ALREADY_OUT)


@dataclass
class Outcome:
    """What a scan did, with what the message needs."""
    code: str
    training: Training = None
    attendance: Attendance = None
    at: datetime.datetime = None
    late: bool = False
    hours: Decimal = None
    other: Training = None

    @property
    def ok(self):
        return self.code in GOOD

    def to_dict(self):
        """Return a JSON-safe form (kept in the session for the result page, sent to the scanner)."""
        return {"code": self.code, "ok": self.ok,
                "training": self.training.id if self.training else None,
                "at": self.at.isoformat() if self.at else None, "late": self.late,
                "hours": str(self.hours) if self.hours is not None else None,
                "other": self.other.id if self.other else None}

    @classmethod
    def from_dict(cls, data):
        """Rebuild an outcome from to_dict() output (missing trainings become None)."""
        training = Training.get_or_none(Training.id == data.get("training")) if data.get("training") else None
        other = Training.get_or_none(Training.id == data.get("other")) if data.get("other") else None
        at = datetime.datetime.fromisoformat(data["at"]) if data.get("at") else None
        hours = Decimal(data["hours"]) if data.get("hours") is not None else None
        return cls(code=data.get("code", INVALID), training=training, at=at,
                   late=bool(data.get("late")), hours=hours, other=other)


def _hhmm(at):
    return to_local(at).strftime("%H:%M")


def _hours_text(hours):
    from ..i18n import fmt_hours
    return fmt_hours(hours)


def message(outcome):
    """Return the translated sentence for an outcome."""
    code = outcome.code
    if code == CHECKED_IN:
        if outcome.late:
            return _("Checked in at %(time)s — late.", time=_hhmm(outcome.at))
        return _("Checked in at %(time)s.", time=_hhmm(outcome.at))
    if code == ALREADY_IN:
        return _("You already checked in at %(time)s. Nothing has changed.", time=_hhmm(outcome.at))
    if code == CHECKED_OUT:
        return _("Checked out at %(time)s. Credited: %(hours)s hours.",
                 time=_hhmm(outcome.at), hours=_hours_text(outcome.hours))
    if code == ALREADY_OUT:
        return _("You already checked out at %(time)s. Nothing has changed.", time=_hhmm(outcome.at))
    if code == NOT_CHECKED_IN:
        return _("You have not checked in to this training, so you cannot check out. "
                 "Ask the organisers to mark you present.")
    if code == EXPIRED:
        return _("This code has expired. Scan the code on the screen again.")
    if code == OTHER_TRAINING:
        return _("This code is for another training: %(title)s.",
                 title=outcome.other.title if outcome.other else "")
    if code == NOT_OPEN:
        if outcome.at:
            return _("Not open yet. It opens at %(time)s.", time=_hhmm(outcome.at))
        return _("Not open yet.")
    if code == CLOSED:
        return _("Already closed. Ask the organisers to mark you present.")
    if code == NOT_AUDIENCE:
        return _("You are not on the list for this training. Ask the organisers if you should be.")
    if code == CANCELLED:
        return _("This training was cancelled.")
    if code == TOO_OLD:
        return _("This scan was kept on the phone for more than 72 hours and can no longer be "
                 "accepted. Ask the organisers to mark you present.")
    if code == TIME_MISMATCH:
        return _("The time of this scan does not match the code. Ask the organisers to mark you present.")
    if code == EXCUSED:
        return _("You were excused from this training.")
    return _("This code is not valid. Scan the code on the screen again.")


# ------------------------------------------------------------------ crediting

def _quarters_down(value):
    return (Decimal(value) / QUARTER).to_integral_value(rounding=ROUND_FLOOR) * QUARTER


def compute_credit(training, attendance):
    """Return (credited hours, needs review) for an attendance row."""
    if attendance.status != "present" or attendance.checked_in_at is None:
        return Decimal("0.00"), False
    credit = Decimal(training.credit_hours)
    out = attendance.checked_out_at
    if training.checkout_required and out is None:
        return Decimal("0.00"), True
    on_time = not is_late(training, attendance.checked_in_at)
    out_ok = out is None or out >= checkout_window(training)[0]
    if on_time and out_ok:
        return credit.quantize(Decimal("0.01")), False
    begin = max(attendance.checked_in_at, training.start_at)
    finish = min(out or training.end_at, training.end_at)
    overlap = max((finish - begin).total_seconds(), 0)
    duration = (training.end_at - training.start_at).total_seconds()
    share = Decimal(overlap) / Decimal(duration)
    return min(_quarters_down(credit * share), credit).quantize(Decimal("0.01")), False


def credit_key(training_id, user_id):
    return f"training:{training_id}:{user_id}"


def record_credit(training, attendance):
    """Recompute the row's credit and write it as one system ledger entry (updated, never doubled)."""
    from ..ledger.models import Entry
    hours, review = compute_credit(training, attendance)
    now = utcnow()
    (Attendance.update(credited_hours=hours, needs_review=review, updated_at=now)
     .where(Attendance.id == attendance.id).execute())
    attendance.credited_hours, attendance.needs_review = hours, review
    key = credit_key(training.id, attendance.user_id)
    updated = (Entry.update(hours=hours, updated_at=now)
               .where(Entry.idempotency_key == key).execute())
    if updated or hours <= 0:
        return hours
    # One statement, no savepoint: an entry already under this key gets the new hours.
    insert_row(Entry, _credit_entry(training, attendance, hours, now),
               conflict=("idempotency_key",), update=("hours", "updated_at"))
    return hours


def _credit_entry(training, attendance, hours, now):
    """The system ledger entry of a training credit, as insert_row's values."""
    return {"user": attendance.user_id, "kind": "training_credit",
            "date": to_local(training.start_at).date(), "hours": hours,
            "category": _category_name(training), "description": training.title,
            "place": training.place[:120], "source": "system", "training": training.id,
            "status": "recorded", "idempotency_key": credit_key(training.id, attendance.user_id),
            "created_at": now, "updated_at": now}


def _category_name(training):
    category = getattr(training, "_category_name", None)
    if category is None:
        category = TrainingCategory.select(TrainingCategory.name).where(
            TrainingCategory.id == training.category_id).scalar() or ""
    return category[:40]


def _training_query():
    return (Training.select(Training, TrainingCategory.name.alias("_category_name"))
            .join(TrainingCategory).where(Training.id == 0))


def load_training(training_id):
    """Load a training with its category name in one query (the check-in path is hot)."""
    rows = select_rows("load_training", _training_query, (int(training_id),))
    if not rows:
        return None
    training = hydrate(Training, rows[0])
    training._category_name = rows[0][width(Training)]
    return training


# ------------------------------------------------------------------ distance from the venue
#
# With the person's consent, the confirm page sends the phone's position once. It is used
# here to work out the distance to the venue and then dropped: an attendance row keeps only
# the flag 'far' and that distance rounded to 10 m, and only when it is beyond the geofence.

EARTH_RADIUS_M = 6371008.8
GEOFENCE_METRES = 500
MAX_ACCURACY_M = 1000


@dataclass
class Position:
    """A phone's position as the browser gave it (WGS-84 degrees, accuracy in metres)."""
    latitude: float
    longitude: float
    accuracy: float = 0.0


def _finite(value):
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def parse_position(latitude, longitude, accuracy=None):
    """Return a Position from form values, or None when they are missing or not a position."""
    lat, lng = _finite(latitude), _finite(longitude)
    if lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    acc = _finite(accuracy)
    return Position(lat, lng, acc if acc is not None and acc >= 0 else 0.0)


def distance_m(lat1, lng1, lat2, lng2):
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def far_from_venue(training, position, geofence=GEOFENCE_METRES):
    """Return the distance rounded to 10 m when the position is beyond the geofence, else None.

    The phone's own accuracy (at most 1 km of it) counts in the person's favour: a position
    known only to within 800 m is not called far at 1 km.
    """
    if position is None or training.latitude is None or training.longitude is None:
        return None
    metres = distance_m(training.latitude, training.longitude, position.latitude,
                        position.longitude)
    if metres - min(position.accuracy, MAX_ACCURACY_M) <= geofence:
        return None
    return int(round(metres / 10.0)) * 10


# ------------------------------------------------------------------ check-in and check-out

def _add_flag(flags, flag):
    parts = [f for f in (flags or "").split(",") if f]
    if flag not in parts:
        parts.append(flag)
    return ",".join(parts)[:200]


def _gate(training, user):
    if training.status == "cancelled":
        return Outcome(CANCELLED, training)
    if not in_audience(training, user):
        return Outcome(NOT_AUDIENCE, training)
    return None


def _device_query():
    return (Attendance.select(Attendance.id)
            .where(Attendance.training == 0, Attendance.device == "", Attendance.user != 0)
            .limit(1))


def _device_used_by_another(training_id, device, user_id):
    """Say whether another person already checked in to the training from this device."""
    sql, _params = prepared("device_used", _device_query)
    return db.execute_sql(sql, (training_id, device, user_id, 1)).fetchone() is not None


def _existing(training, user):
    return Attendance.get_or_none(Attendance.training == training.id, Attendance.user == user.id)


def check_in(training, user, at, method="qr", device="", flags="", distance=None):
    """Check the person in at `at` (the scan time); idempotent under concurrent repeats.

    `distance` is the metres from the venue of a scan flagged 'far' (see far_from_venue).
    """
    refused = _gate(training, user)
    if refused:
        return refused
    closed = window_state(training, "in", at)
    if closed:
        row = _existing(training, user)
        if row is not None and row.checked_in_at is not None:
            return Outcome(ALREADY_IN, training, row, row.checked_in_at, row.late)
        return Outcome(closed, training, at=checkin_window(training)[0] if closed == NOT_OPEN else None)
    device = (device or "")[:64]
    if device and _device_used_by_another(training.id, device, user.id):
        flags = _add_flag(flags, "shared_device")
    late = is_late(training, at)
    fresh = Attendance(training=training.id, user=user.id, checked_in_at=at, method_in=method,
                       late=late, device=device, flags=flags, distance_m=distance)
    fresh.credited_hours, fresh.needs_review = compute_credit(training, fresh)
    # The row and its credit go in together, or, on a clash on (training, person), nothing.
    if fresh.credited_hours > 0:
        from ..ledger.models import Entry
        fresh.id = insert_row_then(Attendance, fresh.__data__, ("training", "user"), Entry,
                                   _credit_entry(training, fresh, fresh.credited_hours, utcnow()),
                                   ("idempotency_key",), ("hours", "updated_at"))
    else:
        fresh.id = insert_row(Attendance, fresh.__data__, conflict=("training", "user"))
    if fresh.id is not None:
        return Outcome(CHECKED_IN, training, fresh, at, late)
    with write_transaction():
        row = _existing(training, user)
        if row.checked_in_at is not None:
            return Outcome(ALREADY_IN, training, row, row.checked_in_at, row.late)
        # An excused person who came after all: only the first request turns it present.
        taken = (Attendance.update(status="present", checked_in_at=at, method_in=method,
                                   late=late, device=device,
                                   flags=_add_flag(row.flags, flags) if flags else row.flags,
                                   distance_m=_farthest(row.distance_m, distance),
                                   updated_at=utcnow())
                 .where(Attendance.id == row.id, Attendance.checked_in_at.is_null())
                 .execute())
        row = Attendance.get_by_id(row.id)
        if not taken:
            return Outcome(ALREADY_IN, training, row, row.checked_in_at, row.late)
        record_credit(training, row)
    return Outcome(CHECKED_IN, training, row, at, late)


def _farthest(kept, distance):
    values = [d for d in (kept, distance) if d is not None]
    return max(values) if values else None


def check_out(training, user, at, method="qr", flags="", distance=None):
    """Check the person out at `at` and credit their hours; idempotent under concurrent repeats."""
    refused = _gate(training, user)
    if refused:
        return refused
    closed = window_state(training, "out", at)
    if closed:
        row = _existing(training, user)
        if row is not None and row.checked_out_at is not None:
            return Outcome(ALREADY_OUT, training, row, row.checked_out_at,
                           hours=row.credited_hours)
        return Outcome(closed, training, at=checkout_window(training)[0] if closed == NOT_OPEN else None)
    with write_transaction():
        taken = (Attendance.update(checked_out_at=at, method_out=method, updated_at=utcnow())
                 .where(Attendance.training == training.id, Attendance.user == user.id,
                        Attendance.status == "present", Attendance.checked_in_at.is_null(False),
                        Attendance.checked_out_at.is_null())
                 .execute())
        row = _existing(training, user)
        if not taken:
            if row is not None and row.checked_out_at is not None:
                return Outcome(ALREADY_OUT, training, row, row.checked_out_at,
                               hours=row.credited_hours)
            if row is not None and row.status == "excused":
                return Outcome(EXCUSED, training, row)
            return Outcome(NOT_CHECKED_IN, training, row)
        if flags:
            row.flags = _add_flag(row.flags, flags)
            row.distance_m = _farthest(row.distance_m, distance)
            Attendance.update(flags=row.flags, distance_m=row.distance_m).where(
                Attendance.id == row.id).execute()
        hours = record_credit(training, row)
    return Outcome(CHECKED_OUT, training, row, at, hours=hours)


def _unix(dt):
    return dt.replace(tzinfo=datetime.UTC).timestamp()


def scan(user, code, scanned_at, method=None, device="", expected_training=None, extra_flags="",
         position=None, geofence=GEOFENCE_METRES):
    """Act on a scanned code at its scan time: check in, check out, or say why not.

    `position` is the phone's, shared with consent on the confirm page (else None).
    """
    training = load_training(code.training_id)
    if training is None or not qr.authentic(training.secret, code):
        return Outcome(INVALID)
    if expected_training is not None and expected_training.id != training.id:
        return Outcome(OTHER_TRAINING, expected_training, other=training)
    state = qr.check(training, code, _unix(scanned_at))
    if state == qr.EXPIRED:
        return Outcome(EXPIRED, training)
    if state != qr.FRESH and state != qr.STALE:
        return Outcome(INVALID, training)
    flags = extra_flags
    if state == qr.STALE:
        flags = _add_flag(flags, "stale_code")
    purpose = code.purpose
    if purpose == "static":
        method = method or "static"
        # The printable code checks in until check-in closes, and checks out after that.
        purpose = "in" if scanned_at <= checkin_window(training)[1] else "out"
    method = method or "qr"
    distance = far_from_venue(training, position, geofence)
    if distance is not None:
        flags = _add_flag(flags, "far")
    if purpose == "in":
        return check_in(training, user, scanned_at, method, device, flags, distance)
    return check_out(training, user, scanned_at, method, flags, distance)


def scan_typed(user, typed, at, device=""):
    """Act on a typed 6-digit code: find the training whose current code it is, then scan."""
    horizon = datetime.timedelta(hours=5)
    candidates = list(Training.select().where(Training.start_at <= at + horizon,
                                              Training.end_at >= at - horizon)
                      .order_by(Training.start_at))
    mine = {t.id for t in for_person(user).where(Training.id.in_([t.id for t in candidates] or [0]))}
    candidates.sort(key=lambda t: t.id not in mine)
    for training in candidates:
        purpose = qr.match_typed(training, typed, _unix(at))
        if purpose:
            code = qr.current_code(training, purpose, _unix(at))
            return scan(user, code, at, method="code", device=device)
    return Outcome(EXPIRED)


def sync_offline(user, code, scanned_at, key, device="", now=None):
    """Accept a scan made offline: once per key, if the code fits the claimed time and it is recent."""
    now = now or utcnow()
    key = (key or "")[:64]
    if not key:
        raise DomainError(_("This scan has no key; it cannot be sent."))
    receipt = ScanReceipt.get_or_none(ScanReceipt.key == key)
    if receipt is not None:
        return _from_receipt(receipt, user)
    training = Training.get_or_none(Training.id == code.training_id)
    if training is None or not qr.authentic(training.secret, code):
        return Outcome(INVALID)
    if scanned_at > now + OFFLINE_CLOCK_SKEW:
        return Outcome(TIME_MISMATCH, training)
    if now - scanned_at > OFFLINE_MAX_DELAY:
        return Outcome(TOO_OLD, training)
    if not qr.slice_matches(training, code, _unix(scanned_at)):
        return Outcome(TIME_MISMATCH, training)
    with write_transaction():
        # Claim the key first: a concurrent resend waits on it, then reads what this one did.
        try:
            with db.atomic():
                receipt = ScanReceipt.create(key=key, user=user, training=training,
                                             purpose=code.purpose, scanned_at=scanned_at,
                                             result="pending")
        except IntegrityError:
            return _from_receipt(ScanReceipt.get(ScanReceipt.key == key), user)
        outcome = scan(user, code, scanned_at, method="offline", device=device)
        ScanReceipt.update(result=outcome.code).where(ScanReceipt.id == receipt.id).execute()
    return outcome


def _from_receipt(receipt, user):
    if receipt.user_id != user.id:
        return Outcome(INVALID)
    training = receipt.training
    row = _existing(training, user)
    code = receipt.result
    if row is not None and code in (CHECKED_IN, ALREADY_IN):
        return Outcome(ALREADY_IN, training, row, row.checked_in_at, row.late)
    if row is not None and code in (CHECKED_OUT, ALREADY_OUT):
        return Outcome(ALREADY_OUT, training, row, row.checked_out_at, hours=row.credited_hours)
    return Outcome(code, training, row)


# ------------------------------------------------------------------ staff actions

def _person_in(training, person_id):
    person = audience_people(training).where(User.id == person_id).first()
    if person is None:
        raise DomainError(_("This person is not on the list for this training."), field="user")
    return person


def _reason(text, missing):
    text = (text or "").strip()
    if not text:
        raise DomainError(missing(), field="reason")
    if len(text) > 500:
        raise DomainError(_("The reason is too long (at most 500 characters)."), field="reason")
    return text


def mark_present(actor, training, person_id, reason):
    """Mark someone present by hand for the whole training, with a reason."""
    reason = _reason(reason, lambda: _("Say why you are marking this person present."))
    person = _person_in(training, person_id)
    if training.status == "cancelled":
        raise DomainError(_("This training was cancelled."))
    out = training.end_at if training.checkout_required else None
    with write_transaction():
        try:
            with db.atomic():
                row = Attendance.create(training=training, user=person, checked_in_at=training.start_at,
                                        checked_out_at=out, method_in="staff",
                                        method_out="staff" if out else None, note=reason,
                                        marked_by=actor)
        except IntegrityError:
            row = _existing(training, person)
            if row.status == "present" and row.checked_in_at is not None:
                raise DomainError(_("%(name)s is already checked in.", name=person.name)) from None
            row.status, row.checked_in_at, row.method_in = "present", training.start_at, "staff"
            row.checked_out_at, row.method_out = out, ("staff" if out else None)
            row.note, row.marked_by, row.updated_at = reason, actor, utcnow()
            row.save()
        record_credit(training, row)
        audit(actor, "attendance.mark_present", row, training.organiser_id,
              {"training": training.id, "user": person.id, "reason": reason})
    return row


def excuse(actor, training, person_id, note):
    """Excuse someone from the training with a note (no credit)."""
    note = _reason(note, lambda: _("Write a note saying why this person is excused."))
    person = _person_in(training, person_id)
    with write_transaction():
        try:
            with db.atomic():
                row = Attendance.create(training=training, user=person, status="excused",
                                        method_in="staff", note=note, marked_by=actor)
        except IntegrityError:
            row = _existing(training, person)
            row.status, row.checked_in_at, row.checked_out_at = "excused", None, None
            row.note, row.marked_by, row.updated_at = note, actor, utcnow()
            row.save()
        record_credit(training, row)
        audit(actor, "attendance.excuse", row, training.organiser_id,
              {"training": training.id, "user": person.id, "note": note})
    return row


def correct_times(actor, training, attendance, checked_in_at, checked_out_at, reason):
    """Correct a row's check-in/out times (naive UTC) and recompute its credit."""
    reason = _reason(reason, lambda: _("Say why you are correcting the time."))
    if checked_in_at is None:
        raise DomainError(_("Enter the check-in time."), field="in_time")
    day = datetime.timedelta(hours=12)
    if not (training.start_at - day <= checked_in_at <= training.end_at + day):
        raise DomainError(_("The check-in time must be on the day of the training."), field="in_time")
    if checked_out_at is not None and checked_out_at <= checked_in_at:
        raise DomainError(_("The check-out time must be after the check-in time."), field="out_time")
    if checked_out_at is not None and checked_out_at > training.end_at + day:
        raise DomainError(_("The check-out time must be on the day of the training."), field="out_time")
    before = {"in": attendance.checked_in_at, "out": attendance.checked_out_at}
    with write_transaction():
        attendance.status = "present"
        attendance.checked_in_at, attendance.checked_out_at = checked_in_at, checked_out_at
        attendance.late = is_late(training, checked_in_at)
        if checked_out_at is not None and not attendance.method_out:
            attendance.method_out = "staff"
        attendance.note = reason
        attendance.marked_by, attendance.updated_at = actor, utcnow()
        attendance.save()
        record_credit(training, attendance)
        audit(actor, "attendance.correct", attendance, training.organiser_id,
              {"training": training.id, "user": attendance.user_id, "before": before,
               "after": {"in": checked_in_at, "out": checked_out_at}, "reason": reason})
    return attendance


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
    title = (data.get("title") or "").strip()
    if not title:
        raise DomainError(_("Fill in the title."), field="title")
    if len(title) > 200:
        raise DomainError(_("The title is too long (at most 200 characters)."), field="title")
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
    place = (data.get("place") or "").strip()
    if len(place) > 200:
        raise DomainError(_("The place is too long (at most 200 characters)."), field="place")
    try:
        credit = Decimal(str(data.get("credit_hours") or "").strip())
    except InvalidOperation:
        credit = None
    if credit is None or not credit.is_finite() or credit <= 0 or credit > 24 \
            or credit % QUARTER != 0:
        raise DomainError(_("Credit hours must be between 0.25 and 24, in quarter hours."),
                          field="credit_hours")
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
    lat, lng = _finite(lat_text), _finite(lng_text)
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
    with db.atomic():
        if training is None:
            training = Training.create(organiser=region, created_by=actor,
                                       secret=secrets.token_hex(32), **fields)
            action = "training.create"
        else:
            for key, value in fields.items():
                setattr(training, key, value)
            training.updated_at = utcnow()
            training.save()
            TrainingFirm.delete().where(TrainingFirm.training == training).execute()
            TrainingPerson.delete().where(TrainingPerson.training == training).execute()
            action = "training.update"
        for firm in clean["firms"]:
            TrainingFirm.create(training=training, firm=firm)
        for person in clean["people"]:
            TrainingPerson.create(training=training, user=person)
        audit(actor, action, training, training.organiser_id, {"title": training.title})
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


def counts(training):
    """Return live counts for the projector and the sheet header."""
    rows = Attendance.select(Attendance.status, Attendance.checked_in_at, Attendance.checked_out_at,
                             Attendance.late, Attendance.flags, Attendance.needs_review) \
        .where(Attendance.training == training.id).tuples()
    result = {"in": 0, "late": 0, "out": 0, "flagged": 0, "excused": 0, "review": 0}
    for status, in_at, out_at, late, flags, review in rows:
        if status == "excused":
            result["excused"] += 1
            continue
        if in_at:
            result["in"] += 1
        if late:
            result["late"] += 1
        if out_at:
            result["out"] += 1
        if flags:
            result["flagged"] += 1
        if review:
            result["review"] += 1
    result["expected"] = audience_people(training).count()
    result["absent"] = max(result["expected"] - result["in"] - result["excused"], 0)
    return result
