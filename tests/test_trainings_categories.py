"""Training categories: who sees and edits which list, add/rename/reorder/deactivate/delete,
validation, audit events, and the training form offering each name in the reader's language."""
import pytest

from tests.helpers import soup, text_of
from webapp import access as perm
from webapp.accounts.models import AuditEvent, Region, RoleGrant
from webapp.errors import DomainError
from webapp.trainings import categories as cat
from webapp.trainings.models import Training, TrainingCategory as Cat


@pytest.fixture
def english(app):
    """Services raise translated messages: run a service test inside an English request."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def actor_of(user):
    grant = RoleGrant.get(RoleGrant.user == user, RoleGrant.role.in_(("county_admin", "city_admin")))
    return perm.Actor(user=user, grant=grant, grants=[grant])


@pytest.fixture
def lists(world):
    """Two shared defaults, one city row, one row of each county."""
    return {
        "shared1": Cat.create(name="政治理论", name_en="Political theory", position=1),
        "shared2": Cat.create(name="业务技能", name_en="Professional skills", position=2),
        "city": Cat.create(name="全市专题", name_en="City topics", region=world["city"], position=3),
        "a": Cat.create(name="甲县专题", name_en="County A topics", region=world["a"], position=1),
        "b": Cat.create(name="乙县专题", region=world["b"], position=1),
    }


@pytest.fixture
def county_a(make_user):
    return actor_of(make_user("county_admin"))


@pytest.fixture
def city(make_user):
    return actor_of(make_user("city_admin"))


def names(rows):
    return [c.name for c in rows]


def audit_actions():
    return [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]


# ------------------------------------------------------------------ who sees and edits what

@pytest.mark.usefixtures("english")
def test_county_admin_sees_city_wide_list_and_own_edits_only_own(lists, county_a):
    assert names(cat.form_categories(county_a)) == ["政治理论", "业务技能", "全市专题", "甲县专题"]
    assert names(cat.editable_categories(county_a)) == ["甲县专题"]
    city_list, own = cat.category_lists(county_a)
    assert (names(city_list), names(own)) == (["政治理论", "业务技能", "全市专题"], ["甲县专题"])


@pytest.mark.usefixtures("english")
def test_city_admin_edits_the_city_wide_list_not_counties_rows(lists, city):
    assert names(cat.form_categories(city)) == ["政治理论", "业务技能", "全市专题"]
    assert sorted(names(cat.editable_categories(city))) == sorted(["政治理论", "业务技能", "全市专题"])
    assert {county.name: names(rows) for county, rows in cat.county_categories(city)} == {
        "甲县": ["甲县专题"], "乙县": ["乙县专题"]}


@pytest.mark.usefixtures("english")
def test_shared_defaults_are_read_only_when_the_deployment_serves_two_cities(lists, city):
    Region.create(name="另一市", kind="city")
    assert names(cat.editable_categories(city)) == ["全市专题"]


@pytest.mark.usefixtures("english")
def test_non_admins_see_no_categories(lists, make_user):
    director = make_user("director")
    grant = RoleGrant.get(RoleGrant.user == director, RoleGrant.role == "director")
    actor = perm.Actor(user=director, grant=grant, grants=[grant])
    assert list(cat.visible_categories(actor)) == [] and list(cat.editable_categories(actor)) == []
    assert list(cat.visible_categories(None)) == []


@pytest.mark.usefixtures("english")
def test_form_keeps_a_trainings_own_category_even_when_not_offered(lists, county_a, city,
                                                                   make_training):
    lists["a"].active = False
    lists["a"].save()
    training = make_training(category=lists["a"])
    assert "甲县专题" not in names(cat.form_categories(county_a))
    assert names(cat.form_categories(county_a, training))[-1] == "甲县专题"
    assert names(cat.form_categories(city, training))[-1] == "甲县专题"


# ------------------------------------------------------------------ adding and validation

@pytest.mark.usefixtures("english")
def test_add_goes_to_the_admins_own_list_at_its_end_with_an_audit_event(lists, county_a, city,
                                                                        world):
    added = cat.add_category(county_a, cat.clean_category({"name": " 调解 实务 ", "name_en": "Mediation"}))
    assert (added.name, added.region_id, added.position, added.active) == (
        "调解 实务", world["a"].id, 2, True)
    city_row = cat.add_category(city, cat.clean_category({"name": "法律援助"}))
    assert (city_row.region_id, city_row.position, city_row.name_en) == (world["city"].id, 4, "")
    events = list(AuditEvent.select().order_by(AuditEvent.id))
    assert [(e.action, e.object_id, e.region_id) for e in events] == [
        ("training_category.create", added.id, world["a"].id),
        ("training_category.create", city_row.id, world["city"].id)]


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize("data,field,message", [
    ({"name": "  "}, "name", "Fill in the Chinese name."),
    ({"name": "长" * 61}, "name", "The Chinese name is too long (at most 60 characters)."),
    ({"name": "新", "name_en": "x" * 61}, "name_en",
     "The English name is too long (at most 60 characters)."),
])
def test_clean_category_refuses_bad_names(data, field, message):
    with pytest.raises(DomainError) as caught:
        cat.clean_category(data)
    assert (caught.value.field, caught.value.message) == (field, message)


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize("data,field", [
    ({"name": "政治理论"}, "name"),                      # a shared default's
    ({"name": "全市专题"}, "name"),                      # the city's
    ({"name": "新名", "name_en": "professional SKILLS"}, "name_en"),  # English, any case
])
def test_a_name_already_in_the_list_is_refused(lists, county_a, data, field):
    with pytest.raises(DomainError) as caught:
        cat.add_category(county_a, cat.clean_category(data))
    assert caught.value.field == field and "There is already a category called" in caught.value.message
    assert Cat.select().count() == 5 and AuditEvent.select().count() == 0


@pytest.mark.usefixtures("english")
def test_counties_may_use_the_same_name_but_the_city_may_not_take_a_countys(lists, county_a,
                                                                            city):
    cat.add_category(county_a, cat.clean_category({"name": "乙县专题"}))  # county B's: another list
    with pytest.raises(DomainError):
        cat.add_category(city, cat.clean_category({"name": "甲县专题"}))  # county A would see both


# ------------------------------------------------------------------ rename, move, deactivate, delete

@pytest.mark.usefixtures("english")
def test_rename_records_before_and_after_and_refuses_a_taken_name(lists, county_a):
    row = lists["a"]
    cat.rename_category(county_a, row, cat.clean_category({"name": "甲县实务", "name_en": "A practice"}))
    assert (Cat.get_by_id(row.id).name, Cat.get_by_id(row.id).name_en) == ("甲县实务", "A practice")
    event = AuditEvent.get()
    assert event.action == "training_category.rename" and "甲县专题" in event.detail
    cat.rename_category(county_a, row, cat.clean_category({"name": "甲县实务", "name_en": "A practice"}))
    assert AuditEvent.select().count() == 1  # nothing changed, nothing recorded
    with pytest.raises(DomainError):
        cat.rename_category(county_a, row, cat.clean_category({"name": "政治理论"}))
    assert Cat.get_by_id(row.id).name == "甲县实务"


@pytest.mark.usefixtures("english")
def test_move_swaps_within_the_editable_list_even_with_equal_positions(lists, city):
    Cat.update(position=0).where(Cat.region.is_null() | (Cat.region == lists["city"].region_id)).execute()
    cat.move_category(city, lists["city"], "up")
    assert names(cat.category_lists(city)[0]) == ["政治理论", "全市专题", "业务技能"]
    cat.move_category(city, lists["city"], "up")
    assert names(cat.category_lists(city)[0]) == ["全市专题", "政治理论", "业务技能"]
    with pytest.raises(DomainError) as caught:
        cat.move_category(city, lists["city"], "up")
    assert caught.value.message == "This category is already first."
    with pytest.raises(DomainError):
        cat.move_category(city, lists["city"], "sideways")
    assert audit_actions() == ["training_category.move"] * 2


@pytest.mark.usefixtures("english")
def test_county_move_never_touches_the_city_wide_rows(lists, county_a):
    second = cat.add_category(county_a, cat.clean_category({"name": "甲县二"}))
    before = {c.id: c.position for c in Cat.select().where(Cat.region.is_null())}
    cat.move_category(county_a, second, "up")
    assert names(cat.category_lists(county_a)[1]) == ["甲县二", "甲县专题"]
    assert {c.id: c.position for c in Cat.select().where(Cat.region.is_null())} == before
    with pytest.raises(DomainError) as caught:
        cat.move_category(county_a, second, "up")  # first of its own list
    assert caught.value.message == "This category is already first."


@pytest.mark.usefixtures("english")
def test_deactivate_hides_from_new_trainings_and_keeps_one_in_use(county_a, world):
    only = Cat.create(name="唯一", region=world["a"])
    with pytest.raises(DomainError) as caught:
        cat.set_category_active(county_a, only, False)
    assert "Keep at least one category in use" in caught.value.message
    other = Cat.create(name="另一个", region=world["a"])
    cat.set_category_active(county_a, only, False)
    assert names(cat.form_categories(county_a)) == ["另一个"]
    cat.set_category_active(county_a, only, True)
    assert audit_actions() == ["training_category.deactivate", "training_category.activate"]
    assert other.active


@pytest.mark.usefixtures("english")
def test_delete_only_an_unused_category(lists, county_a, make_training):
    make_training(category=lists["a"])
    with pytest.raises(DomainError) as caught:
        cat.delete_category(county_a, lists["a"])
    assert caught.value.message.startswith("Trainings use this category, so it cannot be deleted.")
    assert Cat.get_or_none(Cat.id == lists["a"].id) is not None and AuditEvent.select().count() == 0
    spare = cat.add_category(county_a, cat.clean_category({"name": "用不上"}))
    cat.delete_category(county_a, spare)
    assert Cat.get_or_none(Cat.id == spare.id) is None
    assert audit_actions() == ["training_category.create", "training_category.delete"]


# ------------------------------------------------------------------ pages

def test_trainings_list_links_to_the_categories_page(client, make_user):
    client.login(make_user("county_admin"))
    page = soup(client.get("/trainings"))
    assert page.find("a", href="/trainings/categories")


def test_categories_page_seeds_defaults_and_shows_both_lists(client, make_user, world):
    client.login(make_user("county_admin"))
    assert client.get("/trainings/categories").status_code == 200  # an empty list gets the defaults
    Cat.create(name="甲县专题", region=world["a"])
    page = soup(client.get("/trainings/categories"))
    city_names = [text_of(li.find("strong")) for li in page.select("#city-list li")]
    assert city_names == ["政治理论", "业务技能", "职业道德与执业纪律", "其他"]
    assert [text_of(li.find("strong")) for li in page.select("#own-list li")] == ["甲县专题"]
    # The county admin may rename and move only their own rows.
    assert not page.select("#city-list a[href^='/trainings/categories/']")
    assert not page.select("#city-list form")
    own = page.select_one("#own-list li")
    assert own.find("a", href=f"/trainings/categories/{own['data-category']}")
    assert own.find("button", attrs={"disabled": True})  # the only row cannot move


def test_add_on_the_page_and_bad_input_says_why(client, make_user, world):
    client.login(make_user("county_admin"))
    response = client.post("/trainings/categories", {"name": "普法宣传", "name_en": "Legal publicity"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/trainings/categories")
    row = Cat.get(Cat.name == "普法宣传")
    assert (row.region_id, row.name_en) == (world["a"].id, "Legal publicity")
    page = soup(client.get("/trainings/categories"))
    assert "普法宣传" in [text_of(li.find("strong")) for li in page.select("#own-list li")]
    before = (Cat.select().count(), AuditEvent.select().count())
    refused = client.post("/trainings/categories", {"name": "", "name_en": "Nothing"})
    assert refused.status_code == 400
    form = soup(refused).find("form", id="add-category")
    assert text_of(form.find(class_="field-error")) == "Fill in the Chinese name."
    assert form.find("input", {"name": "name_en"})["value"] == "Nothing"
    taken = client.post("/trainings/categories", {"name": "普法宣传"})
    assert taken.status_code == 400
    assert text_of(soup(taken).find(class_="field-error")) == \
        "There is already a category called “普法宣传”."
    assert (Cat.select().count(), AuditEvent.select().count()) == before


def test_rename_page(client, make_user, world):
    client.login(make_user("county_admin"))
    row = Cat.create(name="甲县专题", region=world["a"])
    page = soup(client.get(f"/trainings/categories/{row.id}"))
    assert page.find("input", {"name": "name"})["value"] == "甲县专题"
    refused = client.post(f"/trainings/categories/{row.id}", {"name": "x" * 61})
    assert refused.status_code == 400
    assert text_of(soup(refused).find(class_="field-error")) == \
        "The Chinese name is too long (at most 60 characters)."
    assert client.post(f"/trainings/categories/{row.id}",
                       {"name": "甲县实务", "name_en": "County A practice"}).status_code == 303
    assert Cat.get_by_id(row.id).name_en == "County A practice"
    assert audit_actions() == ["training_category.rename"]


def test_move_deactivate_delete_on_the_page(client, make_user, world, make_training):
    client.login(make_user("county_admin"))
    first = Cat.create(name="一", region=world["a"], position=1)
    second = Cat.create(name="二", region=world["a"], position=2)
    assert client.post(f"/trainings/categories/{second.id}/move", {"direction": "up"}).status_code == 303
    page = soup(client.get("/trainings/categories"))
    assert [text_of(li.find("strong")) for li in page.select("#own-list li")] == ["二", "一"]
    assert client.post(f"/trainings/categories/{second.id}/move",
                       {"direction": "up"}).status_code == 400  # already first
    assert client.post(f"/trainings/categories/{first.id}/active", {"active": "0"}).status_code == 303
    form = soup(client.get("/trainings/new"))
    offered = [text_of(o) for o in form.select("#f-category_id option")][1:]
    assert "一" not in offered and "二" in offered
    make_training(category=second)
    refused = client.post(f"/trainings/categories/{second.id}/delete")
    assert refused.status_code == 400
    assert text_of(soup(refused).find(class_="form-error")).startswith(
        "Trainings use this category, so it cannot be deleted.")
    assert client.post(f"/trainings/categories/{first.id}/delete").status_code == 303
    assert [c.name for c in Cat.select().where(Cat.region == world["a"])] == ["二"]
    assert audit_actions() == ["training_category.move", "training_category.deactivate",
                               "training_category.delete"]


def test_other_admins_cannot_change_a_countys_category(client, make_user, world, make_client):
    row = Cat.create(name="甲县专题", region=world["a"])
    client.login(make_user("county_admin", county=world["b"]))
    city_client = make_client()
    city_client.login(make_user("city_admin"))
    for who in (client, city_client):
        assert who.get(f"/trainings/categories/{row.id}").status_code == 404
        for action, data in (("", {"name": "改"}), ("/move", {"direction": "up"}),
                             ("/active", {"active": "0"}), ("/delete", {})):
            assert who.post(f"/trainings/categories/{row.id}{action}", data).status_code == 404
    fresh = Cat.get_by_id(row.id)
    assert (fresh.name, fresh.active) == ("甲县专题", True) and AuditEvent.select().count() == 0
    # The city administrator sees it, read-only, under the county.
    page = soup(city_client.get("/trainings/categories"))
    assert [text_of(li.find("strong")) for li in page.select("#county-lists li")] == ["甲县专题"]
    assert not page.select("#county-lists form, #county-lists a")


def test_training_form_offers_only_the_admins_lists_and_refuses_others(client, make_user, world):
    Cat.create(name="政治理论", name_en="Political theory", position=1)
    own = Cat.create(name="乙县专题", region=world["b"])
    client.login(make_user("county_admin"))  # county A
    page = soup(client.get("/trainings/new"))
    assert [text_of(o) for o in page.select("#f-category_id option")][1:] == ["Political theory"]
    response = client.post("/trainings/new", {
        "title": "培训", "category_id": own.id, "date": "2026-06-02", "start": "09:00",
        "end": "11:00", "credit_hours": "2", "audience": "region"})
    assert response.status_code == 400
    assert text_of(soup(response).find(class_="field-error")) == "Choose a category."
    assert Training.select().count() == 0


def test_training_pages_show_the_name_in_the_readers_language(make_client, make_user,
                                                              make_training, category):
    admin = make_user("county_admin")
    training = make_training()
    for language, wanted in (("en", "Professional skills"), ("zh-CN", "业务技能")):
        reader = make_client(language)
        reader.login(admin)
        form = soup(reader.get(f"/trainings/{training.id}/edit"))
        chosen = form.select_one("#f-category_id option[selected]")
        assert (chosen["value"], text_of(chosen)) == (str(category.id), wanted)
        detail = soup(reader.get(f"/trainings/{training.id}"))
        assert wanted in [text_of(dd) for dd in detail.select("dl.facts dd")]
    category.name_en = ""
    category.save()
    reader = make_client("en")
    reader.login(admin)
    chosen = soup(reader.get(f"/trainings/{training.id}/edit")).select_one(
        "#f-category_id option[selected]")
    assert text_of(chosen) == "业务技能"  # no English name: the Chinese one


def test_chinese_messages(make_client, make_user):
    reader = make_client("zh-CN")
    reader.login(make_user("county_admin"))
    refused = reader.post("/trainings/categories", {"name": ""})
    assert refused.status_code == 400
    assert text_of(soup(refused).find(class_="field-error")) == "请填写中文名称。"
    assert text_of(soup(reader.get("/trainings/categories")).find("h1")) == "培训类别"
