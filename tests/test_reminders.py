"""The time-based reminders beyond trainings (webapp/push/due.py finds, reminders.py words and
writes): pace once a month, a firm's reports in the month's last five days, and what has waited
more than 7 days for a reviewer in their own scope. Each written once per person, kind and
period; switched-off, deactivated and role-less people not found; in the person's language."""
import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.helpers import actor_for
from webapp import cli
from webapp.accounts.models import Notification
from webapp.db import db
from webapp.ledger import review
from webapp.ledger.models import Entry, ReviewRule
from webapp.push import due as due_module
from webapp.push import reminders
from webapp.push.inbox import set_switches
from webapp.push.models import ReminderSent
from webapp.reports.models import FirmReport

ZONE = ZoneInfo("Asia/Shanghai")


def at(year, month, day, hour=12):
    """Naive UTC of a local wall-clock time."""
    local = datetime.datetime(year, month, day, hour, tzinfo=ZONE)
    return local.astimezone(datetime.UTC).replace(tzinfo=None)


JUNE_15 = at(2026, 6, 15)


def kinds(items, kind):
    """The reminders of a kind that say something (not a pace check's silent mark)."""
    return [item for item in items if item.kind == kind and not item.silent]


def found(now, kind):
    return kinds(reminders.find_due(now), kind)


def entry(user, kind="public_service", day=datetime.date(2026, 6, 1), hours="0", count=0,
          status="approved", source="self", created_at=None):
    values = {"user": user, "kind": kind, "date": day, "hours": Decimal(hours), "count": count,
              "status": status, "source": source}
    if created_at is not None:
        values.update(created_at=created_at, updated_at=created_at)
    return Entry.create(**values)


def on_track(user, education="18"):
    """Give the person what the pace of 15 June asks: 18 h, 16.25 h and 2.25 cases, and more."""
    entry(user, "training_credit", hours=education, status="recorded", source="system")
    entry(user, "public_service", hours="20")
    entry(user, "legal_aid", count=3)


def report(firm, author, kind="info", status="accepted", month=datetime.date(2026, 6, 1),
           submitted_at=None):
    values = {"firm": firm, "author": author, "kind": kind, "month": month, "title": "标题",
              "status": status}
    if submitted_at is not None:
        values["submitted_at"] = submitted_at
    return FirmReport.create(**values)


@pytest.fixture
def ctx(app):
    with app.test_request_context("/"):
        yield


# ------------------------------------------------------------------ pace

def test_pace_finds_who_is_behind_and_not_who_is_on_track(ctx, make_user):
    behind, steady = make_user(locale="en"), make_user()
    on_track(steady)
    on_track(behind, education="17.75")          # a quarter hour short of the pace
    items = found(JUNE_15, "pace")
    assert [(i.user.id, i.period) for i in items] == [(behind.id, "pace:2026-06")]
    assert [row.metric for row in items[0].detail] == ["education_hours"]
    # 22.25 h missing over the 7 months left (a part month counts): 3.18, said as 3.2
    assert reminders.message_for(items[0]) == (
        "You are behind on Continuing education: 17.75 of 40 hours so far; about 3.2 hours a "
        "month would catch up by year end.")
    assert reminders.link_for(items[0]) == "/ledger/year"


def test_pace_says_each_target_behind_and_at_risk_apart(ctx, make_user):
    person = make_user(locale="en")
    entry(person, "legal_aid", count=1, day=datetime.date(2026, 1, 5))   # nothing recent
    message = reminders.message_for(found(JUNE_15, "pace")[0])
    assert message.count("At your recent pace you will miss") == 3
    assert "Legal-aid cases: 1 of 5 so far; about 0.6 cases a month" in message
    assert "Public service: 0 of 36 hours so far" in message


def test_no_pace_reminder_in_january(ctx, make_user):
    make_user()
    assert found(at(2026, 1, 20), "pace") == []
    assert len(found(at(2026, 2, 1), "pace")) == 1


def test_pace_is_written_once_a_month(ctx, make_user):
    person = make_user()
    assert reminders.write(found(JUNE_15, "pace")) == 1
    assert found(at(2026, 6, 30), "pace") == []
    assert reminders.write(kinds(reminders.find_due(JUNE_15), "pace")) == 0
    assert reminders.write([reminders.Due(person, "pace", "pace:2026-06", detail=[])]) == 0
    assert [i.period for i in found(at(2026, 7, 1), "pace")] == ["pace:2026-07"]
    assert ReminderSent.select().where(ReminderSent.kind == "pace").count() == 1
    note = Notification.get()
    assert (note.kind, note.link) == ("pace", "/ledger/year")


def test_pace_checks_each_person_once_a_month_a_batch_a_run(ctx, make_user):
    behind, steady = make_user(), make_user()
    on_track(steady)
    first = due_module.pace_due(JUNE_15, batch=1)
    assert [(i.user.id, i.silent) for i in first] == [(behind.id, False)]
    assert reminders.write(first) == 1
    second = due_module.pace_due(JUNE_15, batch=1)
    assert [(i.user.id, i.silent) for i in second] == [(steady.id, True)]
    # On track: marked as checked for the month, told nothing.
    assert reminders.write(second) == 0
    assert due_module.pace_due(at(2026, 6, 20)) == []
    assert Notification.select().where(Notification.user == steady.id).count() == 0
    assert ReminderSent.get(ReminderSent.user == steady.id).notification is None


def test_pace_skips_the_switched_off_the_deactivated_and_non_practitioners(ctx, make_user):
    muted, gone, admin, kept = (make_user(), make_user(), make_user("county_admin"),
                                make_user())
    set_switches(muted, on={"training"}, offered={"training", "pace"})
    gone.active = False
    gone.save()
    assert [i.user.id for i in found(JUNE_15, "pace")] == [kept.id]
    assert admin.id not in {i.user.id for i in reminders.find_due(JUNE_15)}


# ------------------------------------------------------------------ reports due

@pytest.mark.parametrize("when, is_due", [
    (at(2026, 5, 25), False),    # 31-day month: six days left
    (at(2026, 5, 26), True),
    (at(2026, 6, 24), False),    # 30-day month: six days left
    (at(2026, 6, 25), True),
    (at(2026, 6, 30, 23), True),
    (at(2026, 7, 1, 0), False),  # local midnight starts a new month
])
def test_reports_are_due_in_the_months_last_five_days(ctx, make_user, when, is_due):
    director = make_user("director")
    items = found(when, "reports_due")
    assert [i.user.id for i in items] == ([director.id] if is_due else [])


def test_reports_due_says_what_is_missing_and_counts_what_the_quota_counts(
        ctx, make_user, world):
    director = make_user("director", locale="en")
    report(world["firm_a"], director)
    report(world["firm_a"], director, status="submitted")       # waiting: counts for nothing
    report(world["firm_a"], director, kind="case", status="returned")
    report(world["firm_a"], director, month=datetime.date(2026, 5, 1))   # another month
    [item] = found(at(2026, 6, 26), "reports_due")
    assert item.period == "reports_due:2026-06"
    assert reminders.message_for(item) == (
        "甲县城关法律服务所: still missing this month: information reports 2, typical cases 1. "
        "The month ends on June 30, 2026. Sent and waiting for the county: 1 (they count once "
        "accepted).")
    assert reminders.link_for(item) == "/reports/"


def test_a_complete_month_is_not_reminded_and_each_director_is_told_once(
        ctx, make_user, world):
    director, other = make_user("director"), make_user("director", county=world["b"])
    for _n in range(3):
        report(world["firm_a"], director)
    report(world["firm_a"], director, kind="case")
    when = at(2026, 6, 27)
    assert [i.user.id for i in found(when, "reports_due")] == [other.id]
    assert reminders.write(found(when, "reports_due")) == 1
    assert found(at(2026, 6, 29), "reports_due") == []
    assert ReminderSent.select().where(ReminderSent.kind == "reports_due").count() == 1


def test_reports_due_skips_switched_off_deactivated_and_plain_practitioners(
        ctx, make_user, world):
    muted, gone = make_user("director"), make_user("director")
    make_user()                                   # a practitioner writes no reminder here
    set_switches(muted, on=set(), offered={"reports_due"})
    gone.active = False
    gone.save()
    assert found(at(2026, 6, 27), "reports_due") == []


# ------------------------------------------------------------------ review waiting

@pytest.fixture
def reviewers(make_user, world):
    return {"a": make_user("county_admin", locale="en"),
            "b": make_user("county_admin", county=world["b"], locale="en")}


@pytest.mark.parametrize("age, is_due", [(datetime.timedelta(days=7), False),
                                         (datetime.timedelta(days=7, minutes=1), True),
                                         (datetime.timedelta(days=8), True)])
def test_review_waiting_after_more_than_seven_days(ctx, make_user, reviewers, age, is_due):
    entry(make_user(), status="pending", created_at=JUNE_15 - age)
    items = found(JUNE_15, "review_waiting")
    assert [i.user.id for i in items] == ([reviewers["a"].id] if is_due else [])


def test_review_waiting_counts_entries_and_reports_in_scope_only(
        ctx, make_user, world, reviewers):
    here, there = make_user(), make_user(county=world["b"])
    for days in (8, 12, 3):
        entry(here, status="pending", created_at=JUNE_15 - datetime.timedelta(days=days))
    entry(here, status="approved", created_at=JUNE_15 - datetime.timedelta(days=20))
    entry(there, status="pending", created_at=JUNE_15 - datetime.timedelta(days=30))
    report(world["firm_b"], there, status="submitted",
           submitted_at=JUNE_15 - datetime.timedelta(days=9))
    report(world["firm_a"], here, status="submitted",
           submitted_at=JUNE_15 - datetime.timedelta(days=2))
    items = {i.user.id: i for i in found(JUNE_15, "review_waiting")}
    a, b = items[reviewers["a"].id], items[reviewers["b"].id]
    assert (a.detail.entries, a.detail.reports) == (2, 0)
    assert (b.detail.entries, b.detail.reports) == (1, 1)
    assert a.period == b.period == "review_waiting:2026-W25"
    assert reminders.message_for(a) == ("Entries waiting for your review more than 7 days: 2. "
                                        "The oldest has waited 12 days.")
    assert reminders.message_for(b) == (
        "Waiting for your review more than 7 days: entries 1, reports 1. The oldest has "
        "waited 30 days.")
    assert reminders.link_for(a) == "/ledger/review"
    # Agrees with the queue each reviewer sees.
    cutoff = JUNE_15 - due_module.REVIEW_WAIT
    for user in reviewers.values():
        actor = actor_for(user, "county_admin")
        waiting = review.queue(actor).where(Entry.created_at < cutoff).count()
        assert items[user.id].detail.entries == waiting


def test_only_reports_waiting_links_to_the_report_queue(ctx, make_user, world, reviewers):
    report(world["firm_b"], make_user(county=world["b"]), status="submitted",
           submitted_at=JUNE_15 - datetime.timedelta(days=10))
    [item] = found(JUNE_15, "review_waiting")
    assert item.user.id == reviewers["b"].id
    assert reminders.message_for(item) == ("Reports waiting for your review more than 7 days: "
                                           "1. The oldest has waited 10 days.")
    assert reminders.link_for(item) == "/reports/queue"


def test_directors_hear_of_their_firm_where_the_county_lets_them_review(
        ctx, make_user, world, reviewers):
    director = make_user("director")
    other_director = make_user("director", county=world["b"])
    person = make_user()
    entry(person, status="pending", created_at=JUNE_15 - datetime.timedelta(days=9))
    entry(director, status="pending", created_at=JUNE_15 - datetime.timedelta(days=20))
    entry(make_user(county=world["b"]), status="pending",
          created_at=JUNE_15 - datetime.timedelta(days=9))
    assert director.id not in {i.user.id for i in found(JUNE_15, "review_waiting")}
    ReviewRule.create(county=world["a"], year=2026, director_reviews=True)
    items = {i.user.id: i for i in found(JUNE_15, "review_waiting")}
    assert other_director.id not in items
    # not their own entry; the county administrator hears of both
    assert (items[director.id].detail.entries, (JUNE_15 - items[director.id].detail.oldest).days
            ) == (1, 9)
    assert items[reviewers["a"].id].detail.entries == 2
    waiting = review.queue(actor_for(director, "director")).where(
        Entry.created_at < JUNE_15 - due_module.REVIEW_WAIT).count()
    assert waiting == 1
    ReviewRule.update(year=2025).execute()         # a rule for another year allows nothing
    assert director.id not in {i.user.id for i in found(JUNE_15, "review_waiting")}


def test_review_waiting_once_a_week_and_not_for_the_muted_or_deactivated(
        ctx, make_user, world, reviewers):
    entry(make_user(), status="pending", created_at=JUNE_15 - datetime.timedelta(days=10))
    entry(make_user(county=world["b"]), status="pending",
          created_at=JUNE_15 - datetime.timedelta(days=10))
    set_switches(reviewers["b"], on=set(), offered={"review_waiting"})
    assert reminders.write(found(JUNE_15, "review_waiting")) == 1     # Monday 15 June
    assert found(at(2026, 6, 21, 23), "review_waiting") == []         # Sunday, same week
    assert [i.period for i in found(at(2026, 6, 22, 1), "review_waiting")] == [
        "review_waiting:2026-W26"]
    reviewers["a"].active = False
    reviewers["a"].save()
    assert found(at(2026, 6, 22, 1), "review_waiting") == []


# ------------------------------------------------------------------ language and the command

def test_each_person_is_told_in_their_language(app, make_user):
    english, chinese = make_user(locale="en"), make_user(locale="zh_Hans_CN")
    with app.test_request_context("/"):
        items = {i.user.id: i for i in found(JUNE_15, "pace")}
        assert reminders.write(list(items.values())) == 2
    notes = {n.user_id: n.message for n in Notification.select()}
    assert notes[english.id].startswith("At your recent pace you will miss Continuing education")
    assert "继续教育" in notes[chinese.id] and "Continuing education" not in notes[chinese.id]


def test_the_dry_run_lists_the_new_kinds_and_writes_nothing(app, make_user, world, monkeypatch):
    director = make_user("director", name="赵六", locale="en")
    make_user("county_admin", name="钱七", locale="en")
    entry(make_user(name="孙八", locale="en"), status="pending",
          created_at=at(2026, 6, 15))
    monkeypatch.setattr(cli, "utcnow", lambda: at(2026, 6, 26))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["send-reminders", "--dry-run"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("would remind 孙八: At your recent pace") for line in lines)
    assert any(line.startswith("would remind 赵六: 甲县城关法律服务所: still missing") for line in lines)
    assert "would remind 钱七: Entries waiting for your review more than 7 days: 1." in "\n".join(
        lines)
    assert ReminderSent.select().count() == 0 and Notification.select().count() == 0
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert {r.kind for r in ReminderSent.select()} == {"pace", "reports_due", "review_waiting"}
    assert director.id in {r.user_id for r in ReminderSent.select().where(
        ReminderSent.kind == "reports_due")}


def test_find_due_keeps_a_few_queries_per_kind(ctx, make_user, world, reviewers, monkeypatch):
    seen = []
    original = db.obj.execute_sql

    def counting(sql, *args, **kwargs):
        seen.append(sql)
        return original(sql, *args, **kwargs)

    monkeypatch.setattr(db.obj, "execute_sql", counting)

    def queries():
        seen.clear()
        reminders.find_due(at(2026, 6, 26))
        return len(seen)

    for county in ("a", "b"):
        entry(make_user(county=world[county]), status="pending",
              created_at=JUNE_15 - datetime.timedelta(days=9))
        make_user("director", county=world[county])
    few = queries()
    for _n in range(5):
        for county in ("a", "b"):
            entry(make_user(county=world[county]), status="pending",
                  created_at=JUNE_15 - datetime.timedelta(days=9))
            make_user("director", county=world[county])
    assert queries() == few < 30


def test_find_due_can_be_limited_to_some_switches(ctx, make_user, reviewers):
    entry(make_user(), status="pending", created_at=JUNE_15 - datetime.timedelta(days=9))
    assert {i.kind for i in reminders.find_due(JUNE_15)} == {"pace", "review_waiting"}
    assert {i.kind for i in reminders.find_due(JUNE_15, switches={"pace"})} == {"pace"}
    assert reminders.find_due(JUNE_15, switches={"training"}) == []
