"""The monthly bulletin: figures equal the rows, an issued snapshot never changes, bad input."""
import datetime
from decimal import Decimal

import pytest
from peewee import fn

from tests.helpers import actor_for
from webapp.accounts.models import AuditEvent
from webapp.errors import Conflict, DomainError, NotAllowed
from webapp.ledger.models import Entry
from webapp.reports import bulletin as service
from webapp.reports.bulletin_models import Bulletin
from webapp.reports.models import FirmReport

TODAY = datetime.date(2026, 6, 15)
MAY = datetime.date(2026, 5, 1)


@pytest.fixture(autouse=True)
def english(app, fast_passwords):
    """Services run inside a request (messages in English, audit addresses)."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def data(world, make_user):
    director = make_user("director")
    p1, p2 = make_user("practitioner"), make_user("practitioner")
    for kind, status in (("info", "accepted"), ("info", "accepted"), ("info", "submitted"),
                         ("case", "accepted"), ("info", "returned")):
        FirmReport.create(firm=world["firm_a"], author=director, kind=kind, month=MAY,
                          title="t", status=status)
    FirmReport.create(firm=world["firm_a"], author=director, kind="info",
                      month=datetime.date(2026, 4, 1), title="t", status="accepted")
    for user, day, kind, amount, status in (
            (p1, datetime.date(2026, 5, 3), "legal_aid", 2, "approved"),
            (p2, datetime.date(2026, 5, 20), "legal_aid", 1, "pending"),
            (p1, datetime.date(2026, 3, 3), "legal_aid", 1, "approved"),
            (p1, datetime.date(2026, 5, 9), "public_service", "6.5", "approved"),
            (p2, datetime.date(2026, 2, 9), "public_service", "3", "recorded")):
        fields = {"count": amount} if kind == "legal_aid" else {"hours": Decimal(amount)}
        Entry.create(user=user, kind=kind, date=day, status=status, source="self", **fields)
    return {**world, "director": director, "p1": p1, "p2": p2,
            "admin": make_user("county_admin"), "admin_b": make_user("county_admin",
                                                                   county=world["b"])}


def _reports(firm, kind):
    return FirmReport.select().where(FirmReport.firm == firm.id, FirmReport.kind == kind,
                                     FirmReport.month == MAY,
                                     FirmReport.status == "accepted").count()


def _sum(kind, column, first, last):
    return float(Entry.select(fn.SUM(column)).where(
        Entry.kind == kind, Entry.status.in_(("approved", "recorded")),
        Entry.date.between(first, last)).scalar() or 0)


def test_figures_equal_the_rows(data):
    figures = service.build(data["a"], MAY, TODAY)
    firm = next(f for f in figures["firms"] if f["id"] == data["firm_a"].id)
    assert firm["info"] == _reports(data["firm_a"], "info") == 2
    assert firm["case"] == _reports(data["firm_a"], "case") == 1
    assert firm["info_pending"] == 1
    may_end, jan = datetime.date(2026, 5, 31), datetime.date(2026, 1, 1)
    aid = figures["figures"]["legal_aid_cases"]
    assert aid["month"] == _sum("legal_aid", Entry.count, MAY, may_end) == 2
    assert aid["year"] == _sum("legal_aid", Entry.count, jan, may_end) == 3
    service_hours = figures["figures"]["public_service_hours"]
    assert service_hours["month"] == _sum("public_service", Entry.hours, MAY, may_end) == 6.5
    assert service_hours["year"] == _sum("public_service", Entry.hours, jan, may_end) == 9.5
    assert figures["people"] == 3  # the director is a practitioner of the firm too
    assert [b["id"] for b in figures["no_theme_day"]] == [data["branch"].id]
    assert figures["county"]["id"] == data["a"].id
    assert all(p["firm"] for p in figures["behind_people"])


def test_issued_bulletin_keeps_its_snapshot(data):
    admin = actor_for(data["admin"], "county_admin")
    bulletin = service.issue(admin, data["a"], MAY, " 本月总体良好。\x00 ", TODAY)
    assert bulletin.status == "issued" and bulletin.remarks == "本月总体良好。"
    before = service.figures_of(service.issued(data["a"], MAY))
    FirmReport.create(firm=data["firm_a"], author=data["director"], kind="case", month=MAY,
                      title="late", status="accepted")
    Entry.create(user=data["p1"], kind="legal_aid", date=datetime.date(2026, 5, 30), count=4,
                 status="approved", source="self")
    assert service.figures_of(service.issued(data["a"], MAY)) == before
    assert service.build(data["a"], MAY, TODAY) != before
    assert AuditEvent.select().where(AuditEvent.action == "bulletin.issue").count() == 1


def test_reissue_is_refused(data):
    admin = actor_for(data["admin"], "county_admin")
    service.issue(admin, data["a"], MAY, "", TODAY)
    with pytest.raises(Conflict):
        service.issue(admin, data["a"], MAY, "again", TODAY)
    assert Bulletin.select().count() == 1


def test_future_month_refused_current_allowed(data):
    admin = actor_for(data["admin"], "county_admin")
    with pytest.raises(DomainError):
        service.build(data["a"], datetime.date(2026, 7, 1), TODAY)
    with pytest.raises(DomainError):
        service.issue(admin, data["a"], datetime.date(2026, 7, 1), "", TODAY)
    current = service.build(data["a"], datetime.date(2026, 6, 1), TODAY)
    assert current["as_of"] == TODAY.isoformat()


def test_only_the_county_admin_issues(data):
    for user, role, county in ((data["admin_b"], "county_admin", data["a"]),
                               (data["director"], "director", data["a"]),
                               (data["p1"], "practitioner", data["a"])):
        with pytest.raises(NotAllowed):
            service.issue(actor_for(user, role), county, MAY, "", TODAY)
    assert Bulletin.select().count() == 0


def test_remarks_too_long_refused(data):
    admin = actor_for(data["admin"], "county_admin")
    with pytest.raises(DomainError):
        service.issue(admin, data["a"], MAY, "字" * 4001, TODAY)
    assert Bulletin.select().count() == 0
