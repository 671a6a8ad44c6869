"""Everything the system holds about one person, as a .zip they download (/me/data.zip).

Every foreign key to User is listed in COVERED with the section of data.json that shows its
rows (tests/test_mydata.py fails for a model whose User key is in no section). Never written:
the password hash, session tokens, push keys, another person's entries, evidence or inbox.
"""
import datetime
import io
import json
import os
import zipfile
from decimal import Decimal
from urllib.parse import urlsplit

from flask_babel import gettext as _

from ..branches.models import ActivityAttendance, Branch, BranchActivity, BranchMember
from ..db import utcnow
from ..i18n import to_local
from ..errors import DomainError
from ..ledger import evidence as evidence_files
from ..ledger.models import Entry, Evidence
from ..ledger.year import label_context, source_labels
from ..push.models import NotificationMute, PushSubscription, ReminderSent
from ..quality.complaint_models import Complaint
from ..quality.rating_models import Rating
from ..quality.village_models import Village
from ..reports.bulletin_models import Bulletin
from ..reports.inspection_models import Inspection, InspectionItem
from ..reports.models import FirmReport, FirmReportCredit, FirmReporter
from ..reports.selection_models import CaseSelection
from ..study.models import StudyAssignment, StudyMaterial
from ..targets.models import Assessment
from ..trainings.models import Attendance, ScanReceipt, Training, TrainingPerson
from ..web import Sheet, xlsx_bytes
from . import services
from .models import AuditEvent, LoginAttempt, Notification, RoleGrant, UserSession

# (model, field) of every foreign key to User -> the key of data.json that shows those rows.
COVERED = {
    (RoleGrant, "user"): "roles",
    (UserSession, "user"): "devices",
    (AuditEvent, "actor"): "audit_events",
    (Notification, "user"): "notifications",
    (Entry, "user"): "entries",
    (Entry, "reviewer"): "entries_i_reviewed",
    (Training, "created_by"): "trainings_i_created",
    (TrainingPerson, "user"): "trainings_i_was_invited_to",
    (Attendance, "user"): "training_attendance",
    (Attendance, "marked_by"): "attendance_i_marked",
    (ScanReceipt, "user"): "scans_sent_later",
    (PushSubscription, "user"): "push_subscriptions",
    (ReminderSent, "user"): "reminders_sent",
    (NotificationMute, "user"): "messages_switched_off",
    (Branch, "secretary"): "branches_i_am_secretary_of",
    (BranchMember, "user"): "branch_membership",
    (BranchActivity, "created_by"): "party_activities_i_created",
    (ActivityAttendance, "user"): "party_activity_attendance",
    (Inspection, "created_by"): "inspections_i_recorded",
    (InspectionItem, "closed_by"): "inspection_items_i_closed",
    (CaseSelection, "recommended_by"): "cases_i_recommended",
    (CaseSelection, "chosen_by"): "cases_i_chose",
    (Bulletin, "issued_by"): "bulletins_i_issued",
    (FirmReport, "author"): "firm_reports",
    (FirmReport, "reviewed_by"): "firm_reports_i_reviewed",
    (FirmReportCredit, "user"): "firm_reports",
    (FirmReporter, "user"): "firms_i_report_for",
    (FirmReporter, "named_by"): "reporters_i_named",
    (Assessment, "user"): "assessments",
    (Assessment, "decided_by"): "assessments_i_decided",
    (StudyAssignment, "user"): "party_study",
    (StudyMaterial, "created_by"): "study_material_i_published",
    (Rating, "practitioner"): "ratings_of_my_service",
    (Complaint, "practitioner"): "complaints_about_me",
    (Complaint, "assignee"): "complaints_i_handle",
    (Complaint, "created_by"): "complaints_i_recorded",
    (Village, "adviser"): "villages_i_advise",
}
DOWNLOADS_PER_HOUR = 10


class TooMany(DomainError):
    """The person downloaded their data many times in the last hour."""

    status = 429


def check_allowed(user):
    """Refuse a download past DOWNLOADS_PER_HOUR in an hour (each one reads every table)."""
    since = utcnow() - datetime.timedelta(hours=1)
    recent = (AuditEvent.select().where(AuditEvent.actor == user.id,
                                        AuditEvent.action == "my_data.download",
                                        AuditEvent.created_at > since).count())
    if recent >= DOWNLOADS_PER_HOUR:
        raise TooMany(_("You downloaded your data many times in the last hour. "
                        "Try again in an hour."))


def _value(value):
    """A value as JSON holds it: times in UTC with their offset, amounts as text."""
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=datetime.UTC).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):   # "2.5" on every engine (PostgreSQL says 2.50)
        return format(value.normalize(), "f")
    return value


def _row(obj, *fields, **more):
    out = {name: _value(getattr(obj, name)) for name in fields}
    out.update({k: _value(v) for k, v in more.items()})
    return out


def _name(obj):
    return obj.name if obj is not None else None


def _profile(user):
    return _row(user, "id", "name", "phone", "username", "licence_no", "birth_year",
                "party_member", "licensed_on", "deactivated_on", "education", "locale", "active",
                "must_change_password", "created_at",
                firm=_name(user.firm), county=_name(user.county))


def _roles(user):
    return [_row(g, "role", "created_at", firm=_name(g.firm), branch=_name(g.branch),
                 region=_name(g.region))
            for g in RoleGrant.select().where(RoleGrant.user == user.id).order_by(RoleGrant.id)]


def _devices(user):
    return [_row(s, "created_at", ended_at=s.ended_at, last_used_at=s.last_seen_at,
                 device=services.device_name(s.user_agent))
            for s in UserSession.select().where(UserSession.user == user.id)
            .order_by(UserSession.id)]


def _entries(user):
    rows = list(Entry.select().where(Entry.user == user.id).order_by(Entry.date, Entry.id))
    files = {}
    for ev in (Evidence.select().join(Entry).where(Entry.user == user.id)
               .order_by(Evidence.id)):
        files.setdefault(ev.entry_id, []).append(ev)
    return rows, files


def _evidence_path(ev):
    """Where a file goes in the zip: ids and the stored kind only (no name a person typed)."""
    return f"evidence/entry-{ev.entry_id}/{ev.id}{os.path.splitext(ev.stored_name)[1]}"


def _entry_row(entry, files, trainings, activities):
    return _row(entry, "id", "kind", "date", "hours", "count", "category", "description",
                "place", "people_served", "case_number", "case_type", "case_status",
                "closed_on", "provider", "source", "status", "reviewed_at", "review_note",
                "created_at", "updated_at",
                training=trainings.get(entry.training_id),
                party_activity=activities.get(entry.activity_id),
                evidence=[_row(ev, "original_name", "content_type", "size", "created_at",
                               file=_evidence_path(ev)) for ev in files.get(entry.id, [])])


def _training_attendance(user):
    query = (Attendance.select(Attendance, Training).join(Training)
             .where(Attendance.user == user.id).order_by(Training.start_at, Attendance.id))
    return [_row(a, "status", "checked_in_at", "checked_out_at", "method_in", "method_out",
                 "late", "credited_hours", "needs_review", "flags", "distance_m", "note",
                 training=a.training.title, training_start=a.training.start_at,
                 training_end=a.training.end_at)
            for a in query]


def _party(user):
    membership = [_row(m, "standing", "joined_on", "left_on", branch=m.branch.name)
                  for m in BranchMember.select(BranchMember, Branch).join(Branch)
                  .where(BranchMember.user == user.id).order_by(BranchMember.id)]
    attendance = [_row(a, "status", "reason", "checked_in_at", "method", "updated_at",
                       activity=a.activity.topic, kind=a.activity.kind,
                       start_at=a.activity.start_at)
                  for a in ActivityAttendance.select(ActivityAttendance, BranchActivity)
                  .join(BranchActivity).where(ActivityAttendance.user == user.id)
                  .order_by(BranchActivity.start_at)]
    return membership, attendance


def _reports(user):
    """Reports the person wrote or is credited in, each once, with its files' names."""
    credited = FirmReportCredit.select(FirmReportCredit.report).where(
        FirmReportCredit.user == user.id)
    query = (FirmReport.select().where((FirmReport.author == user.id)
                                       | (FirmReport.id.in_(credited)))
             .order_by(FirmReport.month, FirmReport.id))
    return [_row(r, "id", "kind", "month", "title", "body", "facts", "handling", "result",
                 "lesson", "status", "return_reason", "reviewed_at", "submitted_at",
                 firm=r.firm.name, i_wrote_it=r.author_id == user.id,
                 attachments=[_row(a, "original_name", "content_type", "size")
                              for a in r.attachments])
            for r in query]


def _audit(user, own):
    """Audit events the person made, and those about them or their own rows."""
    about = AuditEvent.actor == user.id
    about |= (AuditEvent.object_type == "user") & (AuditEvent.object_id == user.id)
    for kind, ids in own.items():
        about |= (AuditEvent.object_type == kind) & (AuditEvent.object_id.in_(ids))
    query = AuditEvent.select().where(about).order_by(AuditEvent.id)
    return [_row(e, "action", "object_type", "object_id", "detail", "address", "created_at",
                 by_me=e.actor_id == user.id,
                 by=_name(e.actor) if e.actor_id else None)
            for e in query]


def _simple(query, *fields, **computed):
    return [_row(r, *fields, **{k: f(r) for k, f in computed.items()}) for r in query]


def collect(user):
    """Return (data, entries, evidence by entry id): everything data.json says."""
    entries, files = _entries(user)
    trainings = dict(Training.select(Training.id, Training.title).where(
        Training.id.in_([e.training_id for e in entries if e.training_id] or [0])).tuples())
    activities = dict(BranchActivity.select(BranchActivity.id, BranchActivity.topic).where(
        BranchActivity.id.in_([e.activity_id for e in entries if e.activity_id] or [0])).tuples())
    membership, party_attendance = _party(user)
    logins = [x for x in (user.phone, user.username) if x]
    own = {  # subqueries: a person may have thousands of entries
        "entry": Entry.select(Entry.id).where(Entry.user == user.id),
        "attendance": Attendance.select(Attendance.id).where(Attendance.user == user.id),
        "assessment": Assessment.select(Assessment.id).where(Assessment.user == user.id),
    }
    data = {
        "exported_at": _value(utcnow()),
        "profile": _profile(user),
        "roles": _roles(user),
        "devices": _devices(user),
        "entries": [_entry_row(e, files, trainings, activities) for e in entries],
        "training_attendance": _training_attendance(user),
        "trainings_i_was_invited_to": _simple(
            TrainingPerson.select(TrainingPerson, Training).join(Training)
            .where(TrainingPerson.user == user.id).order_by(Training.start_at),
            training=lambda r: r.training.title, start_at=lambda r: r.training.start_at),
        "scans_sent_later": _simple(
            ScanReceipt.select(ScanReceipt, Training).join(Training)
            .where(ScanReceipt.user == user.id).order_by(ScanReceipt.id),
            "purpose", "scanned_at", "result", "created_at", training=lambda r: r.training.title),
        "branch_membership": membership,
        "party_activity_attendance": party_attendance,
        "notifications": _simple(
            Notification.select().where(Notification.user == user.id)
            .order_by(Notification.created_at, Notification.id),
            "kind", "message", "link", "created_at", "read_at"),
        "reminders_sent": _simple(
            ReminderSent.select().where(ReminderSent.user == user.id).order_by(ReminderSent.id),
            "kind", "period", "created_at"),
        "messages_switched_off": _simple(
            NotificationMute.select().where(NotificationMute.user == user.id)
            .order_by(NotificationMute.id), "switch", "created_at"),
        "push_subscriptions": _simple(
            PushSubscription.select().where(PushSubscription.user == user.id)
            .order_by(PushSubscription.id), "created_at", "last_error",
            endpoint_host=lambda r: urlsplit(r.endpoint).hostname or "",
            device=lambda r: services.device_name(r.user_agent)),
        "firm_reports": _reports(user),
        "firms_i_report_for": _simple(
            FirmReporter.select().where(FirmReporter.user == user.id).order_by(FirmReporter.id),
            "named_at", firm=lambda r: r.firm.name),
        "assessments": _simple(
            Assessment.select().where(Assessment.user == user.id).order_by(Assessment.year),
            "year", "result", "comment", "rectify_by", "rectified_at", "rectify_note",
            "decided_at", county=lambda r: r.county.name),
        "failed_sign_ins": _simple(
            LoginAttempt.select().where(LoginAttempt.account.in_(logins or [""]))
            .order_by(LoginAttempt.id), "created_at"),
        "audit_events": _audit(user, own),
        "party_study": _simple(
            StudyAssignment.select(StudyAssignment, StudyMaterial).join(StudyMaterial)
            .where(StudyAssignment.user == user.id).order_by(StudyAssignment.id),
            "opened_at", "completed_at", "score", "created_at",
            material=lambda r: r.material.title, hours=lambda r: _value(r.material.hours)),
        # Ratings by the people served: what they said and in which month, as the ratings page
        # shows them; never the service or the moment, which could tell who the rater was.
        "ratings_of_my_service": _simple(
            Rating.select().where(Rating.practitioner == user.id)
            .order_by(Rating.created_at, Rating.id),
            "score", "useful", "comment",
            month=lambda r: to_local(r.created_at).strftime("%Y-%m")),
        # Complaints about the person once concluded: the finding and the measure, not the
        # complainant's words (the summary may name them).
        "complaints_about_me": _simple(
            Complaint.select().where(Complaint.practitioner == user.id,
                                     Complaint.status == "concluded").order_by(Complaint.id),
            "received_on", "source", "finding", "measure", "concluded_on",
            firm=lambda r: r.firm.name),
        "villages_i_advise": _simple(
            Village.select().where(Village.adviser == user.id).order_by(Village.id),
            "township", "name", "kind", "active"),
        # What the person did for others: only that it was them, and when (no one else's data).
        "entries_i_reviewed": _simple(
            Entry.select(Entry.id, Entry.status, Entry.reviewed_at, Entry.review_note)
            .where(Entry.reviewer == user.id, Entry.user != user.id).order_by(Entry.id),
            "id", "status", "reviewed_at", "review_note"),
        "attendance_i_marked": _simple(
            Attendance.select(Attendance.id, Attendance.training, Attendance.updated_at)
            .where(Attendance.marked_by == user.id, Attendance.user != user.id)
            .order_by(Attendance.id), "id", "training_id", "updated_at"),
        "trainings_i_created": _simple(
            Training.select().where(Training.created_by == user.id).order_by(Training.id),
            "id", "title", "start_at", "created_at"),
        "branches_i_am_secretary_of": _simple(
            Branch.select().where(Branch.secretary == user.id).order_by(Branch.id), "id", "name"),
        "party_activities_i_created": _simple(
            BranchActivity.select().where(BranchActivity.created_by == user.id)
            .order_by(BranchActivity.id), "id", "topic", "start_at", "created_at"),
        "inspections_i_recorded": _simple(
            Inspection.select().where(Inspection.created_by == user.id).order_by(Inspection.id),
            "id", "held_on", "created_at", firm=lambda r: r.firm.name),
        "inspection_items_i_closed": _simple(
            InspectionItem.select().where(InspectionItem.closed_by == user.id)
            .order_by(InspectionItem.id), "id", "inspection_id", "closed_on", "close_note"),
        "cases_i_recommended": _simple(
            CaseSelection.select().where(CaseSelection.recommended_by == user.id)
            .order_by(CaseSelection.id), "report_id", "year", "recommended_at"),
        "cases_i_chose": _simple(
            CaseSelection.select().where(CaseSelection.chosen_by == user.id)
            .order_by(CaseSelection.id), "report_id", "year", "chosen_at"),
        "bulletins_i_issued": _simple(
            Bulletin.select().where(Bulletin.issued_by == user.id).order_by(Bulletin.id),
            "month", "issued_at", county=lambda r: r.county.name),
        "firm_reports_i_reviewed": _simple(
            FirmReport.select(FirmReport.id, FirmReport.status, FirmReport.reviewed_at)
            .where(FirmReport.reviewed_by == user.id).order_by(FirmReport.id),
            "id", "status", "reviewed_at"),
        "reporters_i_named": _simple(
            FirmReporter.select().where(FirmReporter.named_by == user.id)
            .order_by(FirmReporter.id), "named_at", firm=lambda r: r.firm.name),
        "study_material_i_published": _simple(
            StudyMaterial.select().where(StudyMaterial.created_by == user.id)
            .order_by(StudyMaterial.id), "id", "title", "status", "created_at"),
        "complaints_i_handle": _simple(
            Complaint.select(Complaint.id, Complaint.status, Complaint.deadline)
            .where(Complaint.assignee == user.id).order_by(Complaint.id),
            "id", "status", "deadline"),
        "complaints_i_recorded": _simple(
            Complaint.select(Complaint.id, Complaint.received_on, Complaint.created_at)
            .where(Complaint.created_by == user.id).order_by(Complaint.id),
            "id", "received_on", "created_at"),
        "assessments_i_decided": _simple(
            Assessment.select(Assessment.id, Assessment.year, Assessment.decided_at)
            .where(Assessment.decided_by == user.id).order_by(Assessment.id),
            "id", "year", "decided_at"),
    }
    return data, entries, files


def entries_sheet(user, entries, files):
    """The person's ledger as one worksheet (every line, every year)."""
    labels = label_context()
    sources = source_labels(entries, user.id)
    rows = [[e.date, labels["kind_labels"].get(e.kind, e.kind), labels["category_label"](e),
             float(e.hours), e.count, e.description, e.place, e.case_number, sources[e.id],
             labels["status_labels"].get(e.status, e.status), e.review_note,
             len(files.get(e.id, []))]
            for e in entries]
    return Sheet(_("Entries"), [_("Date"), _("Kind"), _("Type"), _("Hours"), _("Cases"),
                                _("Description"), _("Place"), _("Case number"), _("Source"),
                                _("Status"), _("Review note"), _("Files")],
                 rows, widths=(12, 16, 24, 8, 8, 50, 20, 20, 16, 14, 30, 8))


def readme(user, data):
    """README.txt in the person's language: what each file is and how to read it."""
    lines = [
        _("Everything this service holds about %(name)s, downloaded %(when)s (UTC).",
          name=user.name, when=data["exported_at"]),
        "",
        _("data.json: your profile, roles, signed-in devices, every ledger entry with its "
          "evidence list, attendance at trainings and party activities, branch membership, "
          "messages in your inbox, phones that get notifications, firm reports you wrote or "
          "are credited in, results of annual assessments, failed sign-ins to your account, "
          "and the audit events you made or that are about you."),
        _("entries.xlsx: your ledger entries as a spreadsheet, one line each."),
        _("evidence/: the photos and PDFs you attached to your entries, one folder per entry "
          "(its number is the entry's id in data.json)."),
        "",
        _("Times in data.json are in UTC. Not included, on purpose: your password (only a "
          "one-way hash of it is kept), the secret keys of your sign-ins and of your phones' "
          "notifications, and other people's entries and messages."),
    ]
    return "\r\n".join(lines) + "\r\n"


def export_for(user):
    """Return the .zip of everything held about the person: README.txt, data.json,
    entries.xlsx and their evidence files."""
    data, entries, files = collect(user)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme(user, data))
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        archive.writestr("entries.xlsx", xlsx_bytes([entries_sheet(user, entries, files)]))
        for entry_files in files.values():
            for ev in entry_files:
                path = evidence_files.path_for(ev.stored_name)
                if os.path.exists(path):   # a file lost from the disk is still listed
                    archive.write(path, _evidence_path(ev), compress_type=zipfile.ZIP_STORED)
    return out.getvalue()
