"""A person's own entries: logging, editing, evidence and withdrawing, until a review locks them."""
from flask_babel import gettext as _
from peewee import IntegrityError, fn

from ..accounts.models import User
from ..db import is_postgres, utcnow, write_transaction
from ..errors import Conflict, DomainError, NotAllowed
from ..i18n import local_today
from . import evidence as files
from .forms import clean_entry, clean_key
from .models import Entry, Evidence
from .rules import check_day_cap, rule_for

EDITABLE = ("pending", "declined")


def lock(model, row_id):
    """Load a row for update (PostgreSQL row lock; SQLite is already serialised)."""
    query = model.select().where(model.id == row_id)
    if is_postgres():
        query = query.for_update()
    return query.first()


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
            lock(User, user.id)
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
            lock(User, user.id)
            fresh = lock(Entry, entry.id)
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
            fresh = lock(Entry, entry.id)
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
        fresh = lock(Entry, entry.id)
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
        fresh = lock(Entry, entry.id)
        if fresh.status != "pending":
            if fresh.status == "withdrawn":
                return fresh
            raise Conflict(_("Only an entry that waits for review can be withdrawn."))
        Entry.update(status="withdrawn", updated_at=utcnow()).where(Entry.id == entry.id).execute()
    return Entry.get_by_id(entry.id)
