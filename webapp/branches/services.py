"""Party branch rules: branches, members, secretaries, activities, attendance, the party record."""
import datetime
import os
import secrets
from decimal import Decimal

from flask_babel import gettext as _
from peewee import JOIN, IntegrityError, fn

from ..accounts.models import Firm, RoleGrant, User
from ..access import audit
from ..db import db, utcnow, write_transaction
from ..errors import Conflict, DomainError
from ..i18n import local_today, to_local, to_utc
from ..ledger import evidence as files
from ..ledger import system
from ..ledger.models import Entry
from ..targets.services import targets_for
from ..web import object_id
from .labels import (ACTIVITY_LABELS, ATTENDANCE_LABELS, BRANCH_KIND_LABELS,  # noqa: F401
                     STANDING_LABELS, STATUS_LABELS)
from .models import (ACTIVITY_KINDS, ActivityAttendance, ActivityPhoto, Branch, BranchActivity,
                     BranchFirm, BranchMember)

MIN_FULL_MEMBERS = 3          # seeds 000 and 001: three full members make a branch
MAX_PHOTOS = 6
CHECKIN_OPENS_BEFORE = datetime.timedelta(minutes=30)
MISSED_IN_A_ROW = 3
# Committee and group meetings involve only some members: only those marked count as expected.
WHOLE_BRANCH_KINDS = ("theme_day", "members_meeting", "party_lecture", "other")


def _truthy(value):
    return str(value or "").strip().lower() in ("1", "on", "true", "yes")


def _getlist(data, name):
    return data.getlist(name) if hasattr(data, "getlist") else list(data.get(name) or [])


def _text(data, name, label_message, max_len, required=False, too_long=None):
    value = (data.get(name) or "").strip()
    if required and not value:
        raise DomainError(label_message, field=name)
    if len(value) > max_len:
        raise DomainError(too_long or _("This is too long (at most %(n)d characters).", n=max_len),
                          field=name)
    return value


def _as_id(value):
    try:
        return object_id(value)
    except (TypeError, ValueError):
        return None


# ------------------------------------------------------------------ branches

def county_firms(county_id):
    """The county's active firms, which a branch may cover."""
    return list(Firm.select().where(Firm.county == county_id, Firm.active == True)  # noqa: E712
                .order_by(Firm.name))


def clean_branch(data, firms):
    """Validate the branch form against the county's firms; return clean values."""
    name = _text(data, "name", _("Fill in the branch's name."), 120,
                 required=True, too_long=_("The name is too long (at most 120 characters)."))
    kind = data.get("kind") or ""
    if kind not in BRANCH_KIND_LABELS:
        raise DomainError(_("Choose whether the branch is independent or joint."), field="kind")
    wanted = {str(v).strip() for v in _getlist(data, "firm_ids") if str(v).strip()}
    chosen = [f for f in firms if str(f.id) in wanted]
    if len(chosen) != len(wanted):
        raise DomainError(_("Choose firms from the list."), field="firm_ids")
    office = _truthy(data.get("justice_office"))
    if kind == "independent":
        if len(chosen) != 1:
            raise DomainError(_("An independent branch covers exactly one firm."), field="firm_ids")
        if office:
            raise DomainError(_("Only a joint branch can include the township justice office."),
                              field="justice_office")
    elif not chosen or len(chosen) + (1 if office else 0) < 2:
        raise DomainError(_("A joint branch covers two or more firms, or firms and the township "
                            "justice office."), field="firm_ids")
    return {"name": name, "kind": kind, "firms": chosen, "includes_justice_office": office}


def _firm_taken(firms, branch):
    """Return (firm, other branch) when a firm already belongs to another active branch."""
    row = (BranchFirm.select(BranchFirm, Branch).join(Branch)
           .where(BranchFirm.firm.in_([f.id for f in firms] or [0]),
                  Branch.active == True,  # noqa: E712
                  Branch.id != (branch.id if branch else 0))
           .first())
    if row is None:
        return None
    return next(f for f in firms if f.id == row.firm_id), row.branch


def save_branch(actor, county_id, clean, branch=None):
    """Create or update a branch and the firms it covers."""
    taken = _firm_taken(clean["firms"], branch)
    if taken:
        raise Conflict(_("%(firm)s is already in the branch “%(branch)s”.",
                         firm=taken[0].name, branch=taken[1].name), field="firm_ids")
    fields = {k: clean[k] for k in ("name", "kind", "includes_justice_office")}
    with db.atomic():
        before = None
        try:
            with db.atomic():
                if branch is None:
                    branch = Branch.create(county=county_id, **fields)
                    action = "branch.create"
                else:
                    before = {"name": branch.name, "kind": branch.kind,
                              "justice_office": branch.includes_justice_office,
                              "firms": sorted(bf.firm_id for bf in branch.firm_links)}
                    # A fresh copy: a refused save leaves the caller's object as it was.
                    branch = Branch.get_by_id(branch.id)
                    for key, value in fields.items():
                        setattr(branch, key, value)
                    branch.save()
                    action = "branch.update"
        except IntegrityError:
            raise Conflict(_("There is already a branch called “%(name)s”.", name=clean["name"]),
                           field="name") from None
        BranchFirm.delete().where(BranchFirm.branch == branch).execute()
        for firm in clean["firms"]:
            BranchFirm.create(branch=branch, firm=firm)
        after = {"name": branch.name, "kind": branch.kind,
                 "justice_office": branch.includes_justice_office,
                 "firms": sorted(f.id for f in clean["firms"])}
        audit(actor, action, branch, branch.county_id,
              {"before": before, "after": after} if before else after)
    return branch


# ------------------------------------------------------------------ members

def active_members(branch):
    """The branch's current members (User rows with .membership), secretary first."""
    rows = (BranchMember.select(BranchMember, User, Firm)
            .join(User, on=(BranchMember.user == User.id))
            .join(Firm, JOIN.LEFT_OUTER, on=(User.firm == Firm.id))
            .where(BranchMember.branch == branch.id, BranchMember.left_on.is_null())
            .order_by(User.name, User.id))
    members = list(rows)
    members.sort(key=lambda m: (m.user_id != branch.secretary_id, m.standing != "full"))
    return members


def _in_a_branch():
    return BranchMember.select(BranchMember.user).where(BranchMember.left_on.is_null())


def county_practitioners(county_id):
    """Active practitioners of the county (the people a branch's members come from)."""
    return (User.select(User, Firm).join(Firm, on=(User.firm == Firm.id))
            .where(User.county == county_id, User.active == True,  # noqa: E712
                   User.id.in_(RoleGrant.select(RoleGrant.user)
                               .where(RoleGrant.role == "practitioner"))))


def candidates(branch):
    """Who may be added: the county's practitioners in no branch, the branch's own firms first."""
    own = {bf.firm_id for bf in branch.firm_links}
    people = list(county_practitioners(branch.county_id).where(User.id.not_in(_in_a_branch())))
    people.sort(key=lambda u: (u.firm_id not in own, not u.party_member, u.firm.name, u.name))
    return people


def _clean_standing(value):
    if value not in STANDING_LABELS:
        raise DomainError(_("Choose full or probationary member."), field="standing")
    return value


def _clean_joined(value, today):
    value = (value or "").strip()
    if not value:
        return None
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise DomainError(_("Enter the date they joined the branch, like 2024-07-01."),
                          field="joined_on") from None
    if day > today or day.year < 1921:
        raise DomainError(_("The date they joined cannot be in the future."), field="joined_on")
    return day


def add_member(actor, branch, data, today=None):
    """Add one of the county's practitioners to the branch (and flag them as a party member)."""
    today = today or local_today()
    user_id = _as_id(data.get("user_id"))
    person = county_practitioners(branch.county_id).where(User.id == (user_id or 0)).first()
    if person is None:
        raise DomainError(_("Choose a person from the list."), field="user_id")
    standing = _clean_standing(data.get("standing") or "full")
    joined = _clean_joined(data.get("joined_on"), today)
    elsewhere = (BranchMember.select(BranchMember, Branch).join(Branch)
                 .where(BranchMember.user == person.id, BranchMember.left_on.is_null()).first())
    if elsewhere is not None:
        if elsewhere.branch_id == branch.id:
            raise Conflict(_("%(name)s is already a member of this branch.", name=person.name),
                           field="user_id")
        raise Conflict(_("%(name)s is already a member of “%(branch)s”. Remove them there first.",
                         name=person.name, branch=elsewhere.branch.name), field="user_id")
    with db.atomic():
        try:
            # One current branch per person is a unique index: a concurrent add fails here.
            with db.atomic():
                revived = (BranchMember.update(left_on=None, standing=standing, joined_on=joined)
                           .where(BranchMember.branch == branch.id,
                                  BranchMember.user == person.id).execute())
                if not revived:
                    BranchMember.create(branch=branch, user=person, standing=standing,
                                        joined_on=joined)
        except IntegrityError:
            raise Conflict(_("%(name)s is already a member of this branch.",
                             name=person.name), field="user_id") from None
        if not person.party_member:
            User.update(party_member=True).where(User.id == person.id).execute()
        audit(actor, "branch.member_add", branch, branch.county_id,
              {"user": person.id, "name": person.name, "standing": standing, "joined_on": joined})
    return person


def change_standing(actor, branch, member, standing):
    """Change a member from probationary to full (or back)."""
    standing = _clean_standing(standing)
    if standing == member.standing:
        return member
    if member.user_id == branch.secretary_id and standing != "full":
        raise DomainError(_("The branch secretary must be a full member."), field="standing")
    with db.atomic():
        before = member.standing
        member.standing = standing
        member.save(only=[BranchMember.standing])
        audit(actor, "branch.member_standing", branch, branch.county_id,
              {"user": member.user_id, "before": before, "after": standing})
    return member


def remove_member(actor, branch, member, today=None):
    """Take a member off the branch (their past attendance stays in their record)."""
    if member.user_id == branch.secretary_id:
        raise DomainError(_("%(name)s is the branch secretary. Name another secretary first.",
                            name=member.user.name))
    today = today or local_today()
    with db.atomic():
        member.left_on = today
        member.save(only=[BranchMember.left_on])
        audit(actor, "branch.member_remove", branch, branch.county_id,
              {"user": member.user_id, "name": member.user.name})
    return member


def set_secretary(actor, branch, user_id):
    """Name a full member as secretary: they get the secretary role, the previous one loses it."""
    user_id = _as_id(user_id)
    member = (BranchMember.select(BranchMember, User).join(User)
              .where(BranchMember.branch == branch.id, BranchMember.user == (user_id or 0),
                     BranchMember.left_on.is_null()).first())
    if member is None:
        raise DomainError(_("Choose the secretary from the branch's members."), field="secretary")
    if member.standing != "full":
        raise DomainError(_("A probationary member cannot be the branch secretary."),
                          field="secretary")
    holders = {gr.user_id for gr in RoleGrant.select().where(RoleGrant.role == "secretary",
                                                             RoleGrant.branch == branch.id)}
    if branch.secretary_id == member.user_id and holders == {member.user_id}:
        return branch
    with db.atomic():
        before = branch.secretary_id
        RoleGrant.delete().where(RoleGrant.role == "secretary", RoleGrant.branch == branch.id,
                                 RoleGrant.user != member.user_id).execute()
        if member.user_id not in holders:
            RoleGrant.create(user=member.user_id, role="secretary", branch=branch)
        branch.secretary = member.user_id
        branch.save(only=[Branch.secretary])
        audit(actor, "branch.secretary", branch, branch.county_id,
              {"before": before, "after": member.user_id, "name": member.user.name})
    return branch


# ------------------------------------------------------------------ the three-member rule

def member_counts(branch_ids):
    """Return {branch_id: {"full": n, "probationary": m}} for current members."""
    counts = {bid: {"full": 0, "probationary": 0} for bid in branch_ids}
    rows = (BranchMember.select(BranchMember.branch, BranchMember.standing,
                                fn.COUNT(BranchMember.id))
            .where(BranchMember.branch.in_(list(branch_ids) or [0]), BranchMember.left_on.is_null())
            .group_by(BranchMember.branch, BranchMember.standing).tuples())
    for branch_id, standing, n in rows:
        counts[branch_id][standing] = n
    return counts


def too_few(counts):
    """Say whether a branch has fewer full members than the rule asks."""
    return counts["full"] < MIN_FULL_MEMBERS


def party_members_by_firm(county_id):
    """Return {firm_id: number of active party members} among the county's practitioners."""
    return dict(county_practitioners(county_id).where(User.party_member == True)  # noqa: E712
                .select(User.firm, fn.COUNT(User.id)).group_by(User.firm).tuples())


def firm_hints(county_id, branches):
    """Advice from seeds 000/001: a firm with 3+ party members has its own branch, others join one.

    Returns a list of (kind, firm, count, branch): 'own' (in a joint branch but big enough for
    its own), 'no_branch_own' (no branch, big enough), 'no_branch_joint' (no branch, too small).
    """
    by_firm = party_members_by_firm(county_id)
    firms = {f.id: f for f in county_firms(county_id)}
    placed = {}
    for branch in branches:
        if not branch.active:
            continue
        for link in branch.firm_links:
            placed[link.firm_id] = branch
    hints = []
    for firm_id, count in sorted(by_firm.items(), key=lambda kv: (-kv[1], kv[0] or 0)):
        firm = firms.get(firm_id)
        if firm is None or not count:
            continue
        branch = placed.get(firm_id)
        if branch is None:
            kind = "no_branch_own" if count >= MIN_FULL_MEMBERS else "no_branch_joint"
            hints.append((kind, firm, count, None))
        elif branch.kind == "joint" and count >= MIN_FULL_MEMBERS:
            hints.append(("own", firm, count, branch))
    return hints


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
    topic = _text(data, "topic", _("Fill in the topic."), 200, required=True,
                  too_long=_("The topic is too long (at most 200 characters)."))
    place = _text(data, "place", "", 120,
                  too_long=_("The place is too long (at most 120 characters)."))
    summary = _text(data, "summary", "", 4000,
                    too_long=_("The summary is too long (at most 4000 characters)."))
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
                action = "activity.create"
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
                for key, value in clean.items():
                    setattr(activity, key, value)
                activity.save()
                refresh_entries(activity)
                action = "activity.update"
            for upload in uploads:
                stored, paths = _store_photo(upload)
                written.extend(paths)
                ActivityPhoto.create(activity=activity, stored_name=stored,
                                     content_type="image/jpeg", size=len(upload[0]))
            audit(actor, action, activity, branch.county_id,
                  {"branch": branch.id, "kind": activity.kind, "topic": activity.topic,
                   "start": activity.start_at, "photos": len(uploads)})
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


def _store_photo(upload):
    full, thumb = upload
    return files.store(files.Upload(full, thumb, "image/jpeg", ""), folder=PHOTO_FOLDER)


def remove_photo(actor, activity, photo):
    """Delete one photo of an activity."""
    with db.atomic():
        photo.delete_instance()
        audit(actor, "activity.photo_remove", activity, activity.branch.county_id,
              {"photo": photo.id})
    files.remove_files([photo_path(photo.stored_name), photo_path(photo.stored_name, thumb=True)])


# ------------------------------------------------------------------ overviews

def is_missing(kind, state, on_roll=True):
    """Say whether a person counts as missing (缺席) from an activity of this kind.

    Marked absent is missing. Not marked is missing only at a whole-branch activity and only
    for someone on the branch's roll that day: committee and group meetings expect only
    those marked, and excused is never missing.
    """
    if state == "absent":
        return True
    return state in (None, "unmarked") and on_roll and kind in WHOLE_BRANCH_KINDS


def _year_bounds(year):
    return (to_utc(datetime.datetime(year, 1, 1)), to_utc(datetime.datetime(year + 1, 1, 1)))


def held_in_year(branch_ids, year):
    """Held activities of the branches in a (local) year, oldest first."""
    first, last = _year_bounds(year)
    return list(BranchActivity.select().where(
        BranchActivity.branch.in_(list(branch_ids) or [0]), BranchActivity.status == "held",
        BranchActivity.start_at >= first, BranchActivity.start_at < last)
        .order_by(BranchActivity.start_at, BranchActivity.id))


def month_strip(activities, year, today):
    """Return 12 (month, state) cells for theme party days: done, missing, open or future."""
    done = {to_local(a.start_at).month for a in activities
            if a.kind == "theme_day" and a.status == "held" and to_local(a.start_at).year == year}
    cells = []
    for month in range(1, 13):
        if month in done:
            state = "done"
        elif year > today.year or (year == today.year and month > today.month):
            state = "future"
        elif year == today.year and month == today.month:
            state = "open"
        else:
            state = "missing"
        cells.append((month, state))
    return cells


def member_statuses(activities, members_by_branch):
    """Return {user_id: [(activity, state)]} over held activities, oldest first.

    A member counts as expected at an activity when they were on the roll that day (for
    whole-branch kinds) or were marked; unmarked on the roll counts as absent. An activity
    whose attendance was never taken counts for no one.
    """
    ids = [a.id for a in activities]
    marks = {}
    for activity_id, user_id, status in (ActivityAttendance.select(
            ActivityAttendance.activity, ActivityAttendance.user, ActivityAttendance.status)
            .where(ActivityAttendance.activity.in_(ids or [0])).tuples()):
        marks[(activity_id, user_id)] = status
    taken = {activity_id for activity_id, _user in marks}
    result = {}
    for activity in activities:
        if activity.id not in taken:
            continue
        day = to_local(activity.start_at).date()
        for member in members_by_branch.get(activity.branch_id, []):
            state = marks.get((activity.id, member.user_id))
            if state is None:
                on_roll = ((member.joined_on is None or member.joined_on <= day)
                           and (member.left_on is None or member.left_on > day))
                if not is_missing(activity.kind, state, on_roll):
                    continue
                state = "absent"
            result.setdefault(member.user_id, []).append((activity, state))
    return result


def member_stats(statuses):
    """Return present, excused, absent, expected, rate (%) and the current run of absences."""
    states = [s for _a, s in statuses]
    present = states.count("present")
    streak = 0
    for state in reversed(states):
        if state != "absent":
            break
        streak += 1
    return {"present": present, "excused": states.count("excused"),
            "absent": states.count("absent"), "total": len(states),
            "rate": int(present * 100 / len(states)) if states else None,
            "missed_in_row": streak}


def _members_by_branch(branch_ids, current_only=False):
    query = BranchMember.select(BranchMember, User).join(User).where(
        BranchMember.branch.in_(list(branch_ids) or [0]))
    if current_only:
        query = query.where(BranchMember.left_on.is_null())
    by_branch = {}
    for member in query.order_by(User.name, User.id):
        by_branch.setdefault(member.branch_id, []).append(member)
    return by_branch


def secretary_overview(branch, today):
    """What the secretary's home shows: this month, the year by month, members' attendance."""
    activities = held_in_year([branch.id], today.year)
    strip = month_strip(activities, today.year, today)
    members = _members_by_branch([branch.id], current_only=True).get(branch.id, [])
    statuses = member_statuses(activities, {branch.id: members})
    stats = []
    for member in members:
        stats.append({"member": member.user, "standing": member.standing,
                      **member_stats(statuses.get(member.user_id, []))})
    stats.sort(key=lambda s: (s["member"].id != branch.secretary_id, s["member"].name))
    planned = list(BranchActivity.select().where(
        BranchActivity.branch == branch.id, BranchActivity.status == "planned",
        BranchActivity.start_at >= _year_bounds(today.year)[0]).order_by(BranchActivity.start_at))
    # Planned activities whose time has come wait for the secretary to take attendance.
    unrecorded = [a for a in planned if a.start_at - CHECKIN_OPENS_BEFORE <= utcnow()]
    upcoming = [a for a in planned if a not in unrecorded][:5]
    recent = list(reversed(activities))[:5]
    counts_now = member_counts([branch.id])[branch.id]
    return {"branch": branch, "strip": strip, "stats": stats,
            "this_month_done": strip[today.month - 1][1] == "done",
            "activities": recent, "upcoming": upcoming, "unrecorded": unrecorded,
            "member_counts": counts_now, "too_few": too_few(counts_now),
            "minimum": MIN_FULL_MEMBERS,
            "missed": [s for s in stats if s["missed_in_row"] >= MISSED_IN_A_ROW],
            "today": today}


def theme_day_target(county_id, year):
    """The theme party days a branch should hold in the year (default 12: one a month)."""
    return targets_for(year, county_id=county_id)["theme_days"][0]


def county_overview(branches, year, today):
    """Per branch: members, theme days against the target by month, activities, attendance."""
    ids = [b.id for b in branches]
    activities = held_in_year(ids, year)
    by_branch = {}
    for activity in activities:
        by_branch.setdefault(activity.branch_id, []).append(activity)
    members = _members_by_branch(ids)
    statuses = member_statuses(activities, members)
    counts_by = member_counts(ids)
    # Only whole months count: the current month is still open (it shows in none_this_month).
    months_elapsed = 12 if year < today.year else (today.month - 1 if year == today.year else 0)
    rows, targets = [], {}
    for branch in branches:
        mine = by_branch.get(branch.id, [])
        strip = month_strip(mine, year, today)
        if branch.county_id not in targets:
            targets[branch.county_id] = theme_day_target(branch.county_id, year)
        target = targets[branch.county_id]
        per_month = target / 12
        expected_now = (per_month * months_elapsed).quantize(Decimal("0.1"))
        theme_days = sum(1 for a in mine if a.kind == "theme_day")
        present = expected = 0
        for member in members.get(branch.id, []):
            for _activity, state in statuses.get(member.user_id, []):
                if _activity.branch_id != branch.id:
                    continue
                expected += 1
                present += state == "present"
        by_month = [0] * 12
        for activity in mine:
            by_month[to_local(activity.start_at).month - 1] += 1
        this_month = (year == today.year and by_month[today.month - 1] == 0)
        rows.append({
            "branch": branch, "counts": counts_by[branch.id],
            "too_few": too_few(counts_by[branch.id]),
            "strip": strip, "by_month": by_month, "activities": len(mine),
            "theme_days": theme_days, "target": target, "expected_now": expected_now,
            "behind": theme_days < int(expected_now),
            "rate": int(present * 100 / expected) if expected else None,
            "none_this_month": this_month,
            "last": mine[-1] if mine else None,
        })
    return rows


def party_record(user, year, today):
    """A member's party activities in a year: attended, excused and missed, and what is planned."""
    memberships = list(BranchMember.select(BranchMember, User).join(User)
                       .where(BranchMember.user == user.id))
    branch_ids = [m.branch_id for m in memberships]
    activities = held_in_year(branch_ids, year)
    statuses = member_statuses(activities, {m.branch_id: [m] for m in memberships})
    rows = list(reversed(statuses.get(user.id, [])))
    # Marked at an activity of a branch they are no longer linked to (kept for the record).
    extra_ids = {a.id for a, _s in rows}
    first, last = _year_bounds(year)
    for row in (ActivityAttendance.select(ActivityAttendance, BranchActivity)
                .join(BranchActivity)
                .where(ActivityAttendance.user == user.id, BranchActivity.status == "held",
                       BranchActivity.start_at >= first, BranchActivity.start_at < last,
                       BranchActivity.branch.not_in(branch_ids or [0]))):
        if row.activity_id not in extra_ids:
            rows.append((row.activity, row.status))
    rows.sort(key=lambda pair: pair[0].start_at, reverse=True)
    reasons = {r.activity_id: r.reason for r in ActivityAttendance.select().where(
        ActivityAttendance.user == user.id,
        ActivityAttendance.activity.in_([a.id for a, _s in rows] or [0]))}
    hours = (Entry.select(fn.SUM(Entry.hours)).where(
        Entry.user == user.id, Entry.kind == "party_activity", Entry.status == "recorded",
        Entry.date >= datetime.date(year, 1, 1), Entry.date <= datetime.date(year, 12, 31))
        .scalar()) or Decimal(0)
    current = [m for m in memberships if m.left_on is None]
    planned = []
    if current and year >= today.year:
        planned = list(BranchActivity.select().where(
            BranchActivity.branch.in_([m.branch_id for m in current]),
            BranchActivity.status == "planned", BranchActivity.start_at >= utcnow()
            - datetime.timedelta(hours=12)).order_by(BranchActivity.start_at).limit(5))
    stats = member_stats(sorted(rows, key=lambda pair: pair[0].start_at))
    branches = {m.branch_id: m.branch for m in memberships}
    return {"rows": [{"activity": a, "state": s, "reason": reasons.get(a.id, "")} for a, s in rows],
            "stats": stats, "hours": hours, "planned": planned,
            "memberships": current, "branches": branches, "year": year}


def is_member(user):
    """Say whether the person is (or was) in a party branch."""
    return BranchMember.select().where(BranchMember.user == user.id).exists()
