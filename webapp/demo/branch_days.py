"""The party branches' year: theme party days and the other regular activities, with who came.

Activities are saved and attendance marked through the branches services (a quarter of those
present scanned the activity's code: the check-in adapter records them), so each member present
gets the activity in their ledger from the one place that writes it.
"""
import calendar
import datetime

from ..branches.models import ActivityAttendance, BranchActivity
from ..branches.attendance import check_in, counts, mark
from ..branches.activities import clean_activity, save_activity
from ..ledger.models import Entry
from .data import (ACTIVITY_HOURS, COMMITTEE_MEETINGS, EXCUSES, JOINT_ROOM, MEMBERS_MEETINGS,
                   PARTY_LECTURES, THEME_DAYS)

MINUTE = datetime.timedelta(minutes=1)


def _schedule(story, plan):
    """(kind, day, (topic, content, place)) for each activity of the branch's last twelve months."""
    rng = story.rng
    skip = {2, 5} if plan["joint"] else set()
    schedule = []
    for offset in range(12):
        year, month = divmod(story.today.year * 12 + story.today.month - 1 - offset, 12)
        month += 1
        last = calendar.monthrange(year, month)[1]
        if offset not in skip:
            day = datetime.date(year, month, min(rng.randint(12, 26), last))
            schedule.append(("theme_day", story.weekday_back(day), THEME_DAYS[month]))
        series = {1: ("members_meeting", MEMBERS_MEETINGS, (3, 9)),
                  2: ("party_lecture", PARTY_LECTURES, (5, 11))}
        if offset % 3 == 0 and plan["firm"] == "江南街道法律服务所":
            series[0] = ("committee_meeting", COMMITTEE_MEETINGS, (2, 7))
        if offset % 3 in series:
            kind, topics, (first, final) = series[offset % 3]
            day = story.weekday_back(datetime.date(year, month, rng.randint(first, final)))
            schedule.append((kind, day, (topics[(offset // 3) % 4], "", None)))
    schedule.sort(key=lambda item: item[1])
    return schedule


def make_branch_activities(story):
    for plan in story.branches:
        schedule = _schedule(story, plan)
        theme_days = [d for kind, d, _ in schedule if kind == "theme_day" and d < story.today]
        truant_from = theme_days[-3] if plan["joint"] and len(theme_days) >= 3 else None
        room = JOINT_ROOM if plan["joint"] else \
            f"{plan['firm'].removesuffix('法律服务所')}法律服务所会议室"
        for kind, day, (topic, content, place) in schedule:
            planned = day >= story.today
            if day < story.since or (planned and kind != "theme_day"):
                continue
            if day == story.today:
                day = story.weekday_forward(day + datetime.timedelta(days=1))
            if place == "village":
                place = story.rng.choice(story.firm_places[plan["firm"]]) + "党群服务中心"
            hours = story.rng.choice(ACTIVITY_HOURS[kind])
            data = {"kind": kind, "date": day.isoformat(), "topic": topic,
                    "place": place or room, "summary": "",
                    "start": f"{hours[0]:02d}:{hours[1]:02d}",
                    "end": f"{hours[2]:02d}:{hours[3]:02d}"}
            _activity(story, plan, data, content, truant_from if not planned else None, planned)


def _activity(story, plan, data, content, truant_from, planned):
    branch, secretary = plan["branch"], plan["secretary"].user
    clean = clean_activity(data, story.today)
    created = story.before_cutoff(clean["start_at"] - datetime.timedelta(
        days=story.rng.randint(3, 10)))
    with story.happened_at(created):
        activity = save_activity(secretary, branch, clean)
    story.backdate(BranchActivity, activity.id, created_at=created)
    if planned:
        return
    day = datetime.date.fromisoformat(data["date"])
    attendees = [person for person, joined in plan["members"] if joined <= day]
    if data["kind"] == "committee_meeting":
        attendees = attendees[:3]
    marked = story.before_cutoff(activity.end_at + datetime.timedelta(hours=1))
    excused = []
    with story.happened_at(marked):
        for person in attendees:
            status = _status(story, plan, person, truant_from, day)
            if status == "present" and story.rng.random() < 0.25:
                scanned = activity.start_at + story.rng.randint(-15, 5) * MINUTE
                check_in(activity, person.user, scanned)
                continue
            reason = story.rng.choice(EXCUSES) if status == "excused" else ""
            if reason:
                excused.append(person.user.name)
            mark(secretary, activity, person.user.id, status, reason, now=marked)
        tally = counts(activity)
        summary = f"支部书记{secretary.name}主持。" + (content + "。" if content else "")
        summary += f"应到{tally['expected']}人，实到{tally['present']}人"
        summary += f"，{'、'.join(excused)}请假。" if excused else "。"
        save_activity(secretary, branch, {**clean, "summary": summary}, activity=activity)
    (ActivityAttendance.update(updated_at=marked)
     .where(ActivityAttendance.activity == activity.id).execute())
    recorded = story.before_cutoff(activity.end_at + 30 * MINUTE)
    (Entry.update(created_at=recorded, updated_at=recorded)
     .where(Entry.activity == activity.id).execute())


def _status(story, plan, person, truant_from, day):
    if person is plan["secretary"]:
        return "present"
    if person is story.truant and truant_from and day >= truant_from:
        return "absent"
    return story.rng.choices(["present", "excused", "absent"], [86, 10, 4])[0]
