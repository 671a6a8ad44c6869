"""Quarterly inspections: recording with items, bad input, closing items, audit, scoping."""
import datetime
import json

import pytest

from tests.helpers import actor_for, signed_in, soup, text_of
from webapp.accounts.models import AuditEvent, Firm
from webapp.errors import Conflict, DomainError, NotAllowed
from webapp.i18n import local_today
from webapp.reports import inspections as services
from webapp.reports.inspection_models import Inspection, InspectionItem


@pytest.fixture(autouse=True)
def english(app):
    """Services run inside a request (messages in English, audit addresses)."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def firm_a2(world):
    return Firm.create(name="甲县河口法律服务所", county=world["a"])


@pytest.fixture
def people(world, make_user, firm_a2, fast_passwords):
    return {
        "director": make_user("director"),
        "director_a2": make_user("director", firm=firm_a2),
        "p1": make_user("practitioner"),
        "admin_a": make_user("county_admin"),
        "admin_b": make_user("county_admin", county=world["b"]),
        "city": make_user("city_admin"),
    }


def admin(people, name="admin_a"):
    return actor_for(people[name], "county_admin")


def day(offset=0):
    return local_today() + datetime.timedelta(days=offset)


def form(**over):
    data = {"held_on": day(-3).isoformat(), "inspectors": "张三、李四",
            "findings": "台账基本齐全；两名工作者继续教育学时不足。",
            "item_text": ["补齐六月份公益服务台账", "督促两名工作者完成继续教育"],
            "item_due": [day(10).isoformat(), day(-1).isoformat()]}
    data.update(over)
    return data


def service_data(**over):
    data = {"held_on": day(-3).isoformat(), "inspectors": "张三、李四", "findings": "台账不全",
            "items": [("补齐台账", day(10).isoformat())]}
    data.update(over)
    return data


def nothing_written():
    return (Inspection.select().count(), InspectionItem.select().count(),
            AuditEvent.select().where(AuditEvent.action.startswith("inspection.")).count())


# ------------------------------------------------------------------ recording

def test_record_with_items_shows_them_on_the_firm_pages(app, world, people):
    client = signed_in(app, people["admin_a"])
    page = soup(client.get(f"/inspections/firm/{world['firm_a'].id}/new"))
    assert page.select_one("form.inspection-form input[name=csrf_token]")
    assert len(page.select("input[name=item_text]")) == 3
    response = client.post(f"/inspections/firm/{world['firm_a'].id}/new", form())
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/inspections/firm/{world['firm_a'].id}")
    inspection = Inspection.get()
    assert (inspection.firm_id, inspection.county_id, inspection.held_on,
            inspection.inspectors, inspection.created_by_id) == (
        world["firm_a"].id, world["a"].id, day(-3), "张三、李四", people["admin_a"].id)
    items = list(InspectionItem.select().order_by(InspectionItem.due_on))
    assert [(i.text, i.due_on) for i in items] == [
        ("督促两名工作者完成继续教育", day(-1)), ("补齐六月份公益服务台账", day(10))]
    event = AuditEvent.get(AuditEvent.action == "inspection.record")
    assert (event.actor_id, event.object_id, event.region_id) == (
        people["admin_a"].id, inspection.id, world["a"].id)
    assert len(json.loads(event.detail)["items"]) == 2

    opened = services.open_items(world["firm_a"])
    assert [(o.item.text, o.overdue) for o in opened] == [
        ("督促两名工作者完成继续教育", True), ("补齐六月份公益服务台账", False)]
    # The firm's director sees them on the reports page, the late one marked.
    director_page = soup(signed_in(app, people["director"]).get("/reports/"))
    rows = director_page.select(".inspection-card .inspection-item")
    assert [text_of(r.select_one(".inspection-item-text")) for r in rows] == [
        "督促两名工作者完成继续教育", "补齐六月份公益服务台账"]
    assert "inspection-item-overdue" in rows[0]["class"]
    assert rows[0].select_one(".inspection-overdue-word")
    assert not rows[1].select_one(".inspection-overdue-word")
    link = director_page.select_one(".inspection-card a")["href"]
    assert link == f"/inspections/firm/{world['firm_a'].id}"
    listing = soup(signed_in(app, people["director"]).get(link))
    assert len(listing.select(".inspection")) == 1
    assert not listing.select("form")                 # the director reads, does not close
    admin_listing = soup(client.get(link))
    assert admin_listing.select_one(
        f"a[href='/inspections/firm/{world['firm_a'].id}/new']")
    assert len(admin_listing.select(".inspection-close form")) == 2


def test_an_inspection_without_items_is_allowed(world, people):
    inspection = services.record(admin(people), world["firm_a"], service_data(items=[]))
    assert inspection.id and not InspectionItem.select().exists()
    assert services.open_items(world["firm_a"]) == []


BAD = [
    ({"inspectors": ""}, "inspectors", "Fill in"),
    ({"inspectors": " \x00\u200b "}, "inspectors", "Fill in"),
    ({"findings": ""}, "findings", "Fill in"),
    ({"inspectors": "张" * 201}, "inspectors", "too long"),
    ({"findings": "查" * 4001}, "findings", "too long"),
    ({"held_on": ""}, "held_on", "Fill in"),
    ({"held_on": "2026-13-45"}, "held_on", "not a date"),
    ({"held_on": "\x00garbage\u202e"}, "held_on", "not a date"),
    ({"held_on": "future"}, "held_on", "future"),
    ({"held_on": "long_ago"}, "held_on", "too long ago"),
    ({"item_due": ["early", ""]}, "item-1", "before the inspection"),
    ({"item_due": ["", "soon"]}, "item-1", "Fill in"),
    ({"item_text": ["", ""], "item_due": ["soon", ""]}, "item-1", "Fill in"),
    ({"item_text": ["补" * 501, "x"]}, "item-1", "too long"),
    ({"item_due": ["明天", "soon"]}, "item-1", "not a date"),
    ({"item_text": [f"第{n}项" for n in range(11)], "item_due": ["soon"] * 11},
     "items", "At most 10"),
]


def _resolve(over):
    over = dict(over)
    if over.get("held_on") == "future":
        over["held_on"] = day(1).isoformat()
    if over.get("held_on") == "long_ago":
        over["held_on"] = datetime.date(local_today().year - 2, 12, 31).isoformat()
    if "item_due" in over:
        swap = {"early": day(-10).isoformat(), "soon": day(5).isoformat()}
        over["item_due"] = [swap.get(v, v) for v in over["item_due"]]
    return over


@pytest.mark.parametrize("over,field,message", BAD)
def test_bad_input_is_refused_with_a_message_and_nothing_written(app, world, people, over,
                                                                 field, message):
    before = nothing_written()
    client = signed_in(app, people["admin_a"])
    response = client.post(f"/inspections/firm/{world['firm_a'].id}/new", form(**_resolve(over)))
    assert response.status_code == 400
    page = soup(response)
    shown = text_of(page.select_one(".field-error, .form-error"))
    assert message in shown
    if field == "items":
        assert page.select_one(".field-error")
    elif field != "items":
        target = page.select_one(f"[aria-describedby='{field}-error']")
        assert target is not None, field
    assert nothing_written() == before


def test_more_rows_keeps_what_was_typed_and_saves_nothing(app, world, people):
    client = signed_in(app, people["admin_a"])
    response = client.post(f"/inspections/firm/{world['firm_a'].id}/new", form(more="1"))
    assert response.status_code == 200
    page = soup(response)
    assert [i.get("value") for i in page.select("input[name=item_text]")][:2] == [
        "补齐六月份公益服务台账", "督促两名工作者完成继续教育"]
    assert len(page.select("input[name=item_text]")) == 5
    assert nothing_written() == (0, 0, 0)


def test_garbage_characters_are_cleaned_by_the_one_text_cleaner(world, people):
    inspection = services.record(admin(people), world["firm_a"], service_data(
        inspectors="张三\x00\u202e\t李四", items=[("补齐\u200b台账\x07", day(3).isoformat())]))
    assert inspection.inspectors == "张三 李四"
    assert InspectionItem.get().text == "补齐台账"


# ------------------------------------------------------------------ closing

def test_close_an_item_then_it_leaves_the_firm_pages(app, world, people):
    services.record(admin(people), world["firm_a"], service_data(
        items=[("补齐台账", day(3).isoformat()), ("整改档案", day(5).isoformat())]))
    first = InspectionItem.get(InspectionItem.text == "补齐台账")
    client = signed_in(app, people["admin_a"])
    response = client.post(f"/inspections/item/{first.id}/close", {"note": "已补齐\x00"})
    assert response.status_code == 303
    closed = InspectionItem.get_by_id(first.id)
    assert (closed.closed_on, closed.closed_by_id, closed.close_note) == (
        local_today(), people["admin_a"].id, "已补齐")
    event = AuditEvent.get(AuditEvent.action == "inspection.close_item")
    assert (event.object_id, event.region_id) == (first.id, world["a"].id)
    assert json.loads(event.detail)["note"] == "已补齐"
    assert [o.item.text for o in services.open_items(world["firm_a"])] == ["整改档案"]
    director_page = soup(signed_in(app, people["director"]).get("/reports/"))
    assert [text_of(r) for r in director_page.select(
        ".inspection-card .inspection-item-text")] == ["整改档案"]
    # Closing twice is refused, and writes nothing more.
    again = client.post(f"/inspections/item/{first.id}/close", {"note": ""})
    assert again.status_code == 409
    assert "already closed" in text_of(soup(again).select_one(".form-error"))
    with pytest.raises(Conflict):
        services.close_item(admin(people), closed, "")
    assert AuditEvent.select().where(AuditEvent.action == "inspection.close_item").count() == 1
    too_long = client.post(f"/inspections/item/{InspectionItem.get(InspectionItem.text == '整改档案').id}/close",
                           {"note": "说" * 501})
    assert too_long.status_code == 400
    assert len(services.open_items(world["firm_a"])) == 1


# ------------------------------------------------------------------ who

def test_only_the_firms_county_admin_records_and_closes(world, people):
    for actor in (admin(people, "admin_b"), actor_for(people["city"], "city_admin"),
                  actor_for(people["director"], "director"),
                  actor_for(people["p1"], "practitioner")):
        with pytest.raises(NotAllowed):
            services.record(actor, world["firm_a"], service_data())
    services.record(admin(people), world["firm_a"], service_data())
    item = InspectionItem.get()
    with pytest.raises(NotAllowed):
        services.close_item(admin(people, "admin_b"), item, "")
    with pytest.raises(DomainError):
        services.close_item(actor_for(people["director"], "director"), item, "")
    assert InspectionItem.get_by_id(item.id).closed_on is None


def test_pages_are_scoped(app, world, people, firm_a2):
    services.record(admin(people), world["firm_a"], service_data())
    item = InspectionItem.get()
    firm_id = world["firm_a"].id
    foreign = signed_in(app, people["admin_b"])
    assert foreign.get(f"/inspections/firm/{firm_id}").status_code == 404
    assert foreign.get(f"/inspections/firm/{firm_id}/new").status_code == 404
    assert foreign.post(f"/inspections/firm/{firm_id}/new", form()).status_code == 404
    assert foreign.post(f"/inspections/item/{item.id}/close", {}).status_code == 404
    other_director = signed_in(app, people["director_a2"])
    assert other_director.get(f"/inspections/firm/{firm_id}").status_code == 404
    own = soup(other_director.get(f"/inspections/firm/{firm_a2.id}"))
    assert not own.select(".inspection") and not own.select(".inspection-item")
    practitioner = signed_in(app, people["p1"])
    assert practitioner.get(f"/inspections/firm/{firm_id}").status_code == 403
    assert practitioner.post(f"/inspections/item/{item.id}/close", {}).status_code == 403
    assert signed_in(app, people["director"]).post(
        f"/inspections/item/{item.id}/close", {}).status_code == 403
    assert signed_in(app, people["city"]).get(f"/inspections/firm/{firm_id}/new").status_code == 403
    for junk in ("abc", "0", "99999999"):
        assert signed_in(app, people["admin_a"]).get(
            f"/inspections/firm/{junk}").status_code == 404
    assert InspectionItem.get_by_id(item.id).closed_on is None
    assert Inspection.select().count() == 1


def test_the_county_queue_links_each_of_its_firms_inspections(app, world, people, firm_a2):
    page = soup(signed_in(app, people["admin_a"]).get("/reports/queue"))
    links = {a["href"] for a in page.select(".inspection-firms a")}
    assert links == {f"/inspections/firm/{world['firm_a'].id}", f"/inspections/firm/{firm_a2.id}"}
    foreign = soup(signed_in(app, people["admin_b"]).get("/reports/queue"))
    assert {a["href"] for a in foreign.select(".inspection-firms a")} == {
        f"/inspections/firm/{world['firm_b'].id}"}
