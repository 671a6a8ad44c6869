"""A person's licence date and education: the county admin's form, the roster import, and the
year's target cut to the licensed months."""
import datetime
import io
import unicodedata
from decimal import Decimal

import openpyxl
import pytest

from tests.helpers import soup, text_of
from tests.roster_helpers import (FIRM_A, ZH, confirm, csv_bytes, preview_cells, row, row_errors,
                                  table_lines, token_of, upload)
from webapp.accounts.models import AuditEvent, User
from webapp.i18n import local_today
from webapp.targets.services import progress_for

LAST_YEAR = datetime.date.today().year - 1
HEADER = ZH + ["执业日期", "学历"]


@pytest.fixture(autouse=True)
def _fast(fast_passwords):
    """Every test here signs in: use cheap hashes."""


@pytest.fixture
def admin(client, make_user):
    user = make_user("county_admin")
    client.login(user)
    return user


def person_form(world, **changes):
    data = {"name": "赵敏", "phone": "13600000001", "firm_id": world["firm_a"].id,
            "licence_no": "JC-001", "birth_year": "1970", "party_member": "1",
            "licensed_on": "", "education": ""}
    data.update(changes)
    return data


def field_error(page, name):
    return text_of(soup(page).find(id=f"{name}-error"))


# ------------------------------------------------------------------ the person form

def test_add_a_person_with_licence_date_and_education(client, admin, world):
    page = client.post("/admin/people/new", person_form(
        world, licensed_on=f"{LAST_YEAR}-07-01", education="bachelor"))
    assert page.status_code == 200
    person = User.get(User.phone == "13600000001")
    assert person.licensed_on == datetime.datetime(LAST_YEAR, 7, 1, 0, 0)
    assert person.education == "bachelor"


def test_edit_sets_shows_and_clears_both_fields(client, admin, world, make_user):
    person = make_user(name="钱七")
    url = f"/admin/people/{person.id}"
    form = person_form(world, name="钱七", phone=person.phone,
                       licensed_on=f"{LAST_YEAR}/3/5", education="master")
    assert client.post(url, form).status_code == 303
    person = User.get_by_id(person.id)
    assert (person.licensed_on, person.education) == (
        datetime.datetime(LAST_YEAR, 3, 5), "master")
    # The form shows what is kept.
    page = soup(client.get(url))
    assert page.find("input", {"name": "licensed_on"})["value"] == f"{LAST_YEAR}-03-05"
    assert page.find("input", {"name": "licensed_on"})["type"] == "date"
    options = page.find("select", {"name": "education"}).find_all("option")
    assert [o["value"] for o in options] == ["", "secondary", "college", "bachelor", "master",
                                             "doctor"]
    assert [o["value"] for o in options if o.has_attr("selected")] == ["master"]
    # Blank clears them.
    assert client.post(url, dict(form, licensed_on="", education="")).status_code == 303
    person = User.get_by_id(person.id)
    assert (person.licensed_on, person.education) == (None, "")


def test_todays_date_and_1950_are_accepted(client, admin, world, make_user, app):
    person = make_user()
    url = f"/admin/people/{person.id}"
    with app.app_context():
        today = local_today()
    for day in (today, datetime.date(1950, 1, 1)):
        form = person_form(world, phone=person.phone, licensed_on=day.isoformat())
        assert client.post(url, form).status_code == 303
        assert User.get_by_id(person.id).licensed_on.date() == day


# Two days on, so it is in the future whatever zone the app counts its days in.
TOMORROW = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
ARABIC_INDIC = "".join(unicodedata.lookup(f"ARABIC-INDIC DIGIT {n}")
                       for n in ("TWO", "ZERO", "TWO", "ZERO")) + "-01-01"


@pytest.mark.parametrize("value,expected", [
    (TOMORROW, "cannot be in the future"),
    ("2026-13-01", "is not a date"),
    ("abc", "is not a date"),
    (ARABIC_INDIC, "is not a date"),
    ("२०२०-०१-०१", "is not a date"),          # Devanagari digits
    ("1949-12-31", "cannot be before 1950"),
])
def test_bad_licence_date_is_400_and_nothing_changes(client, admin, world, make_user, value,
                                                      expected):
    person = make_user(name="孙八", licensed_on=datetime.datetime(2010, 5, 1),
                       education="college")
    before = AuditEvent.select().count()
    url = f"/admin/people/{person.id}"
    page = client.post(url, person_form(world, name="新名字", phone=person.phone,
                                        licensed_on=value, education="doctor"))
    assert page.status_code == 400
    assert expected in field_error(page, "licensed_on")
    assert "licence date" in field_error(page, "licensed_on").lower()
    # What was typed stays in the form.
    assert soup(page).find("input", {"name": "licensed_on"})["value"] == value
    person = User.get_by_id(person.id)
    assert (person.name, person.licensed_on, person.education) == (
        "孙八", datetime.datetime(2010, 5, 1), "college")
    assert AuditEvent.select().count() == before
    # Nor is anyone created with it.
    users = User.select().count()
    assert client.post("/admin/people/new", person_form(
        world, phone="13600000009", licensed_on=value)).status_code == 400
    assert User.select().count() == users


def test_bad_licence_date_is_translated(make_client, make_user, world):
    client = make_client("zh-CN")
    client.login(make_user("county_admin"))
    page = client.post("/admin/people/new", person_form(world, licensed_on="abc"))
    assert page.status_code == 400
    assert "日期" in field_error(page, "licensed_on")


def test_unknown_education_is_400(client, admin, world):
    page = client.post("/admin/people/new", person_form(world, education="phd"))
    assert page.status_code == 400
    assert "education" in field_error(page, "education").lower()
    assert not User.select().where(User.phone == "13600000001").exists()


# ------------------------------------------------------------------ the roster import

def test_import_sets_licence_date_and_education(client, admin, world):
    rows = [row(name="甲", phone="13700000001") + ["2015-07-01", "本科"],
            row(name="乙", phone="13700000002") + ["2019年3月5日", "研究生"],
            row(name="丙", phone="13700000003") + ["", "高中"],
            row(name="丁", phone="13700000004") + [f"{LAST_YEAR}/7/1", "doctor"],
            row(name="戊", phone="13700000005") + ["", ""]]
    response = upload(client, csv_bytes(rows, header=HEADER))
    assert table_lines(response, "rows-valid") == [2, 3, 4, 5, 6]
    assert confirm(client, token_of(response)).status_code == 200
    got = {u.name: (u.licensed_on, u.education) for u in User.select().where(
        User.phone.startswith("137"))}
    assert got == {"甲": (datetime.datetime(2015, 7, 1), "bachelor"),
                   "乙": (datetime.datetime(2019, 3, 5), "master"),
                   "丙": (None, "secondary"),
                   "丁": (datetime.datetime(LAST_YEAR, 7, 1), "doctor"),
                   "戊": (None, "")}


def test_preview_shows_licence_date_and_education_before_saving(client, admin):
    rows = [row(name="甲", phone="13700000001") + ["2015-07-01", "本科"],
            row(name="乙", phone="13700000002") + ["", ""]]
    users = User.select().count()
    response = upload(client, csv_bytes(rows, header=HEADER))
    assert response.status_code == 200
    given = preview_cells(response, 2)
    assert given["Licensed on"] == "Jul 1, 2015"
    assert given["Education"] == "Bachelor's degree"
    cell = soup(response).find("tr", attrs={"data-line": "2"}).find("time")
    assert cell["datetime"] == "2015-07-01"
    blank = preview_cells(response, 3)
    assert (blank["Licensed on"], blank["Education"]) == ("", "")
    assert User.select().count() == users


def test_preview_without_the_new_columns_leaves_them_empty(client, admin):
    response = upload(client, csv_bytes([row()]))
    cells = preview_cells(response, 2)
    assert (cells["Licensed on"], cells["Education"]) == ("", "")


def test_preview_shows_licence_date_and_education_in_chinese(make_client, make_user):
    client = make_client("zh-CN")
    client.login(make_user("county_admin"))
    response = upload(client, csv_bytes([row() + ["2019年3月5日", "研究生"]], header=HEADER))
    cells = preview_cells(response, 2)
    assert cells["执业日期"] == "2019年3月5日"
    assert cells["学历"] == "硕士"


def test_import_reads_english_headers_and_xlsx_dates(client, admin):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Name", "Phone", "Firm", "Licensed on", "Education"])
    sheet.append(["王芳", "13700000001", FIRM_A, datetime.datetime(2012, 9, 1), "大专"])
    out = io.BytesIO()
    book.save(out)
    response = upload(client, out.getvalue(), "roster.xlsx")
    assert table_lines(response, "rows-valid") == [2]
    confirm(client, token_of(response))
    person = User.get(User.phone == "13700000001")
    assert (person.licensed_on, person.education) == (datetime.datetime(2012, 9, 1), "college")


@pytest.mark.parametrize("extra,expected", [
    (["", "小学毕业"], "Education: write"),
    (["2026-13-01", ""], "is not a date"),
    (["abc", ""], "is not a date"),
    ([TOMORROW, ""], "cannot be in the future"),
    ([ARABIC_INDIC, ""], "is not a date"),
    (["1900-01-01", ""], "cannot be before 1950"),
])
def test_bad_licence_date_or_education_is_a_row_error(client, admin, extra, expected):
    rows = [row(name="好人", phone="13700000099") + ["2015-07-01", "本科"],
            row(name="坏人", phone="13700000098") + extra]
    users = User.select().count()
    response = upload(client, csv_bytes(rows, header=HEADER))
    assert response.status_code == 200
    assert table_lines(response, "rows-valid") == [2]
    assert table_lines(response, "rows-invalid") == [3]
    errors = row_errors(response, 3)
    assert any(expected in e for e in errors), errors
    assert User.select().count() == users


def test_template_lists_the_new_columns(client, admin):
    response = client.get("/admin/people/import/template.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    header = next(book.worksheets[0].iter_rows(values_only=True))
    notes = [v for r in book.worksheets[1].iter_rows(values_only=True) for v in r if v]
    book.close()
    assert list(header) == HEADER
    assert any("2015-07-01" in str(line) for line in notes)
    assert any("本科" in str(line) for line in notes)


# ------------------------------------------------------------------ the year's target

def test_licensed_on_1_july_is_held_to_about_half_the_years_target(client, admin, world, app):
    client.post("/admin/people/new", person_form(world, licensed_on=f"{LAST_YEAR}-07-01"))
    person = User.get(User.phone == "13600000001")
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        whole = {p.metric: p for p in progress_for(
            [User(id=0, county=person.county_id)], LAST_YEAR,
            datetime.date(LAST_YEAR, 12, 31)).get(0, [])}
        half = {p.metric: p for p in progress_for(
            [person], LAST_YEAR, datetime.date(LAST_YEAR, 12, 31))[person.id]}
    assert whole["education_hours"].target == Decimal(40)
    assert abs(half["education_hours"].target - Decimal(20)) <= Decimal("0.5")
