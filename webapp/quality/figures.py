"""Service quality in figures, as the people served see it: how many were served, how satisfied
they were and whether the advice helped, the complaints received, upheld and overdue, and the
villages with a legal adviser. One function per scope (counties, a firm, a person), called by
every screen that shows them (the county and city dashboards, the monthly bulletin, the annual
dossiers) and by their exports, so the figures on screen and in a workbook are the same."""
import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from peewee import fn

from ..accounts.models import Firm, User
from ..ledger.models import Entry
from ..web import Sheet
from . import complaint_figures, ratings, villages
from .rating_models import SCORES, Rating

SERVED_KINDS = ("public_service", "legal_aid")
COUNTED = ("approved", "recorded")
LABELS = {
    "people_served": _l("People served"),
    "ratings": _l("Ratings from the people served"),
    "average": _l("Satisfaction (average of 5)"),
    "adoption_rate": _l("Advice followed or useful"),
    "received": _l("Complaints received"),
    "upheld": _l("Complaints upheld"),
    "overdue": _l("Complaints overdue"),
    "coverage": _l("Villages with a legal adviser"),
    "duty": _l("Villages with adviser duty hours this quarter"),
}


def people_served(where, start, end):
    """People served by counted public-service entries and legal-aid cases from start to end,
    for the entries `where` selects (a condition on Entry and User)."""
    return int(Entry.select(fn.COALESCE(fn.SUM(Entry.people_served), 0))
               .join(User, on=(Entry.user == User.id))
               .where(where, Entry.kind.in_(SERVED_KINDS), Entry.status.in_(COUNTED),
                      Entry.date.between(start, end)).scalar() or 0)


def _ratings(where, start, end):
    return ratings.figures_where(where, start, end)


def for_counties(county_ids, start, end, today):
    """Every figure for the counties from start to end; coverage for the quarter of the end
    (or of today, if the range runs on past it)."""
    county_ids = list(county_ids)
    quarter = villages.quarter_of(min(end, today))
    rated = _ratings(Rating.firm.in_(Firm.select(Firm.id).where(Firm.county.in_(
        county_ids or [0]))), start, end)
    cover = villages.coverage(county_ids, *quarter)
    return {"people_served": people_served(User.county.in_(county_ids or [0]), start, end),
            **rated, **complaint_figures.figures(county_ids, start, end, today=today),
            "villages": cover["villages"], "with_adviser": cover["with_adviser"],
            "with_duty_hours": cover["with_duty_hours"],
            "coverage_percent": villages.percent(cover["with_adviser"], cover["villages"]),
            "duty_percent": villages.percent(cover["with_duty_hours"], cover["villages"]),
            "uncovered": len(cover["uncovered"]), "quarter": quarter}


def by_county(county_ids, start, end, today):
    """{county_id: for_counties([county_id], ...)} (the city's comparison)."""
    return {c: for_counties([c], start, end, today) for c in county_ids}


def for_firm(firm, year):
    """A firm's year: people served, its ratings, and its upheld complaints (zero-complaint
    status when 0)."""
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    upheld = complaint_figures.zero_complaint(year=year, firm_ids=[firm.id])[firm.id]
    return {"people_served": people_served(User.firm == firm.id, start, end),
            **_ratings(Rating.firm == firm.id, start, end), "upheld": upheld,
            "zero_complaint": upheld == 0}


def for_person(user, year):
    """A person's year: people served, their ratings, their upheld complaints."""
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    upheld = complaint_figures.zero_complaint(year=year, user_ids=[user.id])[user.id]
    return {"people_served": people_served(Entry.user == user.id, start, end),
            **_ratings(Rating.practitioner == user.id, start, end), "upheld": upheld,
            "zero_complaint": upheld == 0}


def zero_complaint_firms(firm_ids, year):
    """{firm_id: True when no complaint against it was upheld in the year}."""
    return {f: n == 0 for f, n in complaint_figures.zero_complaint(year=year,
                                                           firm_ids=list(firm_ids)).items()}


def _average(value):
    return "" if value is None else value


def _percent(value):
    return "" if value is None else f"{value}%"


def county_lines(figures):
    """The county figures as (label, value) lines, as the screens and the workbooks show them."""
    lines = [(LABELS["people_served"], figures["people_served"]),
             (LABELS["ratings"], figures["ratings"]),
             (LABELS["average"], _average(figures["average"])),
             (LABELS["adoption_rate"], _percent(figures["adoption_rate"])),
             (LABELS["received"], figures["received"]),
             (LABELS["upheld"], figures["upheld"]),
             (LABELS["overdue"], figures["overdue"]),
             (LABELS["coverage"], f"{figures['with_adviser']} / {figures['villages']}"),
             (LABELS["duty"], f"{figures['with_duty_hours']} / {figures['villages']}")]
    return [(str(label), value) for label, value in lines]


def subject_lines(figures):
    """A firm's or person's year as (label, value) lines (the dossier and its workbook)."""
    return [(str(label), value) for label, value in [
        (LABELS["people_served"], figures["people_served"]),
        (LABELS["ratings"], figures["ratings"]),
        (LABELS["average"], _average(figures["average"])),
        (LABELS["adoption_rate"], _percent(figures["adoption_rate"])),
        (LABELS["upheld"], figures["upheld"]),
    ]]


# ------------------------------------------------------------------ the screens' shapes

ZERO_COMPLAINT = _l("Zero complaints")
# The keys of county_lines, in its order (the card marks some lines: overdue links to the list).
COUNTY_KEYS = ("people_served", "ratings", "average", "adoption_rate", "received", "upheld",
               "overdue", "coverage", "duty")


def year_to_date(today):
    """From 1 January to today."""
    return datetime.date(today.year, 1, 1), today


def distribution_rows(figures):
    """[(score, label, count, bar width in steps of 5)] from 5 down to 1; the distribution may
    be keyed by numbers (live) or by their text (a stored snapshot)."""
    dist = figures.get("distribution") or {}
    total = figures.get("ratings") or 0
    rows = []
    for score in sorted(SCORES, reverse=True):
        count = int(dist.get(score, dist.get(str(score), 0)) or 0)
        width = (count * 100 // total) // 5 * 5 if total else 0
        rows.append((score, str(ratings.SCORE_LABELS[score]), count, width))
    return rows


def upheld_in_county(county_id, year):
    """The county's active firms and people with complaints upheld in the year (zero-complaint
    status for all the others): ([(firm, n)], [(user, n)], number of active firms)."""
    firms = list(Firm.select().where(Firm.county == county_id, Firm.active == True)  # noqa: E712
                 .order_by(Firm.name))
    firm_counts = complaint_figures.zero_complaint(year=year, firm_ids=[f.id for f in firms])
    people = list(User.select(User.id, User.name, User.firm)
                  .where(User.county == county_id).order_by(User.name))
    person_counts = complaint_figures.zero_complaint(year=year, user_ids=[u.id for u in people])
    return ([(f, firm_counts[f.id]) for f in firms if firm_counts[f.id]],
            [(u, person_counts[u.id]) for u in people if person_counts[u.id]], len(firms))


def county_card(county_id, today):
    """The county home's service-quality card: the year so far and zero-complaint status."""
    figures = for_counties([county_id], *year_to_date(today), today)
    firms, people, firm_count = upheld_in_county(county_id, today.year)
    lines = county_lines(figures)
    return {"figures": figures, "lines": lines, "keyed": list(zip(COUNTY_KEYS, lines)),
            "distribution": distribution_rows(figures), "upheld_firms": firms,
            "upheld_people": people, "firm_count": firm_count,
            "zero_firms": firm_count - len(firms), "year": today.year}


def county_sheets(county_name, card, today):
    """The card as a workbook: the figures, the distribution, then who had complaints upheld."""
    rows = [list(line) for line in card["lines"]]
    rows += [[_("Rated %(score)d: %(label)s", score=s, label=label), n]
             for s, label, n, _w in card["distribution"]]
    rows += [[_("Firms with zero complaints"), f"{card['zero_firms']} / {card['firm_count']}"],
             []]
    rows.append([_("Firms with an upheld complaint this year"), ""])
    rows += [[firm.name, n] for firm, n in card["upheld_firms"]] or [[_("None"), ""]]
    rows += [[], [_("People with an upheld complaint this year"), ""]]
    rows += [[person.name, n] for person, n in card["upheld_people"]] or [[_("None"), ""]]
    return [Sheet(title=_("Service quality"), header=[_("Figure"), _("Year so far")],
                  rows=rows, widths=(44, 16),
                  heading=_("Service quality, %(county)s, %(year)d so far",
                             county=county_name, year=today.year),
                  above=[[_("County"), county_name], [_("As of"), today], []])]


def city_rows(counties, today):
    """The city's counties side by side: (county, county_lines, firms with an upheld
    complaint / active firms) for each."""
    start, end = year_to_date(today)
    figures = by_county([c.id for c in counties], start, end, today)
    firms = list(Firm.select(Firm.id, Firm.county)
                 .where(Firm.county.in_([c.id for c in counties] or [0]),
                        Firm.active == True))  # noqa: E712
    zero = zero_complaint_firms([f.id for f in firms], today.year)
    rows = []
    for county in counties:
        own = [f.id for f in firms if f.county_id == county.id]
        upheld = sum(1 for f in own if not zero[f])
        rows.append((county, county_lines(figures[county.id]), upheld, len(own)))
    return rows


def city_header():
    """Column titles of the city's service-quality table and sheet."""
    return ([_("County")] + [label for label, _v in county_lines(_EMPTY)]
            + [_("Firms with an upheld complaint")])


def city_sheet(rows, today):
    """The city's service-quality table as one worksheet."""
    return Sheet(title=_("Service quality"), header=city_header(),
                 rows=[[county.name] + [v for _label, v in lines] + [f"{upheld} / {total}"]
                       for county, lines, upheld, total in rows],
                 widths=(16,) + (14,) * 10,
                 heading=_("Service quality, %(year)d so far", year=today.year))


_EMPTY = {"people_served": 0, "ratings": 0, "average": None, "adoption_rate": None,
          "received": 0, "upheld": 0, "overdue": 0, "with_adviser": 0, "with_duty_hours": 0,
          "villages": 0}


def snapshot(figures):
    """Figures as JSON keeps them (the issued bulletin): numbers as numbers, the average and
    the adoption rate as their text, the distribution keyed by score."""
    def text(value):
        return None if value is None else str(value)
    return {"people_served": figures["people_served"], "ratings": figures["ratings"],
            "average": text(figures["average"]), "adoption_rate": text(figures["adoption_rate"]),
            "distribution": {str(s): figures["distribution"][s] for s in SCORES},
            "received": figures["received"], "upheld": figures["upheld"],
            "overdue": figures["overdue"], "villages": figures["villages"],
            "with_adviser": figures["with_adviser"],
            "with_duty_hours": figures["with_duty_hours"]}


def bulletin_quality(county_id, firms, month_start, as_of, today):
    """The bulletin's quality section: the month, the year to date, and the firms with an
    upheld complaint this year (JSON-ready: it is stored with the issued bulletin)."""
    month = for_counties([county_id], month_start, as_of, today)
    year = for_counties([county_id], datetime.date(as_of.year, 1, 1), as_of, today)
    counts = complaint_figures.zero_complaint(year=as_of.year, firm_ids=[f.id for f in firms])
    return {"month": snapshot(month), "year": snapshot(year),
            "firms": len(firms),
            "upheld_firms": [{"id": f.id, "name": f.name, "upheld": counts[f.id]}
                             for f in firms if counts[f.id]]}


def bulletin_lines(quality):
    """[(label, this month, year so far)] of a stored quality section."""
    return [(label, month, year) for (label, month), (_x, year)
            in zip(county_lines(quality["month"]), county_lines(quality["year"]))]


def zero_complaint_text(upheld):
    """零投诉, or how many complaints were upheld."""
    if not upheld:
        return str(ZERO_COMPLAINT)
    return ngettext("%(num)d upheld complaint", "%(num)d upheld complaints", upheld)


def subject_section(figures):
    """A dossier's service-quality section: its lines, distribution and zero-complaint status."""
    return {"lines": subject_lines(figures), "distribution": distribution_rows(figures),
            "ratings": figures["ratings"], "upheld": figures["upheld"],
            "status": zero_complaint_text(figures["upheld"])}


def subject_sheet(subject_name, figures, year):
    """A firm's or person's service quality for the year as one worksheet (the dossier's)."""
    rows = [list(line) for line in subject_lines(figures)]
    rows += [[_("Rated %(score)d: %(label)s", score=s, label=label), n]
             for s, label, n, _w in distribution_rows(figures)]
    rows.append([_("Zero-complaint status"), zero_complaint_text(figures["upheld"])])
    return Sheet(title=_("Service quality"), header=[_("Figure"), _("Year")], rows=rows,
                 widths=(44, 20), heading=_("Service quality %(year)d, %(name)s",
                                             year=year, name=subject_name))
