"""The monthly bulletin: figures equal the rows, an issued snapshot never changes, bad input;
the firms' monthly counts in a few queries for a whole county."""
import datetime
import json
from decimal import Decimal

import pytest
from peewee import fn

from tests.helpers import actor_for
from webapp.accounts.models import AuditEvent, Firm
from webapp.db import db
from webapp.errors import Conflict, DomainError, NotAllowed
from webapp.ledger.models import Entry
from webapp.reports import bulletin as service
from webapp.reports import quota as reports_quota
from webapp.reports.bulletin_models import Bulletin
from webapp.reports.models import FirmReport
from webapp.targets.models import Target

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


def test_trainings_held_in_the_month_and_the_year(data, make_training):
    # Local 09:00 on the day: 01:00 UTC. A training counts once it is over and not cancelled.
    def at(day):
        return datetime.datetime.combine(day, datetime.time(1, 0))

    for day, status in ((datetime.date(2026, 5, 1), "scheduled"),
                        (datetime.date(2026, 5, 31), "scheduled"),
                        (datetime.date(2026, 5, 20), "cancelled"),
                        (datetime.date(2026, 2, 10), "scheduled"),
                        (datetime.date(2026, 6, 2), "scheduled"),
                        (datetime.date(2025, 12, 20), "scheduled")):
        make_training(start_at=at(day), end_at=at(day) + datetime.timedelta(hours=3),
                      status=status)
    make_training(organiser=data["b"], start_at=at(datetime.date(2026, 5, 5)),
                  end_at=at(datetime.date(2026, 5, 5)) + datetime.timedelta(hours=3))
    # 31 May 23:30 local is 15:30 UTC on the 31st: still May.
    late = datetime.datetime(2026, 5, 31, 15, 30)
    make_training(start_at=late, end_at=late + datetime.timedelta(hours=1))
    trainings = service.build(data["a"], MAY, TODAY)["trainings"]
    assert trainings == {"month": 3, "year": 4, "target": 2.0}
    assert service.build(data["a"], datetime.date(2026, 6, 1), TODAY)["trainings"]["year"] == 5


def test_old_snapshot_without_trainings_reads(data):
    admin = actor_for(data["admin"], "county_admin")
    bulletin = service.issue(admin, data["a"], MAY, "", TODAY)
    snapshot = service.figures_of(bulletin)
    snapshot.pop("trainings")
    Bulletin.update(data=json.dumps(snapshot)).where(Bulletin.id == bulletin.id).execute()
    assert service.figures_of(service.issued(data["a"], MAY))["trainings"] is None


def test_county_month_quota_equals_month_quota_in_few_queries(data, monkeypatch):
    firms = [data["firm_a"], Firm.create(name="甲县河口所", county=data["a"]),
             Firm.create(name="甲县新塘所", county=data["a"]), data["firm_b"]]
    Target.create(year=2026, firm=firms[1], metric="info_reports", value=5, source="所定")
    FirmReport.create(firm=firms[2], author=data["director"], kind="case", month=MAY,
                      title="t", status="accepted")
    one_by_one = {f.id: reports_quota.month_quota(f, 2026, TODAY) for f in firms}
    statements = []
    execute = db.obj.execute_sql
    monkeypatch.setattr(db.obj, "execute_sql", lambda sql, *a, **kw: (
        statements.append(sql), execute(sql, *a, **kw))[1])
    together = reports_quota.county_month_quota(firms, 2026, TODAY)
    assert together == one_by_one
    assert together[firms[1].id][0].info_target == 5
    assert together[firms[2].id][4].case == 1 and together[firms[0].id][4].info == 2
    # The reports in one query, the targets once per county (and once for a firm's own).
    assert 2 <= len(statements) <= 8, statements
    assert reports_quota.county_month_quota([f.id for f in firms], 2026, TODAY) == together
    assert reports_quota.county_month_quota([], 2026, TODAY) == {}


def test_a_month_that_is_over_reads_short_and_its_firms_behind(data):
    may = service.build(data["a"], MAY, TODAY)
    [firm] = may["firms"]
    assert (firm["state"], firm["complete"]) == ("short", False)
    assert [f["id"] for f in may["behind_firms"]] == [data["firm_a"].id]
    FirmReport.create(firm=data["firm_a"], author=data["director"], kind="info", month=MAY,
                      title="third", status="accepted")
    may = service.build(data["a"], MAY, TODAY)
    assert may["firms"][0]["state"] == "done" and may["behind_firms"] == []
    june = service.build(data["a"], datetime.date(2026, 6, 1), TODAY)
    assert june["firms"][0]["state"] == "open"
    assert [f["id"] for f in june["behind_firms"]] == [data["firm_a"].id]
