"""One year parser for ?year= in an address: garbage gives the default, never an error page."""
import pytest

from tests.helpers import signed_in, soup, text_of
from webapp.i18n import local_today
from webapp.inputs import parse_year

GARBAGE = ["２０２６", "2026abc", "", "   ", "-1", "+2026", "2026.0", "2,026", "20 26",
           "99999999999999999999", "9" * 5000, "\x00", "20\x0026", "\x002026", "1999", "2101",
           "٢٠٢٦", "abc", "0x7EA", "1e3", None]


@pytest.fixture(autouse=True)
def _fast(fast_passwords):
    """Sessions here are made directly: keep hashing cheap anyway."""


@pytest.mark.parametrize("text, year", [
    ("2026", 2026), (" 2026 ", 2026), ("\t2031\n", 2031), ("\u30002026\u3000", 2026),
    ("2000", 2000), ("2100", 2100), (2026, 2026),
])
def test_plain_years_are_read(text, year):
    assert parse_year(text, 1) == year


@pytest.mark.parametrize("text", GARBAGE)
def test_anything_else_gives_the_default(text):
    assert parse_year(text, 1) == 1


def test_full_width_digits_follow_parse_count():
    """parse_count refuses digits other than ASCII, and so does parse_year."""
    assert parse_year("２０２６", None) is None


@pytest.mark.parametrize("text", GARBAGE[:-1])
def test_assessment_page_falls_back_to_this_year(app, world, make_user, text):
    person = make_user("practitioner")
    admin = make_user("county_admin", county=world["a"])
    client = signed_in(app, admin)
    response = client.get(f"/home/assessment/person/{person.id}", query_string={"year": text})
    assert response.status_code == 200
    assert str(local_today().year) in text_of(soup(response).find("h1"))


@pytest.mark.parametrize("text", GARBAGE[:-1])
def test_figures_page_falls_back_to_this_year(app, world, make_user, text):
    admin = make_user("county_admin", county=world["a"])
    response = signed_in(app, admin).get("/home/figures", query_string={"year": text})
    assert response.status_code == 200
    assert str(local_today().year) in text_of(soup(response).find("h1"))


def test_figures_page_keeps_its_range(app, world, make_user):
    admin = make_user("county_admin", county=world["a"])
    client = signed_in(app, admin)
    this_year = local_today().year
    for asked, shown in ((this_year - 1, this_year - 1), (this_year + 1, this_year + 1),
                         (this_year + 5, this_year + 1)):
        page = soup(client.get("/home/figures", query_string={"year": str(asked)}))
        assert str(shown) in text_of(page.find("h1"))
