"""Sign-in, password, devices, roles, language, and the county admin's firms and people."""
import json
from urllib.parse import parse_qs, urlparse

import pytest

from tests.helpers import PASSWORD, soup, text_of
from webapp.accounts.models import AuditEvent, Firm, RoleGrant, User, UserSession


@pytest.fixture(autouse=True)
def _fast(fast_passwords):  # noqa: F811
    """Every test here signs in: use cheap hashes."""


def path_of(response):
    return urlparse(response.headers.get("Location", "")).path


def query_of(response):
    return parse_qs(urlparse(response.headers.get("Location", "")).query)


def audit_actions(**where):
    query = AuditEvent.select().order_by(AuditEvent.id)
    for key, value in where.items():
        query = query.where(getattr(AuditEvent, key) == value)
    return [e.action for e in query]


def field_error(page, name):
    node = soup(page).find(id=f"{name}-error")
    return text_of(node)


# ------------------------------------------------------------------ sign in and out

def test_login_page_has_a_working_form(client):
    page = client.get("/login")
    assert page.status_code == 200
    form = soup(page).find("form", action="/login")
    assert form["method"] == "post"
    assert form.find("input", {"name": "csrf_token"})["value"]
    assert form.find("input", {"name": "login"}) and form.find("input", {"name": "password"})


def test_login_with_phone_lands_on_home_and_records_the_device(client, make_user):
    user = make_user()
    response = client.post("/login", {"login": "+86 " + user.phone, "password": PASSWORD},
                           headers={"User-Agent": "TestPhone/1.0"})
    assert response.status_code == 303 and path_of(response) == "/"
    assert path_of(client.get("/")) == "/home/me"
    session = UserSession.get(UserSession.user == user)
    assert session.user_agent == "TestPhone/1.0" and session.ended_at is None
    # Signed in, the login page sends the person on.
    assert client.get("/login").status_code == 302


def test_login_follows_a_local_next(client, make_user):
    user = make_user("county_admin")
    response = client.post("/login?next=/admin/people", {"login": user.phone,
                                                         "password": PASSWORD})
    assert response.status_code == 303 and path_of(response) == "/admin/people"


def test_login_page_for_a_protected_url_keeps_next(client, make_user):
    response = client.get("/admin/people?q=王")
    assert path_of(response) == "/login" and query_of(response)["next"] == ["/admin/people?q=王"]
    form = soup(client.get(response.headers["Location"])).find("form", action="/login")
    assert form.find("input", {"name": "next"})["value"] == "/admin/people?q=王"


def test_wrong_password_shows_the_message_and_keeps_the_login(client, make_user):
    user = make_user()
    page = client.post("/login", {"login": user.phone, "password": "wrong"})
    assert page.status_code == 401
    assert text_of(soup(page).find(class_="form-error")) == "The phone number or password is not right."
    assert soup(page).find("input", {"name": "login"})["value"] == user.phone
    assert UserSession.select().count() == 0


@pytest.mark.parametrize("language,lang", [("en", "en"), ("zh-CN", "zh-CN")])
def test_too_many_failures_answer_429_in_every_language(make_client, make_user, language, lang):
    client = make_client(language)
    user = make_user()
    for _ in range(5):
        assert client.post("/login", {"login": user.phone, "password": "x"}).status_code == 401
    page = client.post("/login", {"login": user.phone, "password": PASSWORD})
    assert page.status_code == 429
    assert soup(page).html["lang"] == lang
    assert text_of(soup(page).find(class_="form-error"))
    assert UserSession.select().count() == 0


def test_logout_ends_the_session_and_clears_site_data(client, make_user):
    user = make_user()
    client.login(user)
    response = client.logout()
    assert response.status_code == 303
    assert path_of(response) == "/login" and query_of(response)["signed_out"] == ["1"]
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert UserSession.get(UserSession.user == user).ended_at is not None
    assert path_of(client.get("/me")) == "/login"
    page = client.get(response.headers["Location"])
    assert text_of(soup(page).find(class_="flash-success")) == "You are signed out."


def test_a_user_without_any_role_is_told_so(client, make_user):
    user = make_user()
    RoleGrant.delete().where(RoleGrant.user == user).execute()
    client.login(user)
    response = client.get("/")
    assert response.status_code == 302 and path_of(response) == "/no-role"
    page = client.get("/no-role")
    assert page.status_code == 200 and soup(page).find("h1")
    assert client.get("/home/me").status_code == 403


def test_an_ended_session_cookie_no_longer_signs_in(client, make_user):
    user = make_user()
    client.login(user)
    UserSession.update(ended_at=UserSession.created_at).execute()
    assert path_of(client.get("/home/me")) == "/login"


def test_htmx_request_without_session_gets_401_with_hx_redirect(client):
    response = client.htmx_get("/admin/people")
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login"


# ------------------------------------------------------------------ password and devices

def test_change_password_signs_out_the_other_devices(make_client, make_user):
    user = make_user()
    phone, laptop = make_client(), make_client()
    phone.login(user)
    laptop.login(user)
    page = phone.get("/me/password")
    assert soup(page).find("form").find("input", {"name": "csrf_token"})
    response = phone.post("/me/password", {"current": PASSWORD, "new": "new-password-1",
                                           "repeat": "new-password-1"})
    assert response.status_code == 303 and path_of(response) == "/me"
    me = phone.get("/me")
    assert me.status_code == 200
    assert "Other devices were signed out" in text_of(soup(me).find(class_="flash-success"))
    assert path_of(laptop.get("/me")) == "/login"
    assert make_client().post("/login", {"login": user.phone, "password": "new-password-1"}
                              ).status_code == 303


@pytest.mark.parametrize("form,field", [
    ({"current": "wrong", "new": "new-password-1", "repeat": "new-password-1"}, "current"),
    ({"current": PASSWORD, "new": "short", "repeat": "short"}, "new"),
    ({"current": PASSWORD, "new": "new-password-1", "repeat": "new-password-2"}, "repeat"),
])
def test_change_password_refusal_is_400_at_the_field(client, make_user, form, field):
    user = make_user()
    client.login(user)
    page = client.post("/me/password", form)
    assert page.status_code == 400
    assert field_error(page, field)
    assert soup(page).find(id=f"f-{field}")["aria-invalid"] == "true"
    assert User.get_by_id(user.id).password_hash == user.password_hash


def test_one_time_password_forces_a_new_password_first(client, make_user):
    admin = make_user("county_admin")
    person = make_user()
    admin_client = client.__class__(client.c.application.test_client())
    admin_client.c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    admin_client.login(admin)
    code_page = admin_client.post(f"/admin/people/{person.id}/reset")
    code = text_of(soup(code_page).find(attrs={"data-testid": "one-time-code"}))
    response = client.post("/login", {"login": person.phone, "password": code})
    assert response.status_code == 303 and path_of(response) == "/me/password"
    # Until a new password is chosen, every page leads back to the password form.
    for url in ("/home/me", "/me", "/"):
        response = client.get(url)
        if url == "/":
            response = client.get(response.headers["Location"])
        assert response.status_code == 302 and path_of(response) == "/me/password", url
    page = client.get("/me/password")
    assert page.status_code == 200 and soup(page).find(class_="notice")
    done = client.post("/me/password?next=/home/me", {"current": code, "new": "mine-12345",
                                                      "repeat": "mine-12345"})
    assert done.status_code == 303 and path_of(done) == "/home/me"
    assert client.get("/home/me").status_code == 200
    assert not User.get_by_id(person.id).must_change_password
    # The one-time password worked once: it is gone now.
    assert client.__class__(client.c.application.test_client()).post(
        "/login", {"login": person.phone, "password": code}).status_code == 401


def test_devices_are_listed_and_can_be_signed_out(make_client, make_user):
    user = make_user()
    phone, laptop = make_client(), make_client()
    phone.login(user)
    laptop.c.environ_base["HTTP_USER_AGENT"] = "Laptop browser"
    laptop.login(user)
    page = phone.get("/me")
    forms = soup(page).find_all("form", action=lambda a: a and a.startswith("/me/devices/"))
    assert len(forms) == 2
    laptop_row = UserSession.get(UserSession.user_agent == "Laptop browser")
    response = phone.post(f"/me/devices/{laptop_row.id}/end")
    assert response.status_code == 303 and path_of(response) == "/me"
    assert path_of(laptop.get("/me")) == "/login"
    assert len(soup(phone.get("/me")).find_all(
        "form", action=lambda a: a and a.startswith("/me/devices/"))) == 1
    # Ending this very device signs this browser out.
    own = UserSession.get(UserSession.user == user, UserSession.ended_at.is_null())
    response = phone.post(f"/me/devices/{own.id}/end")
    assert response.status_code == 303 and path_of(response) == "/login"
    assert path_of(phone.get("/me")) == "/login"


def test_cannot_sign_out_someone_elses_device(client, make_user):
    user, other = make_user(), make_user()
    client.login(user)
    make_client_session = UserSession.create(token="t" * 40, user=other)
    response = client.post(f"/me/devices/{make_client_session.id}/end")
    assert response.status_code == 404
    assert UserSession.get_by_id(make_client_session.id).ended_at is None


# ------------------------------------------------------------------ roles and language

def test_role_switch_lands_on_the_other_home_without_signing_out(client, make_user):
    user = make_user("director")
    client.login(user)
    assert path_of(client.get("/")) == "/home/firm"
    me = soup(client.get("/me"))
    buttons = me.find("section", id="roles").find_all("button", attrs={"name": "grant"})
    assert len(buttons) == 2
    assert [b.get("aria-pressed") for b in buttons] == ["true", None]
    practitioner_grant = RoleGrant.get(RoleGrant.user == user, RoleGrant.role == "practitioner")
    assert buttons[1]["value"] == str(practitioner_grant.id)
    response = client.post("/me/role", {"grant": practitioner_grant.id})
    assert response.status_code == 303 and path_of(response) == "/home/me"
    assert path_of(client.get("/")) == "/home/me"
    home = client.get("/home/me")
    assert home.status_code == 200 and soup(home).find("nav", class_="tabbar")
    assert UserSession.select().where(UserSession.ended_at.is_null()).count() == 1
    # htmx gets the same answer as HX-Redirect.
    director_grant = RoleGrant.get(RoleGrant.user == user, RoleGrant.role == "director")
    response = client.post("/me/role", {"grant": director_grant.id}, htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/home/firm"


@pytest.mark.parametrize("grant", ["", "abc", "other"])
def test_role_switch_refuses_a_grant_that_is_not_mine(client, make_user, grant):
    user, other = make_user("director"), make_user("county_admin")
    client.login(user)
    if grant == "other":
        grant = RoleGrant.get(RoleGrant.user == other).id
    page = client.post("/me/role", {"grant": grant})
    assert page.status_code == 400
    assert path_of(client.get("/")) == "/home/firm"


def test_language_switch_for_a_visitor(make_client):
    client = make_client("zh-CN")
    page = client.get("/login")
    assert soup(page).html["lang"] == "zh-CN"
    assert text_of(soup(page).find("h1")) == "登录"
    response = client.post("/language", {"locale": "en", "next": "/login"})
    assert response.status_code == 303 and path_of(response) == "/login"
    page = client.get("/login")
    assert soup(page).html["lang"] == "en"
    assert text_of(soup(page).find("h1")) == "Sign in"
    assert client.post("/language", {"locale": "fr"}).status_code == 400
    assert client.post("/language", {"locale": "zh_Hans_CN", "next": "//evil.example"}
                       ).headers["Location"] == "/"
    assert soup(client.get("/login")).html["lang"] == "zh-CN"


def test_language_switch_is_kept_on_the_account(make_client, make_user):
    user = make_user()
    client = make_client("en")
    client.login(user)
    assert soup(client.get("/home/me")).html["lang"] == "en"
    client.post("/language", {"locale": "zh_Hans_CN"})
    assert User.get_by_id(user.id).locale == "zh_Hans_CN"
    page = client.get("/home/me")
    assert soup(page).html["lang"] == "zh-CN"
    headings = [text_of(h) for h in soup(page).find_all("h2")]
    assert "今年" in headings and "This year" not in headings
    # Another browser asking for English still sees the account's choice.
    other = make_client("en")
    other.login(user)
    assert soup(other.get("/home/me")).html["lang"] == "zh-CN"
    other.post("/language", {"locale": "en"})
    assert soup(other.get("/home/me")).html["lang"] == "en"


# ------------------------------------------------------------------ county admin: firms

@pytest.fixture
def admin(client, make_user):
    user = make_user("county_admin")
    client.login(user)
    return user


def test_firms_page_lists_the_county_firms_with_counts(client, admin, world, make_user):
    make_user(), make_user(), make_user(active=False), make_user(county=world["b"])
    page = soup(client.get("/admin/firms"))
    rows = page.select("li.list-row")
    assert [r["id"] for r in rows] == [f"firm-{world['firm_a'].id}"]
    assert text_of(rows[0].find("strong")) == world["firm_a"].name
    assert text_of(rows[0].find("a", class_="btn")) == "2 people"


def test_create_edit_and_deactivate_a_firm(client, admin, world):
    response = client.post("/admin/firms/new", {"name": "甲县新城法律服务所", "township": "新城街道",
                                                "setting": "urban"})
    assert response.status_code == 303
    firm = Firm.get(Firm.name == "甲县新城法律服务所")
    assert response.headers["Location"].endswith(f"/admin/firms#firm-{firm.id}")
    assert (firm.county_id, firm.setting, firm.township) == (world["a"].id, "urban", "新城街道")
    form = soup(client.get(f"/admin/firms/{firm.id}")).find("form", method="post")
    assert form.find("input", {"name": "name"})["value"] == "甲县新城法律服务所"
    assert form.find("input", {"value": "urban"}).has_attr("checked")
    response = client.post(f"/admin/firms/{firm.id}", {"name": "甲县新城所", "setting": "rural"})
    assert response.status_code == 303
    assert Firm.get_by_id(firm.id).name == "甲县新城所"
    response = client.post(f"/admin/firms/{firm.id}/active", {"active": "0"})
    assert response.status_code == 303
    assert Firm.get_by_id(firm.id).active is False
    row = soup(client.get("/admin/firms")).find(id=f"firm-{firm.id}")
    assert "inactive" in row["class"]
    client.post(f"/admin/firms/{firm.id}/active", {"active": "1"})
    assert Firm.get_by_id(firm.id).active is True
    assert audit_actions(actor=admin.id) == ["firm.create", "firm.update", "firm.deactivate",
                                             "firm.activate"]
    created = AuditEvent.get(AuditEvent.action == "firm.create")
    assert (created.object_type, created.object_id, created.region_id) == (
        "firm", firm.id, world["a"].id)
    assert json.loads(created.detail)["name"] == "甲县新城法律服务所"


@pytest.mark.parametrize("form,field,message", [
    ({"name": "", "setting": "rural"}, "name", "Fill in the firm's name."),
    ({"name": "新所", "setting": "moon"}, "setting", "Choose whether the firm is rural or urban."),
    ({"name": "甲县城关法律服务所", "setting": "rural"}, "name",
     "This county already has a firm with this name."),
])
def test_bad_firm_input_is_400_with_the_message_and_nothing_written(client, admin, form, field,
                                                                    message):
    page = client.post("/admin/firms/new", form)
    assert page.status_code == 400
    assert field_error(page, field) == message
    assert Firm.select().count() == 2
    assert AuditEvent.select().count() == 0
    # What was typed stays in the form.
    if form["name"]:
        assert soup(page).find("input", {"name": "name"})["value"] == form["name"]


# ------------------------------------------------------------------ county admin: people

def person_form(world, **changes):
    data = {"name": "赵敏", "phone": "13600000001", "firm_id": world["firm_a"].id,
            "licence_no": "JC-001", "birth_year": "1970", "party_member": "1"}
    data.update(changes)
    return data


def test_people_page_and_fragment(client, admin, world, make_user):
    alice = make_user(name="阿丽")
    make_user(name="别县人", county=world["b"])
    make_user(name="停用者", active=False)
    page = client.get("/admin/people")
    assert page.status_code == 200
    assert "HX-Request" in page.headers["Vary"]
    doc = soup(page)
    assert doc.find("html") and doc.find("form", class_="filters")
    names = [text_of(r.find("strong")) for r in doc.select("#people-list li.list-row")]
    assert names == ["阿丽"]
    fragment = client.htmx_get("/admin/people?q=阿")
    assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
    frag = soup(fragment)
    assert frag.find("html") is None and frag.find("form") is None
    top = [el for el in frag.contents if getattr(el, "name", None)]
    assert len(top) == 1 and top[0].name == "section" and top[0]["id"] == "people-list"
    assert [text_of(r.find("strong")) for r in frag.select("li.list-row")] == ["阿丽"]
    assert frag.find("a", href=f"/admin/people/{alice.id}")
    # A boosted request or a history restore gets the whole page.
    boosted = client.get("/admin/people", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert soup(boosted).find("html")
    restore = client.get("/admin/people", headers={"HX-Request": "true",
                                                   "HX-History-Restore-Request": "true"})
    assert soup(restore).find("html")


def test_people_search_and_filters(client, admin, world, make_user):
    firm_2 = Firm.create(name="甲县河口法律服务所", county=world["a"])
    make_user(name="张三")
    make_user(name="李四", firm=firm_2, licence_no="HK-9")
    make_user(name="王五", active=False)

    def names(url):
        return [text_of(r.find("strong")) for r in soup(client.htmx_get(url)).select("li.list-row")]

    assert sorted(names("/admin/people")) == sorted(["张三", "李四"])
    assert names("/admin/people?q=HK-9") == ["李四"]
    assert names(f"/admin/people?firm={firm_2.id}") == ["李四"]
    assert names("/admin/people?show=inactive") == ["王五"]
    assert sorted(names("/admin/people?show=all")) == sorted(["张三", "李四", "王五"])
    assert names(f"/admin/people?firm={world['firm_b'].id}&show=all") == []


def test_add_a_person_shows_the_code_once(client, admin, world):
    page = client.post("/admin/people/new", person_form(world))
    assert page.status_code == 200
    person = User.get(User.phone == "13600000001")
    code = text_of(soup(page).find(attrs={"data-testid": "one-time-code"}))
    assert len(code) == 10
    assert (person.name, person.firm_id, person.county_id, person.licence_no, person.birth_year,
            person.party_member, person.must_change_password) == (
        "赵敏", world["firm_a"].id, world["a"].id, "JC-001", 1970, True, True)
    assert [gr.role for gr in person.grants] == ["practitioner"]
    assert audit_actions() == ["user.create"]
    # The code appears nowhere afterwards.
    for url in (f"/admin/people/{person.id}", "/admin/people", "/admin/audit"):
        assert code not in client.get(url).get_data(as_text=True)
    assert code not in AuditEvent.get().detail
    # And it signs the person in.
    other = client.__class__(client.c.application.test_client())
    response = other.post("/login", {"login": "13600000001", "password": code})
    assert response.status_code == 303 and path_of(response) == "/me/password"


@pytest.mark.parametrize("changes,field", [
    ({"phone": "1234"}, "phone"),
    ({"phone": "same"}, "phone"),
    ({"birth_year": "1800"}, "birth_year"),
    ({"firm_id": ""}, "firm_id"),
    ({"firm_id": "foreign"}, "firm_id"),
    ({"name": "名" * 61}, "name"),
    ({"name": ""}, "name"),
])
def test_bad_person_input_is_400_with_the_message_and_nothing_written(
        client, admin, world, make_user, changes, field):
    existing, holder = make_user(), make_user()
    if changes.get("phone") == "same":
        changes["phone"] = holder.phone
    if changes.get("firm_id") == "foreign":
        changes["firm_id"] = world["firm_b"].id
    users_before = User.select().count()
    page = client.post("/admin/people/new", person_form(world, **changes))
    assert page.status_code == 400
    assert field_error(page, field)
    assert soup(page).find(class_="has-error")
    assert User.select().count() == users_before
    assert AuditEvent.select().count() == 0
    assert soup(page).find(attrs={"data-testid": "one-time-code"}) is None
    # The same refusal when editing: nothing changes.
    page = client.post(f"/admin/people/{existing.id}", person_form(world, **changes))
    assert page.status_code == 400 and field_error(page, field)
    fresh = User.get_by_id(existing.id)
    assert (fresh.name, fresh.phone, fresh.firm_id) == (existing.name, existing.phone,
                                                       existing.firm_id)
    assert AuditEvent.select().count() == 0


def test_edit_a_person(client, admin, world, make_user):
    person = make_user(name="旧名")
    form = soup(client.get(f"/admin/people/{person.id}")).find("form", method="post")
    assert form.find("input", {"name": "name"})["value"] == "旧名"
    assert form.find("option", selected=True)["value"] == str(world["firm_a"].id)
    response = client.post(f"/admin/people/{person.id}",
                           person_form(world, name="新名", phone=person.phone, party_member=""))
    assert response.status_code == 303 and path_of(response) == "/admin/people"
    fresh = User.get_by_id(person.id)
    assert (fresh.name, fresh.licence_no, fresh.party_member) == ("新名", "JC-001", False)
    assert audit_actions(object_id=person.id) == ["user.update"]
    response = client.post(f"/admin/people/{person.id}", person_form(world, phone=person.phone),
                           htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/admin/people"


def test_deactivate_and_reactivate_a_person(client, make_client, admin, world, make_user):
    person = make_user()
    theirs = make_client()
    theirs.login(person)
    response = client.post(f"/admin/people/{person.id}/active", {"active": "0"})
    assert response.status_code == 303 and path_of(response) == f"/admin/people/{person.id}"
    page = client.get(f"/admin/people/{person.id}")
    assert soup(page).find(class_="notice")
    assert "deactivated" in text_of(soup(page).find(class_="flash-success"))
    assert User.get_by_id(person.id).active is False
    assert path_of(theirs.get("/home/me")) == "/login"
    assert make_client().post("/login", {"login": person.phone, "password": PASSWORD}
                              ).status_code == 401
    client.post(f"/admin/people/{person.id}/active", {"active": "1"})
    assert User.get_by_id(person.id).active is True
    assert audit_actions(object_id=person.id) == ["user.deactivate", "user.activate"]


def test_an_admin_cannot_deactivate_themselves(client, admin):
    # An administrator is not among the practitioners the people pages manage at all.
    page = client.post(f"/admin/people/{admin.id}/active", {"active": "0"})
    assert page.status_code == 404
    assert User.get_by_id(admin.id).active is True
    assert AuditEvent.select().count() == 0


def test_reset_a_password_shows_the_code_once(client, make_client, admin, make_user):
    person = make_user()
    theirs = make_client()
    theirs.login(person)
    page = client.post(f"/admin/people/{person.id}/reset")
    assert page.status_code == 200
    code = text_of(soup(page).find(attrs={"data-testid": "one-time-code"}))
    assert len(code) == 10
    assert path_of(theirs.get("/home/me")) == "/login"
    assert code not in client.get(f"/admin/people/{person.id}").get_data(as_text=True)
    assert audit_actions(object_id=person.id) == ["user.reset_password"]
    assert make_client().post("/login", {"login": person.phone, "password": code}
                              ).status_code == 303


def test_director_toggle(client, admin, world, make_user):
    person = make_user()
    form = soup(client.get(f"/admin/people/{person.id}")).find(
        "form", action=f"/admin/people/{person.id}/director")
    assert form.find("input", {"name": "director"})["value"] == "1"
    response = client.post(f"/admin/people/{person.id}/director", {"director": "1"})
    assert response.status_code == 303
    assert RoleGrant.get(RoleGrant.user == person, RoleGrant.role == "director").firm_id == \
        world["firm_a"].id
    page = soup(client.get(f"/admin/people/{person.id}"))
    form = page.find("form", action=f"/admin/people/{person.id}/director")
    assert form.find("input", {"name": "director"})["value"] == "0"
    listing = soup(client.get("/admin/people"))
    assert text_of(listing.find("span", class_="chip")) == "Director"
    client.post(f"/admin/people/{person.id}/director", {"director": "0"})
    assert not RoleGrant.select().where(RoleGrant.user == person,
                                        RoleGrant.role == "director").exists()
    assert audit_actions(object_id=person.id) == ["user.director", "user.undirector"]


def test_audit_log_shows_the_county_events_only(client, admin, world, make_user):
    person = make_user()
    client.post(f"/admin/people/{person.id}/director", {"director": "1"})
    other_admin = make_user("county_admin", county=world["b"])
    AuditEvent.create(actor=other_admin, action="firm.create", object_type="firm",
                      region=world["b"])
    rows = soup(client.get("/admin/audit")).select("li.list-row")
    assert [text_of(r.find("strong")) for r in rows] == ["Made firm director"]


def test_a_county_admin_cannot_edit_or_reset_another_administrator(client, make_user):
    admin = make_user("county_admin")
    colleague = make_user("county_admin")
    client.login(admin)
    assert client.get(f"/admin/people/{colleague.id}").status_code == 404
    assert client.post(f"/admin/people/{colleague.id}/reset").status_code == 404
    assert client.post(f"/admin/people/{colleague.id}/active", {"active": "0"}).status_code == 404
    colleague = type(colleague).get_by_id(colleague.id)
    assert colleague.active and colleague.firm_id is None


def test_an_unknown_login_costs_a_password_check_too(client, monkeypatch):
    from webapp.accounts import services
    spent = []
    monkeypatch.setattr(services, "_spend_a_hash", lambda password: spent.append(password))
    response = client.post("/login", {"login": "13012345678", "password": "guess"})
    assert response.status_code == 401
    assert spent == ["guess"]


def test_people_filter_with_a_firm_id_too_large_lists_everyone(client, admin, make_user):
    make_user(name="张三")
    for value in ("99999999999999999999", "²", "-1"):
        response = client.htmx_get(f"/admin/people?firm={value}")
        assert response.status_code == 200
        assert [text_of(r.find("strong")) for r in soup(response).select("li.list-row")] == ["张三"]


@pytest.mark.parametrize("birth_year", ["²⁰¹⁰", "١٩٧٠"])
def test_a_birth_year_in_other_digits_is_refused_not_a_500(client, admin, world, birth_year):
    page = client.post("/admin/people/new", person_form(world, birth_year=birth_year))
    assert page.status_code == 400
    assert "Birth year" in field_error(page, "birth_year")
    assert User.select().where(User.name == "赵敏").count() == 0
