"""Sign-in, sign-out and each role reaching its home."""
import pytest

from tests.helpers import soup, text_of


@pytest.mark.parametrize("role,home", [
    ("practitioner", "/home/me"), ("director", "/home/firm"), ("secretary", "/home/branch"),
    ("county_admin", "/home/county"), ("city_admin", "/home/city"),
])
def test_each_role_reaches_its_home(client, make_user, role, home):
    user = make_user(role)
    client.login(user)
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(home)
    page = client.get(home)
    assert page.status_code == 200
    assert soup(page).find("h1") is not None


def test_wrong_password_is_refused_in_plain_words(client, make_user):
    user = make_user()
    response = client.post("/login", {"login": user.phone, "password": "nope"})
    assert response.status_code == 401
    assert "not right" in text_of(soup(response).find(class_="form-error"))


def test_post_without_csrf_is_refused(client, make_user):
    user = make_user()
    response = client.post("/login", {"login": user.phone, "password": "password123"}, csrf=False)
    assert response.status_code == 400
