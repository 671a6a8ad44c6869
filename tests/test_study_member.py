"""The member's side of party study: my list, the reading page (opened once, kept offline, the
sanitised text), marking it studied after the minimum reading time, the quiz and its result."""
import datetime
import io
import json

import pytest
from bs4 import BeautifulSoup
from flask import g, render_template
from werkzeug.datastructures import FileStorage, MultiDict

from tests.helpers import PDF, actor_for, png_bytes, signed_in, soup, text_of
from webapp.db import utcnow
from webapp.ledger.models import Entry
from webapp.study import forms, services
from webapp.study.models import StudyAssignment, StudyMaterial


def publish(party, author=None, questions=(), files=None, **fields):
    """Publish a material through the service, as the branch secretary unless told."""
    author = author or actor_for(party["secretary"], "secretary")
    form = MultiDict({"title": "学习党章", "body": "## 第一章\n\n党员的义务。", "hours": "0.5",
                      "minutes": "2", "audience": "all", **fields})
    for n, (text, choices, right) in enumerate(questions, start=1):
        form[f"q{n}_text"] = text
        for c, choice in enumerate(choices, start=1):
            form[f"q{n}_choice{c}"] = choice
        form[f"q{n}_answer"] = str(right)
    clean, errors = forms.clean_material(author, form, files or MultiDict(),
                                            datetime.date.today())
    assert not errors, errors
    return services.publish(author, clean)


def assignment_of(material, user):
    return StudyAssignment.get(StudyAssignment.material == material.id,
                               StudyAssignment.user == user.id)


def read_long_enough(material, user):
    """Move the first opening back past the minimum reading time (instead of sleeping)."""
    (StudyAssignment.update(opened_at=utcnow() - datetime.timedelta(
        seconds=material.min_seconds + 1))
     .where(StudyAssignment.material == material.id, StudyAssignment.user == user.id)
     .execute())


def study_entries(user):
    return list(Entry.select().where(Entry.user == user.id, Entry.kind == "political_study"))


QUIZ = [("党的最高理想是什么？", ["实现共产主义", "发家致富", "出国旅游"], 1),
        ("党员每月应当做什么？", ["按时交纳党费", "不参加组织生活"], 1),
        ("三会一课中的“一课”是？", ["党课", "体育课", "音乐课"], 1)]


@pytest.fixture(autouse=True)
def english_request(app):
    """Services translate their messages for the person asking: ask in English."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def member(app, party):
    user = party["members"][0]
    return user, signed_in(app, user)


# ------------------------------------------------------------------ my study

def test_list_shows_only_my_materials_to_study_first(app, party, member):
    user, client = member
    mine = publish(party, title="学习二十大报告", due_on=(datetime.date.today()
                                                      + datetime.timedelta(days=3)).isoformat())
    studied = publish(party, title="已经学过的")
    read_long_enough(studied, user)
    services.complete(user, studied, assignment_of(studied, user), {})
    # For someone else only: another branch's member, and chosen members without this one.
    publish(party, author=actor_for(party["admin_b"], "county_admin"), title="乙县材料")
    publish(party, title="只给乙", audience="chosen", members=str(party["members"][1].id))
    response = client.get("/study/")
    assert response.headers["X-Keep-Offline"] == "1"  # sw.js keeps it once opened
    assert "X-Keep-Offline" not in client.get("/study/?x=1").headers
    page = soup(response)
    todo = [text_of(li.find("strong")) for li in page.select("#to-study li")]
    done = [text_of(li.find("strong")) for li in page.select("#studied li")]
    assert todo == ["学习二十大报告"] and done == ["已经学过的"]
    assert "Study by" in text_of(page.select_one("#to-study li"))
    assert "乙县材料" not in page.get_text() and "只给乙" not in page.get_text()
    assert page.select_one("#to-study a")["href"] == f"/study/{mine.id}"


def test_the_home_card_counts_what_is_still_to_study(app, party, member):
    user, _client = member
    publish(party)
    publish(party, title="第二份")
    done = publish(party, title="学完了")
    read_long_enough(done, user)
    services.complete(user, done, assignment_of(done, user), {})
    # The card is a template of its own, which the homes include.
    g.user = user
    card = BeautifulSoup(render_template("study/_home_card.html"), "html.parser")
    g.pop("study_to_do")
    g.user = party["outsider"]
    assert not render_template("study/_home_card.html").strip()  # nothing to study
    assert text_of(card.select_one("#study-home h2")) == "To study (2)"
    assert card.select_one("#study-home a")["href"] == "/study/"


# ------------------------------------------------------------------ the reading page

def test_reading_page_stamps_the_first_opening_once_and_may_be_kept(party, member):
    user, client = member
    material = publish(party)
    assert assignment_of(material, user).opened_at is None
    response = client.get(f"/study/{material.id}")
    assert response.status_code == 200
    assert response.headers["X-Keep-Offline"] == "1"  # sw.js keeps it for use offline
    first = assignment_of(material, user).opened_at
    assert first is not None
    (StudyAssignment.update(opened_at=first - datetime.timedelta(minutes=1))
     .where(StudyAssignment.id == assignment_of(material, user).id).execute())
    assert client.get(f"/study/{material.id}").status_code == 200
    assert assignment_of(material, user).opened_at == first - datetime.timedelta(minutes=1)
    page = soup(response)
    assert text_of(page.find("h1")) == "学习党章"
    assert text_of(page.select_one(".study-text h3")) == "第一章"  # "##" under the page's h1
    button = page.select_one("form[data-study-form] button[data-study-done]")
    assert button.has_attr("disabled") and int(button["data-seconds"]) == 120
    form = button.find_parent("form")
    assert form["method"] == "post" and form["action"] == f"/study/{material.id}/done"
    assert form.find("input", attrs={"name": "csrf_token"})
    assert form.find("input", attrs={"name": "for_user"})["value"] == str(user.id)
    assert "/static/js/study.js" in [t["src"].split("?")[0] for t in page.find_all("script")]
    assert not page.select("script:not([src])")  # strict CSP: no inline script


def test_the_fragment_is_the_study_part(party, member):
    _user, client = member
    material = publish(party)
    response = client.htmx_get(f"/study/{material.id}")
    assert response.status_code == 200 and "X-Keep-Offline" not in response.headers
    assert "HX-Request" in response.headers["Vary"]
    part = soup(response)
    assert part.find("h1") is None and part.select_one("section#study-action form")


def test_sanitised_text_no_script_reaches_the_page(party, member):
    _user, client = member
    material = publish(party, body=(
        "# 标题\n\n<script>alert(1)</script>\n\n<p onclick=\"alert(2)\">段落</p>\n\n"
        "[链接](javascript:alert(3)) <img src=x onerror=alert(4)>"
        "<style>body{display:none}</style>"))
    html = client.get(f"/study/{material.id}").get_data(as_text=True)
    page = BeautifulSoup(html, "html.parser")
    text = page.select_one(".study-text")
    assert text is not None and text_of(text.find("h2")) == "标题"
    assert not text.find_all(["script", "img", "style"])
    assert not [a for tag in text.find_all(True) for a in tag.attrs if a.startswith("on")]
    assert not [a for a in text.find_all("a") if "javascript" in a.get("href", "")]
    assert "alert(1)" not in html.replace("&lt;script&gt;alert(1)", "")  # never as a script
    assert not page.select("script:not([src])")


def test_the_title_and_link_are_escaped(party, member):
    _user, client = member
    material = publish(party, title="<b>粗体</b>", link="https://example.org/a?b=1&c=<2>")
    page = soup(client.get(f"/study/{material.id}"))
    assert text_of(page.find("h1")) == "<b>粗体</b>" and page.find("h1").find("b") is None
    link = page.select_one(".study-link a")
    assert link["href"] == "https://example.org/a?b=1&c=<2>"
    assert "noopener" in link["rel"]


def test_another_persons_material_is_not_found(app, party, member):
    _user, client = member
    others = publish(party, audience="chosen", members=str(party["members"][1].id))
    foreign = publish(party, author=actor_for(party["admin_b"], "county_admin"))
    for material in (others, foreign):
        for path in (f"/study/{material.id}", f"/study/{material.id}/file"):
            assert client.get(path).status_code == 404, path
        assert client.post(f"/study/{material.id}/done").status_code == 404
    assert client.get("/study/999999").status_code == 404
    assert client.get("/study/99999999999999999999").status_code == 404
    assert not StudyAssignment.select().where(StudyAssignment.opened_at.is_null(False)).count()


def test_a_visitor_is_sent_to_sign_in(client, party):
    material = publish(party)
    response = client.get(f"/study/{material.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/study/").status_code == 302
    assert assignment_of(material, party["members"][0]).opened_at is None


def test_a_withdrawn_material_is_gone_and_its_hours_too(party, member):
    user, client = member
    material = publish(party)
    client.get(f"/study/{material.id}")
    read_long_enough(material, user)
    assert client.post(f"/study/{material.id}/done").status_code == 303
    assert [e.status for e in study_entries(user)] == ["recorded"]
    services.withdraw(actor_for(party["secretary"], "secretary"),
                      StudyMaterial.get_by_id(material.id))
    assert client.get(f"/study/{material.id}").status_code == 404
    assert client.post(f"/study/{material.id}/done").status_code == 404
    assert [e.status for e in study_entries(user)] == ["withdrawn"]
    assert material.title not in client.get("/study/").get_data(as_text=True)


def test_any_assigned_person_may_study_whatever_role(app, party):
    secretary = party["secretary"]   # the secretary is a member of the branch too
    material = publish(party)
    client = signed_in(app, secretary)
    assert client.get(f"/study/{material.id}").status_code == 200


# ------------------------------------------------------------------ marking it studied

def test_done_too_early_is_refused_and_nothing_recorded(party, member):
    user, client = member
    material = publish(party)
    client.get(f"/study/{material.id}")
    response = client.post(f"/study/{material.id}/done")
    assert response.status_code == 409
    page = soup(response)
    assert "Read it a little longer" in text_of(page.select_one(".form-error"))
    assert page.select_one("button[data-study-done]").has_attr("disabled")
    assert assignment_of(material, user).completed_at is None and not study_entries(user)


def test_done_without_opening_is_refused(party, member):
    user, client = member
    material = publish(party)
    assert client.post(f"/study/{material.id}/done").status_code == 409
    assert not study_entries(user)


def test_done_after_the_reading_time_records_political_study_once(party, member):
    user, client = member
    material = publish(party, hours="0.75")
    client.get(f"/study/{material.id}")
    read_long_enough(material, user)
    page = soup(client.get(f"/study/{material.id}"))
    assert not page.select_one("button[data-study-done]").has_attr("disabled")
    first = client.post(f"/study/{material.id}/done")
    assert first.status_code == 303 and first.headers["Location"].endswith(f"/study/{material.id}")
    again = client.post(f"/study/{material.id}/done")
    assert again.status_code == 303
    [entry] = study_entries(user)
    assert entry.hours == pytest.approx(0.75) and entry.status == "recorded"
    assert entry.source != "self"
    result = client.get(f"/study/{material.id}")
    assert result.headers["X-Keep-Offline"] == "1"  # the result is what is kept now
    page = soup(result)
    assert page.select_one("[data-studied]") and not page.select("form[data-study-form]")
    assert "0.75" in text_of(page.select_one("[data-studied]"))
    listing = soup(client.get("/study/"))
    assert not listing.select("#to-study li") and len(listing.select("#studied li")) == 1


def test_done_by_htmx_redirects(party, member):
    user, client = member
    material = publish(party)
    client.get(f"/study/{material.id}")
    read_long_enough(material, user)
    response = client.post(f"/study/{material.id}/done", htmx=True)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].endswith(f"/study/{material.id}")


def test_done_needs_the_csrf_token(party, member):
    user, client = member
    material = publish(party)
    client.get(f"/study/{material.id}")
    read_long_enough(material, user)
    assert client.post(f"/study/{material.id}/done", csrf=False).status_code in (400, 403)
    assert not study_entries(user)


def test_a_page_filled_in_for_someone_else_is_refused(party, member):
    user, client = member
    material = publish(party)
    client.get(f"/study/{material.id}")
    read_long_enough(material, user)
    response = client.post(f"/study/{material.id}/done",
                           {"for_user": str(party["members"][1].id)})
    assert response.status_code == 409 and not study_entries(user)


# ------------------------------------------------------------------ the quiz

def test_quiz_form_has_a_radio_per_choice(party, member):
    _user, client = member
    material = publish(party, questions=QUIZ)
    page = soup(client.get(f"/study/{material.id}"))
    sets = page.select("form[data-study-form] fieldset[data-question]")
    assert len(sets) == 3
    assert text_of(sets[0].find("legend")) == "1. 党的最高理想是什么？"
    radios = sets[0].select("input[type=radio]")
    assert [r["name"] for r in radios] == ["a1"] * 3 and [r["value"] for r in radios] == [
        "1", "2", "3"]
    assert all(r.find_parent("label") for r in radios)  # the whole label is the target


def test_quiz_is_scored_and_right_answers_shown(party, member):
    user, client = member
    material = publish(party, questions=QUIZ)
    client.get(f"/study/{material.id}")
    read_long_enough(material, user)
    response = client.post(f"/study/{material.id}/done", {"a1": "1", "a2": "2", "a3": "1"})
    assert response.status_code == 303
    assignment = assignment_of(material, user)
    assert assignment.score == 2 and json.loads(assignment.answers) == [0, 1, 0]
    page = soup(client.get(f"/study/{material.id}"))
    assert text_of(page.select_one(".study-score")) == "2 of 3 right"
    rows = page.select("li[data-question]")
    assert [r.select_one("[data-verdict]")["data-verdict"] for r in rows] == [
        "right", "wrong", "right"]
    assert text_of(rows[1].select_one("[data-mine]")) == "Your answer: 不参加组织生活"
    assert text_of(rows[1].select_one("[data-right]")) == "Right answer: 按时交纳党费"
    assert len(study_entries(user)) == 1
    assert "Score: 2 of 3" in text_of(soup(client.get("/study/")).select_one("#studied"))


@pytest.mark.parametrize("answers", [
    {"a1": "1", "a2": "1"},                    # one missing
    {"a1": "1", "a2": "1", "a3": ""},          # one blank
    {"a1": "1", "a2": "9", "a3": "1"},         # no such choice
    {"a1": "x", "a2": "1", "a3": "1"},         # not a number
    {"a1": "１", "a2": "1", "a3": "1"},        # a full-width digit
    {"a1": "1" * 40, "a2": "1", "a3": "1"},    # huge
])
def test_a_missing_or_bad_answer_is_a_400_and_nothing_recorded(party, member, answers):
    user, client = member
    material = publish(party, questions=QUIZ)
    client.get(f"/study/{material.id}")
    read_long_enough(material, user)
    response = client.post(f"/study/{material.id}/done", answers)
    assert response.status_code == 400
    page = soup(response)
    assert page.select(".field-error, .form-error")
    # What was ticked stays ticked.
    assert page.select_one("input[name=a1][value='1']").has_attr("checked") == (
        answers["a1"] == "1")
    assert assignment_of(material, user).completed_at is None and not study_entries(user)


# ------------------------------------------------------------------ the attachment

def test_the_attached_picture_is_shown_and_sent_to_its_members_only(app, party, member):
    user, client = member
    files = MultiDict([("attachment", FileStorage(io.BytesIO(png_bytes()), "学习.png",
                                                  content_type="image/png"))])
    material = publish(party, files=files)
    page = soup(client.get(f"/study/{material.id}"))
    assert page.select_one(".study-attachment img")["src"] == f"/study/{material.id}/file"
    response = client.get(f"/study/{material.id}/file")
    assert response.status_code == 200 and response.mimetype.startswith("image/")
    assert response.data[:2] == b"\xff\xd8"  # stored as a JPEG
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()
    other = signed_in(app, party["member_b"])
    assert other.get(f"/study/{material.id}/file").status_code == 404


def test_an_attached_pdf_is_a_download(party, member):
    _user, client = member
    files = MultiDict([("attachment", FileStorage(io.BytesIO(PDF), "党章.pdf",
                                                  content_type="application/pdf"))])
    material = publish(party, files=files, body="")
    page = soup(client.get(f"/study/{material.id}"))
    assert page.select_one(".study-attachment img") is None
    assert page.select_one(".study-attachment a.btn")["href"] == f"/study/{material.id}/file"
    response = client.get(f"/study/{material.id}/file")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Disposition"].startswith("attachment")
    response.close()


def test_no_attachment_is_not_found(party, member):
    _user, client = member
    material = publish(party)
    assert client.get(f"/study/{material.id}/file").status_code == 404
