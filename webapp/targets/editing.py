"""Editing the annual targets: who sets which scope, what a value may be, a new year's start."""
import re
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from .. import access
from ..accounts.models import Firm, Region
from ..db import db
from ..errors import Conflict, DomainError, NotAllowed
from ..inputs import clean_text
from .models import METRICS, Target
from .services import METRIC_LABELS, targets_for

MAX_VALUE = 999999
MAX_SOURCE = 200
FIRST_YEAR, LAST_YEAR = 2000, 2100
# ASCII digits only: full-width "１２" and other scripts' digits are refused, not converted.
_NUMBER = re.compile(r"[0-9]{1,9}(\.[0-9]{1,2})?")
ORIGIN_LABELS = {
    "default": _l("Default"),
    "city": _l("City"),
    "county": _l("County"),
    "firm": _l("This firm"),
}


@dataclass(frozen=True)
class Scope:
    """Where a target is set: a city, a county, or one firm (in its county)."""
    level: str              # "city", "county" or "firm"
    region: Region          # the city, or the county (a firm's county for a firm)
    firm: Firm = None

    @property
    def name(self):
        return self.firm.name if self.firm is not None else self.region.name

    @property
    def firm_id(self):
        return self.firm.id if self.firm is not None else None


@dataclass
class Row:
    """One metric as a scope sees it: what applies, where it comes from, what it would inherit."""
    metric: str
    value: Decimal
    source: str
    origin: str
    own: Target = None          # the scope's own row, when it sets one
    inherited: Decimal = None   # what applies without the scope's own row
    inherited_source: str = ""
    inherited_origin: str = "default"

    @property
    def label(self):
        return METRIC_LABELS[self.metric]

    @property
    def own_text(self):
        """The scope's own value as a form shows it (no trailing zeros), or ''."""
        return plain(self.own.value) if self.own is not None else ""

    @property
    def origin_label(self):
        return ORIGIN_LABELS[self.origin]

    @property
    def inherited_origin_label(self):
        return ORIGIN_LABELS[self.inherited_origin]


def plain(number):
    """Write a Decimal without trailing zeros or exponent: 40.00 -> "40", 2.50 -> "2.5"."""
    return format(Decimal(number).normalize(), "f")


def _id(value):
    return getattr(value, "id", value)


def scope_for(actor, firm=None, region=None):
    """Return the Scope the actor may edit (their city, their county, or one of its firms).

    Anything else is refused with NotAllowed: a city administrator sets the city's targets, a
    county administrator the county's and its firms'.
    """
    role = actor.role if actor is not None else None
    own_region = actor.grant.region_id if role in access.ADMIN_ROLES else None
    if role not in access.ADMIN_ROLES or own_region is None:
        raise NotAllowed(_("Only city and county administrators set targets."))
    if region is not None and _id(region) != own_region:
        raise NotAllowed(_("You may set targets only for your own city or county."))
    if firm is not None:
        if not isinstance(firm, Firm):
            firm = Firm.get_or_none(Firm.id == _id(firm))
        if role != "county_admin" or firm is None or firm.county_id != own_region:
            raise NotAllowed(_("You may set a firm's targets only for firms of your county."))
        return Scope("firm", Region.get_by_id(own_region), firm)
    return Scope("city" if role == "city_admin" else "county", Region.get_by_id(own_region))


def _check_scope(actor, scope):
    if scope is None:
        return scope_for(actor)
    return scope_for(actor, firm=scope.firm, region=scope.region)


def check_year(year):
    """Return the year as an int, or refuse one outside the years the ledger knows."""
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = None
    if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
        raise DomainError(_("Choose a year between %(first)d and %(last)d.",
                            first=FIRST_YEAR, last=LAST_YEAR), field="year")
    return year


def parse_value(value, metric):
    """Return a typed target as a Decimal (0 to MAX_VALUE, two decimals at most); None if blank."""
    label = str(METRIC_LABELS[metric])
    text = clean_text(value, "value", label, 40)
    if not text:
        return None
    if not (text.isascii() and _NUMBER.fullmatch(text)):
        raise DomainError(_("%(label)s must be a number of at least 0 with at most two "
                            "decimals, such as 12 or 2.5.", label=label), field="value")
    number = Decimal(text)
    if number > MAX_VALUE:
        raise DomainError(_("%(label)s is too large (at most %(n)d).", label=label, n=MAX_VALUE),
                          field="value")
    return number


def _scope_filter(scope):
    if scope.firm is not None:
        return Target.firm == scope.firm.id
    return (Target.region == scope.region.id) & Target.firm.is_null()


def _own_rows(year, scope):
    return {row.metric: row for row in Target.select().where(Target.year == year,
                                                             _scope_filter(scope))}


def _chain(scope):
    """Return (effective targets_for kwargs, parent's kwargs, [(level, region_id, firm_id)])."""
    if scope.level == "city":
        return ({"city_id": scope.region.id}, {},
                [("city", scope.region.id, None)])
    county = scope.region
    levels = [("county", county.id, None), ("city", county.parent_id, None)]
    if scope.level == "county":
        return {"county_id": county.id}, {"city_id": county.parent_id}, levels
    return ({"county_id": county.id, "firm_id": scope.firm.id}, {"county_id": county.id},
            [("firm", None, scope.firm.id)] + levels)


def _origins(year, levels):
    """Return {metric: level} of the most specific row along the chain (as targets_for ranks)."""
    found = {}
    for level, region_id, firm_id in levels:
        if region_id is None and firm_id is None:
            continue
        where = (Target.firm == firm_id) if firm_id else (
            (Target.region == region_id) & Target.firm.is_null())
        for (metric,) in Target.select(Target.metric).where(Target.year == year, where).tuples():
            found.setdefault(metric, level)
    return found


def targets_table(actor, year, scope=None):
    """Return a Row per metric in METRICS: the value that applies, its origin and source."""
    scope = _check_scope(actor, scope)
    year = check_year(year)
    effective_kw, parent_kw, levels = _chain(scope)
    effective = targets_for(year, **effective_kw)
    parent = targets_for(year, **parent_kw)
    origins = _origins(year, levels)
    parent_origins = _origins(year, levels[1:])
    own = _own_rows(year, scope)
    rows = []
    for metric in METRICS:
        value, source = effective[metric]
        inherited, inherited_source = parent[metric]
        rows.append(Row(metric=metric, value=value, source=source,
                        origin=origins.get(metric, "default"), own=own.get(metric),
                        inherited=inherited, inherited_source=inherited_source,
                        inherited_origin=parent_origins.get(metric, "default")))
    return rows


def _text(value):
    return None if value is None else plain(value)


def set_target(actor, year, metric, value, source, region=None, firm=None):
    """Set (or, with an empty value, clear) one metric's target for a scope; return the row or None.

    A city administrator sets the city's targets; a county administrator the county's, or one
    of its firms'. Clearing makes the scope inherit again. Each change is audited.
    """
    scope = scope_for(actor, firm=firm, region=region)
    year = check_year(year)
    if metric not in METRICS:
        raise DomainError(_("Choose one of the targets listed."), field="metric")
    number = parse_value(value, metric)
    source = clean_text(source, "source", _("Source"), MAX_SOURCE)
    detail = {"metric": metric, "year": year, "scope": scope.level}
    if scope.firm is not None:
        detail["firm"] = scope.firm.id
    try:
        with db.atomic():
            row = Target.select().where(Target.year == year, Target.metric == metric,
                                        _scope_filter(scope)).first()
            before = _text(row.value) if row else None
            if number is None:
                if row is not None:
                    row.delete_instance()
                    access.audit(actor.user, "target.clear", row, region=scope.region,
                                 detail=dict(detail, before=before, after=None))
                return None
            if row is not None and row.value == number and row.source == source:
                return row      # nothing changed: nothing to record
            if row is None:
                row = Target.create(year=year, metric=metric, value=number, source=source,
                                    region=None if scope.firm else scope.region,
                                    firm=scope.firm)
            else:
                row.value, row.source = number, source
                row.save(only=[Target.value, Target.source])
            access.audit(actor.user, "target.set", row, region=scope.region,
                         detail=dict(detail, before=before, after=_text(number), source=source))
    except IntegrityError:
        # Someone else set the same target in the same moment.
        raise Conflict(_("This target was just changed by someone else. Look and try again."),
                       field="value") from None
    return row


def _start_scopes(actor):
    """The scopes a new year's start copies: the city's, or the county's and its firms'."""
    scope = scope_for(actor)
    if scope.level == "city":
        return scope, (Target.region == scope.region.id) & Target.firm.is_null()
    firms = Firm.select(Firm.id).where(Firm.county == scope.region.id)
    return scope, (((Target.region == scope.region.id) & Target.firm.is_null())
                   | Target.firm.in_(firms))


def start_year(actor, year):
    """Start a year from the year before: copy the actor's scope's rows where the year has none.

    Running it again copies nothing and records nothing; return how many rows were copied.
    """
    year = check_year(year)
    if year - 1 < FIRST_YEAR:
        raise DomainError(_("There is no earlier year to start from."), field="year")
    scope, where = _start_scopes(actor)
    copied = 0
    with db.atomic():
        present = {(r.metric, r.region_id, r.firm_id)
                   for r in Target.select().where(Target.year == year, where)}
        for old in Target.select().where(Target.year == year - 1, where).order_by(Target.id):
            if (old.metric, old.region_id, old.firm_id) in present:
                continue
            try:
                with db.atomic():
                    Target.create(year=year, metric=old.metric, region=old.region_id,
                                  firm=old.firm_id, value=old.value, source=old.source)
            except IntegrityError:
                continue    # set meanwhile: what is there stays
            copied += 1
        if copied:
            access.audit(actor.user, "target.start_year", None, region=scope.region,
                         detail={"year": year, "from": year - 1, "copied": copied,
                                 "scope": scope.level})
    return copied
