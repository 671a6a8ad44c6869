"""Branch activities: recording them (三会一课, theme party days), their photos, who counts as missing."""
import datetime
import os
import secrets
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..access import audit, changed, snapshot
from ..db import db, utcnow, write_transaction
from ..errors import DomainError
from ..i18n import to_local, to_utc
from ..inputs import clean_text
from ..ledger import evidence as files
from ..ledger import system
from .models import ACTIVITY_KINDS, ActivityAttendance, ActivityPhoto, BranchActivity


MAX_PHOTOS = 6
CHECKIN_OPENS_BEFORE = datetime.timedelta(minutes=30)
# Committee and group meetings involve only some members: only those marked count as expected.
WHOLE_BRANCH_KINDS = ("theme_day", "members_meeting", "party_lecture", "other")


def is_missing(kind, state, on_roll=True):
    """Say whether a person counts as missing (缺席) from an activity of this kind.

    Marked absent is missing. Not marked is missing only at a whole-branch activity and only
    for someone on the branch's roll that day: committee and group meetings expect only
    those marked, and excused is never missing.
    """
    if state == "absent":
        return True
    return state in (None, "unmarked") and on_roll and kind in WHOLE_BRANCH_KINDS


# ------------------------------------------------------------------ activities

def earliest_day(today):
    """The earliest date an activity may be recorded for (the start of last year)."""
    return datetime.date(today.year - 1, 1, 1)


def clean_activity(data, today):
    """Validate the activity form; return clean values (times as naive UTC)."""
    kind = data.get("kind") or ""
    if kind not in ACTIVITY_KINDS:
        raise DomainError(_("Choose the type of activity."), field="kind")
    try:
        day = datetime.date.fromisoformat((data.get("date") or "").strip())
    except ValueError:
        raise DomainError(_("Enter the date of the activity."), field="date") from None
    latest = today + datetime.timedelta(days=366)
    if not earliest_day(today) <= day <= latest:
        raise DomainError(_("The date must be between %(first)s and %(last)s.",
                            first=earliest_day(today).isoformat(), last=latest.isoformat()),
                          field="date")
    try:
        start = datetime.time.fromisoformat((data.get("start") or "").strip())
        end = datetime.time.fromisoformat((data.get("end") or "").strip())
    except ValueError:
        raise DomainError(_("Enter the start and end times, like 14:30 and 16:30."),
                          field="start") from None
    if end <= start:
        raise DomainError(_("The end time must be after the start time."), field="end")
    topic = clean_text(data.get("topic"), "topic", "", 200, required=True,
                       missing=_l("Fill in the topic."),
                       too_long=_l("The topic is too long (at most 200 characters)."))
    place = clean_text(data.get("place"), "place", "", 120,
                       too_long=_l("The place is too long (at most 120 characters)."))
    summary = clean_text(data.get("summary"), "summary", "", 4000, multiline=True,
                         too_long=_l("The summary is too long (at most 4000 characters)."))
    return {"kind": kind, "topic": topic, "place": place, "summary": summary,
            "start_at": to_utc(datetime.datetime.combine(day, start)),
            "end_at": to_utc(datetime.datetime.combine(day, end))}


def branch_activities(branch):
    """The branch's activities, for loading one by id (the branch is already scoped)."""
    return BranchActivity.select().where(BranchActivity.branch == branch.id)


def duration_hours(activity):
    """The activity's length in hours (the hours each person present is credited)."""
    seconds = (activity.end_at - activity.start_at).total_seconds()
    return (Decimal(seconds) / Decimal(3600)).quantize(Decimal("0.01"))


def save_activity(actor, branch, clean, uploads=(), activity=None):
    """Plan or record an activity, with new photos; keep its ledger entries in step."""
    now = utcnow()
    written = []
    try:
        with write_transaction():
            if activity is None:
                activity = BranchActivity.create(
                    branch=branch, secret=secrets.token_hex(32), created_by=actor,
                    status="planned" if clean["start_at"] > now else "held", **clean)
                action, changes = "activity.create", None
            else:
                if activity.status == "cancelled":
                    raise DomainError(_("This activity was cancelled and cannot be changed."))
                if clean["start_at"] > now:
                    marked = ActivityAttendance.select().where(
                        ActivityAttendance.activity == activity.id,
                        ActivityAttendance.status == "present").exists()
                    if marked:
                        raise DomainError(_("Members are already marked present, so the activity "
                                            "cannot be moved to a time still to come."),
                                          field="date")
                    activity.status = "planned"
                before = snapshot(activity, clean)
                for key, value in clean.items():
                    setattr(activity, key, value)
                changes = changed(before, snapshot(activity, clean))
                activity.save()
                refresh_entries(activity)
                action = "activity.update"
            for upload in uploads:
                stored, paths = store_photo(upload)
                written.extend(paths)
                ActivityPhoto.create(activity=activity, stored_name=stored,
                                     content_type="image/jpeg", size=len(upload[0]))
            audit(actor, action, activity, branch.county_id,
                  {"branch": branch.id, "kind": activity.kind, "topic": activity.topic,
                   "start": activity.start_at, "photos": len(uploads),
                   **({"changes": changes} if changes is not None else {})})
    except Exception:
        files.remove_files(written)
        raise
    return activity


def entry_fields(activity):
    """The fields a present member's ledger entry takes from the activity."""
    return {"date": to_local(activity.start_at).date(), "hours": duration_hours(activity),
            "category": activity.kind, "description": activity.topic[:4000],
            "place": (activity.place or "")[:120]}


def refresh_entries(activity):
    """Bring the activity's ledger entries in step with its date, length and topic."""
    system.refresh("party_activity", "activity", activity.id, **entry_fields(activity))


def cancel_activity(actor, activity):
    """Cancel an activity; the ledger entries it gave are withdrawn, never deleted."""
    if activity.status == "cancelled":
        raise DomainError(_("This activity is already cancelled."))
    with write_transaction():
        activity.status = "cancelled"
        activity.save(only=[BranchActivity.status])
        withdrawn = system.withdraw_all("party_activity", "activity", activity.id)
        audit(actor, "activity.cancel", activity, activity.branch.county_id,
              {"topic": activity.topic, "entries_withdrawn": withdrawn})
    return activity


# ------------------------------------------------------------------ photos

def read_photos(storages, existing=0):
    """Check uploaded photos and re-encode them (no EXIF, no GPS); write nothing."""
    uploads = []
    for storage in storages:
        if storage is None or not storage.filename:
            continue
        data = storage.stream.read(files.MAX_IMAGE_BYTES + 1)
        name = os.path.basename((storage.filename or "").replace("\\", "/"))[:100]
        if not data:
            raise DomainError(_("The file %(name)s is empty.", name=name), field="photos")
        kind = files.sniff(data[:16])
        if kind is None or kind == "application/pdf":
            raise DomainError(_("%(name)s is not a photo. Send JPEG or PNG photos.", name=name),
                              field="photos")
        if len(data) > files.MAX_IMAGE_BYTES:
            raise DomainError(_("The photo is too large: at most %(mb)d MB.",
                                mb=files.MAX_IMAGE_BYTES // (1024 * 1024)), field="photos")
        try:
            uploads.append(files.reencode_image(data))
        except DomainError as exc:
            raise DomainError(exc.message, field="photos") from None
    if existing + len(uploads) > MAX_PHOTOS:
        raise DomainError(_("An activity can have at most %(n)d photos.", n=MAX_PHOTOS),
                          field="photos")
    return uploads


PHOTO_FOLDER = "activities"


def photo_path(stored_name, thumb=False):
    """Return the file path of a stored photo (or of its thumbnail), outside the web root."""
    return files.path_for(stored_name, thumb=thumb, folder=PHOTO_FOLDER)


def store_photo(upload):
    full, thumb = upload
    return files.store(files.Upload(full, thumb, "image/jpeg", ""), folder=PHOTO_FOLDER)


def remove_photo(actor, activity, photo):
    """Delete one photo of an activity."""
    with db.atomic():
        photo.delete_instance()
        audit(actor, "activity.photo_remove", activity, activity.branch.county_id,
              {"photo": photo.id})
    files.remove_files([photo_path(photo.stored_name), photo_path(photo.stored_name, thumb=True)])
