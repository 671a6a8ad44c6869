"""The county oversight dashboard: who is behind, on what, by how much."""
import io
import xml.etree.ElementTree as ET
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from openpyxl import load_workbook

from tests.helpers import actor_for, soup, text_of
from webapp.accounts.models import Firm, User
from webapp.i18n import local_today
from webapp.ledger.models import Entry
from webapp.targets import dashboard, services

COUNTED = ("approved", "recorded")


@pytest.fixture(autouse=True)
def _fast(fast_passwords):  # noqa: F811
    """Every test here signs in: use cheap hashes."""


def add(user, kind, status, amount, day=None, source="self"):
    fields = {"count": amount} if kind == "legal_aid" else {"hours": Decimal(str(amount))}
    return Entry.create(user=user, kind=kind, date=day or local_today().replace(month=1, day=1),
                        status=status, source=source, **fields)


@pytest.fixture
def county(world, make_user):
    """County A with two firms and people at different paces; county B with one person."""
    river = Firm.create(name="甲县河口法律服务所", county=world["a"])
    people = {
        "busy": make_user(name="勤快"),
        "half": make_user(name="一半"),
        "idle": make_user(name="空白", firm=river),
        "river": make_user(name="河口人", firm=river),
        "far": make_user(name="乙县人", county=world["b"]),
    }
    add(people["busy"], "public_service", "approved", 36)
    add(people["busy"], "legal_aid", "approved", 5)
    add(people["busy"], "training_credit", "recorded", 40, source="system")
    add(people["half"], "public_service", "approved", 18)
    add(people["half"], "legal_aid", "approved", 2)
    add(people["half"], "education", "approved", 6)
    add(people["half"], "public_service", "pending", 4)
    add(people["river"], "public_service", "declined", 30)
    add(people["river"], "public_service", "approved", 3.5)
    add(people["far"], "public_service", "approved", 99)
    return {**world, **people, "river_firm": river,
            "admin": make_user("county_admin"), "admin_b": make_user("county_admin",
                                                                     county=world["b"]),
            "city_admin": make_user("city_admin")}


def rows_of(table):
    return [[text_of(c) for c in tr.find_all(["th", "td"])]
            for tr in table.find("tbody").find_all("tr")]


def behind_table(page):
    return page.find("div", id="behind-list").find("table")


def num(text):
    return float(text.replace(",", ""))


# ------------------------------------------------------------------ rules, without HTTP

def test_figures_equal_the_sums_of_the_ledger_rows(county):
    today = local_today()
    actor = actor_for(county["admin"], "county_admin")
    figures = dashboard.county_figures(actor, [county["a"].id], today.year, today)
    rows = [e for e in Entry.select().join(User).where(User.county == county["a"].id)
            if e.status in COUNTED]
    assert figures.hours == sum((e.hours for e in rows
                                 if e.kind in ("education", "training_credit", "public_service")),
                                Decimal(0))
    assert figures.cases == sum(e.count for e in rows if e.kind == "legal_aid")
    assert figures.waiting == 1
    assert figures.people == 4
    _people, progress = services.people_progress(
        dashboard.scoped_people(actor, [county["a"].id]), today.year, today)
    for metric in services.PERSON_METRICS:
        assert figures.on_track[metric] == sum(
            1 for rows_ in progress.values() for p in rows_
            if p.metric == metric and p.status in ("done", "on_track"))
    assert figures.trainings == 0 and figures.trainings_target == Decimal(2)


def test_behind_list_is_everyone_behind_sorted_by_share_of_target(county):
    today = local_today()
    actor = actor_for(county["admin"], "county_admin")
    people, progress = services.people_progress(
        dashboard.scoped_people(actor, [county["a"].id]), today.year, today)
    rows = dashboard.behind_list(people, progress)
    want = {(pid, p.metric) for pid, rows_ in progress.items() for p in rows_
            if p.status in ("behind", "at_risk")}
    assert {(r.person.id, r.metric) for r in rows} == want
    shares = [r.share for r in rows]
    assert shares == sorted(shares, reverse=True)
    assert county["far"].id not in {r.person.id for r in rows}
    only = dashboard.behind_list(people, progress, firm_id=county["river_firm"].id,
                                 metric="public_service_hours")
    assert only and {(r.person.firm_id, r.metric) for r in only} == {
        (county["river_firm"].id, "public_service_hours")}
    for status in ("behind", "at_risk"):
        assert all(r.status == status for r in dashboard.behind_list(people, progress,
                                                                     status=status))
    with pytest.raises(dashboard.FilterError):
        dashboard.behind_list(people, progress, metric="nope")
    with pytest.raises(dashboard.FilterError):
        dashboard.behind_list(people, progress, status="done")


def test_monthly_series_sums_the_ledger_by_month(county):
    today = local_today()
    month = min(3, today.month)
    add(county["half"], "public_service", "approved", 2.5, day=today.replace(month=month, day=2))
    add(county["half"], "public_service", "approved", 7,
        day=today.replace(year=today.year - 1, month=5, day=2))
    add(county["far"], "public_service", "approved", 50,
        day=today.replace(year=today.year - 1, month=5, day=2))
    series = dashboard.monthly_series([county["a"].id], today.year, "public_service_hours",
                                      today, people_count={county["a"].id: 4})
    this_year = [e for e in Entry.select().join(User).where(
        User.county == county["a"].id, Entry.kind == "public_service",
        Entry.status.in_(COUNTED)) if e.date.year == today.year]
    assert len(series["this_year"]) == today.month and len(series["last_year"]) == 12
    assert series["this_year"][-1] == sum(e.hours for e in this_year)
    assert series["this_year"][month - 1] - (series["this_year"][month - 2] if month > 1 else 0) \
        == sum(e.hours for e in this_year if e.date.month == month)
    assert series["last_year"][3] == 0 and series["last_year"][4] == Decimal(7)
    assert series["last_year"][-1] == Decimal(7)
    assert series["pace"][-1] == Decimal(36 * 4)
    assert series["pace"] == sorted(series["pace"])


def test_chart_is_valid_svg_with_one_point_per_month(app, county):
    today = local_today()
    series = dashboard.monthly_series([county["a"].id], today.year, "legal_aid_cases", today,
                                      people_count={county["a"].id: 4})
    with app.test_request_context(headers={"Accept-Language": "en"}):
        root = ET.fromstring(str(dashboard.chart_svg(series)))
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert root.get("viewBox") == "0 0 360 280"
    lines = {line.get("class").split()[-1]: line.get("points").split()
             for line in root.findall("s:polyline", ns)}
    assert len(lines["chart-pace"]) == 12 and len(lines["chart-last_year"]) == 12
    assert len(lines["chart-this_year"]) == today.month
    assert len(root.findall("s:circle", ns)) == today.month
    legend = [t.text for t in root.findall("s:text", ns) if t.get("class") == "chart-legend"]
    assert legend == ["This year", "Last year", "Pace to reach the target"]


# ------------------------------------------------------------------ the pages

def test_county_page_shows_the_dashboard(client, county):
    client.login(county["admin"])
    page = soup(client.get("/home/county"))
    status = page.find("table", class_="county-status")
    links = status.find("tbody").find_all("a")
    assert len(links) == 12
    query = parse_qs(urlparse(links[0]["href"]).query)
    assert urlparse(links[0]["href"]).path == "/home/county/people"
    assert set(query) == {"metric", "status"}
    names = {r[0] for r in rows_of(behind_table(page))}
    assert names and "乙县人" not in names
    assert "乙县人" not in text_of(page)
    firms = rows_of(page.find("table", class_="county-firms"))
    assert [r[0] for r in firms] == sorted([county["firm_a"].name, county["river_firm"].name])
    first = page.find("table", class_="county-firms").find("tbody").find("a")
    assert first["href"].startswith("/home/assessment/firm/")
    person = behind_table(page).find("tbody").find("a")
    assert person["href"].startswith("/home/assessment/person/")
    assert page.find("div", id="county-chart").find("svg")


def test_status_count_opens_exactly_those_people(client, county):
    today = local_today()
    client.login(county["admin"])
    page = soup(client.get("/home/county"))
    table = page.find("table", class_="county-status")
    heads = [text_of(th) for th in table.find("thead").find_all("th")][1:]
    row = table.find("tbody").find_all("tr")[2]          # legal-aid cases
    counts = [int(text_of(td)) for td in row.find_all("td")]
    people, progress = services.people_progress(
        dashboard.scoped_people(actor_for(county["admin"], "county_admin"), [county["a"].id]),
        today.year, today)
    for key, count in zip(services.STATUS_LABELS, counts):
        listing = soup(client.get(f"/home/county/people?metric=legal_aid_cases&status={key}"))
        lines = listing.select("div#people-list tbody tr")
        assert len(lines) == count, heads
        want = {p.name for p in people
                if next(x for x in progress[p.id] if x.metric == "legal_aid_cases").status == key}
        assert {text_of(tr.find("th")) for tr in lines} == want


def test_behind_page_filters_and_sorts(client, county):
    client.login(county["admin"])
    river = county["river_firm"].id
    page = soup(client.get(f"/home/county/behind?firm={river}&metric=public_service_hours"))
    rows = rows_of(behind_table(page))
    assert rows and {(r[1], r[2]) for r in rows} == {(county["river_firm"].name, "Public service")}
    shares = [num(r[6]) / num(r[5]) for r in rows]
    assert shares == sorted(shares, reverse=True)
    at_risk = rows_of(behind_table(soup(client.get("/home/county/behind?status=at_risk"))))
    assert at_risk and {r[8] for r in at_risk} == {"At risk"}
    assert page.find("select", attrs={"name": "firm"}).find("option", selected=True)["value"] \
        == str(river)


@pytest.mark.parametrize("query", ["/home/county/behind?metric=nope",
                                   "/home/county/behind?status=done",
                                   "/home/county/behind?firm=abc",
                                   "/home/county/behind?firm={firm_b}",
                                   "/home/county?sort=bogus",
                                   "/home/county?chart=bogus",
                                   "/home/county/people?metric=legal_aid_cases",
                                   "/home/county/people?metric=x&status=done",
                                   "/home/county/behind.xlsx?status=weird",
                                   "/home/county/firms.xlsx?sort=-nope"])
def test_bad_filter_values_are_a_400_with_a_message(client, county, query):
    client.login(county["admin"])
    response = client.get(query.format(firm_b=county["firm_b"].id))
    assert response.status_code == 400
    assert soup(response).find("main").get_text(strip=True)


@pytest.mark.parametrize("path", ["/home/county", "/home/county/behind",
                                  "/home/county/people?metric=legal_aid_cases&status=at_risk",
                                  "/home/county/behind.xlsx", "/home/county/firms.xlsx"])
def test_a_county_admin_never_sees_another_county(client, county, path):
    client.login(county["admin"])
    response = client.get(path)
    assert response.status_code == 200
    if path.endswith(".xlsx"):
        book = load_workbook(io.BytesIO(response.data))
        cells = {str(c.value) for ws in book for row in ws.iter_rows() for c in row}
        assert "乙县人" not in cells and county["firm_b"].name not in cells
    else:
        assert "乙县人" not in response.get_data(as_text=True)
    sep = "&" if "?" in path else "?"
    assert client.get(f"{path}{sep}county={county['b'].id}").status_code == 404
    assert client.get(f"{path}{sep}county=xyz").status_code == 404


def test_city_admin_drills_down_into_any_county_of_the_city(client, county):
    client.login(county["city_admin"])
    page = soup(client.get(f"/home/county?county={county['b'].id}"))
    assert text_of(page.find("h1")) == county["b"].name
    assert "乙县人" in text_of(behind_table(page))
    assert "勤快" not in text_of(page) and "一半" not in text_of(page)
    firms = rows_of(page.find("table", class_="county-firms"))
    assert [r[0] for r in firms] == [county["firm_b"].name]
    # Links carry the county along; admin-only pages are not linked for the city.
    status_link = page.find("table", class_="county-status").find("tbody").find("a")
    assert parse_qs(urlparse(status_link["href"]).query)["county"] == [str(county["b"].id)]
    assert page.find("table", class_="county-firms").find("tbody").find("a") is None
    own = soup(client.get(f"/home/county/behind?county={county['a'].id}"))
    assert "一半" in text_of(behind_table(own))
    assert client.get("/home/county").status_code == 200
    assert client.get("/home/county?county=999999").status_code == 404


def test_behind_export_has_the_rows_figures_and_filters_on_screen(client, county):
    client.login(county["admin"])
    query = "metric=public_service_hours"
    screen = rows_of(behind_table(soup(client.get(f"/home/county/behind?{query}"))))
    response = client.get(f"/home/county/behind.xlsx?{query}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    header_at = next(i for i, r in enumerate(values) if r[0] == "Name")
    filters = {r[0]: r[1] for r in values[:header_at] if r and r[0]}
    assert filters["Target"] == "Public service" and filters["Firm"] == "All"
    exported = values[header_at + 1:]
    assert len(exported) == len(screen) > 0
    for line, cells in zip(exported, screen):
        assert list(line[:3]) == cells[:3]
        assert [pytest.approx(v, abs=0.005) for v in line[3:8]] == [num(c) for c in cells[3:8]]
        assert line[8] == cells[8]


def test_firms_export_is_the_table_on_screen_in_its_order(client, county):
    client.login(county["admin"])
    for sort in ("name", "-name", "public_service_hours", "-legal_aid_cases"):
        table = soup(client.get(f"/home/county?sort={sort}")).find("table", class_="county-firms")
        screen = rows_of(table)
        sheet = load_workbook(io.BytesIO(
            client.get(f"/home/county/firms.xlsx?sort={sort}").data)).active
        values = [list(r) for r in sheet.iter_rows(values_only=True)]
        header_at = next(i for i, r in enumerate(values) if r[0] == "Firm")
        exported = values[header_at + 1:]
        assert [r[0] for r in exported] == [r[0] for r in screen], sort
        for line, cells in zip(exported, screen):
            assert line[2] == int(cells[1])
            done, target = (num(x) for x in cells[2].split(" ")[0:3:2])
            assert line[3] == pytest.approx(done, abs=0.005)
            assert line[4] == pytest.approx(target, abs=0.005)
            assert cells[2].endswith(line[5])
    names = [r[0] for r in rows_of(soup(client.get("/home/county?sort=-name")).find(
        "table", class_="county-firms"))]
    assert names == sorted(names, reverse=True)


def test_behind_list_is_a_page_or_a_fragment(client, county):
    client.login(county["admin"])
    page = client.get("/home/county/behind?metric=legal_aid_cases")
    assert "HX-Request" in page.headers.get("Vary", "")
    doc = soup(page)
    assert doc.find("h1") and doc.find("form", class_="county-filters")
    fragment = client.htmx_get("/home/county/behind?metric=legal_aid_cases")
    assert "HX-Request" in fragment.headers.get("Vary", "")
    part = soup(fragment)
    assert part.find("html") is None and part.find("h1") is None
    top = [n for n in part.contents if getattr(n, "name", None)]
    assert len(top) == 1 and top[0].get("id") == "behind-list"
    assert rows_of(part.find("table")) == rows_of(behind_table(doc))
    people = client.htmx_get("/home/county/people?metric=legal_aid_cases&status=at_risk")
    assert soup(people).find("div", id="people-list") and soup(people).find("h1") is None
