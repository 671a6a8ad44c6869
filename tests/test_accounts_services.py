"""Accounts rules without HTTP: passwords, sign-in limits, sessions, resets, people and firms."""
import datetime

import pytest
from argon2 import PasswordHasher

from tests.helpers import PASSWORD
from webapp import access
from webapp.accounts import services
from webapp.accounts.models import AuditEvent, Firm, LoginAttempt, RoleGrant, User, UserSession
from webapp.db import utcnow
from webapp.errors import DomainError, NotAllowed
from webapp.ledger.models import Entry

CONFIG = {"LOGIN_WINDOW_MINUTES": 15, "LOGIN_MAX_FAILS_ACCOUNT": 5,
          "LOGIN_MAX_FAILS_ADDRESS": 30}
THIS_YEAR = 2026


@pytest.fixture(autouse=True)
def english_request(app):
    """Services translate their messages for the person asking: ask in English."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


# ------------------------------------------------------------------ passwords

def test_hash_password_uses_argon2id_and_verifies(make_user):
    user = make_user()
    user.password_hash = services.hash_password("correct horse")
    assert user.password_hash.startswith("$argon2id$")
    assert user.password_hash != services.hash_password("correct horse")  # salted
    assert services.check_password(user, "correct horse")
    assert not services.check_password(user, "correct horsE")
    assert not services.check_password(user, "")


def test_check_password_refuses_a_broken_hash(make_user):
    user = make_user()
    user.password_hash = "not-a-hash"
    assert not services.check_password(user, "anything")


def test_check_password_rehashes_weak_parameters(make_user):
    user = make_user()
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("correct horse")
    User.update(password_hash=weak).where(User.id == user.id).execute()
    user = User.get_by_id(user.id)
    assert services.check_password(user, "correct horse")
    stored = User.get_by_id(user.id).password_hash
    assert stored != weak and "m=65536" in stored
    assert services.check_password(User.get_by_id(user.id), "correct horse")


# ------------------------------------------------------------------ authenticate

@pytest.mark.parametrize("typed", ["13912345678", " 139 1234 5678 ", "+86 139-1234-5678",
                                   "+8613912345678"])
def test_authenticate_by_phone_in_any_usual_spelling(make_user, fast_passwords, typed):
    user = make_user()
    User.update(phone="13912345678").where(User.id == user.id).execute()
    assert services.authenticate(typed, PASSWORD, "10.0.0.1", CONFIG).id == user.id


def test_authenticate_by_username(make_user, fast_passwords):
    user = make_user("city_admin")
    User.update(username="admin_city", phone=None).where(User.id == user.id).execute()
    assert services.authenticate("admin_city", PASSWORD, "10.0.0.1", CONFIG).id == user.id


@pytest.mark.parametrize("login,password", [("13900000000", PASSWORD), (None, PASSWORD),
                                            ("", ""), ("known", "wrong")])
def test_authenticate_refuses_in_plain_words_and_counts_the_failure(
        make_user, fast_passwords, login, password):
    user = make_user()
    login = user.phone if login == "known" else login
    with pytest.raises(DomainError) as caught:
        services.authenticate(login, password, "10.0.0.1", CONFIG)
    assert caught.value.message == "The phone number or password is not right."
    assert caught.value.status == 400
    assert LoginAttempt.select().count() == 1


def test_authenticate_refuses_a_deactivated_person(make_user, fast_passwords):
    user = make_user()
    User.update(active=False).where(User.id == user.id).execute()
    with pytest.raises(DomainError):
        services.authenticate(user.phone, PASSWORD, "10.0.0.1", CONFIG)


def _fail(login, address="10.0.0.1"):
    with pytest.raises(DomainError) as caught:
        services.authenticate(login, "wrong", address, CONFIG)
    return caught.value


def test_account_is_blocked_after_five_failures_even_with_the_right_password(
        make_user, fast_passwords):
    user = make_user()
    for _ in range(CONFIG["LOGIN_MAX_FAILS_ACCOUNT"]):
        assert not isinstance(_fail(user.phone), services.RateLimited)
    with pytest.raises(services.RateLimited) as caught:
        services.authenticate(user.phone, PASSWORD, "10.0.0.99", CONFIG)
    assert caught.value.status == 429
    assert caught.value.message == (
        "Too many wrong passwords for this account. Wait 15 minutes and try again, or ask your "
        "county administrator to reset your password. A phone you have signed in with before "
        "can still sign in.")
    # The spelling of the number does not get around the limit.
    with pytest.raises(services.RateLimited):
        services.authenticate("+86 " + user.phone, PASSWORD, "10.0.0.98", CONFIG)
    # Another account is not affected.
    other = make_user()
    assert services.authenticate(other.phone, PASSWORD, "10.0.0.99", CONFIG).id == other.id


def test_failures_older_than_the_window_do_not_count(make_user, fast_passwords):
    user = make_user()
    old = utcnow() - datetime.timedelta(minutes=16)
    for _ in range(10):
        LoginAttempt.create(account=user.phone, address="10.0.0.1", created_at=old)
    assert services.authenticate(user.phone, PASSWORD, "10.0.0.1", CONFIG).id == user.id


def test_an_address_is_blocked_after_many_failures_across_accounts(make_user, fast_passwords):
    user = make_user()
    config = dict(CONFIG, LOGIN_MAX_FAILS_ADDRESS=4)
    for n in range(4):
        with pytest.raises(DomainError):
            services.authenticate(f"1380000000{n}", "x", "10.9.9.9", config)
    with pytest.raises(services.RateLimited):
        services.authenticate(user.phone, PASSWORD, "10.9.9.9", config)
    # The same account from another address still works.
    assert services.authenticate(user.phone, PASSWORD, "10.0.0.2", config).id == user.id


def test_success_clears_the_account_failures(make_user, fast_passwords):
    user = make_user()
    for _ in range(4):
        _fail(user.phone)
    services.authenticate(user.phone, PASSWORD, "10.0.0.1", CONFIG)
    assert LoginAttempt.select().where(LoginAttempt.account == user.phone).count() == 0
    for _ in range(4):
        _fail(user.phone)
    assert services.authenticate(user.phone, PASSWORD, "10.0.0.1", CONFIG).id == user.id


# ------------------------------------------------------------------ sessions

def test_sessions_start_resolve_and_end(make_user):
    user = make_user()
    token = services.start_session(user, "Phone A " + "x" * 300)
    found, session_id, grants = access.session_actor(token)
    row = UserSession.get_by_id(session_id)
    assert found.id == user.id and row.token == token
    assert [g.role for g in grants] == ["practitioner"]
    assert len(row.user_agent) == 200
    assert access.session_actor(None) == (None, None, [])
    assert access.session_actor("no-such-token") == (None, None, [])
    services.end_session(token)
    assert access.session_actor(token) == (None, None, [])
    assert UserSession.get(UserSession.token == token).ended_at is not None  # kept, ended


def test_session_actor_refreshes_last_seen_only_after_five_minutes(make_user):
    user = make_user()
    token = services.start_session(user)
    recent = utcnow() - datetime.timedelta(minutes=2)
    UserSession.update(last_seen_at=recent).where(UserSession.token == token).execute()
    access.session_actor(token)
    assert UserSession.get(UserSession.token == token).last_seen_at == recent
    old = utcnow() - datetime.timedelta(minutes=30)
    UserSession.update(last_seen_at=old).where(UserSession.token == token).execute()
    access.session_actor(token)
    assert UserSession.get(UserSession.token == token).last_seen_at > recent


def test_end_other_sessions_keeps_this_one(make_user):
    user, other = make_user(), make_user()
    keep, drop1, drop2 = (services.start_session(user) for _ in range(3))
    theirs = services.start_session(other)
    services.end_other_sessions(user, keep)
    assert access.session_actor(keep)[0].id == user.id
    assert access.session_actor(drop1) == (None, None, [])
    assert access.session_actor(drop2) == (None, None, [])
    assert access.session_actor(theirs)[0].id == other.id


def test_change_password_signs_out_other_devices(make_user, fast_passwords):
    user = make_user(must_change_password=True)
    here, there = services.start_session(user), services.start_session(user)
    services.change_password(user, PASSWORD, "brand-new-pass", "brand-new-pass", keep_token=here)
    fresh = User.get_by_id(user.id)
    assert services.check_password(fresh, "brand-new-pass")
    assert not services.check_password(fresh, PASSWORD)
    assert not fresh.must_change_password
    assert access.session_actor(here)[0].id == user.id
    assert access.session_actor(there) == (None, None, [])


@pytest.mark.parametrize("current,new,repeat,field", [
    ("wrong", "brand-new-pass", "brand-new-pass", "current"),
    (PASSWORD, "short", "short", "new"),
    (PASSWORD, "brand-new-pass", "brand-new-pasS", "repeat"),
    (PASSWORD, None, None, "new"),
])
def test_change_password_refusals_name_the_field(make_user, fast_passwords, current, new,
                                                 repeat, field):
    user = make_user()
    before = user.password_hash
    with pytest.raises(DomainError) as caught:
        services.change_password(user, current, new, repeat)
    assert caught.value.field == field
    assert User.get_by_id(user.id).password_hash == before


# ------------------------------------------------------------------ reset, deactivate

def test_reset_password_gives_a_one_time_code_that_ends_sessions(app, make_user, world,
                                                                 fast_passwords):
    admin, user = make_user("county_admin"), make_user()
    token = services.start_session(user)
    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.1.1.1"}):
        code = services.reset_password(admin, user, world["a"])
    assert len(code) == 10 and set(code) <= set("23456789abcdefghjkmnpqrstuvwxyz")
    fresh = User.get_by_id(user.id)
    assert fresh.must_change_password
    assert access.session_actor(token) == (None, None, [])
    with pytest.raises(DomainError):
        services.authenticate(user.phone, PASSWORD, "10.0.0.1", CONFIG)
    assert services.authenticate(user.phone, code, "10.0.0.1", CONFIG).id == user.id
    event = AuditEvent.get()
    assert (event.actor_id, event.action, event.object_type, event.object_id, event.region_id,
            event.address) == (admin.id, "user.reset_password", "user", user.id, world["a"].id,
                               "10.1.1.1")
    # Once the person chooses their own password, the code no longer works.
    services.change_password(fresh, code, "my-own-password", "my-own-password")
    with pytest.raises(DomainError):
        services.authenticate(user.phone, code, "10.0.0.1", CONFIG)


def test_one_time_codes_differ():
    assert len({services.one_time_code() for _ in range(50)}) == 50


def test_deactivate_keeps_records_ends_sessions_and_blocks_sign_in(make_user, world,
                                                                   fast_passwords):
    admin, user = make_user("county_admin"), make_user()
    token = services.start_session(user)
    Entry.create(user=user, kind="public_service", date="2026-03-01", hours=2, source="self",
                 status="approved")
    services.set_active(admin, user, world["a"], False)
    assert access.session_actor(token) == (None, None, [])
    with pytest.raises(DomainError):
        services.authenticate(user.phone, PASSWORD, "10.0.0.1", CONFIG)
    assert User.get_by_id(user.id).active is False
    assert Entry.select().where(Entry.user == user).count() == 1
    assert RoleGrant.select().where(RoleGrant.user == user).count() == 1
    services.set_active(admin, user, world["a"], True)
    assert services.authenticate(user.phone, PASSWORD, "10.0.0.1", CONFIG).id == user.id
    assert [e.action for e in AuditEvent.select().order_by(AuditEvent.id)] == [
        "user.deactivate", "user.activate"]


def test_set_director_grants_and_takes_away(make_user, world):
    admin, user = make_user("county_admin"), make_user()
    services.set_director(admin, user, world["a"], True)
    services.set_director(admin, user, world["a"], True)  # twice: still one grant
    grants = RoleGrant.select().where(RoleGrant.user == user, RoleGrant.role == "director")
    assert [gr.firm_id for gr in grants] == [world["firm_a"].id]
    services.set_director(admin, user, world["a"], False)
    assert not grants.exists()
    assert [e.action for e in AuditEvent.select().order_by(AuditEvent.id)] == [
        "user.director", "user.director", "user.undirector"]
    with pytest.raises(NotAllowed):
        services.set_director(admin, admin, world["a"], True)


# ------------------------------------------------------------------ person and firm forms

def _person(world, **changes):
    data = {"name": "王芳", "phone": "138 0013 8000", "licence_no": "L-1", "birth_year": "1975",
            "party_member": "on", "firm_id": str(world["firm_a"].id)}
    data.update(changes)
    return data


def test_clean_person_normalises(world):
    clean = services.clean_person(_person(world), [world["firm_a"]], THIS_YEAR)
    assert clean == {"name": "王芳", "phone": "13800138000", "licence_no": "L-1",
                     "birth_year": 1975, "party_member": True, "firm": world["firm_a"]}
    clean = services.clean_person(_person(world, birth_year="", party_member=""),
                                  [world["firm_a"]], THIS_YEAR)
    assert clean["birth_year"] is None and clean["party_member"] is False
    assert services.clean_person(_person(world, birth_year="1975.0"), [world["firm_a"]],
                                 THIS_YEAR)["birth_year"] == 1975


@pytest.mark.parametrize("changes,field", [
    ({"phone": "12345"}, "phone"),
    ({"phone": "23800138000"}, "phone"),
    ({"phone": "1380013800a"}, "phone"),
    ({"phone": ""}, "phone"),
    ({"birth_year": "1900"}, "birth_year"),
    ({"birth_year": "2015"}, "birth_year"),
    ({"birth_year": "nineteen"}, "birth_year"),
    ({"firm_id": ""}, "firm_id"),
    ({"firm_id": "999999"}, "firm_id"),
    ({"name": "  "}, "name"),
    ({"name": "王" * 61}, "name"),
    ({"licence_no": "L" * 41}, "licence_no"),
])
def test_clean_person_refuses_with_the_field(world, changes, field):
    with pytest.raises(DomainError) as caught:
        services.clean_person(_person(world, **changes), [world["firm_a"]], THIS_YEAR)
    assert caught.value.field == field
    assert caught.value.message


def test_clean_person_refuses_a_firm_outside_the_list(world):
    with pytest.raises(DomainError) as caught:
        services.clean_person(_person(world, firm_id=str(world["firm_b"].id)),
                              [world["firm_a"]], THIS_YEAR)
    assert caught.value.field == "firm_id"


def test_create_practitioner_and_refuse_a_duplicate_phone(make_user, world, fast_passwords):
    admin = make_user("county_admin")
    clean = services.clean_person(_person(world), [world["firm_a"]], THIS_YEAR)
    user, code = services.create_practitioner(admin, world["a"], clean)
    assert (user.firm_id, user.county_id, user.must_change_password) == (
        world["firm_a"].id, world["a"].id, True)
    assert [(gr.role, gr.firm_id) for gr in user.grants] == [("practitioner", world["firm_a"].id)]
    assert services.authenticate("13800138000", code, "10.0.0.1", CONFIG).id == user.id
    with pytest.raises(DomainError) as caught:
        services.create_practitioner(admin, world["a"], dict(clean, name="李四"))
    assert caught.value.field == "phone"
    assert User.select().where(User.phone == "13800138000").count() == 1
    assert [e.action for e in AuditEvent.select()] == ["user.create"]


def test_update_practitioner_moves_grants_with_the_firm(make_user, world):
    admin, user = make_user("county_admin"), make_user("director")
    firm_a2 = Firm.create(name="甲县河口法律服务所", county=world["a"])
    clean = services.clean_person(_person(world, firm_id=str(firm_a2.id)), [world["firm_a"], firm_a2],
                                  THIS_YEAR)
    services.update_practitioner(admin, user, world["a"], clean)
    fresh = User.get_by_id(user.id)
    assert (fresh.name, fresh.phone, fresh.firm_id) == ("王芳", "13800138000", firm_a2.id)
    assert [(gr.role, gr.firm_id) for gr in RoleGrant.select().where(RoleGrant.user == user)] == [
        ("practitioner", firm_a2.id)]   # a director of the old firm is not one of the new
    other = make_user()
    phone_before = other.phone
    with pytest.raises(DomainError) as caught:
        services.update_practitioner(admin, other, world["a"], clean)
    assert caught.value.field == "phone"
    assert User.get_by_id(other.id).phone == phone_before
    assert [e.action for e in AuditEvent.select()] == ["user.update"]


@pytest.mark.parametrize("data,field", [
    ({"name": "", "setting": "rural"}, "name"),
    ({"name": "所" * 121, "setting": "rural"}, "name"),
    ({"name": "新所", "setting": "suburban"}, "setting"),
    ({"name": "新所"}, "setting"),
    ({"name": "新所", "setting": "rural", "township": "镇" * 101}, "township"),
])
def test_clean_firm_refuses_with_the_field(data, field):
    with pytest.raises(DomainError) as caught:
        services.clean_firm(data)
    assert caught.value.field == field


def test_save_firm_creates_updates_and_refuses_a_duplicate_name(make_user, world):
    admin = make_user("county_admin")
    firm = services.save_firm(admin, world["a"], services.clean_firm(
        {"name": " 新所 ", "setting": "urban", "township": "城东街道"}))
    assert (firm.name, firm.setting, firm.township, firm.county_id) == (
        "新所", "urban", "城东街道", world["a"].id)
    services.save_firm(admin, world["a"], {"name": "新所二", "setting": "rural", "township": ""},
                       firm)
    assert Firm.get_by_id(firm.id).name == "新所二"
    with pytest.raises(DomainError) as caught:
        services.save_firm(admin, world["a"], {"name": world["firm_a"].name, "setting": "rural",
                                               "township": ""})
    assert caught.value.field == "name"
    # The same name in another county is fine.
    services.save_firm(admin, world["b"], {"name": "新所二", "setting": "rural", "township": ""})
    services.set_firm_active(admin, firm, world["a"], False)
    assert Firm.get_by_id(firm.id).active is False
    assert [e.action for e in AuditEvent.select().order_by(AuditEvent.id)] == [
        "firm.create", "firm.update", "firm.create", "firm.deactivate"]


def test_create_admin_by_phone_or_username(world, fast_passwords):
    by_phone = services.create_admin("管理员", "13700000000", "pw-123456", "county_admin",
                                     world["a"])
    assert (by_phone.phone, by_phone.username, by_phone.county_id) == (
        "13700000000", None, world["a"].id)
    by_name = services.create_admin("市管理员", "city_admin", "pw-123456", "city_admin",
                                    world["city"])
    assert (by_name.phone, by_name.username, by_name.county_id) == (None, "city_admin", None)
    with pytest.raises(DomainError):
        services.create_admin("x", "x", "pw", "practitioner", world["a"])


def test_counts_by_firm_counts_active_people(make_user, world):
    make_user(), make_user(), make_user(active=False), make_user(county=world["b"])
    assert services.counts_by_firm([world["firm_a"].id, world["firm_b"].id]) == {
        world["firm_a"].id: 2, world["firm_b"].id: 1}
    assert services.counts_by_firm([]) == {}
