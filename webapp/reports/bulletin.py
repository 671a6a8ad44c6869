"""The county's monthly bulletin (月通报): figures built from the data, issued as a snapshot.

Every figure comes from the module that owns its rule: firm quotas from reports.services,
people's progress from targets.services, county series and behind lists from
targets.dashboard, theme party days from branches.overview, service quality (people served,
ratings, complaints, adviser coverage) from quality.figures. An issued bulletin is never
rebuilt: it is read back from the JSON snapshot stored when it was issued.
"""
import calendar
import datetime
import json

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from .. import access
from ..accounts.models import Firm, Region, User
from ..branches.models import Branch
from ..branches.overview import held_in_year
from ..db import db, utcnow
from ..errors import Conflict, DomainError, NotAllowed
from ..i18n import to_local
from ..inputs import clean_text
from ..quality import figures as quality
from ..targets import dashboard
from ..targets import services as target_services
from .bulletin_models import Bulletin
from .quota import county_month_quota
from .services import earliest_month, first_of_month

MAX_REMARKS = 4000
# A firm's month in the bulletin, in the words of the firm's own reports page.
STATE_LABELS = {"done": _l("Complete"), "short": _l("Short"), "open": _l("This month"),
                "future": _l("To come")}
BEHIND_SHOWN = 20
METRICS = tuple(dashboard.METRIC_KINDS)


def month_end(month):
    """Return the last day of the month."""
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def check_month(month, today):
    """Refuse a future month; the current month is allowed and reads as "so far"."""
    if month > first_of_month(today):
        raise DomainError(_("The month cannot be in the future."), field="month")
    return month


def _num(value):
    return float(round(value, 2))


def build(county, month, today):
    """Return the month's figures for the county as a JSON-ready dict (as of the month's end)."""
    check_month(month, today)
    as_of = min(today, month_end(month))
    year = month.year
    firms = list(Firm.select().where(Firm.county == county.id).order_by(Firm.name))
    firm_rows = []
    # A month's state (short, done, open) is judged today: as of its own last day a month is
    # still open, and a month that is over reads short when its quota was not met.
    quotas = county_month_quota(firms, year, today)
    for firm in firms:
        quota = quotas[firm.id][month.month - 1]
        firm_rows.append({"id": firm.id, "name": firm.name, "info": quota.info,
                          "info_target": quota.info_target, "case": quota.case,
                          "case_target": quota.case_target, "info_pending": quota.info_pending,
                          "case_pending": quota.case_pending, "state": quota.state,
                          "complete": quota.complete})
    people, progress = target_services.people_progress(
        User.select().where(User.county == county.id), year, as_of)
    counts = {}
    for person in people:
        counts[county.id] = counts.get(county.id, 0) + 1
    figures = {}
    for metric in METRICS:
        series = dashboard.monthly_series([county.id], year, metric, as_of, people_count=counts)
        so_far = series["this_year"]
        total = so_far[month.month - 1] if len(so_far) >= month.month else 0
        before = so_far[month.month - 2] if month.month > 1 and len(so_far) >= month.month - 1 else 0
        figures[metric] = {"month": _num(total - before), "year": _num(total),
                           "pace": _num(series["pace"][month.month - 1])}
    by_firm = {f.id: f for f in firms}
    behind = dashboard.behind_list(people, progress, firms=by_firm)
    behind_people = [{"name": r.person.name, "firm": r.firm.name if r.firm else "",
                      "metric": r.metric, "done": _num(r.progress.done),
                      "expected": _num(r.progress.expected),
                      "shortfall": _num(r.progress.shortfall), "status": r.status}
                     for r in behind[:BEHIND_SHOWN]]
    behind_firms = [row for row in firm_rows if not row["complete"]]
    branches = list(Branch.select().where(Branch.county == county.id).order_by(Branch.name))
    held = {a.branch_id for a in held_in_year([b.id for b in branches], year)
            if a.kind == "theme_day" and to_local(a.start_at).month == month.month}
    no_theme_day = [{"id": b.id, "name": b.name} for b in branches if b.id not in held]
    trainings = {
        "month": target_services.trainings_held([county.id], month, as_of).get(county.id, 0),
        "year": target_services.trainings_held([county.id], datetime.date(year, 1, 1),
                                                 as_of).get(county.id, 0),
        "target": _num(target_services.targets_for(year, county_id=county.id)
                       ["county_trainings"][0])}
    return {"county": {"id": county.id, "name": county.name}, "month": month.isoformat(),
            "as_of": as_of.isoformat(), "firms": firm_rows, "figures": figures,
            "trainings": trainings,
            "people": len(people), "behind_people": behind_people,
            "behind_people_total": len(behind), "behind_firms": behind_firms,
            "no_theme_day": no_theme_day,
            "quality": quality.bulletin_quality(county.id, firms, month, as_of, today)}


def can_issue(actor, county):
    """Only the county's own administrator issues its bulletin."""
    return actor is not None and actor.role == "county_admin" and actor.grant.region_id == county.id


def issue(actor, county, month, remarks, today):
    """Store the month's figures and remarks as the county's issued bulletin, once."""
    if not can_issue(actor, county):
        raise NotAllowed(_("Only the county's administrator can issue its bulletin."))
    text = clean_text(remarks, "remarks", _("Remarks"), MAX_REMARKS, multiline=True)
    data = build(county, month, today)
    with db.atomic():
        # No lock needed: the unique index and the status-guarded update refuse a second issue.
        bulletin = Bulletin.get_or_none(Bulletin.county == county.id, Bulletin.month == month)
        if bulletin is not None and bulletin.status == "issued":
            raise Conflict(_("This month's bulletin has already been issued."))
        fields = {"remarks": text, "status": "issued", "issued_by": actor.user.id,
                  "issued_at": utcnow(), "data": json.dumps(data, ensure_ascii=False)}
        if bulletin is None:
            try:
                with db.atomic():
                    bulletin = Bulletin.create(county=county.id, month=month, **fields)
            except IntegrityError:
                raise Conflict(_("This month's bulletin has already been issued.")) from None
        else:
            updated = (Bulletin.update(**fields)
                       .where(Bulletin.id == bulletin.id, Bulletin.status == "draft").execute())
            if not updated:
                raise Conflict(_("This month's bulletin has already been issued."))
            bulletin = Bulletin.get_by_id(bulletin.id)
        access.audit(actor.user, "bulletin.issue", bulletin, region=county.id,
                     detail={"month": month.isoformat()})
    return bulletin


def issued(county, month):
    """Return the county's issued bulletin for the month, or None."""
    return Bulletin.get_or_none(Bulletin.county == county.id, Bulletin.month == month,
                                Bulletin.status == "issued")


def figures_of(bulletin):
    """Return an issued bulletin's figures: always its snapshot, never the live data.

    A snapshot stored before a figure existed reads that figure as None.
    """
    data = json.loads(bulletin.data)
    data.setdefault("trainings", None)
    data.setdefault("quality", None)
    return data


# ------------------------------------------------------------------ who reads which

def county_of(actor):
    """The county whose bulletins the actor works with: the administrator's, or the director's
    firm's; None for anyone else."""
    if actor is None:
        return None
    if actor.role == "county_admin":
        return access.counties(actor).where(Region.id == actor.grant.region_id).first()
    if actor.role == "director":
        firm = access.firms(actor).first()
        return Region.get_or_none(Region.id == firm.county_id) if firm else None
    return None


def months(actor, county, today):
    """The months a county's bulletin can be for, newest first: [(month, issued bulletin or None)].

    From the current month back to January of the previous year (the window of
    services.parse_month).
    """
    first = earliest_month(today)
    done = {b.month: b for b in access.bulletins(actor, Bulletin).where(
        Bulletin.county == county.id, Bulletin.status == "issued", Bulletin.month >= first)}
    out, month = [], first_of_month(today)
    while month >= first:
        out.append((month, done.get(month)))
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    return out


def issued_list(actor, today):
    """The issued bulletins the actor may read, newest first (within the months' window)."""
    return list(access.bulletins(actor, Bulletin)
                .where(Bulletin.status == "issued", Bulletin.month >= earliest_month(today))
                .order_by(Bulletin.month.desc(), Bulletin.id.desc()))


def readable(actor, county, month):
    """The county's issued bulletin for the month, if the actor may read it; else None."""
    return (access.bulletins(actor, Bulletin)
            .where(Bulletin.county == county.id, Bulletin.month == month,
                   Bulletin.status == "issued").first())


def issuer_name(bulletin):
    """The name of who issued the bulletin ('' once that person is gone)."""
    if not bulletin.issued_by_id:
        return ""
    return User.select(User.name).where(User.id == bulletin.issued_by_id).scalar() or ""
