"""Targets are data: who sets which scope, how values are checked, what is audited, and how
a new year starts from the one before."""
import json
from decimal import Decimal as D

import pytest

from tests.helpers import actor_for, soup, text_of
from webapp.accounts.models import AuditEvent, Firm
from webapp.errors import DomainError, NotAllowed
from webapp.i18n import local_today
from webapp.targets import editing, services
from webapp.targets.models import METRICS, Target


@pytest.fixture(autouse=True)
def _fast(fast_passwords):
    """Every test here signs in: use cheap hashes."""


@pytest.fixture
def admins(app, make_user, world):
    """The city's, county A's and county B's administrators as actors, inside a request."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield _admins(make_user, world)


def _admins(make_user, world):
    city = make_user("city_admin")
    county_a = make_user("county_admin")
    county_b = make_user("county_admin", county=world["b"])
    return {"city": actor_for(city, "city_admin"), "a": actor_for(county_a, "county_admin"),
            "b": actor_for(county_b, "county_admin"),
            "users": {"city": city, "a": county_a, "b": county_b}}


YEAR = 2026


def education(world, **scope):
    return services.targets_for(YEAR, **scope)["education_hours"]


# ------------------------------------------------------------------ services

def test_most_specific_scope_wins(world, admins):
    a, firm = world["a"], world["firm_a"]
    full = {"county_id": a.id, "firm_id": firm.id}
    assert education(world, **full) == services.DEFAULTS["education_hours"]
    editing.set_target(admins["city"], YEAR, "education_hours", "42", "市定")
    assert education(world, **full) == (D(42), "市定")
    editing.set_target(admins["a"], YEAR, "education_hours", "43.5", "县定")
    assert education(world, **full) == (D("43.5"), "县定")
    editing.set_target(admins["a"], YEAR, "education_hours", "44", "所定", firm=firm)
    assert education(world, **full) == (D(44), "所定")
    # the other county still follows the city; the firm's neighbour the county
    assert education(world, county_id=world["b"].id) == (D(42), "市定")
    assert education(world, county_id=a.id) == (D("43.5"), "县定")
    rows = {r.metric: r for r in editing.targets_table(admins["a"], YEAR,
                                                        editing.scope_for(admins["a"], firm))}
    assert (rows["education_hours"].value, rows["education_hours"].origin) == (D(44), "firm")
    assert (rows["education_hours"].inherited, rows["education_hours"].inherited_origin) == (
        D("43.5"), "county")
    assert rows["legal_aid_cases"].origin == "default"
    assert list(rows) == list(METRICS)
    # clearing makes each scope inherit again
    editing.set_target(admins["a"], YEAR, "education_hours", "", "", firm=firm)
    assert education(world, **full) == (D("43.5"), "县定")
    editing.set_target(admins["a"], YEAR, "education_hours", "  ", "")
    assert education(world, **full) == (D(42), "市定")
    city_rows = {r.metric: r for r in editing.targets_table(admins["city"], YEAR)}
    assert city_rows["education_hours"].origin == "city"
    assert city_rows["education_hours"].own_text == "42"


def test_scopes_outside_ones_own_are_refused(world, admins, make_user):
    with pytest.raises(NotAllowed):
        editing.set_target(admins["a"], YEAR, "education_hours", "50", "", firm=world["firm_b"])
    with pytest.raises(NotAllowed):
        editing.set_target(admins["a"], YEAR, "education_hours", "50", "", region=world["b"])
    with pytest.raises(NotAllowed):
        editing.set_target(admins["a"], YEAR, "education_hours", "50", "", region=world["city"])
    with pytest.raises(NotAllowed):  # the city sets city defaults, not a county's or a firm's
        editing.set_target(admins["city"], YEAR, "education_hours", "50", "", region=world["a"])
    with pytest.raises(NotAllowed):
        editing.set_target(admins["city"], YEAR, "education_hours", "50", "",
                           firm=world["firm_a"])
    for role in ("practitioner", "director", "secretary"):
        with pytest.raises(NotAllowed):
            editing.set_target(actor_for(make_user(role), role), YEAR, "education_hours",
                               "50", "")
    assert Target.select().count() == 0 and AuditEvent.select().count() == 0


def test_each_change_is_audited_with_before_and_after(world, admins):
    row = editing.set_target(admins["a"], YEAR, "legal_aid_cases", "6", "县局文件")
    editing.set_target(admins["a"], YEAR, "legal_aid_cases", "6", "县局文件")  # no change
    editing.set_target(admins["a"], YEAR, "legal_aid_cases", "7.25", "县局文件")
    editing.set_target(admins["a"], YEAR, "legal_aid_cases", "", "")
    editing.set_target(admins["a"], YEAR, "legal_aid_cases", "", "")  # nothing to clear
    events = list(AuditEvent.select().order_by(AuditEvent.id))
    assert [e.action for e in events] == ["target.set", "target.set", "target.clear"]
    details = [json.loads(e.detail) for e in events]
    assert [(d["before"], d["after"]) for d in details] == [
        (None, "6"), ("6", "7.25"), ("7.25", None)]
    assert {(d["metric"], d["year"]) for d in details} == {("legal_aid_cases", YEAR)}
    assert {(e.actor_id, e.region_id, e.object_type, e.object_id) for e in events} == {
        (admins["users"]["a"].id, world["a"].id, "target", row.id)}
    editing.set_target(admins["city"], YEAR, "legal_aid_cases", "5", "")
    assert AuditEvent.select().order_by(AuditEvent.id.desc()).first().region_id == \
        world["city"].id


def test_start_year_copies_last_years_targets_once(world, admins):
    firm_b = world["firm_b"]
    editing.set_target(admins["a"], YEAR - 1, "education_hours", "45", "去年县定")
    editing.set_target(admins["a"], YEAR - 1, "theme_days", "10", "", firm=world["firm_a"])
    editing.set_target(admins["a"], YEAR - 1, "info_reports", "4", "")
    editing.set_target(admins["b"], YEAR - 1, "education_hours", "30", "", firm=firm_b)
    editing.set_target(admins["a"], YEAR, "info_reports", "5", "今年已定")
    set_so_far = AuditEvent.select().count()    # the audit trail is append-only
    assert editing.start_year(admins["a"], YEAR) == 2
    assert editing.start_year(admins["a"], YEAR) == 0
    this_year = {(t.metric, t.region_id, t.firm_id): (t.value, t.source)
                 for t in Target.select().where(Target.year == YEAR)}
    assert this_year == {
        ("education_hours", world["a"].id, None): (D(45), "去年县定"),
        ("theme_days", None, world["firm_a"].id): (D(10), ""),
        ("info_reports", world["a"].id, None): (D(5), "今年已定"),   # kept, not overwritten
    }
    events = list(AuditEvent.select().order_by(AuditEvent.id).offset(set_so_far))
    assert [(e.action, e.region_id) for e in events] == [("target.start_year", world["a"].id)]
    assert json.loads(events[0].detail)["copied"] == 2
    # the city starts only its own rows
    editing.set_target(admins["city"], YEAR - 1, "county_trainings", "3", "")
    assert editing.start_year(admins["city"], YEAR) == 1
    assert Target.get(Target.year == YEAR, Target.region == world["city"]).value == D(3)


@pytest.mark.parametrize("value", ["-1", "abc", "１２", "1000000", "9" * 40, "1.234", "1e3",
                                   "1,5", "٣"])
def test_bad_values_are_refused(world, admins, value):
    with pytest.raises(DomainError) as caught:
        editing.set_target(admins["a"], YEAR, "education_hours", value, "")
    assert caught.value.message and caught.value.field == "value"
    assert Target.select().count() == 0 and AuditEvent.select().count() == 0


def test_largest_value_and_decimals_are_kept(world, admins):
    assert editing.set_target(admins["a"], YEAR, "education_hours", "999999", "").value == \
        D(999999)
    assert editing.set_target(admins["a"], YEAR, "education_hours", " 0.5 ", "").value == \
        D("0.5")
    assert editing.set_target(admins["a"], YEAR, "education_hours", "0", "").value == D(0)


# ------------------------------------------------------------------ the screen

def _url(year=None, firm=None):
    url = f"/admin/targets?year={year or local_today().year}"
    return url + (f"&firm={firm.id}" if firm else "")


def _cards(response):
    return {card["id"].removeprefix("target-"): card
            for card in soup(response).find("section", id="targets").find_all("article")}


def test_page_renders_for_city_and_county_admins(client, make_client, make_user, world):
    client.login(make_user("county_admin"))
    response = client.get(_url())
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    page = soup(response)
    cards = _cards(response)
    assert list(cards) == list(METRICS)
    card = cards["education_hours"]
    assert card.find("input", attrs={"name": "value"})["inputmode"] == "decimal"
    assert card.find("form")["method"] == "post"
    assert card.find("input", attrs={"name": "csrf_token"}) is not None
    assert "Default" in text_of(card.find(class_="chip"))
    firm_choice = page.find("select", attrs={"name": "firm"})
    assert [o["value"] for o in firm_choice.find_all("option")] == ["", str(world["firm_a"].id)]
    assert page.find("form", action=lambda a: a and "/admin/targets/start-year" in a) is not None
    # the same URL answers htmx with the fragment only
    fragment = soup(client.htmx_get(_url(firm=world["firm_a"])))
    assert fragment.find("html") is None and fragment.find("section", id="targets")
    assert world["firm_a"].name in text_of(fragment.find("h2"))

    city = make_client()
    city.login(make_user("city_admin"))
    response = city.get(_url())
    assert response.status_code == 200
    assert world["city"].name in text_of(soup(response).find("h2"))
    assert soup(response).find("select", attrs={"name": "firm"}) is None


def test_saving_through_the_form(client, make_user, world):
    client.login(make_user("county_admin"))
    firm = world["firm_a"]
    response = client.post(_url(YEAR, firm), {"metric": "public_service_hours", "value": "40",
                                              "source": "所务会"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"firm={firm.id}#target-public_service_hours")
    assert services.targets_for(YEAR, county_id=world["a"].id, firm_id=firm.id)[
        "public_service_hours"] == (D(40), "所务会")
    card = _cards(client.get(_url(YEAR, firm)))["public_service_hours"]
    assert card.find("input", attrs={"name": "value"})["value"] == "40"
    assert "This firm" in text_of(card.find(class_="chip"))
    # htmx is sent on with HX-Redirect
    response = client.post(_url(YEAR), {"metric": "public_service_hours", "value": "38",
                                        "source": ""}, htmx=True)
    assert response.status_code == 204 and "HX-Redirect" in response.headers


@pytest.mark.parametrize("value", ["-1", "abc", "１２", "1000000"])
def test_bad_values_answer_400_with_a_message(client, make_user, world, value):
    client.login(make_user("county_admin"))
    response = client.post(_url(YEAR), {"metric": "education_hours", "value": value,
                                        "source": "x"})
    assert response.status_code == 400
    card = _cards(response)["education_hours"]
    assert text_of(card.find(class_="field-error"))
    assert card.find("input", attrs={"name": "value"})["value"] == value
    assert Target.select().count() == 0 and AuditEvent.select().count() == 0
    # as a fragment for htmx, too
    response = client.post(_url(YEAR), {"metric": "education_hours", "value": value}, htmx=True)
    assert response.status_code == 400 and soup(response).find("html") is None
    assert Target.select().count() == 0


def test_an_empty_value_clears_the_override(client, make_user, world):
    client.login(make_user("county_admin"))
    client.post(_url(YEAR), {"metric": "education_hours", "value": "50", "source": ""})
    assert Target.select().count() == 1
    response = client.post(_url(YEAR), {"metric": "education_hours", "value": "", "source": ""})
    assert response.status_code == 303
    assert Target.select().count() == 0
    assert [e.action for e in AuditEvent.select().order_by(AuditEvent.id)] == [
        "target.set", "target.clear"]


def test_county_admin_cannot_reach_another_countys_firm(client, make_user, world):
    client.login(make_user("county_admin"))
    firm_b = world["firm_b"]
    assert client.get(_url(YEAR, firm_b)).status_code == 404
    response = client.post(_url(YEAR, firm_b), {"metric": "education_hours", "value": "50"})
    assert response.status_code == 404
    assert client.get("/admin/targets?firm=99999999999999999999").status_code == 404
    assert Target.select().count() == 0 and AuditEvent.select().count() == 0


def test_city_admin_cannot_set_a_firms_target(client, make_user, world):
    client.login(make_user("city_admin"))
    response = client.post(_url(YEAR, world["firm_a"]), {"metric": "education_hours",
                                                         "value": "50"})
    assert response.status_code == 403
    assert Target.select().count() == 0


@pytest.mark.parametrize("role", ["practitioner", "director", "secretary"])
def test_others_get_403(client, make_user, role):
    client.login(make_user(role))
    assert client.get(_url()).status_code == 403
    assert client.post(_url(YEAR), {"metric": "education_hours", "value": "50"}).status_code \
        == 403
    assert client.post(f"/admin/targets/start-year?year={YEAR}").status_code == 403
    assert Target.select().count() == 0


def test_start_year_through_the_form(client, make_user, world):
    admin = make_user("county_admin")
    client.login(admin)
    Target.create(year=YEAR - 1, metric="typical_cases", region=world["a"], value=2)
    response = client.post(f"/admin/targets/start-year?year={YEAR}")
    assert response.status_code == 303
    assert Target.select().where(Target.year == YEAR).count() == 1
    assert client.post(f"/admin/targets/start-year?year={YEAR}").status_code == 303
    assert Target.select().where(Target.year == YEAR).count() == 1
    assert AuditEvent.select().where(AuditEvent.action == "target.start_year").count() == 1
    assert Firm.select().count() == 2
