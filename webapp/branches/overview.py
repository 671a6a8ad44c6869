"""Branch overviews: the year by month, members' attendance, the county's branches, a member's record."""
import datetime
from decimal import Decimal

from peewee import fn

from ..accounts.models import User
from ..db import utcnow
from ..i18n import to_local, to_utc
from ..ledger.models import Entry
from ..targets.services import targets_for
from .activities import CHECKIN_OPENS_BEFORE, is_missing
from .models import ActivityAttendance, BranchActivity, BranchMember
from .services import MIN_FULL_MEMBERS, member_counts, too_few


MISSED_IN_A_ROW = 3


# ------------------------------------------------------------------ overviews

def year_bounds(year):
    """Return the UTC moments that begin the local year and the next."""
    return (to_utc(datetime.datetime(year, 1, 1)), to_utc(datetime.datetime(year + 1, 1, 1)))


def held_in_year(branch_ids, year):
    """Held activities of the branches in a (local) year, oldest first."""
    first, last = year_bounds(year)
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
        BranchActivity.start_at >= year_bounds(today.year)[0]).order_by(BranchActivity.start_at))
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
    first, last = year_bounds(year)
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
