"""Service quality in figures: the county and city dashboards, the monthly bulletin and the
annual dossiers show people served, satisfaction, complaints and adviser coverage, each
exported as on screen, and each figure equals the rows it is made of."""
import datetime
import io
import json
from decimal import ROUND_HALF_UP, Decimal

import pytest
from openpyxl import load_workbook

from tests.helpers import actor_for, signed_in, soup, text_of
from webapp.accounts.models import Firm, User
from webapp.db import utcnow
from webapp.i18n import local_today, to_local
from webapp.ledger.models import Entry
from webapp.quality import figures
from webapp.quality.complaint_models import UPHELD, Complaint
from webapp.quality.rating_models import Rating
from webapp.quality.village_models import Village
from webapp.reports import bulletin as bulletin_service
from webapp.reports.bulletin_models import Bulletin

SERVED = ("public_service", "legal_aid")
COUNTED = ("approved", "recorded")


@pytest.fixture(autouse=True)
def _fast(fast_passwords):  # noqa: F811
    """Every test here signs in: use cheap hashes."""


def entry(user, kind, day, status="approved", served=None, **fields):
    if kind == "legal_aid":
        fields.setdefault("count", 1)
    else:
        fields.setdefault("hours", Decimal("2"))
    return Entry.create(user=user, kind=kind, date=day, status=status, source="self",
                        people_served=served, **fields)


def complaint(county, firm, received_on, deadline, recorder, person=None, finding=None):
    concluded = finding is not None
    return Complaint.create(county=county, firm=firm, practitioner=person, source="letter",
                            received_on=received_on, summary="服务态度", assignee=recorder,
                            deadline=deadline, status="concluded" if concluded else "received",
                            finding=finding, concluded_on=received_on if concluded else None,
                            created_by=recorder)


@pytest.fixture
def scene(app, world, make_user):
    """County A: two firms, ratings, complaints (one upheld, one overdue, one not upheld),
    two villages (one covered); county B: the same kinds of rows with other numbers."""
    today = local_today()
    jan1 = datetime.date(today.year, 1, 1)
    river = Firm.create(name="甲县河口法律服务所", county=world["a"])
    p1 = make_user(name="张服务")
    p2 = make_user(name="李被诉", firm=river)
    pb = make_user(name="乙县人", county=world["b"])
    admin = make_user("county_admin", name="甲县管理员")
    admin_b = make_user("county_admin", county=world["b"])
    entry(p1, "public_service", today, served=7)
    entry(p1, "legal_aid", today, served=3)
    entry(p1, "public_service", today, status="pending", served=100)
    entry(p2, "public_service", jan1, served=4)
    entry(p2, "education", today, served=50)
    entry(p1, "public_service", jan1 - datetime.timedelta(days=3), served=1000)
    entry(pb, "public_service", today, served=777)
    for n, (user, score, useful) in enumerate([(p1, 5, "yes"), (p1, 4, "partly"),
                                               (p1, 2, "no"), (p2, 3, "yes"),
                                               (pb, 1, "no"), (pb, 1, "no")]):
        Rating.create(key=f"k{n}", practitioner=user, firm=user.firm_id, score=score,
                      useful=useful)
    a, b = world["a"], world["b"]
    complaint(a, river, today, today, admin, person=p2, finding="upheld")
    complaint(a, world["firm_a"], today - datetime.timedelta(days=5),
              today - datetime.timedelta(days=1), admin)
    complaint(a, world["firm_a"], today, today, admin, person=p1, finding="not_upheld")
    complaint(b, world["firm_b"], today, today, admin_b, person=pb, finding="partly_upheld")
    v1 = Village.create(county=a, township="城关镇", name="东村", adviser=p1)
    Village.create(county=a, township="城关镇", name="西村")
    vb = Village.create(county=b, township="乙镇", name="南村", adviser=pb)
    entry(p1, "public_service", today, category="village_adviser", village=v1)
    entry(pb, "public_service", today, category="village_adviser", village=vb)
    return {**world, "today": today, "jan1": jan1, "river": river, "p1": p1, "p2": p2,
            "pb": pb, "admin": admin, "admin_b": admin_b,
            "director": make_user("director", name="甲所主任"),
            "city_admin": make_user("city_admin")}


def expected(county_ids, start, end, today):
    """The figures, added up in Python from the rows."""
    people = {u.id: u for u in User.select()}
    served = sum(e.people_served or 0 for e in Entry.select()
                 if people[e.user_id].county_id in county_ids and e.kind in SERVED
                 and e.status in COUNTED and start <= e.date <= end)
    firm_county = {f.id: f.county_id for f in Firm.select()}
    rated = [r for r in Rating.select() if firm_county[r.firm_id] in county_ids
             and start <= to_local(r.created_at).date() <= end]
    received = [c for c in Complaint.select() if c.county_id in county_ids
                and start <= c.received_on <= end]
    overdue = [c for c in Complaint.select() if c.county_id in county_ids
               and c.received_on <= end and c.deadline < min(end, today)
               and (c.concluded_on is None or c.concluded_on > min(end, today))]
    got = {"people_served": served, "ratings": len(rated),
           "received": len(received), "upheld": sum(c.finding in UPHELD for c in received),
           "overdue": len(overdue),
           "distribution": {s: sum(r.score == s for r in rated) for s in range(1, 6)}}
    if rated:
        got["average"] = (Decimal(sum(r.score for r in rated)) / len(rated)).quantize(
            Decimal("0.01"), ROUND_HALF_UP)
        got["adoption_rate"] = (Decimal(sum(r.useful in ("yes", "partly") for r in rated))
                                * 100 / len(rated)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    else:
        got["average"] = got["adoption_rate"] = None
    return got


def same(value, shown):
    """A figure as a page or a workbook shows it: numbers compared as numbers."""
    value = "" if value is None else str(value)
    shown = "" if shown in (None, "—") else str(shown)
    try:
        return Decimal(value.rstrip("%")) == Decimal(shown.rstrip("%")) and (
            value.endswith("%") == shown.endswith("%"))
    except ArithmeticError:
        return value == shown


def workbook(response):
    assert response.status_code == 200, response.data[:300]
    return load_workbook(io.BytesIO(response.data))


def sheet_rows(sheet):
    return [[c for c in row] for row in sheet.iter_rows(values_only=True)]


def find_row(rows, label):
    return next(r for r in rows if r and r[0] == label)


# ------------------------------------------------------------------ the figures, without HTTP

def test_county_figures_equal_the_rows(app, scene):
    today, jan1 = scene["today"], scene["jan1"]
    for county in ("a", "b"):
        ids = [scene[county].id]
        got = figures.for_counties(ids, jan1, today, today)
        want = expected(ids, jan1, today, today)
        for key, value in want.items():
            assert got[key] == value, key
    a = figures.for_counties([scene["a"].id], jan1, today, today)
    assert a["people_served"] == 14 and a["ratings"] == 4
    assert a["average"] == Decimal("3.50") and a["adoption_rate"] == Decimal("75.0")
    assert (a["received"], a["upheld"], a["overdue"]) == (
        expected([scene["a"].id], jan1, today, today)["received"], 1, 1)
    assert (a["villages"], a["with_adviser"], a["with_duty_hours"], a["uncovered"]) == (2, 1, 1, 1)
    b = figures.for_counties([scene["b"].id], jan1, today, today)
    assert b["people_served"] == 777 and b["average"] == Decimal("1.00")
    both = figures.for_counties([scene["a"].id, scene["b"].id], jan1, today, today)
    assert both["people_served"] == 14 + 777 and both["ratings"] == 6


def test_a_month_counts_only_its_own_days(app, scene):
    today = scene["today"]
    month = today.replace(day=1)
    got = figures.for_counties([scene["a"].id], month, today, today)
    want = expected([scene["a"].id], month, today, today)
    assert {k: got[k] for k in want} == want


def test_person_and_firm_figures_equal_the_rows(app, scene):
    year = scene["today"].year
    p1 = figures.for_person(scene["p1"], year)
    assert p1["people_served"] == 10 and p1["ratings"] == 3
    assert p1["average"] == Decimal("3.67") and p1["upheld"] == 0 and p1["zero_complaint"]
    p2 = figures.for_person(scene["p2"], year)
    assert p2["people_served"] == 4 and p2["upheld"] == 1 and not p2["zero_complaint"]
    river = figures.for_firm(scene["river"], year)
    assert river["upheld"] == 1 and not river["zero_complaint"] and river["ratings"] == 1
    firm_a = figures.for_firm(scene["firm_a"], year)
    assert firm_a["upheld"] == 0 and firm_a["zero_complaint"] and firm_a["people_served"] == 10
    assert figures.zero_complaint_firms([scene["firm_a"].id, scene["river"].id,
                                         scene["firm_b"].id], year) == {
        scene["firm_a"].id: True, scene["river"].id: False, scene["firm_b"].id: False}


def test_the_card_names_only_its_own_countys_upheld_firms_and_people(app, scene):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        card = figures.county_card(scene["a"].id, scene["today"])
    assert [(f.id, n) for f, n in card["upheld_firms"]] == [(scene["river"].id, 1)]
    assert [(p.id, n) for p, n in card["upheld_people"]] == [(scene["p2"].id, 1)]
    assert (card["zero_firms"], card["firm_count"]) == (1, 2)
    assert [n for _s, _l, n, _w in card["distribution"]] == [1, 1, 1, 1, 0]


# ------------------------------------------------------------------ the county dashboard

def card_of(response):
    assert response.status_code == 200, response.data[:300]
    return soup(response).find("section", id="quality")


def test_county_card_shows_the_figures(app, scene):
    today = scene["today"]
    card = card_of(signed_in(app, scene["admin"]).get("/home/county"))
    got = figures.for_counties([scene["a"].id], scene["jan1"], today, today)
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        lines = dict(zip(figures.COUNTY_KEYS, figures.county_lines(got)))
    shown = {item["data-figure"]: item for item in card.select(".headline-item[data-figure]")}
    assert set(shown) == set(figures.COUNTY_KEYS)
    for key, (label, value) in lines.items():
        assert text_of(shown[key].find("dt")) == label
        assert same(value, text_of(shown[key].find("span", class_="big-number"))), key
    overdue = shown["overdue"].find("a")
    assert overdue["href"] == "/complaints/?state=overdue" and "status-at_risk" in shown[
        "overdue"]["class"]
    dist = {int(li["data-score"]): int(text_of(li.find(class_="progress-figure")))
            for li in card.select(".quality-distribution li")}
    assert dist == got["distribution"]
    assert [int(li["data-firm"]) for li in card.select(".quality-upheld-firms li")] == [
        scene["river"].id]
    assert [int(li["data-person"]) for li in card.select(".quality-upheld-people li")] == [
        scene["p2"].id]
    assert "1 of 2 firms" in text_of(card.find(attrs={"data-zero-firms": True}))
    # County B's figures, firms and people never appear in county A's card.
    words = text_of(card)
    for other in ("777", scene["firm_b"].name, scene["pb"].name):
        assert other not in words


def test_county_card_of_county_b_for_the_city_admin(app, scene):
    card = card_of(signed_in(app, scene["city_admin"]).get(f"/home/county?county={scene['b'].id}"))
    shown = {i["data-figure"]: text_of(i.find("span", class_="big-number"))
             for i in card.select(".headline-item[data-figure]")}
    assert shown["people_served"] == "777" and shown["coverage"] == "1 / 1"
    export = card.find("a", download=True)["href"]
    assert export == f"/home/county/quality.xlsx?county={scene['b'].id}"
    assert scene["river"].name not in text_of(card)


def test_county_export_has_the_card_lines_and_the_firm_list(app, scene):
    today = scene["today"]
    client = signed_in(app, scene["admin"])
    book = workbook(client.get("/home/county/quality.xlsx"))
    assert book.sheetnames == ["Service quality"]
    rows = sheet_rows(book["Service quality"])
    got = figures.for_counties([scene["a"].id], scene["jan1"], today, today)
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        lines = figures.county_lines(got)
    for label, value in lines:
        assert same(value, find_row(rows, label)[1]), label
    assert find_row(rows, "Rated 5: Very satisfied")[1] == 1
    start = rows.index(find_row(rows, "Firms with an upheld complaint this year"))
    assert list(rows[start + 1][:2]) == [scene["river"].name, 1]
    people = rows.index(find_row(rows, "People with an upheld complaint this year"))
    assert list(rows[people + 1][:2]) == [scene["p2"].name, 1]
    names = {r[0] for r in rows if r}
    assert scene["firm_b"].name not in names and scene["pb"].name not in names
    # Text stays text: "1 / 2" is not a formula or a date.
    cell = next(c for row in book["Service quality"].iter_rows() for c in row
                if c.value == "1 / 2")
    assert cell.data_type == "s"


def test_the_export_refuses_another_countys_administrator_scope(app, scene):
    response = signed_in(app, scene["admin"]).get(
        f"/home/county/quality.xlsx?county={scene['b'].id}")
    assert response.status_code == 404
    assert signed_in(app, scene["p1"]).get("/home/county/quality.xlsx").status_code in (302, 403)


# ------------------------------------------------------------------ the city dashboard

def test_city_table_and_sheet_show_each_countys_figures(app, scene):
    today = scene["today"]
    client = signed_in(app, scene["city_admin"])
    page = soup(client.get("/home/city"))
    table = page.find("section", id="quality").find("table")
    header = [text_of(th) for th in table.find("thead").find_all("th")]
    book = workbook(client.get("/home/city.xlsx"))
    assert "Service quality" in book.sheetnames
    rows = sheet_rows(book["Service quality"])
    assert list(find_row(rows, "County")) == header
    for county in ("a", "b"):
        got = figures.for_counties([scene[county].id], scene["jan1"], today, today)
        with app.test_request_context("/", headers={"Accept-Language": "en"}):
            values = [v for _l, v in figures.county_lines(got)]
        tr = table.find("tr", attrs={"data-county": str(scene[county].id)})
        cells = [text_of(td) for td in tr.find_all("td")]
        assert all(same(v, c) for v, c in zip(values, cells)), (values, cells)
        line = find_row(rows, scene[county].name)
        assert all(same(v, c) for v, c in zip(values, line[1:]))
        assert cells[-1] == line[-1] == ("1 / 2" if county == "a" else "1 / 1")


# ------------------------------------------------------------------ the monthly bulletin

def month_of(scene):
    return scene["today"].replace(day=1)


def test_bulletin_preview_and_workbook_show_the_month_and_the_year(app, scene):
    today, month = scene["today"], month_of(scene)
    ym = month.strftime("%Y-%m")
    client = signed_in(app, scene["admin"])
    response = client.get(f"/bulletins/{ym}")
    assert response.status_code == 200
    section = soup(response).find("section", id="bulletin-quality")
    rows = section.select("tbody tr")
    got_month = figures.for_counties([scene["a"].id], month, today, today)
    got_year = figures.for_counties([scene["a"].id], scene["jan1"], today, today)
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        month_lines = figures.county_lines(got_month)
        year_lines = figures.county_lines(got_year)
    assert len(rows) == len(month_lines)
    for tr, (label, m), (_x, y) in zip(rows, month_lines, year_lines):
        assert text_of(tr.find("th")) == label
        assert same(m, text_of(tr.find("td", attrs={"data-figure": "month"})))
        assert same(y, text_of(tr.find("td", attrs={"data-figure": "year"})))
    assert [int(li["data-firm"]) for li in section.select(".bulletin-upheld-firms li")] == [
        scene["river"].id]
    book = workbook(client.get(f"/bulletins/{ym}.xlsx"))
    sheet = sheet_rows(book["Service quality"])
    for (label, m), (_x, y) in zip(month_lines, year_lines):
        line = find_row(sheet, label)
        assert same(m, line[1]) and same(y, line[2])
    assert find_row(sheet, scene["river"].name)[2] == 1
    assert scene["firm_b"].name not in {r[0] for r in sheet if r}


def test_an_issued_bulletin_keeps_its_quality_figures(app, scene):
    month = month_of(scene)
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        bulletin_service.issue(actor_for(scene["admin"], "county_admin"), scene["a"], month,
                               "", local_today())
    entry(scene["p1"], "public_service", scene["today"], served=500)
    page = soup(signed_in(app, scene["admin"]).get(f"/bulletins/{month:%Y-%m}"))
    first = page.select("#bulletin-quality tbody tr")[0]
    assert text_of(first.find("td", attrs={"data-figure": "year"})) == "14"


def test_an_old_issued_bulletin_without_quality_still_renders(app, scene):
    month = month_of(scene)
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        data = bulletin_service.build(scene["a"], month, local_today())
    data.pop("quality")
    Bulletin.create(county=scene["a"], month=month, status="issued", remarks="旧通报",
                    issued_by=scene["admin"], issued_at=utcnow(),
                    data=json.dumps(data, ensure_ascii=False))
    for user in ("admin", "director"):
        client = signed_in(app, scene[user])
        response = client.get(f"/bulletins/{month:%Y-%m}")
        assert response.status_code == 200
        page = soup(response)
        assert page.find("section", id="bulletin-county") is not None
        assert page.find("section", id="bulletin-quality") is None
        book = workbook(client.get(f"/bulletins/{month:%Y-%m}.xlsx"))
        assert "Service quality" not in book.sheetnames


# ------------------------------------------------------------------ the annual dossiers

def dossier_section(response):
    assert response.status_code == 200, response.data[:300]
    return soup(response).find(attrs={"data-quality": True})


def check_section(app, section, subject_figures):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        lines = figures.subject_lines(subject_figures)
    dts = [text_of(dt) for dt in section.find_all("dt")]
    dds = [text_of(dd) for dd in section.find_all("dd")]
    assert dts[:len(lines)] == [label for label, _v in lines]
    assert all(same(v, shown) for (_l, v), shown in zip(lines, dds))
    return dds[-1]


@pytest.mark.parametrize("who, upheld", [("p1", 0), ("p2", 1)])
def test_person_dossier_page_print_and_workbook(app, scene, who, upheld):
    year = scene["today"].year
    person = scene[who]
    client = signed_in(app, scene["admin"])
    got = figures.for_person(person, year)
    status = check_section(app, dossier_section(
        client.get(f"/home/assessment/person/{person.id}")), got)
    assert status == ("Zero complaints" if not upheld else "1 upheld complaint")
    batch = soup(client.get(f"/home/assessment/firm/{person.firm_id}/print"))
    article = batch.find("article", attrs={"data-person": str(person.id)})
    assert check_section(app, article.find(attrs={"data-quality": True}), got) == status
    book = workbook(client.get(f"/home/assessment/person/{person.id}.xlsx"))
    rows = sheet_rows(book["Service quality"])
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        for label, value in figures.subject_lines(got):
            assert same(value, find_row(rows, label)[1])
    assert find_row(rows, "Zero-complaint status")[1] == status


def test_firm_dossier_page_and_workbook(app, scene):
    year = scene["today"].year
    client = signed_in(app, scene["admin"])
    for firm, status in ((scene["firm_a"], "Zero complaints"),
                         (scene["river"], "1 upheld complaint")):
        got = figures.for_firm(firm, year)
        assert check_section(app, dossier_section(
            client.get(f"/home/assessment/firm/{firm.id}")), got) == status
        rows = sheet_rows(workbook(client.get(
            f"/home/assessment/firm/{firm.id}.xlsx"))["Service quality"])
        assert find_row(rows, "Zero-complaint status")[1] == status
        assert same(got["people_served"], find_row(rows, "People served")[1])


def test_the_director_sees_their_own_firms_dossier_figures_only(app, scene):
    client = signed_in(app, scene["director"])
    section = dossier_section(client.get(f"/home/assessment/firm/{scene['firm_a'].id}"))
    assert section is not None
    assert client.get(f"/home/assessment/firm/{scene['river'].id}").status_code == 404
