"""Which time-based reminders are due at a moment: who is told, of what kind, for which period,
and the figures the message needs (reminders.py words them and writes them).

Each kind is found in a few grouped queries for everyone at once (a province: 20,000 people,
about 100 counties), never a query per person or per firm. Nobody is found who is inactive,
lacks the role the reminder is for, switched the kind off (inbox.muted_people) or already got
it for the period (a ReminderSent row).

- training_day / training_hour: a training the person is expected at, the day before and one
  hour before (period "training:<id>").
- pace: once a local month ("pace:YYYY-MM"), to a practitioner behind or at risk on a personal
  target (targets.services.people_progress, whose status_for is the one pace rule). Not in
  January: the year has barely begun and the month's pace is a few days' worth.
- reports_due: to a firm's director in the month's last five days (the 26th of a 31-day
  month, the 25th of a 30-day one), while the month's count (reports.quota, accepted reports
  only) is short of its information reports or typical case ("reports_due:YYYY-MM").
- review_waiting: to a reviewer, once a local ISO week ("review_waiting:YYYY-Www"), when
  entries or reports in their own scope have waited more than REVIEW_WAIT: a county's
  administrator for the county's entries (ledger.review's queue) and its firms' reports
  (reports.services' queue); a director for the firm's entries of the years the county lets
  directors review. City administrators review nothing, so they are not told.
"""
import calendar
import dataclasses
import datetime

from peewee import SQL, Case, fn

from .. import access
from ..accounts.models import Firm, RoleGrant, User
from ..branches import services as branch_services
from ..ledger import services as ledger_services
from ..i18n import to_local
from ..ledger.models import Entry, ReviewRule
from ..reports.models import FirmReport
from ..reports import services as report_services
from ..reports.quota import county_month_quota
from ..targets.services import people_progress
from ..trainings.models import Training
from ..trainings.services import audience_people
from .inbox import SWITCHES, muted_people, switch_of
from .models import ReminderSent

DAY_BEFORE = datetime.timedelta(hours=24)
HOUR_BEFORE = datetime.timedelta(hours=1)
REPORTS_DAYS_LEFT = 5                      # reports_due from the month's last day minus this
REVIEW_WAIT = datetime.timedelta(days=7)   # review_waiting for what waited longer than this
BEHIND = ("behind", "at_risk")
PACE_BATCH = 5000   # practitioners a run checks for pace (the rest in the next runs)


def offered_switches(actor, user):
    """The switches offered to a person, from every role they hold, matching who the kinds
    are found for: a ledger's keeper has trainings, decisions and pace; a director has the
    month's reports due; whoever writes a firm's reports hears of their decisions; whoever
    reviews has entries and reports waiting."""
    if actor is None or user is None:
        return []
    as_each = [access.Actor(user=user, grant=grant, grants=actor.grants)
               for grant in actor.grants]
    names = set()
    if any(one.role == "practitioner" for one in as_each):
        names |= {"training", "review", "pace"}
    if any(one.role == "director" for one in as_each):
        names |= {"reports_due", "ratings"}
    if any(report_services.can_write(one) for one in as_each):
        names.add("review")
    if any(ledger_services.reviews_anything(one) for one in as_each):
        names.add("review_waiting")
    if branch_services.is_member(user):
        names.add("study")
    return [name for name in SWITCHES if name in names]


@dataclasses.dataclass
class Due:
    """One reminder to write: to whom, what kind, for which period, and about what."""
    user: object
    kind: str
    period: str
    training: object = None
    detail: object = None     # the kind's figures: see each finder below
    silent: bool = False      # checked for the period, nothing to say: its row only


@dataclasses.dataclass
class FirmShort:
    """reports_due's detail item: a firm and its month (a quota.MonthQuota)."""
    firm: object
    quota: object
    month_end: datetime.date


@dataclasses.dataclass
class Waiting:
    """review_waiting's detail: how many entries and reports wait, since when, found when
    (naive UTC)."""
    now: datetime.datetime
    entries: int = 0
    reports: int = 0
    oldest: datetime.datetime = None

    def add(self, entries, reports, since):
        """Count more waiting items, keeping the oldest time."""
        self.entries += entries
        self.reports += reports
        if since is not None and (self.oldest is None or since < self.oldest):
            self.oldest = since


def _not_yet(kind, period):
    """The people who may still get the kind for the period: not switched off, not written."""
    written = ReminderSent.select(ReminderSent.user).where(ReminderSent.kind == kind,
                                                           ReminderSent.period == period)
    return User.id.not_in(written) & User.id.not_in(muted_people(switch_of(kind)))


def _active():
    return User.active == True  # noqa: E712


def _stamp(value):
    # An aggregate comes back as text on SQLite.
    return Entry.created_at.python_value(value) if value is not None else None


# ------------------------------------------------------------------ trainings

def training_kind(training, now):
    """training_hour within the hour before the start, training_day within the day before."""
    left = training.start_at - now
    if datetime.timedelta(0) < left <= HOUR_BEFORE:
        return "training_hour"
    if HOUR_BEFORE < left <= DAY_BEFORE:
        return "training_day"
    return None


def trainings_due(now):
    """Training reminders due at `now` (naive UTC): one query per training of the next day."""
    trainings = list(Training.select().where(
        Training.status == "scheduled", Training.start_at > now,
        Training.start_at <= now + DAY_BEFORE).order_by(Training.start_at))
    found = []
    for training in trainings:
        kind = training_kind(training, now)
        period = f"training:{training.id}"
        people = audience_people(training).where(_not_yet(kind, period))
        found += [Due(user, kind, period, training) for user in people]
    return found


# ------------------------------------------------------------------ pace

def pace_due(now, batch=None):
    """Practitioners behind or at risk on a target, once a local month; detail: the Progress
    rows behind (people_progress over all counties at once). Everyone checked is marked for
    the month (a silent Due when on track), so a run checks at most `batch` people
    (PACE_BATCH) not checked yet, and the month's first runs share the province."""
    today = to_local(now).date()
    if today.month == 1:
        return []
    period = f"pace:{today:%Y-%m}"
    practitioners = RoleGrant.select(RoleGrant.user).where(RoleGrant.role == "practitioner")
    query = (User.select().where(User.id.in_(practitioners), _not_yet("pace", period))
             .order_by(User.id).limit(batch or PACE_BATCH))
    people, progress = people_progress(query, today.year, today)
    found = []
    for person in people:
        behind = [row for row in progress.get(person.id, []) if row.status in BEHIND]
        found.append(Due(person, "pace", period, detail=behind, silent=not behind))
    return found


# ------------------------------------------------------------------ reports due

def reports_window(today):
    """The month's last day if `today` is in its last REPORTS_DAYS_LEFT days, else None."""
    last = calendar.monthrange(today.year, today.month)[1]
    if last - today.day > REPORTS_DAYS_LEFT:
        return None
    return today.replace(day=last)


def reports_due(now):
    """Directors whose firm's month is still short, in the month's last days; detail: a list
    of FirmShort (a person may direct more than one firm)."""
    today = to_local(now).date()
    month_end = reports_window(today)
    if month_end is None:
        return []
    period = f"reports_due:{today:%Y-%m}"
    grants = list(RoleGrant.select(RoleGrant, User).join(User, on=(RoleGrant.user == User.id))
                  .switch(RoleGrant).join(Firm, on=(RoleGrant.firm == Firm.id))
                  .where(RoleGrant.role == "director", _active(), Firm.active == True,  # noqa: E712
                         _not_yet("reports_due", period))
                  .order_by(RoleGrant.user, RoleGrant.firm))
    if not grants:
        return []
    firms = {f.id: f for f in Firm.select().where(Firm.id.in_({g.firm_id for g in grants}))}
    quotas = county_month_quota(list(firms.values()), today.year, today)
    by_user = {}
    for grant in grants:
        month = quotas[grant.firm_id][today.month - 1]
        if month.complete:
            continue
        item = by_user.get(grant.user_id)
        if item is None:
            item = by_user[grant.user_id] = Due(grant.user, "reports_due", period, detail=[])
        item.detail.append(FirmShort(firms[grant.firm_id], month, month_end))
    return list(by_user.values())


# ------------------------------------------------------------------ review waiting

def director_rules():
    """{county_id: the years it lets directors review}."""
    rules = {}
    for county_id, year in ReviewRule.select(ReviewRule.county, ReviewRule.year).where(
            ReviewRule.director_reviews == True).tuples():  # noqa: E712
        rules.setdefault(county_id, set()).add(year)
    return rules


def _year(year):
    return Entry.date.between(datetime.date(year, 1, 1), datetime.date(year, 12, 31))


def waiting_entries(cutoff, years):
    """Self-reported entries pending since before `cutoff`, per author in firms: {author:
    (county, firm, the firm's county, count, oldest, {year: (count, oldest)} for `years`)}.

    Grouped by author alone, without a join, and placed in Python: grouping by the joined
    people's county and firm cost a province seconds more (bench/reminders.py). Only COUNT(*)
    and the entry's own columns, so the index on (status, created_at, source, user, date)
    answers it alone (migration 0017).
    """
    years = sorted(years)
    columns = [fn.COUNT(SQL("*")), fn.MIN(Entry.created_at)]
    for year in years:
        columns += [fn.SUM(Case(None, ((_year(year), 1),), 0)),
                    fn.MIN(Case(None, ((_year(year), Entry.created_at),)))]
    rows = (Entry.select(Entry.user, *columns)
            .where(Entry.status == "pending", Entry.source == "self", Entry.created_at < cutoff)
            .group_by(Entry.user).tuples())
    counts = {row[0]: row[1:] for row in rows}
    if not counts:
        return {}
    places = (User.select(User.id, User.county, User.firm, Firm.county)
              .join(Firm, on=(User.firm == Firm.id)).tuples())
    out = {}
    for author, county, firm, firm_county in places:
        row = counts.get(author)
        if row is None:
            continue
        by_year = {year: (int(row[2 + 2 * i] or 0), _stamp(row[3 + 2 * i]))
                   for i, year in enumerate(years)}
        out[author] = (county, firm, firm_county, row[0], _stamp(row[1]), by_year)
    return out


def waiting_reports(cutoff):
    """{county_id: (count, oldest)} of firm reports waiting for the county since before cutoff."""
    rows = (FirmReport.select(Firm.county, fn.COUNT(FirmReport.id), fn.MIN(FirmReport.submitted_at))
            .join(Firm, on=(FirmReport.firm == Firm.id))
            .where(FirmReport.status == "submitted", FirmReport.submitted_at < cutoff)
            .group_by(Firm.county).tuples())
    return {county: (count, _stamp(oldest)) for county, count, oldest in rows}


def iso_week(day):
    """The ISO week of a day as "YYYY-Www"."""
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def review_due(now):
    """Reviewers with entries or reports waiting more than REVIEW_WAIT in their own scope,
    once a local ISO week; detail: a Waiting."""
    today = to_local(now).date()
    period = f"review_waiting:{iso_week(today)}"
    cutoff = now - REVIEW_WAIT
    rules = director_rules()
    directing = Firm.select(Firm.id).where(Firm.county.in_(list(rules) or [0]))
    grants = list(RoleGrant.select(RoleGrant, User).join(User, on=(RoleGrant.user == User.id))
                  .where(((RoleGrant.role == "county_admin")
                          | ((RoleGrant.role == "director") & RoleGrant.firm.in_(directing))),
                         _active(), _not_yet("review_waiting", period))
                  .order_by(RoleGrant.user, RoleGrant.id))
    if not grants:
        return []
    entries = waiting_entries(cutoff, set().union(*rules.values()) if rules else ())
    reports = waiting_reports(cutoff)
    by_county, by_firm = {}, {}
    for author, row in entries.items():
        by_county.setdefault(row[0], []).append((author, row))
        by_firm.setdefault(row[1], []).append((author, row))
    scopes = {}
    for grant in grants:
        user, counties, firms = scopes.setdefault(grant.user_id, (grant.user, set(), set()))
        if grant.role == "county_admin" and grant.region_id:
            counties.add(grant.region_id)
        elif grant.role == "director" and grant.firm_id:
            firms.add(grant.firm_id)
    found = []
    for user_id, (user, counties, firms) in scopes.items():
        waiting = Waiting(now)
        for county in counties:
            for author, (_c, _f, _fc, count, oldest, _y) in by_county.get(county, ()):
                if author != user_id:        # nobody reviews their own entries
                    waiting.add(count, 0, oldest)
            count, oldest = reports.get(county, (0, None))
            waiting.add(0, count, oldest)
        for firm in firms:
            for author, (county, _f, firm_county, _n, _o, by_year) in by_firm.get(firm, ()):
                if author == user_id or county in counties:   # counted as the county's
                    continue
                for year in rules.get(firm_county, ()):
                    count, oldest = by_year[year]
                    waiting.add(count, 0, oldest)
        if waiting.entries or waiting.reports:
            found.append(Due(user, "review_waiting", period, detail=waiting))
    return found
