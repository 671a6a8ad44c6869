"""Complaints (投诉): the state machine and its deadlines, scoping, the audit of every step and
the history, bad input, the list and its export, the home card, figures equal to the rows."""
import datetime
import io
import json

import pytest
from bs4 import BeautifulSoup
from flask import g, render_template
from openpyxl import load_workbook

from tests.helpers import actor_for, signed_in, soup, text_of
from webapp.accounts.models import AuditEvent, Firm
from webapp.errors import Conflict, DomainError, NotAllowed
from webapp.i18n import local_today
from webapp.quality import complaint_figures
from webapp.quality import complaints as services
from webapp.quality.complaint_models import Complaint


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
        "director_b": make_user("director", county=world["b"]),
        "p1": make_user("practitioner", name="王律"),
        "p_a2": make_user("practitioner", firm=firm_a2),
        "p_b": make_user("practitioner", county=world["b"]),
        "admin_a": make_user("county_admin", name="县局甲"),
        "admin_a_2": make_user("county_admin", name="县局乙"),
        "admin_b": make_user("county_admin", county=world["b"]),
        "city": make_user("city_admin"),
        "secretary": make_user("secretary"),
    }


def admin(people, name="admin_a"):
    return actor_for(people[name], "county_admin")


def director(people, name="director"):
    return actor_for(people[name], "director")


def day(offset=0):
    return local_today() + datetime.timedelta(days=offset)


def form(people, **over):
    data = {"practitioner": str(people["p1"].id), "firm": "", "source": "hotline_12348",
            "received_on": day(-2).isoformat(), "summary": "群众来电反映：咨询时态度生硬。",
            "assignee": str(people["admin_a"].id), "deadline": ""}
    data.update(over)
    return data


def record(people, actor=None, **over):
    return services.record(actor or admin(people), form(people, **over))


def conclusion(**over):
    data = {"finding": "upheld", "measure": "批评教育，全所通报", "reply": "已电话答复来电人",
            "replied_on": day(0).isoformat()}
    data.update(over)
    return data


def events(complaint):
    return [e.action for e in AuditEvent.select().where(
        AuditEvent.object_type == "complaint", AuditEvent.object_id == complaint.id)
        .order_by(AuditEvent.id)]


def nothing_written():
    return (Complaint.select().count(),
            AuditEvent.select().where(AuditEvent.action.startswith("complaint.")).count())


# ------------------------------------------------------------------ the state machine

def test_a_complaint_moves_received_investigating_concluded(world, people):
    complaint = record(people)
    assert (complaint.status, complaint.firm_id, complaint.county_id, complaint.practitioner_id,
            complaint.assignee_id, complaint.created_by_id) == (
        "received", world["firm_a"].id, world["a"].id, people["p1"].id,
        people["admin_a"].id, people["admin_a"].id)
    assert complaint.deadline == day(-2) + datetime.timedelta(days=30)
    complaint = services.investigate(admin(people), complaint, {"note": "交由城关所核实"})
    assert complaint.status == "investigating"
    complaint = services.conclude(admin(people), complaint, conclusion())
    assert (complaint.status, complaint.finding, complaint.measure, complaint.reply,
            complaint.replied_on, complaint.concluded_on) == (
        "concluded", "upheld", "批评教育，全所通报", "已电话答复来电人", day(0), day(0))
    assert events(complaint) == ["complaint.record", "complaint.investigate",
                                 "complaint.conclude"]


@pytest.mark.parametrize("path", [
    ("conclude",),                         # not investigated yet
    ("investigate", "investigate"),        # twice
    ("investigate", "conclude", "conclude"),
    ("investigate", "conclude", "investigate"),
    ("investigate", "conclude", "update"),
])
def test_a_wrong_transition_is_a_conflict_and_writes_nothing(people, path):
    complaint = record(people)
    steps = {
        "investigate": lambda c: services.investigate(admin(people), c, {}),
        "conclude": lambda c: services.conclude(admin(people), c, conclusion()),
        "update": lambda c: services.update(admin(people), c, {
            "assignee": str(people["admin_a_2"].id), "deadline": day(40).isoformat()}),
    }
    for step in path[:-1]:
        complaint = steps[step](complaint)
    before = (Complaint.get_by_id(complaint.id).__data__, nothing_written())
    with pytest.raises(Conflict) as caught:
        steps[path[-1]](complaint)
    assert caught.value.status == 409 and caught.value.message
    assert (Complaint.get_by_id(complaint.id).__data__, nothing_written()) == before


def test_a_stale_page_cannot_move_a_complaint_twice(people):
    """Two people open the same received complaint; the second start is refused."""
    complaint = record(people)
    stale = Complaint.get_by_id(complaint.id)
    services.investigate(admin(people), complaint, {})
    with pytest.raises(Conflict):
        services.investigate(admin(people, "admin_a_2"), stale, {})
    assert events(complaint).count("complaint.investigate") == 1


def test_wrong_transitions_over_http_answer_409_with_a_message(app, people):
    complaint = record(people)
    client = signed_in(app, people["admin_a"])
    response = client.post(f"/complaints/{complaint.id}/conclude", conclusion())
    assert response.status_code == 409
    assert "Start the investigation" in text_of(soup(response).select_one(".form-error"))
    assert client.post(f"/complaints/{complaint.id}/investigate", {}).status_code == 303
    response = client.post(f"/complaints/{complaint.id}/investigate", {})
    assert response.status_code == 409
    assert "already started" in text_of(soup(response).select_one(".form-error"))
    page = client.get(f"/complaints/{complaint.id}/investigate")     # the form says why not
    assert page.status_code == 200 and not soup(page).select("form.complaint-step-form")
    assert "already started" in text_of(soup(page).select_one(".form-error"))
    assert client.post(f"/complaints/{complaint.id}/conclude", conclusion()).status_code == 303
    for step in ("investigate", "conclude", "edit"):
        response = client.post(f"/complaints/{complaint.id}/{step}", conclusion())
        assert response.status_code == 409, step
        assert "already concluded" in text_of(soup(response).select_one(".form-error"))
        page = client.get(f"/complaints/{complaint.id}/{step}")
        assert page.status_code == 200 and not soup(page).select("form.complaint-step-form")


def test_each_open_step_page_shows_its_form(app, people):
    """The three step pages share one layout (_step.html): each shows its own title, fields
    and button while the complaint takes the step."""
    complaint = record(people)
    client = signed_in(app, people["admin_a"])
    steps = [("edit", ["assignee", "deadline", "note"]), ("investigate", ["note"])]
    for step, fields in steps:
        page = soup(client.get(f"/complaints/{complaint.id}/{step}"))
        form = page.select_one("form.complaint-step-form")
        assert form["action"] == f"/complaints/{complaint.id}/{step}", step
        assert form.select_one("input[name=csrf_token]")
        assert [n for n in fields if form.select_one(f"[name={n}]")] == fields, step
        assert text_of(page.select_one("title")).startswith(text_of(page.select_one("h1")))
        assert text_of(form.select_one("button[type=submit]"))
    assert client.post(f"/complaints/{complaint.id}/investigate", {}).status_code == 303
    page = soup(client.get(f"/complaints/{complaint.id}/conclude"))
    form = page.select_one("form.complaint-step-form")
    assert {i["name"] for i in form.select("[name]")} >= {"finding", "measure", "reply",
                                                         "replied_on"}
    assert text_of(form.select_one("button[type=submit]")) == text_of(page.select_one("h1"))


def test_the_whole_story_over_http(app, world, people):
    client = signed_in(app, people["admin_a"])
    page = soup(client.get("/complaints/new"))
    assert page.select_one("form.complaint-form input[name=csrf_token]")
    assert {o["value"] for o in page.select("#f-assignee option") if o["value"]} == {
        str(people[n].id) for n in ("admin_a", "admin_a_2", "director", "director_a2")}
    response = client.post("/complaints/new", form(people, practitioner="",
                                                   firm=str(world["firm_a"].id)))
    assert response.status_code == 303
    complaint = Complaint.get()
    assert response.headers["Location"].endswith(f"/complaints/{complaint.id}")
    assert complaint.practitioner_id is None and complaint.firm_id == world["firm_a"].id
    page = soup(client.get(f"/complaints/{complaint.id}"))
    assert page.select_one(f"a[href='/complaints/{complaint.id}/investigate']")
    assert client.get(f"/complaints/{complaint.id}/investigate").status_code == 200
    response = client.post(f"/complaints/{complaint.id}/investigate", {"note": "已调取录音"},
                           htmx=True)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/complaints/{complaint.id}"
    page = soup(client.get(f"/complaints/{complaint.id}"))
    assert page.select_one(f"a[href='/complaints/{complaint.id}/conclude']")
    response = client.post(f"/complaints/{complaint.id}/conclude",
                           conclusion(finding="not_upheld", measure=""))
    assert response.status_code == 303
    page = soup(client.get(f"/complaints/{complaint.id}"))
    assert "Not upheld" in text_of(page.select_one("#outcome"))
    assert not page.select("#next-step")
    steps = [text_of(s.select_one("strong")) for s in page.select("#history .complaint-step")]
    assert steps == ["Complaint recorded", "Investigation started", "Complaint concluded"]
    assert "已调取录音" in text_of(page.select_one("#history .step-investigate"))


# ------------------------------------------------------------------ deadlines

def test_the_default_deadline_follows_complaint_days(app, people, monkeypatch):
    monkeypatch.setitem(app.config, "COMPLAINT_DAYS", 15)
    assert record(people).deadline == day(-2) + datetime.timedelta(days=15)
    assert record(people, deadline=day(5).isoformat()).deadline == day(5)


@pytest.mark.parametrize("value,message", [
    ("before", "before the complaint was received"),
    ("far", "more than a year"),
    ("2026-02-30", "not a date"),
])
def test_a_deadline_must_make_sense(people, value, message):
    typed = {"before": day(-3).isoformat(), "far": day(400).isoformat()}.get(value, value)
    with pytest.raises(DomainError) as caught:
        record(people, deadline=typed)
    assert caught.value.field == "deadline" and message in caught.value.message
    assert nothing_written() == (0, 0)


def test_overdue_means_past_the_deadline_and_not_concluded(people):
    late = record(people, received_on=day(-40).isoformat())           # deadline day -10
    due_today = record(people, received_on=day(-30).isoformat())      # deadline today
    on_time = record(people)
    assert [services.is_overdue(c) for c in (late, due_today, on_time)] == [True, False, False]
    assert services.is_overdue(due_today, today=day(1))
    later = services.update(admin(people), late, {"assignee": str(late.assignee_id),
                                                  "deadline": day(3).isoformat()})
    assert not services.is_overdue(later)
    assert events(late)[-1] == "complaint.update"
    detail = json.loads(AuditEvent.select().order_by(AuditEvent.id.desc()).get().detail)
    assert detail["deadline"] == [day(-10).isoformat(), day(3).isoformat()]
    concluded = services.conclude(admin(people), services.investigate(
        admin(people), due_today, {}), conclusion(), today=day(0))
    assert not services.is_overdue(concluded, today=day(100))


def test_overdue_shows_in_red_with_a_word_on_the_list_and_page(app, people):
    late = record(people, received_on=day(-40).isoformat())
    on_time = record(people)
    client = signed_in(app, people["admin_a"])
    page = soup(client.get("/complaints/"))
    late_row, fine_row = page.select_one(f"#complaint-{late.id}"), page.select_one(
        f"#complaint-{on_time.id}")
    assert "complaint-overdue" in late_row["class"]
    assert text_of(late_row.select_one(".complaint-overdue-word")) == "Overdue"
    assert "complaint-overdue" not in fine_row["class"]
    assert not fine_row.select_one(".complaint-overdue-word")
    detail = soup(client.get(f"/complaints/{late.id}"))
    assert "complaint-overdue" in detail.select_one("#complaint")["class"]
    assert text_of(detail.select_one("#complaint .complaint-overdue-word")) == "Overdue"


def test_the_list_filters_by_state_and_year(app, people):
    late = record(people, received_on=day(-40).isoformat())
    open_ = record(people)
    done = services.conclude(admin(people), services.investigate(
        admin(people), record(people), {}), conclusion())
    client = signed_in(app, people["admin_a"])

    def shown(query):
        page = soup(client.get(f"/complaints/{query}"))
        return {int(li["id"].split("-")[1]) for li in page.select(".complaint-row")}

    assert shown("") == {late.id, open_.id, done.id}
    assert shown("?state=open") == {late.id, open_.id}
    assert shown("?state=overdue") == {late.id}
    assert shown("?state=concluded") == {done.id}
    assert shown(f"?year={late.received_on.year}") >= {late.id}
    assert shown(f"?year={day(0).year - 3}") == set()
    assert shown("?state=%00nonsense&year=２０２６") == {late.id, open_.id, done.id}
    fragment = client.htmx_get("/complaints/?state=overdue")
    assert fragment.status_code == 200 and "Vary" in fragment.headers
    assert fragment.get_data(as_text=True).lstrip().startswith('<section id="complaint-list"')


# ------------------------------------------------------------------ who may do what

def test_a_director_records_for_their_firm_only(world, people, firm_a2):
    complaint = record(people, actor=director(people), assignee=str(people["director"].id))
    assert complaint.firm_id == world["firm_a"].id
    for over in ({"practitioner": str(people["p_a2"].id)},
                 {"practitioner": "", "firm": str(firm_a2.id)},
                 {"practitioner": str(people["p_b"].id)}):
        with pytest.raises(DomainError):
            record(people, actor=director(people), assignee=str(people["director"].id), **over)
    assert Complaint.select().count() == 1


def test_a_practitioner_implies_their_firm(world, people, firm_a2):
    complaint = record(people, practitioner=str(people["p_a2"].id), firm="",
                       assignee=str(people["director_a2"].id))
    assert (complaint.firm_id, complaint.county_id) == (firm_a2.id, world["a"].id)
    with pytest.raises(DomainError) as caught:
        record(people, practitioner=str(people["p_a2"].id), firm=str(world["firm_a"].id))
    assert caught.value.field == "firm"
    with pytest.raises(DomainError) as caught:     # firm A's director cannot handle firm A2's
        record(people, practitioner=str(people["p_a2"].id),
               assignee=str(people["director"].id))
    assert caught.value.field == "assignee"


def test_a_director_never_sees_another_firms_complaints(app, world, people, firm_a2):
    mine = record(people)
    other = record(people, practitioner=str(people["p_a2"].id),
                   assignee=str(people["admin_a"].id))
    theirs_b = record(people, actor=admin(people, "admin_b"),
                      practitioner=str(people["p_b"].id), assignee=str(people["admin_b"].id))
    assert set(services.complaints(director(people))) == {mine}
    client = signed_in(app, people["director"])
    page = soup(client.get("/complaints/"))
    assert [li["id"] for li in page.select(".complaint-row")] == [f"complaint-{mine.id}"]
    assert client.get(f"/complaints/{mine.id}").status_code == 200
    for hidden in (other, theirs_b):
        for url in (f"/complaints/{hidden.id}", f"/complaints/{hidden.id}/investigate",
                    f"/complaints/{hidden.id}/conclude", f"/complaints/{hidden.id}/edit"):
            assert client.get(url).status_code == 404, url
            if url.count("/") == 3:
                assert client.post(url, conclusion()).status_code == 404, url
    workbook = load_workbook(io.BytesIO(client.get("/complaints/export.xlsx").data))
    assert workbook.active.max_row == 3               # heading, header, their one complaint


def test_another_countys_admin_gets_404(app, people):
    complaint = record(people)
    client = signed_in(app, people["admin_b"])
    for url in (f"/complaints/{complaint.id}", f"/complaints/{complaint.id}/investigate",
                f"/complaints/{complaint.id}/conclude", f"/complaints/{complaint.id}/edit"):
        assert client.get(url).status_code == 404, url
        if url.count("/") == 3:
            assert client.post(url, conclusion()).status_code == 404, url
    assert soup(client.get("/complaints/")).select(".complaint-row") == []
    assert nothing_written() == (1, 1)
    with pytest.raises(DomainError):    # nor can they name county A's people in a new one
        record(people, actor=admin(people, "admin_b"))


@pytest.mark.parametrize("name", ["p1", "secretary"])
def test_practitioners_and_secretaries_cannot_see_complaints(app, people, name):
    complaint = record(people)
    client = signed_in(app, people[name])
    for url in ("/complaints/", "/complaints/new", "/complaints/export.xlsx",
                f"/complaints/{complaint.id}", f"/complaints/{complaint.id}/investigate"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/complaints/{complaint.id}/investigate", {}).status_code == 403
    assert Complaint.get_by_id(complaint.id).status == "received"


def test_the_city_admin_reads_but_does_not_handle(app, people):
    complaint = record(people)
    client = signed_in(app, people["city"])
    assert len(soup(client.get("/complaints/")).select(".complaint-row")) == 1
    page = soup(client.get(f"/complaints/{complaint.id}"))
    assert not page.select("#next-step") and not page.select("form[method=post]")
    assert client.get("/complaints/new").status_code == 403
    assert client.post(f"/complaints/{complaint.id}/investigate", {}).status_code == 403


def test_a_director_handles_only_what_is_assigned_to_them(app, people):
    to_county = record(people)
    to_director = record(people, assignee=str(people["director"].id))
    with pytest.raises(NotAllowed):
        services.investigate(director(people), to_county, {})
    assert services.investigate(director(people), to_director, {}).status == "investigating"
    client = signed_in(app, people["director"])
    assert client.get(f"/complaints/{to_county.id}").status_code == 200
    assert not soup(client.get(f"/complaints/{to_county.id}")).select("#next-step")
    assert client.post(f"/complaints/{to_county.id}/investigate", {}).status_code == 403
    assert client.post(f"/complaints/{to_director.id}/conclude",
                       conclusion(finding="partly_upheld")).status_code == 303
    # Handing it back to the county leaves the director reading only.
    again = record(people, assignee=str(people["director"].id))
    services.update(director(people), again, {"assignee": str(people["admin_a"].id),
                                              "deadline": str(again.deadline)})
    with pytest.raises(NotAllowed):
        services.investigate(director(people), Complaint.get_by_id(again.id), {})


# ------------------------------------------------------------------ audit and history

def test_every_step_is_audited_with_its_county_and_shown_in_the_history(app, world, people):
    complaint = record(people)
    services.update(admin(people), complaint, {"assignee": str(people["admin_a_2"].id),
                                               "deadline": day(20).isoformat(),
                                               "note": "原承办人休假"})
    complaint = Complaint.get_by_id(complaint.id)
    services.investigate(admin(people, "admin_a_2"), complaint, {"note": "调查"})
    services.conclude(admin(people, "admin_a_2"), Complaint.get_by_id(complaint.id),
                      conclusion())
    rows = list(AuditEvent.select().where(AuditEvent.object_type == "complaint")
                .order_by(AuditEvent.id))
    assert [(e.action, e.actor_id, e.object_id, e.region_id) for e in rows] == [
        ("complaint.record", people["admin_a"].id, complaint.id, world["a"].id),
        ("complaint.update", people["admin_a"].id, complaint.id, world["a"].id),
        ("complaint.investigate", people["admin_a_2"].id, complaint.id, world["a"].id),
        ("complaint.conclude", people["admin_a_2"].id, complaint.id, world["a"].id)]
    update = json.loads(rows[1].detail)
    assert update["assignee_name"] == ["县局甲", "县局乙"] and update["note"] == "原承办人休假"
    assert json.loads(rows[3].detail)["finding"] == "upheld"
    steps = services.history(complaint)
    assert [s.action for s in steps] == [e.action for e in rows]
    assert [s.by for s in steps] == ["县局甲", "县局甲", "县局乙", "县局乙"]
    page = soup(signed_in(app, people["director"]).get(f"/complaints/{complaint.id}"))
    history = page.select("#history .complaint-step")
    assert len(history) == 4
    assert "县局甲 → 县局乙" in text_of(history[1])
    # An update that changes nothing writes nothing.
    open_one = record(people)
    services.update(admin(people), open_one, {"assignee": str(open_one.assignee_id),
                                              "deadline": str(open_one.deadline)})
    assert events(open_one) == ["complaint.record"]


# ------------------------------------------------------------------ bad input

BAD_NEW = [
    ({"practitioner": "", "firm": ""}, "firm"),
    ({"practitioner": "abc"}, "practitioner"),
    ({"practitioner": "１２"}, "practitioner"),
    ({"practitioner": "99999999999999999999"}, "practitioner"),
    ({"practitioner": "999999"}, "practitioner"),
    ({"practitioner": "", "firm": "-1"}, "firm"),
    ({"practitioner": "", "firm": "\x00\u202e"}, "firm"),
    ({"source": ""}, "source"),
    ({"source": "wechat"}, "source"),
    ({"received_on": ""}, "received_on"),
    ({"received_on": "yesterday"}, "received_on"),
    ({"received_on": "future"}, "received_on"),
    ({"received_on": "2019-01-01"}, "received_on"),
    ({"summary": ""}, "summary"),
    ({"summary": " \x00\u200b\t "}, "summary"),
    ({"summary": "诉" * 4001}, "summary"),
    ({"assignee": ""}, "assignee"),
    ({"assignee": "p1"}, "assignee"),
    ({"assignee": "admin_b"}, "assignee"),
    ({"deadline": "２０２６年13月1日"}, "deadline"),
]


@pytest.mark.parametrize("over,field", BAD_NEW)
def test_bad_input_to_the_new_form_is_a_400_with_the_field(app, people, over, field):
    over = dict(over)
    if over.get("received_on") == "future":
        over["received_on"] = day(1).isoformat()
    if over.get("assignee") in people:
        over["assignee"] = str(people[over["assignee"]].id)
    response = signed_in(app, people["admin_a"]).post("/complaints/new", form(people, **over))
    assert response.status_code == 400
    page = soup(response)
    assert page.select_one(f".has-error [name={field}]") or page.select_one(
        f"fieldset.has-error [name={field}]"), field
    assert page.select_one(".field-error")
    assert nothing_written() == (0, 0)


@pytest.mark.parametrize("step,data", [
    ("investigate", {"note": "注" * 501}),
    ("conclude", {"finding": ""}),
    ("conclude", {"finding": "maybe"}),
    ("conclude", {"finding": "upheld", "measure": ""}),
    ("conclude", {"finding": "partly_upheld", "measure": " \x00 "}),
    ("conclude", {"reply": ""}),
    ("conclude", {"reply": "复" * 2001}),
    ("conclude", {"replied_on": ""}),
    ("conclude", {"replied_on": "9999-99-99"}),
    ("conclude", {"replied_on": "tomorrow"}),
    ("conclude", {"replied_on": "2020-01-01"}),
    ("edit", {"deadline": ""}),
    ("edit", {"assignee": "x\x00"}),
    ("edit", {"assignee": "2147483648"}),
])
def test_bad_input_to_a_step_is_a_400_and_changes_nothing(app, people, step, data):
    complaint = record(people)
    if step == "conclude":
        complaint = services.investigate(admin(people), complaint, {})
    base = {"investigate": {}, "conclude": conclusion(),
            "edit": {"assignee": str(people["admin_a_2"].id), "deadline": day(9).isoformat()}}
    sent = dict(base[step], **data)
    if sent.get("replied_on") == "tomorrow":
        sent["replied_on"] = day(1).isoformat()
    before = (Complaint.get_by_id(complaint.id).__data__, nothing_written())
    response = signed_in(app, people["admin_a"]).post(f"/complaints/{complaint.id}/{step}", sent)
    assert response.status_code == 400
    assert soup(response).select_one(".field-error, .form-error")
    assert (Complaint.get_by_id(complaint.id).__data__, nothing_written()) == before


@pytest.mark.parametrize("url", ["/complaints/abc", "/complaints/99999999999",
                                 "/complaints/0/conclude", "/complaints/%00"])
def test_odd_addresses_are_404(app, people, url):
    assert signed_in(app, people["admin_a"]).get(url).status_code == 404


def test_a_post_without_csrf_is_refused(app, people):
    response = signed_in(app, people["admin_a"]).post("/complaints/new", form(people),
                                                      csrf=False)
    assert response.status_code == 400 and nothing_written() == (0, 0)


# ------------------------------------------------------------------ export and home card

def test_the_export_is_the_list_as_on_screen_text_staying_text(app, people):
    record(people, summary="=HYPERLINK(\"http://x\")")
    late = record(people, received_on=day(-40).isoformat(), summary="+1 迟办")
    client = signed_in(app, people["admin_a"])
    response = client.get("/complaints/export.xlsx?state=overdue")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][:3] == ["Date received", "Source", "Firm"]
    assert len(values) == 3
    assert values[2][0].date() == late.received_on and values[2][4] == "+1 迟办"
    assert sheet.cell(row=3, column=5).data_type == "s"
    assert values[2][8] == "Overdue"
    everything = load_workbook(io.BytesIO(client.get("/complaints/export.xlsx").data)).active
    formula = [c for c in everything.iter_rows(min_row=3) if c[4].value.startswith("=")][0][4]
    assert formula.data_type == "s" and formula.quotePrefix


def _card(app, user, role, county=None):
    """The home card as the person acting in the role sees it (for one county, if given)."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        g.actor = actor_for(user, role)
        g.user = user
        return BeautifulSoup(render_template("quality/complaints/_home_card.html",
                                             county=county), "html.parser")


def test_the_home_card_counts_overdue_in_red_with_a_word(app, world, people):
    record(people, received_on=day(-40).isoformat())
    record(people, received_on=day(-35).isoformat(), practitioner=str(people["p_a2"].id),
           assignee=str(people["admin_a"].id))
    record(people)
    with app.test_request_context("/"):
        g.actor = admin(people)
        assert services.overdue_count(g.actor) == 2
        assert services.overdue_count(director(people)) == 1
        assert services.overdue_count(admin(people, "admin_b")) == 0
        assert services.open_count(g.actor, world["a"].id) == 3
    card = _card(app, people["director"], "director")
    assert "complaint-overdue" in card.select_one("#complaints-home")["class"]
    assert text_of(card.select_one(".complaint-overdue-word")) == "1 overdue"
    assert card.select_one("a")["href"] == "/complaints/?state=overdue"
    county = _card(app, people["admin_a"], "county_admin", world["a"])
    assert text_of(county.select_one(".complaint-overdue-word")) == "2 overdue"
    assert "3 open" in text_of(county)
    quiet = _card(app, people["admin_b"], "county_admin")
    assert not quiet.select(".complaint-overdue-word")
    assert "none overdue" in text_of(quiet)


# ------------------------------------------------------------------ figures

def _story(people, firm_a2):
    """Complaints across two years, states and findings, in county A and county B."""
    this = day(0).year
    made = []
    for n, (received, finding, who) in enumerate([
        (datetime.date(this - 1, 3, 5), "upheld", "p1"),
        (datetime.date(this - 1, 11, 20), "partly_upheld", "p_a2"),
        (datetime.date(this - 1, 12, 30), None, "p1"),            # still open: overdue
        (datetime.date(this, 1, 2), "not_upheld", "p1"),
        (datetime.date(this, 1, 3), "upheld", None),              # the firm itself
        (datetime.date(this, 1, 4), None, "p_a2"),
    ]):
        over = {"received_on": received.isoformat(),
                "practitioner": str(people[who].id) if who else "",
                "firm": "" if who else str(people["p1"].firm_id)}
        complaint = services.record(admin(people), form(people, **over),
                                    today=max(received, day(0)))
        if finding:
            complaint = services.investigate(admin(people), complaint, {})
            complaint = services.conclude(admin(people), complaint, conclusion(
                finding=finding, measure="整改", replied_on=received.isoformat()),
                today=received + datetime.timedelta(days=n))
        made.append(complaint)
    services.record(admin(people, "admin_b"), form(
        people, practitioner=str(people["p_b"].id), assignee=str(people["admin_b"].id),
        received_on=datetime.date(this, 1, 2).isoformat()))
    return made


def test_figures_equal_the_rows(world, people, firm_a2):
    if day(0) < datetime.date(day(0).year, 2, 10):
        pytest.skip("the story needs its January deadlines to have passed")
    _story(people, firm_a2)
    this = day(0).year
    for start, end in ((datetime.date(this - 1, 1, 1), datetime.date(this - 1, 12, 31)),
                       (datetime.date(this, 1, 1), day(0)),
                       (datetime.date(this - 1, 1, 1), day(0))):
        got = complaint_figures.figures([world["a"].id], start, end)
        rows = list(Complaint.select().where(Complaint.county == world["a"].id))
        received = [c for c in rows if start <= c.received_on <= end]
        as_of = min(end, day(0))
        overdue = [c for c in rows if c.received_on <= end and c.deadline < as_of
                   and (c.concluded_on is None or c.concluded_on > as_of)]
        assert got == {"received": len(received),
                       "upheld": len([c for c in received if c.finding in services.UPHELD]),
                       "overdue": len(overdue)}, (start, end)
    now = complaint_figures.figures([world["a"].id], datetime.date(this - 1, 1, 1), day(0))
    listed = services.listing(admin(people), "overdue")
    assert now["overdue"] == listed.count() == 2
    assert complaint_figures.figures([world["a"].id, world["b"].id], datetime.date(this, 1, 1),
                            day(0))["received"] == 4
    assert complaint_figures.figures([], datetime.date(this, 1, 1), day(0)) == {
        "received": 0, "upheld": 0, "overdue": 0}


def test_zero_complaint_counts_upheld_and_partly_upheld(world, people, firm_a2):
    _story(people, firm_a2)
    this = day(0).year
    firms = complaint_figures.zero_complaint(year=this - 1, firm_ids=[world["firm_a"].id, firm_a2.id,
                                                             world["firm_b"].id])
    assert firms == {world["firm_a"].id: 1, firm_a2.id: 1, world["firm_b"].id: 0}
    assert complaint_figures.zero_complaint(year=this, firm_ids=[world["firm_a"].id]) == {
        world["firm_a"].id: 1}                        # the firm itself; not_upheld not counted
    persons = complaint_figures.zero_complaint(year=this - 1, user_ids=[
        people["p1"].id, people["p_a2"].id, people["p_b"].id])
    assert persons == {people["p1"].id: 1, people["p_a2"].id: 1, people["p_b"].id: 0}
    assert complaint_figures.zero_complaint(year=this, user_ids=[people["p1"].id]) == {
        people["p1"].id: 0}
    assert complaint_figures.zero_complaint(year=this, user_ids=[]) == {}
    with pytest.raises(ValueError):
        complaint_figures.zero_complaint(year=this)
