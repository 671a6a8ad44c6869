"""The city home compares its counties on every metric; each county records its residents and
lawyers per year; the export holds exactly the figures on screen."""
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest

from tests.helpers import soup, text_of
from webapp.accounts.models import AuditEvent, Region, RegionYear, User
from webapp.branches.models import BranchActivity
from webapp.i18n import local_today, to_utc
from webapp.ledger.models import Entry
from webapp.targets import city, services
from webapp.trainings.models import Training, TrainingCategory


@pytest.fixture(autouse=True)
def _fast(fast_passwords):
    """Every test here signs in: use cheap hashes."""


def table_rows(page):
    table = page.find("section", id="counties").find("table")
    header = [text_of(th) for th in table.find("thead").find_all("th")]
    rows = {}
    for tr in table.find("tbody").find_all("tr"):
        rows[text_of(tr.find("th"))] = [text_of(td) for td in tr.find_all("td")]
    return header, rows


def column(header, title):
    # td columns start after the county's th
    return [h for h in header].index(title) - 1


def test_counties_side_by_side(client, make_user, world):
    year = local_today().year
    for birth in (1960, 1970, 1990, 1995, None):
        make_user(birth_year=birth, education="bachelor" if birth and birth > 1980 else "college")
    make_user(county=world["b"], birth_year=1950)
    RegionYear.create(region=world["a"], year=year, population=100000, lawyers=18)
    client.login(make_user("city_admin"))
    page = soup(client.get("/home/city"))
    header, rows = table_rows(page)
    a, b = rows[world["a"].name], rows[world["b"].name]
    assert a[0] == "5" and b[0] == "1"
    # (5 practitioners + 18 lawyers) × 10,000 / 100,000 residents
    assert a[column(header, "Per 10,000 residents")].startswith("2.30")
    # county b has no yearly figures: its region's population stands (300,000), no lawyers
    assert b[column(header, "Per 10,000 residents")].startswith("0.03")
    ages = [year - y for y in (1960, 1970, 1990, 1995)]
    assert a[column(header, "Average age")].startswith(f"{sum(ages) / 4:.1f}")
    assert a[column(header, "Under 50")] == "50%"
    assert a[column(header, "Bachelor's or more")] == "40%"
    link = page.find("section", id="counties").find("a", string=world["a"].name)
    assert link["href"].endswith(f"/home/county?county={world['a'].id}")


def test_figures_equal_the_rows_they_come_from(make_user, world):
    today = local_today()
    people = [make_user() for _ in range(3)]
    Entry.create(user=people[0], kind="public_service", date=today.replace(month=1, day=2),
                 hours=Decimal(40), status="approved", source="self")
    Entry.create(user=people[1], kind="public_service", date=today.replace(month=1, day=2),
                 hours=Decimal(2), status="pending", source="self")
    category = TrainingCategory.create(name="业务")
    start = to_utc(datetime.datetime(today.year, 1, 5, 9))
    for i in range(3):
        Training.create(title=f"培训{i}", category=category, organiser=world["a"],
                        start_at=start, end_at=start + datetime.timedelta(hours=2),
                        credit_hours=2, secret="s" * 32, status="cancelled" if i == 2 else "scheduled")
    BranchActivity.create(branch=world["branch"], kind="theme_day", topic="主题党日",
                          start_at=start, end_at=start + datetime.timedelta(hours=2))
    counties = list(Region.select().where(Region.kind == "county").order_by(Region.name))
    found, progress = services.people_progress(User.select(), today.year, today)
    rows = {r.county.id: r for r in city.compare_counties(counties, found, progress, today.year,
                                                          today)}
    a = rows[world["a"].id]
    assert a.people == 3
    assert a.trainings == 2 and a.trainings_target == 2 and a.trainings_met
    assert a.theme_days == 1 and a.branches == 1
    average = a.averages["public_service_hours"]
    assert average.done == Decimal(40) / 3
    assert a.on_track["public_service_hours"] == 1
    assert rows[world["b"].id].people == 0 and rows[world["b"].id].trainings == 0


def test_export_equals_the_screen(client, make_user, world):
    make_user(birth_year=1970)
    RegionYear.create(region=world["a"], year=local_today().year, population=20000, lawyers=3)
    client.login(make_user("city_admin"))
    page = soup(client.get("/home/city"))
    _header, rows = table_rows(page)
    response = client.get("/home/city.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    by_name = {r[0]: r for r in values[2:]}
    assert set(by_name) == set(rows)
    a = by_name[world["a"].name]
    assert a[1] == int(rows[world["a"].name][0])
    assert round(a[-5], 2) == 2.0       # (1 + 3) × 10,000 / 20,000
    assert a[-6] == 3 and a[-7] == 20000


def test_only_city_admins_see_the_comparison(client, make_user):
    client.login(make_user("county_admin"))
    assert client.get("/home/city").status_code == 403
    assert client.get("/home/city.xlsx").status_code == 403


def test_county_records_its_residents_and_lawyers(client, make_user, world):
    admin = make_user("county_admin")
    client.login(admin)
    year = local_today().year
    page = soup(client.get(f"/home/figures?year={year}"))
    assert page.find("input", attrs={"name": f"population-{world['a'].id}"}) is not None
    # a county admin sees only its own county's fields
    assert page.find("input", attrs={"name": f"population-{world['b'].id}"}) is None
    response = client.post(f"/home/figures?year={year}", data={
        f"population-{world['a'].id}": "612,000", f"lawyers-{world['a'].id}": "85"})
    assert response.status_code == 303
    row = RegionYear.get(region=world["a"], year=year)
    assert (row.population, row.lawyers) == (612000, 85)
    event = AuditEvent.get(AuditEvent.action == "region_year.set")
    assert event.actor_id == admin.id and event.region_id == world["a"].id
    # the same figures again change nothing and write no second event
    client.post(f"/home/figures?year={year}", data={
        f"population-{world['a'].id}": "612000", f"lawyers-{world['a'].id}": "85"})
    assert AuditEvent.select().where(AuditEvent.action == "region_year.set").count() == 1


@pytest.mark.parametrize("value", ["-5", "abc", "١٢٣", "1.5", "9" * 40, "9\u00a0000", "1e9", "❶"])
def test_bad_figures_are_refused(client, make_user, world, value):
    client.login(make_user("county_admin"))
    year = local_today().year
    response = client.post(f"/home/figures?year={year}", data={
        f"population-{world['a'].id}": value, f"lawyers-{world['a'].id}": "3"})
    assert response.status_code == 400
    assert soup(response).find(class_="form-error") is not None
    assert RegionYear.select().count() == 0


def test_city_admin_records_every_county(client, make_user, world):
    client.login(make_user("city_admin"))
    year = local_today().year
    data = {f"population-{world['a'].id}": "1000", f"lawyers-{world['a'].id}": "",
            f"population-{world['b'].id}": "", f"lawyers-{world['b'].id}": "4"}
    assert client.post(f"/home/figures?year={year}", data=data).status_code == 303
    assert RegionYear.get(region=world["a"], year=year).lawyers is None
    assert RegionYear.get(region=world["b"], year=year).lawyers == 4


def test_a_year_without_figures_uses_the_latest_earlier_one(world):
    RegionYear.create(region=world["a"], year=2024, population=1, lawyers=1)
    RegionYear.create(region=world["a"], year=2025, population=2, lawyers=2)
    RegionYear.create(region=world["a"], year=2027, population=9, lawyers=9)
    assert city.year_figures([world["a"].id], 2026)[world["a"].id].population == 2


def test_everyones_progress_export_is_scoped(client, make_user, world):
    mine = make_user(name="甲县的人")
    make_user(county=world["b"], name="乙县的人")
    client.login(make_user("county_admin"))
    response = client.get("/home/people.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    names = [r[2] for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert names == [mine.name]
