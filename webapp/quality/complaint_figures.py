"""Complaints in figures: received, upheld and overdue for counties over a period, and each
firm's or person's upheld complaints of a year (zero-complaint status, 零投诉). Overdue is the
complaints module's one rule (overdue_on)."""
import datetime

from peewee import Case, fn

from ..i18n import local_today
from .complaint_models import UPHELD, Complaint
from .complaints import overdue_on


def figures(county_ids, start, end, today=None):
    """The counties' complaint figures for a date range, in one query.

    received: complaints received from start to end (inclusive); upheld: of those, the ones
    concluded upheld or partly upheld by min(end, today); overdue: complaints received by `end`
    (any earlier date too) that were past their deadline and not concluded at min(end, today).
    """
    as_of = min(end, today or local_today())
    in_range = (Complaint.received_on >= start)
    late = overdue_on(as_of)
    row = (Complaint.select(
        fn.COALESCE(fn.SUM(Case(None, [(in_range, 1)], 0)), 0),
        fn.COALESCE(fn.SUM(Case(None, [(in_range & Complaint.finding.in_(UPHELD)
                                         & (Complaint.concluded_on <= as_of), 1)], 0)), 0),
        fn.COALESCE(fn.SUM(Case(None, [(late, 1)], 0)), 0))
        .where(Complaint.county.in_(list(county_ids) or [0]), Complaint.received_on <= end)
        .tuples().get())
    return {"received": int(row[0]), "upheld": int(row[1]), "overdue": int(row[2])}


def zero_complaint(*, year, firm_ids=None, user_ids=None):
    """Upheld complaints (partly upheld included) received in the year, per firm or per person.

    Give firm_ids or user_ids (not both): {id: count} for every id given, 0 when none, so a
    firm or person has zero-complaint status for the year when its count is 0. A firm's count
    includes the complaints against its practitioners (a complaint names their firm).
    """
    if (firm_ids is None) == (user_ids is None):
        raise ValueError("give firm_ids or user_ids")
    column = Complaint.firm if firm_ids is not None else Complaint.practitioner
    ids = list(firm_ids if firm_ids is not None else user_ids)
    counts = dict.fromkeys(ids, 0)
    if not ids:
        return counts
    query = (Complaint.select(column, fn.COUNT(Complaint.id))
             .where(column.in_(ids), Complaint.finding.in_(UPHELD),
                    Complaint.received_on >= datetime.date(year, 1, 1),
                    Complaint.received_on <= datetime.date(year, 12, 31))
             .group_by(column).tuples())
    counts.update({key: count for key, count in query})
    return counts
