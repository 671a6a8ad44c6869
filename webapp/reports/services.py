"""Firm monthly reports: who may write them, checking them, sending, returning, accepting, and
each month's count against the 3 information reports + 1 typical case of seed 001 五(三).

Who writes: the firm's director (acting as director). Naming a practitioner as the firm's
reporter would need a new kind of role grant, so it is not offered yet.

Which month a report may count for: the current month, back to January of the previous year
(so December's reports can still be sent in January, and a late one found at year end). A
month in the future is refused.
"""
import datetime
import re
from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import IntegrityError, fn

from .. import access
from ..access import audit
from ..accounts.models import Firm, Notification, User
from ..db import is_postgres, utcnow, write_transaction
from ..errors import Conflict, DomainError, NotAllowed
from ..i18n import local_today
from ..inputs import clean_text
from ..ledger.forms import clean_key, has_id_number, has_phone_number, normal
from ..targets.services import targets_for
from ..web import object_id
from .models import FirmReport, FirmReportCredit

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
WRITERS = ("director",)

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

def can_write(actor):
    """Say whether the actor may write and send the reports of a firm (its director)."""
    return actor is not None and actor.role in WRITERS and bool(actor.grant.firm_id)


def writer_firm(actor):
    """Return the firm the actor writes reports for, or raise NotAllowed."""
    if not can_write(actor):
        raise NotAllowed(_("Only the firm's director sends its reports."))
    firm = access.firms(actor).where(Firm.id == actor.grant.firm_id).first()
    if firm is None:
        raise NotAllowed(_("Only the firm's director sends its reports."))
    return firm


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

def submit(actor, kind, data, credits=(), key=None, today=None):
    """Send a new report to the county; return (report, created).

    The same idempotency key sent twice (a double tap, a retry) gives the first report back.
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
    now = utcnow()
    try:
        with write_transaction():
            report = FirmReport.create(firm=firm.id, author=actor.user.id, status="submitted",
                                       submitted_at=now, created_at=now, updated_at=now,
                                       idempotency_key=key, **fields)
            _set_credits(report.id, user_ids)
    except IntegrityError:
        existing = FirmReport.get_or_none(FirmReport.idempotency_key == key) if key else None
        if existing is None:
            raise
        return existing, False
    return report, True


def can_edit(actor, report):
    """Say whether the actor may still change the report (not once it is accepted)."""
    return can_write(actor) and report.firm_id == actor.grant.firm_id \
        and report.status in EDITABLE


def edit(actor, report, data, credits=(), today=None):
    """Change a report not yet accepted and send it (again); return (report, was_returned)."""
    firm = writer_firm(actor)
    if report.firm_id != firm.id:
        raise NotAllowed(_("Only the firm's director sends its reports."))
    if report.status == "accepted":
        raise Conflict(_("The county accepted this report: it can no longer change."))
    fields = clean_report(report.kind, data, today or local_today())
    fields.pop("kind")
    user_ids = clean_credits(firm, credits)
    with write_transaction():
        fresh = _lock(report.id)
        if fresh is None or fresh.status not in EDITABLE:
            raise Conflict(_("The county accepted this report: it can no longer change."))
        now = utcnow()
        FirmReport.update(status="submitted", submitted_at=now, updated_at=now,
                          **fields).where(FirmReport.id == report.id).execute()
        _set_credits(report.id, user_ids)
    return FirmReport.get_by_id(report.id), fresh.status == "returned"


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
    Notification.create(user=author.id, kind=f"report_{decision}", message=message,
                        link=url_for("reports.report", report_id=report.id))


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


# ------------------------------------------------------------------ the monthly count

@dataclass
class MonthQuota:
    """One month of a firm's reports against its targets."""
    month: datetime.date
    info: int
    case: int
    info_pending: int
    case_pending: int
    info_target: int
    case_target: int
    state: str          # done, short (a past month not reached), open (this month), future

    @property
    def complete(self):
        return self.info >= self.info_target and self.case >= self.case_target


def targets(firm, year):
    """The firm's monthly targets for the year: (information reports, typical cases)."""
    values = targets_for(year, county_id=firm.county_id, firm_id=firm.id)
    return int(values["info_reports"][0]), int(values["typical_cases"][0])


def month_quota(firm, year, today=None):
    """Return the year's twelve MonthQuota of the firm, January first.

    Only accepted reports count. Submitted ones (waiting for the county) are shown apart as
    pending and do not count; returned ones count for nothing until accepted. A report counts
    once, for the month it names, whoever and however many it credits.
    """
    today = today or local_today()
    info_target, case_target = targets(firm, year)
    counts = {}
    rows = (FirmReport.select(FirmReport.month, FirmReport.kind, FirmReport.status,
                              fn.COUNT(FirmReport.id))
            .where(FirmReport.firm == firm.id, FirmReport.status.in_(("submitted", "accepted")),
                   FirmReport.month.between(datetime.date(year, 1, 1),
                                            datetime.date(year, 12, 31)))
            .group_by(FirmReport.month, FirmReport.kind, FirmReport.status).tuples())
    for month, kind, status, count in rows:
        month = _as_date(month)
        counts[(month.month, kind, status)] = count
    this_month = first_of_month(today)
    months = []
    for number in range(1, 13):
        start = datetime.date(year, number, 1)
        quota = MonthQuota(
            month=start, info=counts.get((number, "info", "accepted"), 0),
            case=counts.get((number, "case", "accepted"), 0),
            info_pending=counts.get((number, "info", "submitted"), 0),
            case_pending=counts.get((number, "case", "submitted"), 0),
            info_target=info_target, case_target=case_target, state="")
        if quota.complete:
            quota.state = "done"
        elif start < this_month:
            quota.state = "short"
        elif start == this_month:
            quota.state = "open"
        else:
            quota.state = "future"
        months.append(quota)
    return months


def _as_date(value):
    if isinstance(value, str):  # SQLite may hand back text
        return datetime.date.fromisoformat(value[:10])
    return value


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
