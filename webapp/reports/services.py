"""Firm monthly reports: who may write them, checking them, sending, returning, accepting, and
each month's count against the 3 information reports + 1 typical case of seed 001 五(三).

Who writes: the firm's director (acting as director), or the one practitioner of the firm the
director names as its reporter (a FirmReporter row, not a role grant: the reporter stays a
practitioner). `can_write` is that rule; every screen and `access.firm_reports` follow it.

Attachments: photos and PDFs through the evidence store (webapp/ledger/evidence.py: sniffed,
photos re-encoded without EXIF or GPS), kept under uploads/reports, served only to those who
may see the report, added or removed while it is not accepted.

Which month a report may count for: the current month, back to January of the previous year
(so December's reports can still be sent in January, and a late one found at year end). A
month in the future is refused.
"""
import datetime
import re

from flask import current_app, url_for
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from .. import access
from ..access import audit
from ..accounts.models import Firm, RoleGrant, User
from ..db import is_postgres, utcnow, write_transaction
from ..errors import Conflict, DomainError, NotAllowed
from ..i18n import local_today
from ..inputs import clean_text
from ..ledger import evidence as files
from ..ledger.forms import clean_key, has_id_number, has_phone_number, normal
from ..push.inbox import notify
from ..web import object_id
from .models import FirmReport, FirmReportAttachment, FirmReportCredit, FirmReporter

KIND_LABELS = {"info": _l("Information report"), "case": _l("Typical case")}
STATUS_LABELS = {"submitted": _l("Waiting for the county"), "returned": _l("Returned"),
                 "accepted": _l("Accepted")}
CASE_PARTS = ("facts", "handling", "result", "lesson")
MAX_TITLE = 120
MAX_BODY = 5000
MAX_PART = 2000
MAX_REASON = 500
MAX_CREDITS = 50
EDITABLE = ("submitted", "returned")
WRITERS = ("director", "practitioner")   # a practitioner only as the firm's named reporter
MAX_PHOTOS = 6
MAX_PDFS = 2
ATTACHMENT_FOLDER = "reports"

MONTH_RE = re.compile(r"^([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*月?$")
# A mainland mobile number (11 digits from 13… to 19…), with or without spaces or dashes.


# ------------------------------------------------------------------ months

def first_of_month(day):
    """Return the first day of the day's month."""
    return day.replace(day=1)


def earliest_month(today):
    """Reports may count for months back to January of the previous year."""
    return datetime.date(today.year - 1, 1, 1)


def parse_month(value, today, field="month"):
    """Return the first day of a month typed as 2026-05 (or 2026年5月), within the window."""
    text = normal(value)
    if not text:
        raise DomainError(_("Choose the month the report is for."), field=field)
    match = MONTH_RE.match(text)
    year, month = (int(part) for part in match.groups()) if match else (0, 0)
    if not match or not 1 <= month <= 12 or year < 1900:
        raise DomainError(_("The month is not valid. Write it like 2026-05."), field=field)
    chosen = datetime.date(year, month, 1)
    if chosen > first_of_month(today):
        raise DomainError(_("The month cannot be in the future."), field=field)
    if chosen < earliest_month(today):
        raise DomainError(_("The month is too long ago: reports can go back to %(month)s.",
                            month=format_date(earliest_month(today), "yyyy-MM")), field=field)
    return chosen


# ------------------------------------------------------------------ text

def clean_report_text(value, field, label, max_len, required=True, multiline=True):
    """Return cleaned text (webapp.inputs.clean_text), refusing identity and phone numbers."""
    text = clean_text(value, field, label, max_len, required=required, multiline=multiline)
    if has_id_number(text):
        raise DomainError(_("Remove the identity number from %(label)s. Personal information "
                            "such as a client's name or identity number stays out of this "
                            "system.", label=label), field=field)
    if has_phone_number(text):
        raise DomainError(_("Remove the phone number from %(label)s. A client's contact "
                            "details stay out of reports.", label=label), field=field)
    return text


def part_labels():
    """The labels of a typical case's four parts, in order."""
    return {"facts": _("What happened"), "handling": _("How the firm handled it"),
            "result": _("The result"), "lesson": _("What others can learn")}


def clean_report(kind, data, today):
    """Validate a report's form for its kind; return the model fields."""
    if kind not in KIND_LABELS:
        raise DomainError(_("Choose an information report or a typical case."), field="kind")
    fields = {
        "kind": kind,
        "month": parse_month(data.get("month"), today),
        "title": clean_report_text(data.get("title"), "title", _("the title"), MAX_TITLE,
                                   multiline=False),
        "body": "", "facts": "", "handling": "", "result": "", "lesson": "",
    }
    if kind == "info":
        fields["body"] = clean_report_text(data.get("body"), "body", _("the text"), MAX_BODY)
    else:
        labels = part_labels()
        for part in CASE_PARTS:
            fields[part] = clean_report_text(data.get(part), part, labels[part], MAX_PART,
                                             required=part != "lesson")
    return fields


# ------------------------------------------------------------------ who and whom

def _firm_id(actor):
    """The firm the actor would write for: a director's grant's, a practitioner's own."""
    if actor is None or actor.role not in WRITERS:
        return None
    return actor.grant.firm_id if actor.role == "director" else actor.user.firm_id


def can_write(actor):
    """Say whether the actor may write and send the reports of a firm: its director, or the
    practitioner the director named as the firm's reporter."""
    firm_id = _firm_id(actor)
    if not firm_id:
        return False
    if actor.role == "director":
        return True
    return FirmReporter.select().where(FirmReporter.firm == firm_id,
                                       FirmReporter.user == actor.user.id).exists()


def not_a_writer():
    """The refusal every screen gives someone who may not write the firm's reports."""
    return NotAllowed(_("Only the firm's director, or the reporter the director names, sends "
                        "the firm's reports."))


def writer_firm(actor):
    """Return the firm the actor writes reports for, or raise NotAllowed."""
    if not can_write(actor):
        raise not_a_writer()
    firm = access.firms(actor).where(Firm.id == _firm_id(actor)).first()
    if firm is None:
        raise not_a_writer()
    return firm


# ------------------------------------------------------------------ the firm's reporter

def can_name_reporter(actor):
    """Say whether the actor may name the firm's reporter (the firm's director)."""
    return actor is not None and actor.role == "director" and bool(actor.grant.firm_id)


def reporter_choices(firm):
    """The firm's active practitioners a director may name as its reporter, by name (not its
    directors, who write the reports anyway)."""
    directors = RoleGrant.select(RoleGrant.user).where(RoleGrant.role == "director",
                                                       RoleGrant.firm == firm.id)
    return list(User.select().join(RoleGrant, on=(RoleGrant.user == User.id))
                .where(User.firm == firm.id, User.active == True,  # noqa: E712
                       RoleGrant.role == "practitioner", RoleGrant.firm == firm.id,
                       User.id.not_in(directors))
                .order_by(User.name, User.id).distinct())


def reporter(firm):
    """The firm's named reporter, while still an active person of the firm; else None."""
    return (User.select().join(FirmReporter, on=(FirmReporter.user == User.id))
            .where(FirmReporter.firm == firm.id, User.firm == firm.id,
                   User.active == True).first())  # noqa: E712


def name_reporter(actor, user_id):
    """Name one of the firm's active practitioners as its reporter (replacing any); audited."""
    if not can_name_reporter(actor):
        raise NotAllowed(_("Only the firm's director names its reporter."))
    firm = writer_firm(actor)
    try:
        wanted = object_id(user_id)
    except ValueError:
        wanted = None
    user = next((u for u in reporter_choices(firm) if u.id == wanted), None)
    if user is None:
        raise DomainError(_("Choose an active practitioner of your firm."), field="reporter")
    with write_transaction():
        previous = FirmReporter.get_or_none(FirmReporter.firm == firm.id)
        if previous is not None and previous.user_id == user.id:
            return user
        FirmReporter.delete().where(FirmReporter.firm == firm.id).execute()
        try:
            FirmReporter.create(firm=firm.id, user=user.id, named_by=actor.user.id,
                                named_at=utcnow())
        except IntegrityError:
            raise Conflict(_("Someone else changed the firm's reporter just now. Look again."))
        audit(actor.user, "report.reporter_name", firm, firm.county_id,
              {"firm": firm.id, "user": user.id, "name": user.name,
               "previous": previous.user_id if previous else None})
    return user


def unname_reporter(actor):
    """Stop the firm's reporter writing its reports (the director writes them); audited.

    Return the person who was the reporter, or None when there was none.
    """
    if not can_name_reporter(actor):
        raise NotAllowed(_("Only the firm's director names its reporter."))
    firm = writer_firm(actor)
    with write_transaction():
        previous = FirmReporter.get_or_none(FirmReporter.firm == firm.id)
        if previous is None:
            return None
        FirmReporter.delete().where(FirmReporter.id == previous.id).execute()
        was = User.get_by_id(previous.user_id)
        audit(actor.user, "report.reporter_unname", firm, firm.county_id,
              {"firm": firm.id, "user": was.id, "name": was.name})
    return was


def creditable(firm):
    """Active people of the firm a report may credit, by name."""
    return list(User.select().where(User.firm == firm.id, User.active == True)  # noqa: E712
                .order_by(User.name, User.id))


def clean_credits(firm, values):
    """Return the ids of the credited people: active people of the firm, each once."""
    try:
        wanted = sorted({object_id(v) for v in values if normal(v)})
    except ValueError:
        raise DomainError(_("Choose people of your firm."), field="credits") from None
    if len(wanted) > MAX_CREDITS:
        raise DomainError(_("Choose people of your firm."), field="credits")
    allowed = {u.id for u in creditable(firm)}
    if any(user_id not in allowed for user_id in wanted):
        raise DomainError(_("Only active people of your firm can be credited."),
                          field="credits")
    return wanted


def _lock(report_id):
    query = FirmReport.select().where(FirmReport.id == report_id)
    if is_postgres():
        query = query.for_update()
    return query.first()


def _set_credits(report_id, user_ids):
    FirmReportCredit.delete().where(FirmReportCredit.report == report_id).execute()
    if user_ids:
        FirmReportCredit.insert_many(
            [{"report": report_id, "user": user_id} for user_id in user_ids]).execute()


def credited_ids(report):
    """The ids of the people a report credits."""
    return [c.user_id for c in FirmReportCredit.select(FirmReportCredit.user)
            .where(FirmReportCredit.report == report.id).order_by(FirmReportCredit.id)]


def credited_names(reports):
    """{report id: [names]} of the people the reports credit."""
    names = {}
    rows = (FirmReportCredit.select(FirmReportCredit.report, User.name)
            .join(User, on=(FirmReportCredit.user == User.id))
            .where(FirmReportCredit.report.in_([r.id for r in reports] or [0]))
            .order_by(User.name).tuples())
    for report_id, name in rows:
        names.setdefault(report_id, []).append(name)
    return names


# ------------------------------------------------------------------ writing

def submit(actor, kind, data, credits=(), key=None, today=None, uploads=()):
    """Send a new report (with its checked uploads) to the county; return (report, created).

    The same idempotency key sent twice (a double tap, a retry, the phone's outbox sending a
    draft kept offline) gives the first report back, and writes no file.
    """
    firm = writer_firm(actor)
    key = clean_key(key)
    if key:
        existing = FirmReport.get_or_none(FirmReport.idempotency_key == key)
        if existing is not None:
            if existing.firm_id != firm.id:
                raise Conflict(_("This form is damaged. Reload the page and try again."))
            return existing, False
    fields = clean_report(kind, data, today or local_today())
    user_ids = clean_credits(firm, credits)
    uploads = list(uploads)
    check_room(0, 0, uploads)
    now = utcnow()
    written = []
    try:
        with write_transaction():
            report = FirmReport.create(firm=firm.id, author=actor.user.id, status="submitted",
                                       submitted_at=now, created_at=now, updated_at=now,
                                       idempotency_key=key, **fields)
            _set_credits(report.id, user_ids)
            _attach(report.id, uploads, written)
    except IntegrityError:
        files.remove_files(written)
        existing = FirmReport.get_or_none(FirmReport.idempotency_key == key) if key else None
        if existing is None:
            raise
        return existing, False
    except BaseException:
        files.remove_files(written)
        raise
    return report, True


def can_edit(actor, report):
    """Say whether the actor may still change the report (not once it is accepted)."""
    return report.status in EDITABLE and report.firm_id == _firm_id(actor) and can_write(actor)


def edit(actor, report, data, credits=(), today=None, uploads=()):
    """Change a report not yet accepted, with new uploads, and send it (again); return
    (report, was_returned)."""
    firm = writer_firm(actor)
    if report.firm_id != firm.id:
        raise not_a_writer()
    if report.status == "accepted":
        raise Conflict(_("The county accepted this report: it can no longer change."))
    fields = clean_report(report.kind, data, today or local_today())
    fields.pop("kind")
    user_ids = clean_credits(firm, credits)
    uploads = list(uploads)
    written = []
    try:
        with write_transaction():
            fresh = _lock(report.id)
            if fresh is None or fresh.status not in EDITABLE:
                raise Conflict(_("The county accepted this report: it can no longer change."))
            check_room(*attachment_counts(report.id), uploads)
            now = utcnow()
            FirmReport.update(status="submitted", submitted_at=now, updated_at=now,
                              **fields).where(FirmReport.id == report.id).execute()
            _set_credits(report.id, user_ids)
            _attach(report.id, uploads, written)
    except BaseException:
        files.remove_files(written)
        raise
    return FirmReport.get_by_id(report.id), fresh.status == "returned"


# ------------------------------------------------------------------ attachments

def read_attachments(storages):
    """Check uploaded files (werkzeug FileStorage): each a photo (re-encoded, no EXIF or GPS)
    or a PDF, within the sizes of the evidence store; return Uploads and write nothing."""
    uploads = []
    for storage in storages:
        if storage is None or not storage.filename:
            continue
        try:
            uploads.extend(files.read_uploads([storage]))
        except DomainError as exc:
            raise DomainError(exc.message, field="attachments") from None
    check_room(0, 0, uploads)
    return uploads


def attachment_counts(report_id):
    """(photos, PDFs) attached to a report."""
    rows = list(FirmReportAttachment.select(FirmReportAttachment.content_type)
                .where(FirmReportAttachment.report == report_id).tuples())
    pdfs = sum(1 for (kind,) in rows if kind == "application/pdf")
    return len(rows) - pdfs, pdfs


def check_room(photos, pdfs, uploads):
    """Refuse uploads that would take a report past its photos or PDFs."""
    new_pdfs = sum(1 for u in uploads if u.is_pdf)
    if photos + len(uploads) - new_pdfs > MAX_PHOTOS:
        raise DomainError(_("A report can have at most %(n)d photos.", n=MAX_PHOTOS),
                          field="attachments")
    if pdfs + new_pdfs > MAX_PDFS:
        raise DomainError(_("A report can have at most %(n)d PDF files.", n=MAX_PDFS),
                          field="attachments")


def attachment_path(item, thumb=False):
    """The file of an attachment (or of its thumbnail), outside the web root."""
    return files.path_for(item.stored_name, thumb=thumb, folder=ATTACHMENT_FOLDER)


def _attach(report_id, uploads, written):
    # Each path goes into `written` as soon as it is on disk, so a failure after it (another
    # file, a row, the commit) lets the caller remove every file this request wrote.
    for upload in uploads:
        stored, paths = files.store(upload, folder=ATTACHMENT_FOLDER)
        written.extend(paths)
        FirmReportAttachment.create(report=report_id, stored_name=stored,
                                    original_name=upload.original_name,
                                    content_type=upload.content_type, size=len(upload.data))


def attachments_of(reports):
    """{report id: [attachments, oldest first]} of the reports."""
    out = {}
    rows = (FirmReportAttachment.select()
            .where(FirmReportAttachment.report.in_([r.id for r in reports] or [0]))
            .order_by(FirmReportAttachment.id))
    for item in rows:
        out.setdefault(item.report_id, []).append(item)
    return out


def visible_attachments(actor):
    """Attachments, with their report, of the reports the actor may see (access.firm_reports)."""
    return (FirmReportAttachment.select(FirmReportAttachment, FirmReport)
            .join(FirmReport, on=(FirmReportAttachment.report == FirmReport.id))
            .where(FirmReport.id.in_(access.firm_reports(actor, FirmReport)
                                     .select(FirmReport.id))))


def remove_attachment(actor, item):
    """Take a file off a report not yet accepted; its files go once the row is gone."""
    report = item.report
    if report.firm_id != _firm_id(actor) or not can_write(actor):
        raise not_a_writer()
    with write_transaction():
        fresh = _lock(report.id)
        if fresh is None or fresh.status not in EDITABLE:
            raise Conflict(_("The county accepted this report: it can no longer change."))
        FirmReportAttachment.delete().where(FirmReportAttachment.id == item.id).execute()
        # The county's copy of the text is stale now (see version_of).
        FirmReport.update(updated_at=utcnow()).where(FirmReport.id == report.id).execute()
    files.remove_files([attachment_path(item), attachment_path(item, thumb=True)])
    return report


# ------------------------------------------------------------------ the county's decision

def can_review(actor, report):
    """Say whether the actor may accept or return the report (its county's administrator)."""
    return (actor is not None and actor.role == "county_admin"
            and access.firm_reports(actor, FirmReport).where(FirmReport.id == report.id).exists())


def queue(actor):
    """Reports waiting for the actor's county, oldest first, with their firm and author."""
    if actor is None or actor.role != "county_admin":
        return access.firm_reports(None, FirmReport)
    return (access.firm_reports(actor, FirmReport).where(FirmReport.status == "submitted")
            .order_by(FirmReport.submitted_at, FirmReport.id))


def _notify(report, decision, reason=""):
    author = User.get_by_id(report.author_id)
    with force_locale(author.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        what = str(KIND_LABELS[report.kind])
        if decision == "accepted":
            message = _("Accepted: %(what)s “%(title)s”.", what=what, title=report.title)
        else:
            message = _("Returned: %(what)s “%(title)s”. Reason: %(reason)s Correct it and "
                        "send it again.", what=what, title=report.title, reason=reason)
    notify(author, f"report_{decision}", message, url_for("reports.report", report_id=report.id))


def version_of(report):
    """A token that changes whenever the report changes (guards against deciding stale text)."""
    stamp = report.updated_at
    return stamp.strftime("%Y%m%d%H%M%S%f") if stamp else ""


def _decide(actor, report, decision, reason="", version=None):
    if not can_review(actor, report):
        raise NotAllowed(_("You cannot review this report."))
    with write_transaction():
        fresh = _lock(report.id)
        if fresh is None or fresh.status != "submitted":
            raise Conflict(_("This report was already decided on, or it is being corrected."))
        if version and version != version_of(fresh):
            raise Conflict(_("The firm changed this report while you were reading it. "
                             "Read it again."))
        now = utcnow()
        values = {"status": decision, "reviewed_by": actor.user.id, "reviewed_at": now,
                  "updated_at": now}
        if decision == "returned":
            values["return_reason"] = reason
        FirmReport.update(**values).where(FirmReport.id == report.id).execute()
        county_id = Firm.select(Firm.county).where(Firm.id == fresh.firm_id).scalar()
        audit(actor.user, "report.accept" if decision == "accepted" else "report.return",
              fresh, county_id, {"firm": fresh.firm_id, "kind": fresh.kind,
                                 "month": fresh.month, "title": fresh.title,
                                 "reason": reason})
        _notify(fresh, decision, reason)
    return FirmReport.get_by_id(report.id)


def accept(actor, report, version=None):
    """Accept a submitted report: it counts for its month and locks."""
    return _decide(actor, report, "accepted", version=version)


def return_report(actor, report, reason, version=None):
    """Return a submitted report to the firm with the reason it should be corrected."""
    if not can_review(actor, report):
        raise NotAllowed(_("You cannot review this report."))
    reason = clean_text(reason, "reason", _("The reason"), MAX_REASON, required=True,
                        multiline=True, missing=_("Say why, so the firm can correct it."))
    return _decide(actor, report, "returned", reason, version)


def firm_reports(actor, year=None, status=None):
    """The reports the actor may see, newest month first (optionally one year, one status)."""
    query = access.firm_reports(actor, FirmReport)
    if year:
        query = query.where(FirmReport.month.between(datetime.date(year, 1, 1),
                                                     datetime.date(year, 12, 31)))
    if status:
        query = query.where(FirmReport.status == status)
    return query.order_by(FirmReport.month.desc(), FirmReport.submitted_at.desc(),
                          FirmReport.id.desc())
