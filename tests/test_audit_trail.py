"""The audit trail: every administrative action and review decision leaves a row (who, what,
when, from where, before → after); administrators read their own counties' rows, filtered,
in pages and as a workbook; and no code, route or database statement can change a row."""
import ast
import datetime
import io
import json
import re
from pathlib import Path
from decimal import Decimal

import openpyxl
import pytest
from peewee import DatabaseError

from tests.helpers import START, ENGINE, signed_in, soup, text_of
from tests.roster_helpers import csv_bytes, multipart, row, token_of
from webapp import access
from webapp.accounts import audit_trail
from webapp.accounts.models import AuditEvent, Firm, Region, RoleGrant, User
from webapp.branches.models import BranchActivity, BranchMember
from webapp.config import ROOT
from webapp.db import db, utcnow
from webapp.i18n import local_today, to_local
from webapp.ledger.models import Entry
from webapp.reports.inspection_models import Inspection, InspectionItem
from webapp.reports.models import FirmReport
from webapp.trainings.models import Attendance, Training, TrainingCategory

ADDRESS = "10.20.30.40"


@pytest.fixture(autouse=True)
def _fast(fast_passwords):  # noqa: F811
    """Sign-ins here use cheap hashes."""


# ------------------------------------------------------------------ every action, through HTTP

class Scene:
    """County A with its administrator, a person, a training, a branch and its secretary."""

    def __init__(self, app, world, make_user):
        self.app, self.world, self.make_user = app, world, make_user
        self.a, self.b, self.city = world["a"], world["b"], world["city"]
        self.admin = make_user("county_admin", name="甲县管理员")
        self.city_admin = make_user("city_admin", name="市管理员")
        self.person = make_user(name="王五")
        self.category = TrainingCategory.create(name="业务技能", name_en="Professional skills")

    def post(self, user, url, data=None, **kw):
        client = signed_in(self.app, user)
        return client.post(url, data, environ_base={"REMOTE_ADDR": ADDRESS}, **kw)

    def training(self, start_in_minutes=None, **fields):
        start = START if start_in_minutes is None else (
            utcnow().replace(microsecond=0) + datetime.timedelta(minutes=start_in_minutes))
        values = {"title": "调解技巧培训", "category": self.category, "organiser": self.a,
                  "start_at": start, "end_at": start + datetime.timedelta(hours=3),
                  "place": "县司法局", "credit_hours": Decimal("3"), "secret": "s" * 64}
        values.update(fields)
        return Training.create(**values)

    def secretary(self):
        return self.make_user("secretary", name="书记")

    def report(self, kind="info", status="submitted"):
        director = self.make_user("director", name="主任")
        return FirmReport.create(
            firm=self.world["firm_a"], author=director, kind=kind,
            month=local_today().replace(day=1), title="信息一则", body="调解邻里纠纷一起",
            facts="务工人员被拖欠工资。", handling="调解。", result="结清。", lesson="及早介入。",
            status=status)


def expect(response, actor, action, obj=None, region=None, change=None, status=(303, 204)):
    """What the case's request must have left: the newest audit row says who, what, where."""
    assert response.status_code in ((status,) if isinstance(status, int) else status), [
        text_of(p) for p in soup(response).select(".form-error, .field-error")]
    return {"actor": actor, "action": action, "obj": obj, "region": region, "change": change}


def person_form(world, **changes):
    data = {"name": "赵敏", "phone": "13600000001", "firm_id": world["firm_a"].id,
            "licence_no": "JC-001", "birth_year": "1970", "party_member": "1"}
    data.update(changes)
    return data


def training_form(category, **over):
    data = {"title": "人民调解实务培训", "category_id": category.id, "date": "2026-06-02",
            "start": "09:00", "end": "11:30", "place": "县司法局", "credit_hours": "2.5",
            "audience": "region"}
    data.update(over)
    return data


def case_person_create(s):
    r = s.post(s.admin, "/admin/people/new", person_form(s.world))
    return expect(r, s.admin, "user.create", User.get(User.phone == "13600000001"), s.a,
                  status=200)


def case_person_edit(s):
    r = s.post(s.admin, f"/admin/people/{s.person.id}",
               person_form(s.world, name="王五一", phone=s.person.phone))
    return expect(r, s.admin, "user.update", s.person, s.a, ("Name", "王五", "王五一"))


def case_person_deactivate(s):
    r = s.post(s.admin, f"/admin/people/{s.person.id}/active", {"active": "0"})
    return expect(r, s.admin, "user.deactivate", s.person, s.a)


def case_person_director(s):
    r = s.post(s.admin, f"/admin/people/{s.person.id}/director", {"director": "1"})
    return expect(r, s.admin, "user.director", s.person, s.a)


def case_password_reset(s):
    r = s.post(s.admin, f"/admin/people/{s.person.id}/reset")
    return expect(r, s.admin, "user.reset_password", s.person, s.a, status=200)


def case_firm_create(s):
    r = s.post(s.admin, "/admin/firms/new", {"name": "甲县新城法律服务所", "township": "新城街道",
                                              "setting": "urban"})
    return expect(r, s.admin, "firm.create", Firm.get(Firm.name == "甲县新城法律服务所"), s.a)


def case_firm_edit(s):
    firm = s.world["firm_a"]
    r = s.post(s.admin, f"/admin/firms/{firm.id}", {"name": firm.name, "township": "新街道",
                                                     "setting": "urban"})
    return expect(r, s.admin, "firm.update", firm, s.a, ("Township or street", "—", "新街道"))


def case_firm_deactivate(s):
    firm = Firm.create(name="甲县旧所", county=s.a)
    r = s.post(s.admin, f"/admin/firms/{firm.id}/active", {"active": "0"})
    return expect(r, s.admin, "firm.deactivate", firm, s.a)


def case_training_create(s):
    r = s.post(s.admin, "/trainings/new", training_form(s.category))
    return expect(r, s.admin, "training.create", Training.get(), s.a)


def case_training_edit(s):
    training = s.training()
    r = s.post(s.admin, f"/trainings/{training.id}/edit",
               training_form(s.category, title="调解技巧培训（二）"))
    return expect(r, s.admin, "training.update", training, s.a,
                  ("Title", "调解技巧培训", "调解技巧培训（二）"))


def case_training_cancel(s):
    training = s.training()
    r = s.post(s.admin, f"/trainings/{training.id}/cancel")
    return expect(r, s.admin, "training.cancel", training, s.a)


def case_attendance_by_staff(s):
    training = s.training(start_in_minutes=-30)
    r = s.post(s.admin, f"/trainings/{training.id}/attendance/{s.person.id}",
               {"action": "present", "reason": "无智能手机"})
    return expect(r, s.admin, "attendance.mark_present", Attendance.get(), s.a)


def case_attendance_corrected(s):
    training = s.training(start_in_minutes=-90)
    url = f"/trainings/{training.id}/attendance/{s.person.id}"
    assert s.post(s.admin, url, {"action": "present", "reason": "无智能手机"}).status_code == 303
    late = to_local(training.start_at + datetime.timedelta(minutes=40))
    r = s.post(s.admin, url, {"action": "correct", "in_time": late.strftime("%H:%M"),
                              "out_time": "", "reason": "实际迟到"})
    return expect(r, s.admin, "attendance.correct", Attendance.get(), s.a,
                  ("Checked in", to_local(training.start_at).strftime("%Y-%m-%d %H:%M"),
                   late.strftime("%Y-%m-%d %H:%M")))


def case_category_create(s):
    r = s.post(s.admin, "/trainings/categories", {"name": "普法宣传", "name_en": "Legal publicity"})
    return expect(r, s.admin, "training_category.create",
                  TrainingCategory.get(TrainingCategory.name == "普法宣传"), s.a)


def case_category_rename(s):
    own = TrainingCategory.create(name="甲县专题", region=s.a, position=1)
    r = s.post(s.admin, f"/trainings/categories/{own.id}", {"name": "甲县实务", "name_en": ""})
    return expect(r, s.admin, "training_category.rename", own, s.a, ("Name", "甲县专题", "甲县实务"))


def case_target_set(s):
    r = s.post(s.admin, f"/admin/targets?year={local_today().year}",
               {"metric": "public_service_hours", "value": "40", "source": "所务会"})
    return expect(r, s.admin, "target.set", "target", s.a, ("Value", "—", "40"))


def case_assessment(s):
    r = s.post(s.admin, f"/home/assessment/person/{s.person.id}/result", {"result": "competent"})
    return expect(r, s.admin, "assessment.record", "assessment", s.a)


def _entry(s):
    return Entry.create(user=s.person, kind="public_service", date=local_today(), hours=1,
                        category="consultation", source="self", status="pending")


def case_entry_approve(s):
    entry = _entry(s)
    r = s.post(s.admin, f"/ledger/review/{entry.id}/approve")
    return expect(r, s.admin, "entry.approve", entry, s.a)


def case_entry_decline(s):
    entry = _entry(s)
    r = s.post(s.admin, f"/ledger/review/{entry.id}/decline", {"reason": "缺少证明材料。"})
    return expect(r, s.admin, "entry.decline", entry, s.a)


def case_review_rules(s):
    r = s.post(s.admin, f"/ledger/rules?year={local_today().year}", {
        "max_public_hours_per_day": "6", "outside_education_cap": "10",
        "education_needs_evidence": "1", "director_reviews": "1"})
    return expect(r, s.admin, "review_rule.save", "reviewrule", s.a)


def case_report_accept(s):
    report = s.report()
    r = s.post(s.admin, f"/reports/{report.id}/accept")
    return expect(r, s.admin, "report.accept", report, s.a)


def case_report_return(s):
    report = s.report()
    r = s.post(s.admin, f"/reports/{report.id}/return", {"reason": "请补充时间地点。"})
    return expect(r, s.admin, "report.return", report, s.a)


def case_inspection_record(s):
    day = local_today() - datetime.timedelta(days=3)
    r = s.post(s.admin, f"/inspections/firm/{s.world['firm_a'].id}/new", {
        "held_on": day.isoformat(), "inspectors": "张三、李四", "findings": "台账不全",
        "item_text": ["补齐台账"], "item_due": [(day + datetime.timedelta(days=20)).isoformat()]})
    return expect(r, s.admin, "inspection.record", Inspection.get(), s.a)


def case_inspection_close(s):
    today = local_today()
    inspection = Inspection.create(firm=s.world["firm_a"], county=s.a, held_on=today,
                                   inspectors="督查组", findings="台账不全", created_by=s.admin)
    item = InspectionItem.create(inspection=inspection, text="补齐台账",
                                 due_on=today + datetime.timedelta(days=30))
    r = s.post(s.admin, f"/inspections/item/{item.id}/close", {"note": "已补齐"})
    return expect(r, s.admin, "inspection.close_item", item, s.a)


def case_bulletin_issue(s):
    last = (local_today().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    r = s.post(s.admin, f"/bulletins/{last:%Y-%m}/issue", {"remarks": "请各所按时报送。"})
    return expect(r, s.admin, "bulletin.issue", "bulletin", s.a)


def case_selection(s):
    report = s.report(kind="case", status="accepted")
    assert s.post(s.admin, f"/selection/{report.id}/recommend").status_code == 303
    r = s.post(s.city_admin, f"/selection/{report.id}/choose")
    return expect(r, s.city_admin, "case.choose", "caseselection", s.a)


def case_branch_edit(s):
    branch = s.world["branch"]
    r = s.post(s.admin, f"/branches/{branch.id}/edit", {
        "name": "甲县第一联合支部", "kind": "joint", "firm_ids": s.world["firm_a"].id,
        "justice_office": "1"})
    return expect(r, s.admin, "branch.update", branch, s.a,
                  ("Name", "甲县联合支部", "甲县第一联合支部"))


def case_branch_member_add(s):
    member = s.make_user(name="党员丁", party_member=True)
    r = s.post(s.admin, f"/branches/{s.world['branch'].id}/members",
               {"user_id": member.id, "standing": "full", "joined_on": "2020-07-01"})
    return expect(r, s.admin, "branch.member_add", s.world["branch"], s.a)


def case_branch_secretary(s):
    member = s.make_user(name="党员戊", party_member=True)
    BranchMember.create(branch=s.world["branch"], user=member)
    r = s.post(s.admin, f"/branches/{s.world['branch'].id}/secretary", {"user_id": member.id})
    return expect(r, s.admin, "branch.secretary", s.world["branch"], s.a)


def _activity_form(**over):
    data = {"kind": "party_lecture", "date": (local_today() + datetime.timedelta(days=5))
            .isoformat(), "start": "09:00", "end": "11:00", "topic": "党课：党的光辉历程"}
    data.update(over)
    return data


def case_activity_create(s):
    secretary = s.secretary()
    r = s.post(secretary, "/branch/activities/new", _activity_form())
    return expect(r, secretary, "activity.create", BranchActivity.get(), s.a)


def case_activity_edit(s):
    secretary = s.secretary()
    assert s.post(secretary, "/branch/activities/new", _activity_form()).status_code == 303
    activity = BranchActivity.get()
    r = s.post(secretary, f"/branch/activities/{activity.id}/edit",
               _activity_form(topic="党课：初心使命"))
    return expect(r, secretary, "activity.update", activity, s.a,
                  ("Topic", "党课：党的光辉历程", "党课：初心使命"))


def case_activity_attendance(s):
    secretary = s.secretary()
    member = s.make_user(name="党员己", party_member=True)
    BranchMember.create(branch=s.world["branch"], user=member,
                        joined_on=datetime.date(2020, 1, 1))
    start = utcnow() - datetime.timedelta(hours=3)
    activity = BranchActivity.create(branch=s.world["branch"], kind="theme_day", topic="主题党日",
                                     start_at=start, end_at=start + datetime.timedelta(hours=2),
                                     secret="a" * 64, status="held")
    r = s.post(secretary, f"/branch/activities/{activity.id}/attendance",
               {"user_id": member.id, "status": "present"})
    return expect(r, secretary, "attendance.mark", activity, s.a)


def case_roster_import(s):
    client = signed_in(s.app, s.admin)
    body, content_type = multipart({"csrf_token": client.csrf()},
                                   {"file": ("roster.csv", csv_bytes([row()]))})
    preview = client.c.post("/admin/people/import", data=body, content_type=content_type)
    r = client.post("/admin/people/import/confirm", {"token": token_of(preview)},
                    environ_base={"REMOTE_ADDR": ADDRESS})
    return expect(r, s.admin, "roster.import", None, s.a, status=(200, 303))


def case_county_figures(s):
    r = s.post(s.admin, f"/home/figures?year={local_today().year}", {
        f"population-{s.a.id}": "612,000", f"lawyers-{s.a.id}": "85"})
    return expect(r, s.admin, "region_year.set", "regionyear", s.a, ("Residents", "—", "612000"))


CASES = [case_person_create, case_person_edit, case_person_deactivate, case_person_director,
         case_password_reset, case_firm_create, case_firm_edit, case_firm_deactivate,
         case_training_create, case_training_edit, case_training_cancel,
         case_attendance_by_staff, case_attendance_corrected, case_category_create,
         case_category_rename, case_target_set, case_assessment, case_entry_approve,
         case_entry_decline, case_review_rules, case_report_accept, case_report_return,
         case_inspection_record, case_inspection_close, case_bulletin_issue, case_selection,
         case_branch_edit, case_branch_member_add, case_branch_secretary, case_activity_create,
         case_activity_edit, case_activity_attendance, case_roster_import, case_county_figures]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__.removeprefix("case_"))
def test_each_administrative_action_leaves_an_audit_row(app, world, make_user, case):
    scene = Scene(app, world, make_user)
    before = AuditEvent.select().count()
    want = case(scene)
    event = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    assert AuditEvent.select().count() > before, "no audit row"
    assert (event.action, event.actor_id, event.region_id, event.address) == (
        want["action"], want["actor"].id, want["region"].id, ADDRESS)
    assert abs(event.created_at - utcnow()) < datetime.timedelta(minutes=5)
    obj = want["obj"]
    if isinstance(obj, str):
        assert event.object_type == obj and event.object_id is not None
    elif obj is None:
        assert event.object_id is None
    else:
        assert (event.object_type, event.object_id) == (type(obj).__name__.lower(), obj.id)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        [line] = audit_trail.describe([event])
        assert line.action == str(audit_trail.ACTION_LABELS[event.action])   # named, not a code
    if want["change"]:
        assert want["change"] in line.changes, line.changes
    # The administrator of the county reads it on the audit page.
    page = soup(signed_in(app, scene.admin if want["actor"] != scene.city_admin
                          else scene.city_admin).get("/admin/audit"))
    assert page.find(id=f"audit-{event.id}") is not None


def test_the_create_admin_command_is_audited_as_the_command_line(app, world):
    result = app.test_cli_runner().invoke(args=[
        "create-admin", "--name", "丙县管理员", "--login", "13900009999", "--region", "丙县",
        "--kind", "county", "--parent", world["city"].name, "--password", "long-password-1"])
    assert result.exit_code == 0, result.output
    db.connect(reuse_if_open=True)
    event = AuditEvent.get(AuditEvent.action == "user.create_admin")
    user = User.get(User.phone == "13900009999")
    assert (event.actor_id, event.object_id, event.address) == (None, user.id, "command line")
    assert event.region_id == Region.get(Region.name == "丙县").id
    assert json.loads(event.detail) == {"name": "丙县管理员", "role": "county_admin"}


def test_changed_gives_only_the_fields_that_changed():
    assert access.changed({"a": 1, "b": "x"}, {"a": 1, "b": "y", "d": 2}) == {
        "b": ["x", "y"], "d": [None, 2]}
    assert access.changed({"a": 1}, {"a": 1}) == {}


# ------------------------------------------------------------------ reading: scope, filters, export

def _event(action, region, actor=None, at=None, obj_type="", obj_id=None, detail=None):
    return AuditEvent.create(actor=actor, action=action, object_type=obj_type, object_id=obj_id,
                             region=region, detail=json.dumps(detail or {}, ensure_ascii=False),
                             address="10.0.0.1", created_at=at or utcnow())


@pytest.fixture
def trail(world, make_user):
    """Events in county A, county B and the city, at known days, by known people."""
    admin_a = make_user("county_admin", name="甲管理员")
    admin_b = make_user("county_admin", county=world["b"], name="乙管理员")
    city_admin = make_user("city_admin", name="市管理员")
    person_a = make_user(name="甲县人")
    person_b = make_user(county=world["b"], name="乙县人")
    day = datetime.datetime(2026, 3, 10, 2, 0)
    events = {
        "a1": _event("user.update", world["a"], admin_a, day, "user", person_a.id,
                     {"name": "甲县人", "changes": {"phone": ["13900000001", "13900000002"]}}),
        "a2": _event("firm.create", world["a"], admin_a, day + datetime.timedelta(days=5),
                     "firm", world["firm_a"].id, {"name": "甲县城关法律服务所"}),
        "a3": _event("entry.approve", world["a"], city_admin, day + datetime.timedelta(days=9),
                     "entry", 7, {"user": person_a.id}),
        "b1": _event("user.update", world["b"], admin_b, day + datetime.timedelta(days=1),
                     "user", person_b.id, {"name": "乙县人秘密"}),
        "b2": _event("firm.create", world["b"], admin_b, day + datetime.timedelta(days=2),
                     "firm", world["firm_b"].id, {"name": "乙县城关法律服务所"}),
        "city": _event("target.set", world["city"], city_admin, day + datetime.timedelta(days=3),
                       "target", 1, {"before": None, "after": "12"}),
        # No region: about a person of county A (shown there), and of county B (not).
        "none_a": _event("user.reset_password", None, None, day + datetime.timedelta(days=4),
                         "user", person_a.id),
        "none_b": _event("user.reset_password", None, None, day + datetime.timedelta(days=6),
                         "user", person_b.id),
    }
    return {"admin_a": admin_a, "admin_b": admin_b, "city_admin": city_admin,
            "person_a": person_a, "events": events}


def shown_ids(response):
    return [int(li["id"].removeprefix("audit-")) for li in soup(response).select("li.audit-row")]


def exported(response):
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def ids_of(trail, *names):
    return [trail["events"][n].id for n in names]


def test_a_county_admin_sees_only_the_county_in_the_list_and_the_export(app, trail):
    client = signed_in(app, trail["admin_a"])
    assert shown_ids(client.get("/admin/audit")) == ids_of(trail, "a3", "a2", "none_a", "a1")
    rows = exported(client.get("/admin/audit.xlsx"))
    assert len(rows) == 1 + 4
    text = json.dumps(rows, default=str, ensure_ascii=False)
    assert "乙县" not in text and "乙管理员" not in text and "秘密" not in text
    # Filters cannot widen the scope: another county's person or action shows nothing of theirs.
    other = client.get(f"/admin/audit?actor={trail['admin_b'].id}")
    assert other.status_code == 400 and shown_ids(other) == []
    assert shown_ids(client.get("/admin/audit?q=乙县人秘密")) == []
    b_client = signed_in(app, trail["admin_b"])
    assert shown_ids(b_client.get("/admin/audit")) == ids_of(trail, "none_b", "b2", "b1")


def test_the_city_admin_sees_every_county_of_the_city_and_its_own(app, trail):
    client = signed_in(app, trail["city_admin"])
    assert set(shown_ids(client.get("/admin/audit"))) == {
        e.id for e in trail["events"].values()}


def test_others_may_not_read_the_trail(app, trail, make_user):
    for role in ("practitioner", "director", "secretary"):
        client = signed_in(app, make_user(role))
        assert client.get("/admin/audit").status_code == 403
        assert client.get("/admin/audit.xlsx").status_code == 403


@pytest.mark.parametrize("query, names", [
    ("from=2026-03-15", ["a3", "a2"]),
    ("to=2026-03-14", ["none_a", "a1"]),
    ("from=2026-03-10&to=2026-03-10", ["a1"]),
    ("action=firm.create", ["a2"]),
    ("object=user", ["none_a", "a1"]),
    ("q=13900000002", ["a1"]),
    ("q=城关", ["a2"]),
    ("q=Firm+added", ["a2"]),
    ("q=甲管理员", ["a2", "a1"]),
    ("action=user.update&q=nothing-like-this", []),
])
def test_filters(app, trail, query, names):
    response = signed_in(app, trail["admin_a"]).get(f"/admin/audit?{query}")
    assert response.status_code == 200
    assert shown_ids(response) == ids_of(trail, *names)


def test_filter_by_person(app, trail):
    client = signed_in(app, trail["admin_a"])
    assert shown_ids(client.get(f"/admin/audit?actor={trail['city_admin'].id}")) == \
        ids_of(trail, "a3")
    page = soup(client.get("/admin/audit"))
    offered = [o.get_text() for o in page.select("#a-actor option")][1:]
    assert offered == sorted(["甲管理员", "市管理员"])


@pytest.mark.parametrize("query, field", [
    ("from=yesterday", "From"), ("to=2026-02-30", "To"), ("from=2026-03-20&to=2026-03-01", "end"),
    ("actor=abc", "people"), ("actor=99999999999999", "people"), ("action=made.up", "actions"),
    ("object=spaceship", "kinds of record"), ("page=-1", "page"), ("page=１", "page"),
    ("q=" + "x" * 61, "Search"),
])
def test_bad_filters_are_refused_with_a_message(app, trail, query, field):
    client = signed_in(app, trail["admin_a"])
    for url in ("/admin/audit", "/admin/audit.xlsx"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400
        message = text_of(soup(response).find(class_="form-error"))
        assert field.lower() in message.lower(), message


def test_changes_show_as_before_and_after(app, trail):
    page = soup(signed_in(app, trail["admin_a"]).get("/admin/audit"))
    row = page.find(id=f"audit-{trail['events']['a1'].id}")
    [change] = row.select(".audit-changes li")
    assert (text_of(change.find(class_="audit-field")), text_of(change.find("del")),
            text_of(change.find("ins"))) == ("Phone", "13900000001", "13900000002")
    assert text_of(row.find(class_="audit-action")) == "Person edited"
    assert text_of(row.find(class_="audit-who")) == "甲管理员"
    assert text_of(row.find("time")) == to_local(
        trail["events"]["a1"].created_at).strftime("%Y-%m-%d %H:%M")


def test_action_names_are_shown_in_the_readers_language(app, trail):
    page = soup(signed_in(app, trail["admin_a"], language="zh").get("/admin/audit"))
    row = page.find(id=f"audit-{trail['events']['a2'].id}")
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        chinese = str(audit_trail.ACTION_LABELS["firm.create"])
    assert text_of(row.find(class_="audit-action")) == chinese != "firm.create"
    assert page.find("html")["lang"].startswith("zh")


def _actions_written(tree):
    """The action names that audit(...) calls write, where they are written as literals."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(
                node.func, "id", None)) == "audit" and len(node.args) >= 2:
            names.update(n.value for n in ast.walk(node.args[1])
                         if isinstance(n, ast.Constant) and isinstance(n.value, str))
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "action"
                                                for t in node.targets):
            names.update(n.value for n in ast.walk(node.value)
                         if isinstance(n, ast.Constant) and isinstance(n.value, str))
    return names


def test_every_action_the_services_write_has_a_name():
    written = set()
    for path in sorted((ROOT / "webapp").rglob("*.py")):
        written |= _actions_written(ast.parse(path.read_text(encoding="utf-8")))
    written = {w for w in written if re.fullmatch(r"[a-z_]+\.[a-z_]+", w)}
    assert {"user.create", "entry.approve", "training.update", "branch.update"} <= written
    assert written - set(audit_trail.ACTION_LABELS) == set()


def test_the_export_equals_the_screen(app, trail):
    client = signed_in(app, trail["admin_a"])
    for query in ("", "?object=user", "?q=城关"):
        page = soup(client.get(f"/admin/audit{query}"))
        rows = exported(client.get(f"/admin/audit.xlsx{query}"))[1:]
        screen = page.select("li.audit-row")
        assert len(rows) == len(screen)
        for li, line in zip(screen, rows):
            when, who, action, what, _region, address, changes, _details = line
            assert when.strftime("%Y-%m-%d %H:%M") == text_of(li.find("time"))
            assert (who, action, what, address) == (
                text_of(li.find(class_="audit-who")), text_of(li.find(class_="audit-action")),
                text_of(li.find(class_="audit-object")), text_of(li.find(class_="audit-address")))
            shown = "; ".join(f"{text_of(c.find(class_='audit-field'))}: {text_of(c.find('del'))} "
                              f"→ {text_of(c.find('ins'))}" for c in li.select(".audit-changes li"))
            assert (changes or "") == shown
    link = soup(client.get("/admin/audit?object=user&page=1")).find(
        "a", href=re.compile(r"^/admin/audit\.xlsx"))
    assert link["href"] == "/admin/audit.xlsx?object=user"


def test_export_writes_text_never_a_formula(app, world, make_user):
    admin = make_user("county_admin")
    _event("firm.create", world["a"], admin, detail={"name": "=HYPERLINK(\"x\")"})
    response = signed_in(app, admin).get("/admin/audit.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    cell = sheet.cell(row=2, column=4)
    assert cell.data_type == "s" and "=HYPERLINK" in cell.value


def test_pages_of_fifty_page_and_fragment(app, world, make_user):
    admin = make_user("county_admin")
    start = datetime.datetime(2026, 1, 1, 2, 0)
    made = [_event("firm.update", world["a"], admin, start + datetime.timedelta(minutes=i))
            for i in range(audit_trail.PAGE_SIZE + 3)]
    client = signed_in(app, admin)
    first = client.get("/admin/audit")
    assert shown_ids(first) == [e.id for e in reversed(made)][:audit_trail.PAGE_SIZE]
    assert first.headers["Vary"] == "HX-Request" or "HX-Request" in first.headers["Vary"]
    older = soup(first).find("nav", class_="inbox-pager").find("a", string=re.compile("Older"))
    assert older["href"] == "/admin/audit?page=2" and older["hx-get"] == older["href"]
    fragment = client.get(older["href"], headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    body = soup(fragment)
    assert body.find("html") is None and body.find("form") is None
    assert body.find("section", id="audit-list") is not None
    assert shown_ids(fragment) == [e.id for e in reversed(made)][audit_trail.PAGE_SIZE:]
    assert len(exported(client.get("/admin/audit.xlsx"))) == 1 + len(made)


def test_the_page_works_without_javascript_and_on_a_phone(app, trail):
    page = soup(signed_in(app, trail["admin_a"]).get("/admin/audit"))
    form = page.find("form", class_="audit-filters")
    assert form["method"] == "get" and form["action"] == "/admin/audit"
    assert form["hx-get"] == "/admin/audit" and form["hx-target"] == "#audit-list"
    assert form.find("button", type="submit") is not None
    for name in ("from", "to", "actor", "action", "object", "q"):
        field = form.find(attrs={"name": name})
        assert field is not None and page.find("label", attrs={"for": field["id"]}) is not None
    assert not page.find_all("script", src=False) and not page.select("[style]")
    # Its phone layout (stacked rows) is in the app's one style sheet, cached by every page.
    assert page.select(".audit-row") and ".audit-row{" in (
        Path(app.root_path).parent / "static" / "css" / "app.css").read_text()


def test_the_htmx_fragment_shows_a_refused_filter(app, trail):
    response = signed_in(app, trail["admin_a"]).get(
        "/admin/audit?from=nonsense", headers={"HX-Request": "true"})
    assert response.status_code == 400
    body = soup(response)
    assert body.find("section", id="audit-list").has_attr("data-htmx-errors")
    assert "not a date" in text_of(body.find(class_="form-error"))


# ------------------------------------------------------------------ append-only

def test_the_database_refuses_to_update_or_delete_an_audit_row(world):
    event = _event("firm.create", world["a"])
    for statement in (lambda: AuditEvent.update(action="forged").execute(),
                      lambda: AuditEvent.update(created_at=utcnow()).where(
                          AuditEvent.id == event.id).execute(),
                      lambda: AuditEvent.delete().where(AuditEvent.id == event.id).execute(),
                      lambda: event.delete_instance(),
                      lambda: db.execute_sql('DELETE FROM "audit_event"')):
        with pytest.raises(DatabaseError, match="append-only"):
            with db.atomic():
                statement()
    if ENGINE == "postgres":
        with pytest.raises(DatabaseError, match="append-only"):
            with db.atomic():
                db.execute_sql('TRUNCATE "audit_event"')
    assert AuditEvent.get_by_id(event.id).action == "firm.create"
    assert AuditEvent.select().count() == 1
    _event("firm.update", world["a"])   # adding stays possible
    assert AuditEvent.select().count() == 2


def test_a_person_with_audit_rows_cannot_be_deleted_behind_the_trail(world, make_user):
    admin = make_user("county_admin")
    _event("firm.create", world["a"], admin)
    RoleGrant.delete().where(RoleGrant.user == admin.id).execute()
    with pytest.raises(DatabaseError):
        with db.atomic():
            User.delete().where(User.id == admin.id).execute()
    assert AuditEvent.get().actor_id == admin.id


AUDIT_NAMES = {"AuditEvent"}
CHANGES = {"update", "delete", "delete_instance", "delete_by_id", "replace", "insert_many",
           "save"}


def _audit_writes(tree, names):
    """(line, call) for each update/delete/save reached from AuditEvent or an audit row."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in CHANGES - {"insert_many"}:
            continue
        base = node.func.value
        while isinstance(base, (ast.Call, ast.Attribute)):
            base = base.func if isinstance(base, ast.Call) else base.value
        if isinstance(base, ast.Name) and base.id in names:
            found.append((node.lineno, node.func.attr))
    return found


def test_no_module_updates_or_deletes_audit_rows():
    problems = []
    for path in sorted((ROOT / "webapp").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        names = set(AUDIT_NAMES)
        # Anything bound from AuditEvent (a row, a query) counts as the audit table too.
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and "AuditEvent" in ast.unparse(node.value):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        problems += [f"{path.relative_to(ROOT)}:{line} .{call}(" for line, call in
                     _audit_writes(tree, names)]
        problems += [f"{path.relative_to(ROOT)}: raw SQL on audit_event" for _m in re.finditer(
            r"(UPDATE|DELETE\s+FROM|TRUNCATE)\s+\"?audit_event", source, re.I)]
    assert not problems, problems


def test_the_static_check_catches_a_write():
    tree = ast.parse("AuditEvent.update(action='x').where(AuditEvent.id == 1).execute()\n"
                     "AuditEvent.delete().execute()\nrow = AuditEvent.get()\n"
                     "row.delete_instance()\nrow.save()\n")
    assert [call for _line, call in sorted(_audit_writes(tree, {"AuditEvent", "row"}))] == [
        "update", "delete", "delete_instance", "save"]
