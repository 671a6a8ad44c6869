"""Checking what a person logs: dates, hours, free text (no identity numbers), choices, keys."""
import datetime
import re
import unicodedata
from decimal import Decimal

from flask_babel import format_date
from flask_babel import gettext as _

from ..accounts.models import Region
from ..errors import DomainError
from ..i18n import fmt_hours
from ..inputs import clean_text, decimal_or_none, parse_count
from ..quality.village_models import Village
from ..trainings.models import TrainingCategory
from ..web import object_id
from .kinds import CASE_STATUSES, CASE_TYPES, PUBLIC_SERVICE_TYPES, SELF_KINDS

MIN_HOURS = Decimal("0.25")
MAX_HOURS = Decimal("12")
ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
PHONE_NUMBER = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")  # a mainland mobile number
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
DATE_RE = re.compile(r"^([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?$")
MAX_TEXT = {"description": 500, "place": 120, "provider": 120, "case_number": 60, "topic": 200}
MULTILINE = ("description",)
# Evidence is what reviewers ask for: these kinds' forms show its field in view, never folded.
EVIDENCE_IN_VIEW = ("public_service", "legal_aid")


def evidence_in_view(kind, needs_evidence=False):
    """Say whether a kind's form shows the evidence field in view (not under More)."""
    return kind in EVIDENCE_IN_VIEW or needs_evidence


def normal(value):
    """Return a typed value as NFKC text, trimmed (for numbers, dates, choices and keys)."""
    return unicodedata.normalize("NFKC", str(value if value is not None else "")).strip()


def parse_date(value, field, label):
    """Parse 2026-03-05 (also 2026/3/5 and 2026年3月5日) or raise DomainError."""
    text = normal(value)
    if not text:
        raise DomainError(_("Fill in %(label)s.", label=label), field=field)
    match = DATE_RE.match(text)
    try:
        if not match:
            raise ValueError(text)
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise DomainError(_("%(label)s is not a date. Write it like 2026-03-05.", label=label),
                          field=field) from None


def earliest_date(today):
    """Entries may go back to 1 January of the year before last."""
    return datetime.date(today.year - 2, 1, 1)


def clean_day(value, today, field="date", label=None):
    """Return a date within the allowed window (not in the future, not too old)."""
    label = label or _("the date")
    day = parse_date(value, field, label)
    if day > today:
        raise DomainError(_("The date cannot be in the future."), field=field)
    if day < earliest_date(today):
        raise DomainError(_("The date is too long ago: entries can go back to %(date)s.",
                            date=format_date(earliest_date(today), "long")), field=field)
    return day


def clean_hours(value, field="hours"):
    """Return hours in quarter-hour steps from 0.25 to 12."""
    text = normal(value).replace(",", ".")
    if not text:
        raise DomainError(_("Fill in the hours."), field=field)
    hours = decimal_or_none(text)
    if hours is None:
        raise DomainError(_("Hours must be a number, like 1.5."), field=field)
    if hours < MIN_HOURS or hours > MAX_HOURS:
        raise DomainError(_("Hours must be between %(low)s and %(high)s.",
                            low=fmt_hours(MIN_HOURS), high=fmt_hours(MAX_HOURS)), field=field)
    if (hours * 4) % 1:
        raise DomainError(_("Use quarter hours: 0.25, 0.5, 0.75, 1 and so on."), field=field)
    return hours.quantize(Decimal("0.01"))


def has_id_number(text):
    """Say whether the text holds something shaped like an 18-digit identity number."""
    text = normal(text)
    squeezed = re.sub(r"(?<=[0-9])[\s-]+(?=[0-9Xx])", "", text)
    return bool(ID_NUMBER.search(text) or ID_NUMBER.search(squeezed))


def has_phone_number(text):
    """Say whether the text holds something shaped like a mobile phone number."""
    text = normal(text)
    squeezed = re.sub(r"(?<=[0-9])[\s-]+(?=[0-9])", "", text)
    return bool(PHONE_NUMBER.search(text) or PHONE_NUMBER.search(squeezed))


def clean_note(value, field, label, required=False, max_len=None):
    """Return cleaned free text (see webapp.inputs.clean_text), refusing identity numbers."""
    text = clean_text(value, field, label, max_len or MAX_TEXT.get(field, 200), required=required,
                      multiline=field in MULTILINE)
    if has_id_number(text):
        raise DomainError(_("Remove the identity number from %(label)s. Personal information "
                            "such as a client's name or identity number stays out of this "
                            "system.", label=label), field=field)
    return text


def clean_choice(value, choices, field, message):
    """Return the chosen key, or raise the message when it is not one of the choices."""
    value = normal(value)
    if value not in choices:
        raise DomainError(message, field=field)
    return value


def clean_key(value):
    """Return a valid idempotency key, or None when none was sent."""
    value = normal(value)
    if not value:
        return None
    if not KEY_RE.match(value):
        raise DomainError(_("This form is damaged. Reload the page and try again."),
                          field="idempotency_key")
    return value


def education_categories(user):
    """Training categories a person may choose for outside learning."""
    regions = [r for r in (user.county_id,) if r]
    if user.county_id:
        parent = Region.select(Region.parent).where(Region.id == user.county_id).scalar()
        if parent:
            regions.append(parent)
    return list(TrainingCategory.select().where(
        TrainingCategory.active == True,  # noqa: E712
        TrainingCategory.region.is_null() | TrainingCategory.region.in_(regions or [0]))
        .order_by(TrainingCategory.position, TrainingCategory.id))


def clean_entry(kind, data, user, today):
    """Validate one self-reported entry of the kind; return the model fields."""
    if kind not in SELF_KINDS:
        raise DomainError(_("Choose what you are logging."), field="kind")
    if kind == "public_service":
        day = clean_day(data.get("date"), today)
        hours = clean_hours(data.get("hours"))
        category = clean_choice(data.get("category"), PUBLIC_SERVICE_TYPES, "category",
                                _("Choose the type of service."))
        return {
            "date": day,
            "hours": hours,
            "count": 0,
            "category": category,
            "village": clean_village(data.get("village"), category, user),
            "place": clean_note(data.get("place"), "place", _("the place")),
            "people_served": clean_people(data.get("people_served")),
            "description": clean_note(data.get("description"), "description",
                                      _("the description")),
        }
    if kind == "legal_aid":
        case_number = clean_note(data.get("case_number"), "case_number",
                                 _("the assignment number"), required=True)
        day = clean_day(data.get("date"), today, label=_("the date assigned"))
        case_type = clean_choice(data.get("case_type"), CASE_TYPES, "case_type",
                                 _("Choose the type of case."))
        status = clean_choice(data.get("case_status"), CASE_STATUSES, "case_status",
                              _("Choose whether the case is in progress or closed."))
        closed_on = None
        if status == "closed":
            closed_on = clean_day(data.get("closed_on"), today, field="closed_on",
                                  label=_("the closing date"))
            if closed_on < day:
                raise DomainError(_("The case cannot close before it was assigned."),
                                  field="closed_on")
        return {
            "date": day, "hours": Decimal(0), "count": 1, "category": case_type,
            "case_number": case_number, "case_type": case_type, "case_status": status,
            "closed_on": closed_on,
            "description": clean_note(data.get("description"), "description",
                                      _("the description")),
        }
    names = [c.name for c in education_categories(user)]
    category = normal(data.get("category"))
    if category not in names:
        raise DomainError(_("Choose the category of learning."), field="category")
    return {
        "date": clean_day(data.get("date"), today),
        "hours": clean_hours(data.get("hours")),
        "count": 0,
        "category": category[:40],
        "provider": clean_note(data.get("provider"), "provider", _("the provider"),
                               required=True),
        "description": clean_note(data.get("topic"), "topic", _("the topic"), required=True),
        "place": clean_note(data.get("place"), "place", _("the place")),
    }


def clean_village(value, category, user):
    """Return the id of the village a legal adviser's duty was at, or None.

    Only village_adviser duty attaches to a village, one of the person's county. The field is
    optional: blank means none; a form that does not send it at all (one kept offline from
    before the field existed) attaches the duty to the village the person advises, when they
    advise exactly one.
    """
    if category != "village_adviser":
        return None
    if value is None:
        advised = list(Village.advised_by(user.id).where(Village.county == user.county_id)
                       .limit(2))
        return advised[0].id if len(advised) == 1 else None
    text = normal(value)
    if not text:
        return None
    try:
        village_id = object_id(text)
    except ValueError:
        village_id = None
    found = village_id is not None and user.county_id and Village.of_county(
        user.county_id).where(Village.id == village_id).exists()
    if not found:
        raise DomainError(_("Choose a village or community of your county."), field="village")
    return village_id


def clean_people(value):
    """Return how many people were served (blank is None), or raise DomainError."""
    return parse_count(normal(value), "people_served", _("People served"), 100000,
                       invalid=_("People served must be a whole number."))
