"""Recommending typical cases for the city's yearly selection and choosing the ten best.

Who recommends: an administrator of the firm's county (acting as county admin), and only a
typical case the county accepted. The recommendation can be withdrawn until the city chose
the case. Who chooses: an administrator of the county's city (acting as city admin), at most
TEN cases a year for the whole city. A case takes part in the selection of the year of the
month it counts for.

The state of a case (none, recommended, chosen) comes from `selection_state`; every screen
that shows it calls that function.
"""
import datetime
from dataclasses import dataclass

from flask_babel import gettext as _
from peewee import IntegrityError, fn

from .. import access
from ..access import audit
from ..accounts.models import Firm, Region
from ..db import is_postgres, utcnow, write_transaction
from ..errors import Conflict, DomainError, NotAllowed
from .models import FirmReport
from .selection_models import CaseSelection

TEN = 10
STATES = ("none", "recommended", "chosen")
RECOMMENDERS = ("county_admin",)
CHOOSERS = ("city_admin",)


# ------------------------------------------------------------------ the state of a case

def selection_state(report_or_ids):
    """Return the state of one case ('none', 'recommended', 'chosen'), or for several
    reports or ids a dict {report id: state}."""
    single = isinstance(report_or_ids, (FirmReport, int))
    items = [report_or_ids] if single else list(report_or_ids)
    ids = [item.id if isinstance(item, FirmReport) else item for item in items
           if not (isinstance(item, FirmReport) and item.kind != "case")]
    states = {item.id if isinstance(item, FirmReport) else item: "none" for item in items}
    if ids:
        rows = (CaseSelection.select(CaseSelection.report, CaseSelection.chosen_at)
                .where(CaseSelection.report.in_(ids)).tuples())
        for report_id, chosen_at in rows:
            states[report_id] = "chosen" if chosen_at else "recommended"
    return next(iter(states.values())) if single else states


# ------------------------------------------------------------------ who

def _county_of(report):
    return Region.get_by_id(Firm.select(Firm.county).where(Firm.id == report.firm_id).scalar())


def can_recommend(actor, report):
    """Say whether the actor administers the county of the report's firm."""
    return (actor is not None and actor.role in RECOMMENDERS
            and access.firm_reports(actor, FirmReport).where(FirmReport.id == report.id).exists())


def can_choose(actor, report):
    """Say whether the actor administers the city of the report's county."""
    return (actor is not None and actor.role in CHOOSERS
            and access.firm_reports(actor, FirmReport).where(FirmReport.id == report.id).exists())


@dataclass
class CaseView:
    """What a screen shows of one case's selection: its state and what the actor may do."""
    state: str
    can_recommend: bool = False
    can_withdraw: bool = False
    can_choose: bool = False
    can_unchoose: bool = False


def case_view(actor, report):
    """The state of the report's selection and the actions the actor may take on it."""
    state = selection_state(report)
    view = CaseView(state=state)
    if report.kind != "case":
        return view
    if can_recommend(actor, report):
        view.can_recommend = state == "none" and report.status == "accepted"
        view.can_withdraw = state == "recommended"
    elif can_choose(actor, report):
        view.can_choose = state == "recommended"
        view.can_unchoose = state == "chosen"
    return view


# ------------------------------------------------------------------ the county recommends

def _lock_selection(report_id):
    query = CaseSelection.select().where(CaseSelection.report == report_id)
    if is_postgres():
        query = query.for_update()
    return query.first()


def _detail(report, county, **more):
    return {"firm": report.firm_id, "county": county.id, "month": report.month,
            "title": report.title, **more}


def recommend(actor, report):
    """Recommend an accepted typical case of the county for the city's ten best."""
    if not can_recommend(actor, report):
        raise NotAllowed(_("Only the county justice bureau of the firm recommends its cases."))
    if report.kind != "case":
        raise DomainError(_("Only typical cases take part in the selection of the ten best."))
    if report.status != "accepted":
        raise Conflict(_("Accept the typical case first: only accepted cases can be "
                         "recommended."))
    county = _county_of(report)
    year = report.month.year
    try:
        with write_transaction():
            query = FirmReport.select().where(FirmReport.id == report.id)
            fresh = (query.for_update() if is_postgres() else query).first()
            if fresh is None or fresh.status != "accepted":
                raise Conflict(_("Accept the typical case first: only accepted cases can be "
                                 "recommended."))
            selection = CaseSelection.create(report=report.id, county=county.id,
                                             city=county.parent_id, year=year,
                                             recommended_by=actor.user.id,
                                             recommended_at=utcnow())
            audit(actor.user, "case.recommend", selection, county.id,
                  _detail(report, county, year=year))
    except IntegrityError:
        raise Conflict(_("This case is already recommended.")) from None
    return selection


def withdraw(actor, report):
    """Withdraw the county's recommendation of a case the city has not chosen."""
    if not can_recommend(actor, report):
        raise NotAllowed(_("Only the county justice bureau of the firm recommends its cases."))
    county = _county_of(report)
    with write_transaction():
        selection = _lock_selection(report.id)
        if selection is None:
            raise Conflict(_("This case is not recommended."))
        if selection.chosen_at is not None:
            raise Conflict(_("The city chose this case among the ten best: the recommendation "
                             "can no longer be withdrawn."))
        CaseSelection.delete().where(CaseSelection.id == selection.id).execute()
        audit(actor.user, "case.withdraw", selection, county.id,
              _detail(report, county, year=selection.year))


# ------------------------------------------------------------------ the city chooses

def _lock_city(city_id):
    # One city's choices queue behind its region row, so two at once cannot make eleven.
    query = Region.select(Region.id).where(Region.id == city_id)
    if is_postgres():
        query = query.for_update()
    return query.first()


def chosen_count(city_id, year):
    """How many cases the city chose among the ten best of the year."""
    return (CaseSelection.select().where(CaseSelection.city == city_id,
                                         CaseSelection.year == year,
                                         CaseSelection.chosen_at.is_null(False)).count())


def choose(actor, report):
    """Choose a recommended case among the city's ten best of its year."""
    if not can_choose(actor, report):
        raise NotAllowed(_("Only the city justice bureau chooses the ten best cases."))
    county = _county_of(report)
    with write_transaction():
        _lock_city(county.parent_id)
        selection = _lock_selection(report.id)
        if selection is None:
            raise Conflict(_("The county no longer recommends this case."))
        if selection.chosen_at is not None:
            raise Conflict(_("This case is already among the ten best."))
        if chosen_count(selection.city_id, selection.year) >= TEN:
            raise Conflict(_("The ten best cases of %(year)d are already chosen. Take one "
                             "out before choosing another.", year=selection.year))
        CaseSelection.update(chosen_by=actor.user.id, chosen_at=utcnow()).where(
            CaseSelection.id == selection.id).execute()
        audit(actor.user, "case.choose", selection, county.id,
              _detail(report, county, year=selection.year))
    return CaseSelection.get_by_id(selection.id)


def unchoose(actor, report):
    """Take a case out of the city's ten best (it stays recommended)."""
    if not can_choose(actor, report):
        raise NotAllowed(_("Only the city justice bureau chooses the ten best cases."))
    county = _county_of(report)
    with write_transaction():
        _lock_city(county.parent_id)
        selection = _lock_selection(report.id)
        if selection is None or selection.chosen_at is None:
            raise Conflict(_("This case is not among the ten best."))
        CaseSelection.update(chosen_by=None, chosen_at=None).where(
            CaseSelection.id == selection.id).execute()
        audit(actor.user, "case.unchoose", selection, county.id,
              _detail(report, county, year=selection.year))
    return CaseSelection.get_by_id(selection.id)


# ------------------------------------------------------------------ the boards

@dataclass
class Candidate:
    """A case on a board: the report, its firm and county, and its state."""
    report: FirmReport
    county: Region
    state: str


def _year_range(year):
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def recommended(actor, year):
    """The recommended cases of the year the actor may see, by county name then month."""
    rows = (access.case_selections(actor, CaseSelection)
            .select(CaseSelection, FirmReport, Firm, Region)
            .join(FirmReport, on=(CaseSelection.report == FirmReport.id))
            .join(Firm, on=(FirmReport.firm == Firm.id))
            .switch(CaseSelection)
            .join(Region, on=(CaseSelection.county == Region.id))
            .where(CaseSelection.year == year)
            .order_by(Region.name, Region.id, FirmReport.month, FirmReport.id))
    return [Candidate(report=row.report, county=row.county,
                      state="chosen" if row.chosen_at else "recommended") for row in rows]


def by_county(candidates):
    """[(county, [candidates])] in the order given."""
    groups = []
    for candidate in candidates:
        if not groups or groups[-1][0].id != candidate.county.id:
            groups.append((candidate.county, []))
        groups[-1][1].append(candidate)
    return groups


def recommendable(actor, year):
    """The county's accepted typical cases of the year it has not recommended, newest first."""
    if actor is None or actor.role not in RECOMMENDERS:
        return []
    start, end = _year_range(year)
    taken = CaseSelection.select(CaseSelection.report)
    return list(access.firm_reports(actor, FirmReport)
                .where(FirmReport.kind == "case", FirmReport.status == "accepted",
                       FirmReport.month.between(start, end), FirmReport.id.not_in(taken))
                .order_by(FirmReport.month.desc(), FirmReport.id.desc()))


def city_of(actor):
    """The city the actor's selection belongs to (a city admin's own; a county's parent)."""
    if actor is None:
        return None
    if actor.role in CHOOSERS:
        return Region.get_or_none(Region.id == actor.grant.region_id)
    if actor.role in RECOMMENDERS:
        county = Region.get_or_none(Region.id == actor.grant.region_id)
        return county and Region.get_or_none(Region.id == county.parent_id)
    return None


def city_chosen(actor, year):
    """How many of the year's ten best the actor's city has chosen."""
    city = city_of(actor)
    return chosen_count(city.id, year) if city is not None else 0


def selection_years(actor, this_year):
    """The years with recommended cases the actor may see, and this year, newest first."""
    years = {row[0] for row in access.case_selections(actor, CaseSelection)
             .select(fn.DISTINCT(CaseSelection.year)).tuples()}
    years.add(this_year)
    return sorted(years, reverse=True)
