"""Party study, the secretary's and the county's side: publishing (secretary and county), bad
input (400, a message, nothing written), scoping (another branch or county gets 404), reminders
once a day, withdrawal of the ledger entries, and the .xlsx exports (text stays text)."""
import datetime
import io

import pytest
from flask import current_app
from openpyxl import load_workbook

from tests.helpers import (PDF, database_digest, make_activity, signed_in, soup, text_of,
                           upload)
from webapp.accounts.models import AuditEvent, Notification
from webapp.branches.models import BranchMember
from webapp.db import utcnow
from webapp.ledger.models import Entry
from webapp.study import services
from webapp.study.models import StudyAssignment, StudyMaterial, StudyQuestion


@pytest.fixture(autouse=True)
def _fast(fast_passwords):  # noqa: F811
    """Cheap password hashing: these tests are about pages, not hashing cost."""


def form(**over):
    data = {"title": "学习新修订的党章", "body": "# 第一章\n\n党员的义务。\n\n- 第一条\n- 第二条",
            "link": "", "due_on": "", "hours": "0.5", "minutes": "", "audience": "all"}
    data.update(over)
    return data


def quiz(n=1, **over):
    data = {f"q{n}_text": "党的最高理想是什么？", f"q{n}_choice1": "实现共产主义",
            f"q{n}_choice2": "发家致富", f"q{n}_choice3": "", f"q{n}_answer": "1"}
    data.update(over)
    return data


def branch_people(party):
    """Everyone in county A's branch: the secretary and three members."""
    return [party["secretary"]] + party["members"]


def publish(app, user, **over):
    client = signed_in(app, user)
    response = client.post("/branch/study/new", form(**over))
    assert response.status_code == 303, soup(response).select(".form-error, .field-error")
    return StudyMaterial.select().order_by(StudyMaterial.id.desc()).first(), client


def flashes(response):
    return " ".join(text_of(p) for p in soup(response).select(".flash"))


def study(material, user, score_answers=None):
    """The member opens it long enough ago and marks it studied (through the service)."""
    assignment = StudyAssignment.get(material=material, user=user)
    assignment = services.open_material(user, material, assignment,
                                        now=utcnow() - datetime.timedelta(hours=1))
    with current_app.test_request_context():
        return services.complete(user, material, assignment, score_answers or {})


# ------------------------------------------------------------------ publishing

def test_secretary_publishes_for_the_branch(app, party):
    client = signed_in(app, party["secretary"])
    page = soup(client.get("/branch/study/new"))
    names = {i["name"] for i in page.select("form input, form textarea, form select")}
    assert {"title", "body", "link", "attachment", "due_on", "hours", "minutes", "audience",
            "members", "q1_text", "q1_choice5", "q5_answer"} <= names
    assert "branch" not in names  # a secretary publishes for their own branch
    assert page.select_one("input[name=due_on]")["type"] == "date"
    assert page.select_one("input[name=hours]")["value"] == "0.5"
    assert text_of(page.select_one("details#questions > summary")) == "Add questions (optional)"
    assert "Markdown is allowed" in text_of(page.select_one("#body-hint"))

    response = client.post("/branch/study/new", form(**quiz(1)))
    assert response.status_code == 303
    material = StudyMaterial.get()
    assert response.headers["Location"].endswith(f"/branch/study/{material.id}")
    assert (material.branch_id, material.county_id) == (party["branch"].id, party["a"].id)
    assert "<h2>第一章</h2>" in material.body_html
    assert StudyQuestion.select().where(StudyQuestion.material == material).count() == 1
    assigned = {a.user_id for a in StudyAssignment.select().where(
        StudyAssignment.material == material)}
    assert assigned == {u.id for u in branch_people(party)}
    assert Notification.select().where(Notification.kind == "study_new").count() == 4
    assert [e.action for e in AuditEvent.select()] == ["study.published"]

    listing = soup(client.get("/branch/study/"))
    row = listing.select_one(f"#material-{material.id}")
    assert "学习新修订的党章" in text_of(row)
    assert text_of(row.select_one("[data-studied]")) == "Studied 0 of 4"

    detail = soup(client.get(f"/branch/study/{material.id}"))
    assert detail.select_one("[data-count=not_opened]").get_text() == "4"
    assert {tr["data-state"] for tr in detail.select("#people tbody tr")} == {"not_opened"}
    assert detail.select_one(f"form[action='/branch/study/{material.id}/remind']")
    assert detail.select_one("#withdraw details form input[name=confirm]")


def test_chosen_members_and_an_attached_pdf(app, party):
    chosen = party["members"][:2]
    client = signed_in(app, party["secretary"])
    data = form(audience="chosen", body="", due_on=(datetime.date.today()
                                                    + datetime.timedelta(days=7)).isoformat())
    data["members"] = [str(u.id) for u in chosen]
    data["attachment"] = upload(PDF, "党章.pdf", "application/pdf")
    response = client.post("/branch/study/new", data, content_type="multipart/form-data")
    assert response.status_code == 303
    material = StudyMaterial.get()
    assert {a.user_id for a in material.assignments} == {u.id for u in chosen}
    assert material.original_name == "党章.pdf"
    got = client.get(f"/branch/study/{material.id}/file")
    try:
        assert got.status_code == 200 and got.data.startswith(b"%PDF")
        assert "sandbox" in got.headers["Content-Security-Policy"]
    finally:
        got.close()


def test_county_admin_publishes_for_every_branch_or_one(app, party):
    client = signed_in(app, party["admin_a"])
    page = soup(client.get("/branch/study/new"))
    options = [(o["value"], text_of(o)) for o in page.select("select[name=branch] option")]
    assert options == [("", "Every branch of the county"), (str(party["branch"].id),
                                                            party["branch"].name)]
    assert client.post("/branch/study/new", form(branch="")).status_code == 303
    everyone = StudyMaterial.get()
    assert everyone.branch_id is None and everyone.county_id == party["a"].id
    assert {a.user_id for a in everyone.assignments} == {u.id for u in branch_people(party)}
    assert client.post("/branch/study/new", form(title="支部专题", branch=str(
        party["branch"].id))).status_code == 303
    assert StudyMaterial.get(StudyMaterial.title == "支部专题").branch_id == party["branch"].id
    # The secretary sees the county's material too, but may not withdraw it.
    secretary = signed_in(app, party["secretary"])
    assert secretary.get(f"/branch/study/{everyone.id}").status_code == 200
    assert secretary.post(f"/branch/study/{everyone.id}/withdraw",
                          {"confirm": "yes"}).status_code == 403
    assert StudyMaterial.get_by_id(everyone.id).status == "published"


def test_secretary_sees_only_their_branch_on_county_material(app, party, make_user):
    other = make_user("practitioner", name="另一支部党员")
    from_county, _client = publish(app, party["admin_a"], branch="")
    second = party["branch"].__class__.create(name="甲县第二支部", county=party["a"])
    BranchMember.create(branch=second, user=other)
    StudyAssignment.create(material=from_county, user=other)
    page = soup(signed_in(app, party["secretary"]).get(f"/branch/study/{from_county.id}"))
    names = [text_of(th) for th in page.select("#people tbody th")]
    assert "另一支部党员" not in " ".join(names) and len(names) == 4
    admin_page = soup(signed_in(app, party["admin_a"]).get(f"/branch/study/{from_county.id}"))
    assert len(admin_page.select("#people tbody tr")) == 5
    book = load_workbook(io.BytesIO(signed_in(app, party["secretary"]).get(
        f"/branch/study/{from_county.id}.xlsx").data))
    names = [row[0] for row in book.worksheets[0].iter_rows(values_only=True)]
    assert "另一支部党员" not in names and "党员甲" in names


def test_material_tied_to_an_activity_and_a_branch_preselected(app, party):
    activity = make_activity(party["branch"], topic="七月主题党日")
    client = signed_in(app, party["secretary"])
    page = soup(client.get("/branch/study/new"))
    assert [o["value"] for o in page.select("select[name=activity] option")] == [
        "", str(activity.id)]
    material, _client = publish(app, party["secretary"], activity=str(activity.id))
    assert material.activity_id == activity.id
    assert "七月主题党日" in text_of(soup(client.get(f"/branch/study/{material.id}")).select_one(
        ".facts"))
    admin = soup(signed_in(app, party["admin_a"]).get(
        f"/branch/study/new?branch={party['branch'].id}"))
    assert admin.select_one("select[name=branch] option[selected]")["value"] == str(
        party["branch"].id)


@pytest.mark.parametrize("over, field, message", [
    ({"title": ""}, "title", "Fill in Title."),
    ({"hours": "abc"}, "hours", "Study hours must be a number"),
    ({"hours": "9"}, "hours", "Study hours must be a number"),
    ({"hours": "１"}, "hours", "Study hours must be a number"),
    ({"minutes": "٣"}, "minutes", "must be a whole number"),
    ({"minutes": "61"}, "minutes", "too large"),
    ({"link": "javascript:alert(1)"}, "link", "The link must start with https://"),
    ({"due_on": "2001-01-01"}, "due_on", "The study-by date has passed"),
    ({"due_on": "31/12/2099"}, "due_on", None),
    ({"body": ""}, "body", "something to study"),
    ({"activity": "99999"}, "activity", "Choose one of the branch's coming activities."),
    ({"audience": "chosen"}, "members", "Choose the members it is for"),
    ({"audience": "chosen", "members": "999999"}, "members", "Choose the members it is for"),
    (quiz(1, q1_choice2=""), "q1_choice1", "needs at least two choices"),
    (quiz(1, q1_answer="3"), "q1_answer", "must be one of its choices"),
    (quiz(1, q1_answer="x"), "q1_answer", "Choose the right answer."),
    (quiz(2, q2_text=""), "q2_text", "Write question 2"),
])
def test_bad_input_is_400_with_a_message_and_nothing_written(app, party, over, field, message):
    client = signed_in(app, party["secretary"])
    before = database_digest()
    response = client.post("/branch/study/new", form(**over))
    assert response.status_code == 400
    page = soup(response)
    error = page.select_one(f"#{field}-error")
    assert error is not None, page.select(".field-error")
    if message:
        assert message in text_of(error)
    assert page.select_one(f"[name={field}]").get("aria-invalid") == "true"
    assert text_of(page.select_one("#form-errors"))
    # What was typed comes back.
    assert page.select_one("input[name=title]")["value"] == form(**over)["title"]
    assert database_digest() == before


def test_bad_files_and_another_county_branch_are_refused(app, party):
    client = signed_in(app, party["secretary"])
    admin = signed_in(app, party["admin_a"])
    before = database_digest()
    data = form(body="")
    data["attachment"] = upload(b"<script>alert(1)</script>", "x.pdf", "application/pdf")
    response = client.post("/branch/study/new", data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "is not a photo or a PDF" in text_of(soup(response).select_one("#attachment-error"))
    for value in (str(party["branch_b"].id), "abc", "１", "9" * 30):
        response = admin.post("/branch/study/new", form(branch=value))
        assert response.status_code == 400, value
        assert text_of(soup(response).select_one("#branch-error")) == "Choose a branch."
    assert database_digest() == before


# ------------------------------------------------------------------ scoping

def test_another_branch_or_county_gets_404_and_members_403(app, party, make_user):
    material, _client = publish(app, party["secretary"])
    other_secretary = make_user("secretary", branch=party["branch_b"], county=party["b"])
    mid = material.id
    gets = [f"/branch/study/{mid}", f"/branch/study/{mid}.xlsx", f"/branch/study/{mid}/edit",
            f"/branch/study/{mid}/file"]
    posts = [(f"/branch/study/{mid}/remind", {}), (f"/branch/study/{mid}/withdraw",
                                                   {"confirm": "yes"}),
             (f"/branch/study/{mid}/edit", form(title="改"))]
    clients = [signed_in(app, user) for user in (other_secretary, party["admin_b"])]
    county_b = signed_in(app, party["admin_b"])
    member = signed_in(app, party["members"][0])
    secretary = signed_in(app, party["secretary"])
    before = database_digest()
    for client in clients:
        for url in gets:
            assert client.get(url).status_code == 404, url
        for url, data in posts:
            assert client.post(url, data).status_code == 404, url
        listing = soup(client.get("/branch/study/"))
        assert not listing.select(f"#material-{mid}")
    county_page = soup(county_b.get("/home/county/study"))
    assert not county_page.select(f"#material-{mid}")
    assert party["branch"].name not in county_page.get_text()
    for url in gets + ["/branch/study/", "/branch/study/new", "/home/county/study"]:
        assert member.get(url).status_code == 403, url
    assert secretary.get("/home/county/study").status_code == 403
    for url in ("/branch/study/abc", "/branch/study/99999999999999999999"):
        assert secretary.get(url).status_code == 404
    assert database_digest() == before


def test_city_admin_reads_but_does_not_publish(app, party, make_user):
    material, _client = publish(app, party["secretary"])
    city = signed_in(app, make_user("city_admin"))
    assert city.get(f"/branch/study/{material.id}").status_code == 200
    page = soup(city.get("/home/county/study"))
    assert page.select_one(f"#material-{material.id}")
    assert page.select_one(f"#branch-{party['branch'].id}")
    assert not page.select("a[href='/branch/study/new']")
    assert city.get("/branch/study/new").status_code == 403
    assert city.post(f"/branch/study/{material.id}/withdraw",
                     {"confirm": "yes"}).status_code == 403


# ------------------------------------------------------------------ remind, withdraw, edit

def test_remind_once_a_day(app, party):
    material, client = publish(app, party["secretary"])
    study(material, party["members"][0])

    def reminders():
        return Notification.select().where(Notification.kind == "study_reminder").count()

    response = client.post(f"/branch/study/{material.id}/remind")
    assert response.status_code == 303
    assert reminders() == 3  # not the one who has studied it
    assert "3 members were reminded." in flashes(client.get(f"/branch/study/{material.id}"))
    client.post(f"/branch/study/{material.id}/remind")
    assert reminders() == 3
    assert "No one to remind" in flashes(client.get(f"/branch/study/{material.id}"))
    StudyAssignment.update(reminded_at=utcnow() - datetime.timedelta(hours=25)).execute()
    client.post(f"/branch/study/{material.id}/remind")
    assert reminders() == 6


def test_withdraw_needs_a_tick_and_withdraws_the_entries(app, party):
    material, client = publish(app, party["secretary"], hours="1")
    study(material, party["members"][0])
    study(material, party["members"][1])
    entries = Entry.select().where(Entry.kind == "political_study")
    assert [e.status for e in entries] == ["recorded", "recorded"]
    page = soup(client.get(f"/branch/study/{material.id}"))
    assert page.select_one("[data-count=studied]").get_text() == "2"
    assert client.post(f"/branch/study/{material.id}/withdraw").status_code == 303
    assert StudyMaterial.get_by_id(material.id).status == "published"
    assert client.post(f"/branch/study/{material.id}/withdraw",
                       {"confirm": "yes"}).status_code == 303
    assert StudyMaterial.get_by_id(material.id).status == "withdrawn"
    assert {e.status for e in Entry.select().where(Entry.kind == "political_study")} == {
        "withdrawn"}
    page = soup(client.get(f"/branch/study/{material.id}"))
    assert page.select_one("#withdrawn")
    assert not page.select("#withdraw form") and not page.select("form[action$='/remind']")
    assert client.get(f"/branch/study/{material.id}/edit").status_code == 400


def test_edit_changes_the_text_and_the_recorded_hours(app, party):
    material, client = publish(app, party["secretary"], minutes="3")
    study(material, party["members"][0])
    page = soup(client.get(f"/branch/study/{material.id}/edit"))
    assert page.select_one("input[name=minutes]")["value"] == "3"
    assert not page.select("input[name=attachment], input[name=audience]")
    response = client.post(f"/branch/study/{material.id}/edit", form(hours="abc"))
    assert response.status_code == 400
    assert StudyMaterial.get_by_id(material.id).hours == material.hours
    response = client.post(f"/branch/study/{material.id}/edit",
                           form(title="党章（修订）", hours="1.5"))
    assert response.status_code == 303
    changed = StudyMaterial.get_by_id(material.id)
    assert (changed.title, float(changed.hours)) == ("党章（修订）", 1.5)
    entry = Entry.get(Entry.kind == "political_study")
    assert entry.hours == changed.hours


# ------------------------------------------------------------------ exports and the county page

def test_material_export_opens_and_hostile_text_stays_text(app, party, make_user):
    hostile = make_user(name="=1+1", party_member=True)
    BranchMember.create(branch=party["branch"], user=hostile)
    material, client = publish(app, party["secretary"], title="=HYPERLINK(\"http://x\")",
                               **quiz(1))
    study(material, party["members"][0], {"a1": "1"})
    response = client.get(f"/branch/study/{material.id}.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    cells = {c.value: c for row in sheet.iter_rows() for c in row if c.value is not None}
    assert cells["=HYPERLINK(\"http://x\")"].data_type == "s"
    assert cells["=1+1"].data_type == "s"
    assert "1/1" in cells and "Studied" in cells
    names = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert "党员甲" in names


def test_county_page_and_export(app, party):
    material, _client = publish(app, party["admin_a"], branch="", title="=1+1")
    study(material, party["members"][0])
    client = signed_in(app, party["admin_a"])
    page = soup(client.get("/home/county/study"))
    row = page.select_one(f"#branch-{party['branch'].id}")
    cells = [text_of(td) for td in row.select("td")]
    assert cells == ["1", "4", "1", "25%"]
    assert page.select_one(f"#material-{material.id} a")["href"] == \
        f"/branch/study/{material.id}"
    for year in ("abc", "１９９９", "99999"):
        assert client.get(f"/home/county/study?year={year}").status_code == 200
    last = soup(client.get(f"/home/county/study?year={datetime.date.today().year - 1}"))
    assert not last.select(f"#material-{material.id}")
    response = client.get("/home/county/study.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    by_branch, materials = book.worksheets
    assert [party["branch"].name, 1, 4, 1, 25] in [list(r) for r in
                                                  by_branch.iter_rows(values_only=True)]
    titles = {c.value: c for row in materials.iter_rows() for c in row}
    assert titles["=1+1"].data_type == "s"
