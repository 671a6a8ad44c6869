"""Ledger rules: logging, editing, withdrawing, evidence, review decisions, county rules."""
import datetime
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from flask import current_app, url_for
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import IntegrityError, fn

from ..accounts.models import Firm, Notification, Region, User
from .. import access
from ..access import audit
from ..db import db, is_postgres, utcnow, write_transaction
from ..errors import Conflict, DomainError, NotAllowed
from ..i18n import fmt_hours, local_today
from ..trainings.models import TrainingCategory
from . import evidence as files
from .models import Entry, Evidence, ReviewRule

SELF_KINDS = ("public_service", "legal_aid", "education")
KIND_LABELS = {
    "public_service": _l("Public service"),
    "legal_aid": _l("Legal-aid case"),
    "education": _l("Outside learning"),
    "training_credit": _l("Training"),
    "party_activity": _l("Party activity"),
}
STATUS_LABELS = {
    "pending": _l("Waiting for review"),
    "approved": _l("Approved"),
    "declined": _l("Declined"),
    "withdrawn": _l("Withdrawn"),
    "recorded": _l("Recorded"),
}
PUBLIC_SERVICE_TYPES = {
    "village_adviser": _l("Village or community legal adviser duty"),
    "consultation": _l("Legal consultation"),
    "mediation": _l("Dispute mediation"),
    "publicity": _l("Legal publicity"),
    "petition": _l("Law-related petition handling"),
    "aid_consultation": _l("Legal-aid consultation"),
    "other": _l("Other"),
}
CASE_TYPES = {
    "civil": _l("Civil"),
    "criminal": _l("Criminal"),
    "administrative": _l("Administrative"),
    "non_litigation": _l("Non-litigation"),
}
CASE_STATUSES = {"in_progress": _l("In progress"), "closed": _l("Closed")}
# Filters on "My year": continuing education covers outside learning and training credits.
KIND_GROUPS = {
    "education": ("education", "training_credit"),
    "public_service": ("public_service",),
    "legal_aid": ("legal_aid",),
    "party_activity": ("party_activity",),
}
METRIC_KIND = {"education_hours": "education", "public_service_hours": "public_service",
               "legal_aid_cases": "legal_aid"}

MIN_HOURS = Decimal("0.25")
MAX_HOURS = Decimal("12")
DEFAULT_DAY_CAP = Decimal("8")
COUNTS_TOWARD_CAP = ("pending", "approved", "recorded")
EDITABLE = ("pending", "declined")
ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
MAX_TEXT = {"description": 500, "place": 120, "provider": 120, "case_number": 60, "topic": 200}


# ------------------------------------------------------------------ transactions

def _lock(model, row_id):
    """Load a row for update (PostgreSQL row lock; SQLite is already serialised)."""
    query = model.select().where(model.id == row_id)
    if is_postgres():
        query = query.for_update()
    return query.first()


# ------------------------------------------------------------------ parsing

def _normal(value):
    return unicodedata.normalize("NFKC", str(value if value is not None else "")).strip()


def parse_date(value, field, label):
    """Parse 2026-03-05 (also 2026/3/5 and 2026年3月5日) or raise DomainError."""
    text = _normal(value)
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
    text = _normal(value).replace(",", ".")
    if not text:
        raise DomainError(_("Fill in the hours."), field=field)
    try:
        hours = Decimal(text)
    except InvalidOperation:
        raise DomainError(_("Hours must be a number, like 1.5."), field=field) from None
    if not hours.is_finite():
        raise DomainError(_("Hours must be a number, like 1.5."), field=field)
    if hours < MIN_HOURS or hours > MAX_HOURS:
        raise DomainError(_("Hours must be between %(low)s and %(high)s.",
                            low=fmt_hours(MIN_HOURS), high=fmt_hours(MAX_HOURS)), field=field)
    if (hours * 4) % 1:
        raise DomainError(_("Use quarter hours: 0.25, 0.5, 0.75, 1 and so on."), field=field)
    return hours.quantize(Decimal("0.01"))


def has_id_number(text):
    """Say whether the text holds something shaped like an 18-digit identity number."""
    text = _normal(text)
    squeezed = re.sub(r"(?<=[0-9])[\s-]+(?=[0-9Xx])", "", text)
    return bool(ID_NUMBER.search(text) or ID_NUMBER.search(squeezed))


def clean_text(value, field, label, required=False, max_len=None):
    """Return trimmed text; refuse blanks when required, long text and identity numbers."""
    text = unicodedata.normalize("NFC", str(value or "")).strip()
    text = "".join(ch for ch in text if ch.isprintable() or ch in "\n\t")
    max_len = max_len or MAX_TEXT.get(field, 200)
    if required and not text:
        raise DomainError(_("Fill in %(label)s.", label=label), field=field)
    if len(text) > max_len:
        raise DomainError(_("%(label)s is too long (at most %(n)d characters).",
                            label=label, n=max_len), field=field)
    if has_id_number(text):
        raise DomainError(_("Remove the identity number from %(label)s. Personal information "
                            "such as a client's name or identity number stays out of this "
                            "system.", label=label), field=field)
    return text


def clean_choice(value, choices, field, message):
    value = _normal(value)
    if value not in choices:
        raise DomainError(message, field=field)
    return value


def clean_key(value):
    """Return a valid idempotency key, or None when none was sent."""
    value = _normal(value)
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
        return {
            "date": clean_day(data.get("date"), today),
            "hours": clean_hours(data.get("hours")),
            "count": 0,
            "category": clean_choice(data.get("category"), PUBLIC_SERVICE_TYPES, "category",
                                     _("Choose the type of service.")),
            "place": clean_text(data.get("place"), "place", _("the place")),
            "people_served": clean_people(data.get("people_served")),
            "description": clean_text(data.get("description"), "description",
                                      _("the description")),
        }
    if kind == "legal_aid":
        case_number = clean_text(data.get("case_number"), "case_number",
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
            "description": clean_text(data.get("description"), "description",
                                      _("the description")),
        }
    names = [c.name for c in education_categories(user)]
    category = _normal(data.get("category"))
    if category not in names:
        raise DomainError(_("Choose the category of learning."), field="category")
    return {
        "date": clean_day(data.get("date"), today),
        "hours": clean_hours(data.get("hours")),
        "count": 0,
        "category": category[:40],
        "provider": clean_text(data.get("provider"), "provider", _("the provider"),
                               required=True),
        "description": clean_text(data.get("topic"), "topic", _("the topic"), required=True),
        "place": clean_text(data.get("place"), "place", _("the place")),
    }


def clean_people(value):
    text = _normal(value)
    if not text:
        return None
    if not text.isdigit() or int(text) > 100000:
        raise DomainError(_("People served must be a whole number."), field="people_served")
    return int(text)


# ------------------------------------------------------------------ county rules

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
    text = _normal(value).replace(",", ".")
    try:
        hours = Decimal(text)
    except InvalidOperation:
        hours = None
    if hours is None or not hours.is_finite() or hours < low or hours > high or (hours * 4) % 1:
        raise DomainError(_("Give a number of hours between %(low)s and %(high)s, in quarter "
                            "hours.", low=fmt_hours(low), high=fmt_hours(high)), field=field)
    return hours.quantize(Decimal("0.01"))


def save_rule(actor, county, year, clean):
    """Create or update the county's rules for a year."""
    with write_transaction():
        rule = ReviewRule.get_or_none(ReviewRule.county == county.id, ReviewRule.year == year)
        if rule is None:
            try:
                with db.atomic():
                    rule = ReviewRule.create(county=county, year=year, **clean)
            except IntegrityError:
                rule = ReviewRule.get(ReviewRule.county == county.id, ReviewRule.year == year)
        for key, value in clean.items():
            setattr(rule, key, value)
        rule.save()
        audit(actor, "review_rule.save", rule, county, {"year": year, **clean})
    return rule


# ------------------------------------------------------------------ logging

def last_category(user, kind):
    """The category the person used last for this kind (the form's default)."""
    return (Entry.select(Entry.category)
            .where(Entry.user == user.id, Entry.kind == kind, Entry.source == "self")
            .order_by(Entry.date.desc(), Entry.id.desc()).limit(1).scalar())


def _needs_evidence(user, kind, day):
    return kind == "education" and rule_for(user.county_id, day.year).education_needs_evidence


def _evidence_counts(entry_id):
    rows = (Evidence.select(Evidence.content_type, fn.COUNT(Evidence.id))
            .where(Evidence.entry == entry_id).group_by(Evidence.content_type).tuples())
    counts = dict(rows)
    pdfs = counts.pop("application/pdf", 0)
    return sum(counts.values()), pdfs


def _attach(entry, uploads):
    written = []
    for upload in uploads:
        stored, paths = files.store(upload)
        written.extend(paths)
        Evidence.create(entry=entry, stored_name=stored, original_name=upload.original_name,
                        content_type=upload.content_type, size=len(upload.data))
    return written


def create_entry(user, kind, data, uploads=(), key=None, today=None):
    """Log a self-reported entry; return (entry, created). A retried key returns the first."""
    key = clean_key(key)
    if key:
        existing = Entry.get_or_none(Entry.idempotency_key == key)
        if existing is not None:
            return _same_author(existing, user), False
    today = today or local_today()
    clean = clean_entry(kind, data, user, today)
    uploads = list(uploads)
    if _needs_evidence(user, kind, clean["date"]) and not uploads:
        raise DomainError(_("Your county asks for a photo or a PDF of the certificate for "
                            "outside learning. Attach one."), field="evidence")
    written = []
    try:
        with write_transaction():
            _lock(User, user.id)
            if key:
                existing = Entry.get_or_none(Entry.idempotency_key == key)
                if existing is not None:
                    return _same_author(existing, user), False
            if kind == "public_service":
                check_day_cap(user, clean["date"], clean["hours"])
            now = utcnow()
            entry = Entry.create(user=user, kind=kind, source="self", status="pending",
                                 idempotency_key=key, created_at=now, updated_at=now, **clean)
            written = _attach(entry, uploads)
    except IntegrityError:
        files.remove_files(written)
        existing = Entry.get_or_none(Entry.idempotency_key == key) if key else None
        if existing is None:
            raise
        return _same_author(existing, user), False
    except BaseException:
        files.remove_files(written)
        raise
    return entry, True


def _same_author(entry, user):
    if entry.user_id != user.id:
        raise Conflict(_("This form was already sent from another account. Reload the page "
                         "and log it again."))
    return entry


def _check_author(user, entry):
    if entry.user_id != user.id:
        raise NotAllowed(_("Only the person who logged an entry can change it."))
    if entry.source != "self":
        raise NotAllowed(_("Records made by the system (QR check-in, branch attendance) "
                           "cannot be changed here."))


def can_edit(user, entry):
    """Say whether the person may still change the entry."""
    return entry.user_id == user.id and entry.source == "self" and entry.status in EDITABLE


def check_editable(user, entry):
    """Raise a plain explanation unless the person may change the entry now."""
    _check_author(user, entry)
    if entry.status not in EDITABLE:
        _refuse_locked(entry)


def _refuse_locked(entry):
    if entry.status == "approved":
        raise Conflict(_("This entry is approved and locked. It can no longer be changed."))
    if entry.status == "withdrawn":
        raise Conflict(_("This entry was withdrawn. Log it again if you need it."))
    raise Conflict(_("This entry can no longer be changed."))


def edit_entry(user, entry, data, uploads=(), today=None):
    """Save changes to a pending or declined entry; a declined one goes back for review."""
    check_editable(user, entry)
    today = today or local_today()
    clean = clean_entry(entry.kind, data, user, today)
    uploads = list(uploads)
    written = []
    try:
        with write_transaction():
            _lock(User, user.id)
            fresh = _lock(Entry, entry.id)
            if fresh.status not in EDITABLE:
                _refuse_locked(fresh)
            photos, pdfs = _evidence_counts(entry.id)
            if uploads:
                _check_counts(uploads, photos, pdfs)
            if _needs_evidence(user, entry.kind, clean["date"]) and not (uploads or photos or pdfs):
                raise DomainError(_("Your county asks for a photo or a PDF of the certificate "
                                    "for outside learning. Attach one."), field="evidence")
            if entry.kind == "public_service":
                check_day_cap(user, clean["date"], clean["hours"], exclude_id=entry.id)
            changes = dict(clean, status="pending", updated_at=utcnow())
            if fresh.status == "declined":
                # Sent again: the reviewer's earlier reason stays visible in review_note.
                changes.update(reviewer=None, reviewed_at=None)
            Entry.update(**changes).where(Entry.id == entry.id).execute()
            written = _attach(entry, uploads)
    except BaseException:
        files.remove_files(written)
        raise
    return Entry.get_by_id(entry.id), fresh.status == "declined"


def _check_counts(uploads, photos, pdfs):
    new_pdfs = sum(1 for u in uploads if u.is_pdf)
    new_photos = len(uploads) - new_pdfs
    if (pdfs + new_pdfs) and (photos + new_photos):
        raise DomainError(_("Attach either photos or one PDF, not both."), field="evidence")
    if pdfs + new_pdfs > files.MAX_PDFS:
        raise DomainError(_("Attach at most one PDF."), field="evidence")
    if photos + new_photos > files.MAX_PHOTOS:
        raise DomainError(_("Attach at most %(n)d photos.", n=files.MAX_PHOTOS),
                          field="evidence")


def add_evidence(user, entry, uploads):
    """Attach more files to an entry that may still change."""
    _check_author(user, entry)
    uploads = list(uploads)
    if not uploads:
        raise DomainError(_("Choose a photo or a PDF to attach."), field="evidence")
    written = []
    try:
        with write_transaction():
            fresh = _lock(Entry, entry.id)
            if fresh.status not in EDITABLE:
                _refuse_locked(fresh)
            _check_counts(uploads, *_evidence_counts(entry.id))
            written = _attach(entry, uploads)
            Entry.update(updated_at=utcnow()).where(Entry.id == entry.id).execute()
    except BaseException:
        files.remove_files(written)
        raise


def remove_evidence(user, item):
    """Take a file off an entry that may still change (not the last one where it is required)."""
    entry = item.entry
    _check_author(user, entry)
    with write_transaction():
        fresh = _lock(Entry, entry.id)
        if fresh.status not in EDITABLE:
            _refuse_locked(fresh)
        if _needs_evidence(user, fresh.kind, fresh.date) and sum(_evidence_counts(entry.id)) <= 1:
            raise DomainError(_("Your county asks for a photo or a PDF of the certificate for "
                                "outside learning, so the last one cannot be removed. Attach "
                                "another first."), field="evidence")
        Evidence.delete().where(Evidence.id == item.id).execute()
        Entry.update(updated_at=utcnow()).where(Entry.id == entry.id).execute()
    files.remove_files([files.path_for(item.stored_name),
                        files.path_for(item.stored_name, thumb=True)])


def withdraw_entry(user, entry):
    """Withdraw one's own pending entry (it stays in the history)."""
    _check_author(user, entry)
    with write_transaction():
        fresh = _lock(Entry, entry.id)
        if fresh.status != "pending":
            if fresh.status == "withdrawn":
                return fresh
            raise Conflict(_("Only an entry that waits for review can be withdrawn."))
        Entry.update(status="withdrawn", updated_at=utcnow()).where(Entry.id == entry.id).execute()
    return Entry.get_by_id(entry.id)


# ------------------------------------------------------------------ review

def version_of(entry):
    """A token that changes whenever the entry changes (guards against deciding stale data)."""
    stamp = entry.updated_at
    return stamp.strftime("%Y%m%d%H%M%S%f") if stamp else ""


def director_years(county_id):
    """Years for which the county lets firm directors review."""
    return [r.year for r in ReviewRule.select(ReviewRule.year).where(
        ReviewRule.county == county_id, ReviewRule.director_reviews == True)]  # noqa: E712


def _year_filter(years):
    cond = None
    for year in years:
        part = Entry.date.between(datetime.date(year, 1, 1), datetime.date(year, 12, 31))
        cond = part if cond is None else (cond | part)
    return cond


def reviewable(actor, query):
    """Narrow a scoped entries query to those the actor may decide on (not their own)."""
    if actor is None or actor.role not in ("county_admin", "director"):
        return query.where(False)
    query = query.where(Entry.user != actor.user.id, Entry.source == "self")
    if actor.role == "director":
        firm = Firm.get_or_none(Firm.id == actor.grant.firm_id)
        cond = _year_filter(director_years(firm.county_id)) if firm else None
        if cond is None:
            return query.where(False)
        query = query.where(cond)
    return query


def reviews_anything(actor):
    """Say whether the actor reviews at all (a director only where the county allows it)."""
    if actor is None or actor.role not in ("county_admin", "director"):
        return False
    if actor.role == "director":
        firm = Firm.get_or_none(Firm.id == actor.grant.firm_id)
        return bool(firm and director_years(firm.county_id))
    return True


def can_review(actor, entry):
    """Say whether the actor may approve or decline this entry."""
    if actor is None or actor.role not in ("county_admin", "director"):
        return False
    return reviewable(actor, access.entries(actor, Entry)).where(Entry.id == entry.id).exists()


def queue(actor, kind=None, firm_id=None):
    """Pending entries the actor may decide on, oldest first, with the author and firm."""
    query = (reviewable(actor, access.entries(actor, Entry)).where(Entry.status == "pending")
             .switch(User).join(Firm, on=(User.firm == Firm.id)).select_extend(Firm))
    if kind in KIND_GROUPS:
        query = query.where(Entry.kind.in_(KIND_GROUPS[kind]))
    if firm_id:
        query = query.where(User.firm == firm_id)
    return query.order_by(Entry.created_at, Entry.id)


def _notify(entry, author, decision, reason=""):
    with force_locale(author.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        what = str(KIND_LABELS[entry.kind])
        when = format_date(entry.date, "long")
        amount = (_("1 case") if entry.kind == "legal_aid"
                  else _("%(h)s h", h=fmt_hours(entry.hours)))
        if decision == "approved":
            message = _("Approved: %(what)s on %(when)s (%(amount)s).", what=what, when=when,
                        amount=amount)
        else:
            message = _("Declined: %(what)s on %(when)s (%(amount)s). Reason: %(reason)s "
                        "Correct it and send it again.", what=what, when=when, amount=amount,
                        reason=reason)
    Notification.create(user=author.id, kind=f"entry_{decision}", message=message,
                        link=url_for("ledger.entry", entry_id=entry.id))


def _decide(actor, entry, decision, reason="", version=None):
    fresh = _lock(Entry, entry.id)
    if fresh is None or fresh.status != "pending":
        raise Conflict(_("Someone already decided on this entry, or it was withdrawn."))
    if version and version != version_of(fresh):
        raise Conflict(_("The entry changed while you were looking at it. Check it again."))
    now = utcnow()
    Entry.update(status=decision, reviewer=actor.user.id, reviewed_at=now, updated_at=now,
                 review_note=reason).where(Entry.id == entry.id).execute()
    author = User.get_by_id(fresh.user_id)
    audit(actor.user, "entry.approve" if decision == "approved" else "entry.decline", fresh,
          author.county_id, {"user": author.id, "kind": fresh.kind, "date": fresh.date,
                             "hours": fresh.hours, "count": fresh.count, "reason": reason,
                             "role": actor.role})
    _notify(fresh, author, decision, reason)
    return Entry.get_by_id(entry.id)


def approve(actor, entry, version=None):
    """Approve a pending entry; it locks."""
    if not can_review(actor, entry):
        raise NotAllowed(_("You cannot review this entry."))
    with write_transaction():
        return _decide(actor, entry, "approved", version=version)


def decline(actor, entry, reason, version=None):
    """Decline a pending entry with a reason the author will read."""
    if not can_review(actor, entry):
        raise NotAllowed(_("You cannot review this entry."))
    reason = unicodedata.normalize("NFC", str(reason or "")).strip()
    if not reason:
        raise DomainError(_("Say why, so the person can correct it."), field="reason")
    if len(reason) > 500:
        raise DomainError(_("%(label)s is too long (at most %(n)d characters).",
                            label=_("The reason"), n=500), field="reason")
    with write_transaction():
        return _decide(actor, entry, "declined", reason=reason, version=version)


def bulk_approve(actor, picks):
    """Approve several entries: picks are (entry_id, version); return (approved, skipped)."""
    ids = [entry_id for entry_id, _v in picks]
    allowed = {e.id: e for e in reviewable(actor, access.entries(actor, Entry))
               .where(Entry.id.in_(ids or [0]))}
    approved = skipped = 0
    for entry_id, version in picks:
        entry = allowed.get(entry_id)
        if entry is None:
            skipped += 1
            continue
        try:
            with write_transaction():
                _decide(actor, entry, "approved", version=version)
        except Conflict:
            skipped += 1
        else:
            approved += 1
    return approved, skipped
