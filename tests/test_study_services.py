"""Party study without HTTP: publishing, scoping, the minimum reading time, the quiz, the
ledger entry and its withdrawal, reminders, the county's completion figures, the sub-target."""
import datetime
import json
from decimal import Decimal

import pytest
from werkzeug.datastructures import MultiDict

from tests.helpers import actor_for
from webapp import access
from webapp.accounts.models import AuditEvent, Notification
from webapp.branches.models import BranchMember
from webapp.db import utcnow
from webapp.errors import DomainError
from webapp.ledger.models import Entry
from webapp.study import forms, services
from webapp.study.models import StudyAssignment, StudyMaterial
from webapp.study.text import render
from webapp.targets import services as targets
from webapp.targets.models import Target

TODAY = datetime.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def request_context(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield


def form(**values):
    data = MultiDict()
    for key, value in values.items():
        for item in (value if isinstance(value, list) else [value]):
            data.add(key, item)
    return data


def quiz(**over):
    values = dict(title="学习《中国共产党章程》第一章", body="## 党员\n\n党员必须履行义务。",
                  hours="0.5", minutes="2",
                  q1_text="党员必须做到什么？", q1_choice1="履行义务", q1_choice2="随意",
                  q1_answer="1",
                  q2_text="党章第一章讲什么？", q2_choice1="党的纪律", q2_choice2="党员",
                  q2_choice3="党的组织", q2_answer="2")
    values.update(over)
    return form(**values)


def publish(party, who="secretary", data=None):
    actor = actor_for(party[who] if who != "secretary" else party["secretary"],
                      "county_admin" if who.startswith("admin") else "secretary")
    clean, errors = forms.clean_material(actor, data or quiz(), MultiDict(), TODAY)
    assert not errors, errors
    return actor, services.publish(actor, clean, today=TODAY)


def read_for(material, user, seconds):
    """The person opened the material `seconds` ago (by the server's clock)."""
    StudyAssignment.update(opened_at=utcnow() - datetime.timedelta(seconds=seconds)).where(
        StudyAssignment.material == material.id, StudyAssignment.user == user.id).execute()
    return services.get_assigned(user, material.id)


def test_a_secretary_publishes_for_the_branch_members(party):
    actor, material = publish(party)
    assert material.branch_id == party["branch"].id and material.county_id == party["a"].id
    assert material.min_seconds == 120 and material.hours == Decimal("0.5")
    assert "<h3>党员</h3>" in material.body_html
    people = {a.user_id for a in StudyAssignment.select().where(
        StudyAssignment.material == material.id)}
    on_roll = {m.user_id for m in BranchMember.select().where(
        BranchMember.branch == party["branch"].id, BranchMember.left_on.is_null())}
    assert people == on_roll and {m.id for m in party["members"]} <= people
    assert len(services.questions_of(material)) == 2
    notes = Notification.select().where(Notification.kind == "study_new")
    assert {n.user_id for n in notes} == people and all(n.link == f"/study/{material.id}"
                                                        for n in notes)
    event = AuditEvent.get(AuditEvent.action == "study.published")
    assert json.loads(event.detail)["members"] == len(on_roll)


def test_scoping_members_secretaries_and_counties(party):
    _actor, material = publish(party)
    member, outsider, member_b = party["members"][0], party["outsider"], party["member_b"]
    assert services.to_study(member) == 1 and services.to_study(outsider) == 0
    assert [m.id for m, _a in services.for_member(member)] == [material.id]
    with pytest.raises(Exception) as refused:
        services.get_assigned(member_b, material.id)
    assert getattr(refused.value, "code", None) == 404
    admin_b = actor_for(party["admin_b"], "county_admin")
    assert services.materials_for(admin_b).count() == 0
    assert services.materials_for(actor_for(party["admin_a"], "county_admin")).count() == 1
    assert access.study_materials(None, StudyMaterial).count() == 0


def test_a_county_material_reaches_every_branch_and_its_secretary(party):
    admin = actor_for(party["admin_a"], "county_admin")
    clean, errors = forms.clean_material(admin, quiz(branch=""), MultiDict(), TODAY)
    assert not errors
    material = services.publish(admin, clean, today=TODAY)
    assert material.branch_id is None
    assert services.materials_for(actor_for(party["secretary"], "secretary")).count() == 1
    # County B's branch is not the county's: its member is not asked.
    assert services.to_study(party["member_b"]) == 0
    assert services.to_study(party["members"][1]) == 1


def test_the_minimum_reading_time_is_kept_by_the_server(party):
    _actor, material = publish(party)
    member = party["members"][0]
    material, assignment = services.get_assigned(member, material.id)
    with pytest.raises(DomainError) as early:
        services.complete(member, material, assignment, form(a1="1", a2="2"))
    assert early.value.status == 409
    assignment = services.open_material(member, material, assignment)
    first = assignment.opened_at
    assert services.open_material(member, material, assignment).opened_at == first  # once
    assert 119 <= services.seconds_left(material, assignment) <= 120
    with pytest.raises(DomainError) as still:
        services.complete(member, material, assignment, form(a1="1", a2="2"))
    assert still.value.status == 409 and "minute" in still.value.message
    assert not Entry.select().where(Entry.kind == "political_study").exists()


def test_completion_scores_the_quiz_and_records_the_hours_once(party):
    _actor, material = publish(party)
    member = party["members"][0]
    material, assignment = read_for(material, member, 121)
    with pytest.raises(DomainError) as missing:
        services.complete(member, material, assignment, form(a1="1"))
    assert missing.value.field == "a2"
    for bad in ("0", "4", "x", "１", "-1", "9" * 30):
        with pytest.raises(DomainError):
            services.complete(member, material, assignment, form(a1=bad, a2="2"))
    done = services.complete(member, material, assignment, form(a1="1", a2="3"))
    assert done.score == 1 and services.answers_of(done) == [0, 2]
    again = services.complete(member, material, done, form(a1="1", a2="2"))
    assert again.score == 1
    entries = list(Entry.select().where(Entry.kind == "political_study"))
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.user_id, entry.hours, entry.status, entry.source) == (
        member.id, Decimal("0.5"), "recorded", "system")
    assert entry.description == material.title
    assert services.to_study(member) == 0


def test_withdrawing_the_material_withdraws_its_entries(party):
    actor, material = publish(party)
    member = party["members"][0]
    material, assignment = read_for(material, member, 500)
    services.complete(member, material, assignment, form(a1="1", a2="2"))
    services.withdraw(actor, material)
    assert Entry.get(Entry.kind == "political_study").status == "withdrawn"
    assert services.to_study(party["members"][1]) == 0
    assert services.for_member(member) == []
    assert AuditEvent.select().where(AuditEvent.action == "study.withdrawn").count() == 1


def test_changing_the_hours_keeps_recorded_entries_in_step(party):
    actor, material = publish(party)
    member = party["members"][0]
    material, assignment = read_for(material, member, 500)
    services.complete(member, material, assignment, form(a1="1", a2="2"))
    clean, errors = forms.clean_material(actor, quiz(hours="1.5", title="新题目"),
                                            MultiDict(), TODAY, material=material)
    assert not errors
    services.update(actor, material, clean)
    entry = Entry.get(Entry.kind == "political_study")
    assert (entry.hours, entry.description) == (Decimal("1.5"), "新题目")


def test_bad_input_is_refused_field_by_field(party):
    actor = actor_for(party["secretary"], "secretary")
    cases = {
        "title": quiz(title=""),
        "hours": quiz(hours="0.3"),
        "minutes": quiz(minutes="61"),
        "link": quiz(link="javascript:alert(1)"),
        "due_on": quiz(due_on="2026-06-14"),
        "q1_answer": quiz(q1_answer="3"),
        "q2_choice1": quiz(q2_choice1="", q2_choice2="", q2_choice3="只有一个"),
        "members": quiz(audience="chosen", members=[str(party["member_b"].id)]),
        "activity": quiz(activity="99999"),
        "body": form(title="空的", hours="0.5"),
    }
    for field, data in cases.items():
        _clean, errors = forms.clean_material(actor, data, MultiDict(), TODAY)
        assert field in errors, (field, errors)
    assert StudyMaterial.select().count() == 0


def test_chosen_members_only(party):
    chosen = party["members"][:2]
    _actor, material = publish(party, data=quiz(audience="chosen",
                                                 members=[str(m.id) for m in chosen]))
    assert {a.user_id for a in material.assignments} == {m.id for m in chosen}


def test_reminders_reach_those_not_studied_once_a_day(party):
    actor, material = publish(party)
    member = party["members"][0]
    material, assignment = read_for(material, member, 500)
    services.complete(member, material, assignment, form(a1="1", a2="2"))
    others = material.assignments.count() - 1   # the secretary is a member too
    assert services.remind(actor, material) == others
    assert services.remind(actor, material) == 0
    later = utcnow() + datetime.timedelta(hours=25)
    assert services.remind(actor, material, now=later) == others
    notes = Notification.select().where(Notification.kind == "study_reminder")
    assert member.id not in {n.user_id for n in notes}


def test_completion_list_and_county_figures(party):
    actor, material = publish(party)
    member = party["members"][0]
    material, assignment = read_for(material, member, 500)
    services.complete(member, material, assignment, form(a1="1", a2="2"))
    services.open_material(party["members"][1], *services.get_assigned(party["members"][1],
                                                                       material.id))
    rows, counts = services.completion(material)
    everyone = material.assignments.count()
    assert counts == {"studied": 1, "opened": 1, "not_opened": everyone - 2}
    assert rows[-1][2] == "studied"
    admin = actor_for(party["admin_a"], "county_admin")
    figures = {b.id: rest for b, *rest in services.county_completion(admin, utcnow().year)}
    assert figures[party["branch"].id] == [1, everyone, 1, 100 // everyone]
    assert party["branch_b"].id not in figures


def test_sanitised_rich_text():
    html = render("# 标题\n\n<script>alert(1)</script><img src=x onerror=alert(1)>"
                  "[a](javascript:alert(1)) <a href='https://x.cn' onclick='y'>ok</a>"
                  "<style>p{}</style><iframe src=//x></iframe>")
    assert "<h2>标题</h2>" in html
    for bad in ("<script", "onerror", "javascript:", "onclick", "<style", "<iframe", "<img"):
        assert bad not in html, (bad, html)
    assert 'href="https://x.cn"' in html


def test_the_political_study_sub_target_shows_only_where_set(party):
    member = party["members"][0]
    actor, material = publish(party)
    material, assignment = read_for(material, member, 500)
    services.complete(member, material, assignment, form(a1="1", a2="2"))
    today = utcnow().date()
    rows = targets.progress_for([member], today.year, today)[member.id]
    assert [r.metric for r in rows] == list(targets.PERSON_METRICS)
    education = rows[0]
    assert education.done == Decimal("0.5")
    Target.create(year=today.year, metric="political_study_hours", region=party["a"],
                  value=Decimal(8), source="县司法局")
    rows = targets.progress_for([member], today.year, today)[member.id]
    study = rows[-1]
    assert study.metric == "political_study_hours" and study.done == Decimal("0.5")
    assert study.target == targets._quarter(Decimal(8) * targets.period(
        today.year, today, member.licensed_on, member.deactivated_on)[4])
    counts = targets.status_counts({member.id: rows})
    assert set(counts) == set(targets.PERSON_METRICS)


def test_a_member_who_left_is_not_asked(party):
    leaver = party["members"][2]
    BranchMember.update(left_on=TODAY).where(BranchMember.user == leaver.id).execute()
    _actor, material = publish(party)
    assert leaver.id not in {a.user_id for a in material.assignments}


def test_a_secretary_reads_but_does_not_change_what_the_county_published_for_the_branch(party):
    admin = actor_for(party["admin_a"], "county_admin")
    clean, errors = forms.clean_material(admin, quiz(branch=str(party["branch"].id)),
                                            MultiDict(), TODAY)
    assert not errors
    material = services.publish(admin, clean, today=TODAY)
    secretary = actor_for(party["secretary"], "secretary")
    assert services.materials_for(secretary).where(StudyMaterial.id == material.id).exists()
    assert not services.can_change(secretary, material)
    with pytest.raises(DomainError) as refused:
        services.withdraw(secretary, material)
    assert refused.value.status == 403
    assert services.can_change(admin, material)


def test_the_same_form_sent_twice_publishes_once(party):
    actor = actor_for(party["secretary"], "secretary")
    data = quiz(idempotency_key="k" * 32)
    first = services.publish(actor, forms.clean_material(actor, data, MultiDict(), TODAY)[0],
                             today=TODAY)
    again = services.publish(actor, forms.clean_material(actor, data, MultiDict(), TODAY)[0],
                             today=TODAY)
    assert again.id == first.id and StudyMaterial.select().count() == 1
    assert Notification.select().where(Notification.kind == "study_new").count() == \
        first.assignments.count()
    _clean, errors = forms.clean_material(actor, quiz(idempotency_key="bad key!"),
                                             MultiDict(), TODAY)
    assert "idempotency_key" in errors


def test_studying_material_withdrawn_meanwhile_records_nothing(party):
    actor, material = publish(party)
    member = party["members"][0]
    stale, assignment = read_for(material, member, 500)
    services.withdraw(actor, StudyMaterial.get_by_id(material.id))
    with pytest.raises(DomainError) as refused:
        services.complete(member, stale, assignment, form(a1="1", a2="2"))   # loaded before
    assert refused.value.status == 409
    assert not Entry.select().where(Entry.kind == "political_study").exists()


def test_editing_needs_the_hours_and_the_text_has_a_limit(party):
    actor, material = publish(party)
    _clean, errors = forms.clean_material(actor, quiz(hours=""), MultiDict(), TODAY,
                                             material=material)
    assert "hours" in errors
    _clean, errors = forms.clean_material(actor, quiz(body="字" * (forms.MAX_BODY + 1)),
                                             MultiDict(), TODAY)
    assert "body" in errors
