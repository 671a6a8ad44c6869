"""A firm's monthly count (信息 and 典型案例 against 3 + 1): the one rule every screen calls.

Only accepted reports count, once, for the month they name; waiting ones are shown apart.
"""
import datetime
from dataclasses import dataclass

from peewee import fn

from ..accounts.models import Firm
from ..i18n import local_today
from ..targets.models import Target
from ..targets.services import targets_for
from ..web import object_id
from .models import FirmReport
from .services import first_of_month

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


def _county_targets(firms, year):
    """{firm_id: (information reports, typical cases)}: one targets_for per county, not per firm.

    A firm's own target beats its county's and city's in targets_for, so a firm that sets one
    gets its own call; the others share their county's.
    """
    own = {row[0] for row in Target.select(Target.firm).where(
        Target.year == year, Target.firm.in_([f.id for f in firms] or [0]),
        Target.metric.in_(("info_reports", "typical_cases"))).tuples()}
    by_county, out = {}, {}
    for firm in firms:
        if firm.id in own:
            out[firm.id] = targets(firm, year)
            continue
        if firm.county_id not in by_county:
            values = targets_for(year, county_id=firm.county_id)
            by_county[firm.county_id] = (int(values["info_reports"][0]),
                                         int(values["typical_cases"][0]))
        out[firm.id] = by_county[firm.county_id]
    return out


def county_month_quota(firms, year, today=None):
    """Return {firm_id: the year's twelve MonthQuota, January first} for many firms at once.

    Only accepted reports count. Submitted ones (waiting for the county) are shown apart as
    pending and do not count; returned ones count for nothing until accepted. A report counts
    once, for the month it names, whoever and however many it credits. `firms` are Firm rows
    or their ids; the reports are counted in one query for all of them.
    """
    today = today or local_today()
    firms = list(firms)
    if firms and not isinstance(firms[0], Firm):
        firms = list(Firm.select().where(Firm.id.in_([object_id(f) for f in firms])))
    if not firms:
        return {}
    goals = _county_targets(firms, year)
    counts = {}
    rows = (FirmReport.select(FirmReport.firm, FirmReport.month, FirmReport.kind,
                              FirmReport.status, fn.COUNT(FirmReport.id))
            .where(FirmReport.firm.in_([f.id for f in firms]),
                   FirmReport.status.in_(("submitted", "accepted")),
                   FirmReport.month.between(datetime.date(year, 1, 1),
                                            datetime.date(year, 12, 31)))
            .group_by(FirmReport.firm, FirmReport.month, FirmReport.kind, FirmReport.status)
            .tuples())
    for firm_id, month, kind, status, count in rows:
        counts[(firm_id, _as_date(month).month, kind, status)] = count
    this_month = first_of_month(today)
    out = {}
    for firm in firms:
        info_target, case_target = goals[firm.id]
        months = []
        for number in range(1, 13):
            start = datetime.date(year, number, 1)
            key = (firm.id, number)
            quota = MonthQuota(
                month=start, info=counts.get(key + ("info", "accepted"), 0),
                case=counts.get(key + ("case", "accepted"), 0),
                info_pending=counts.get(key + ("info", "submitted"), 0),
                case_pending=counts.get(key + ("case", "submitted"), 0),
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
        out[firm.id] = months
    return out


def month_quota(firm, year, today=None):
    """Return the year's twelve MonthQuota of the firm, January first (county_month_quota's rule)."""
    return county_month_quota([firm], year, today)[firm.id]


def _as_date(value):
    if isinstance(value, str):  # SQLite may hand back text
        return datetime.date.fromisoformat(value[:10])
    return value
