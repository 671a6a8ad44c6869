"""Who may reach which route, and what each role's scoping helpers return.

ROUTES classifies every endpoint of the app. A route added later without a line here
fails test_every_route_is_classified until someone decides who may use it.
"""
import collections
import datetime
import itertools
import uuid
from dataclasses import dataclass
from urllib.parse import urlparse

import pytest
from argon2 import PasswordHasher
from werkzeug.exceptions import NotFound

from tests import helpers
from tests.conftest import truncate_all
from tests.helpers import (MATRIX_ROLES, OBJECT_PARAMS, OTHER_PARAMS, PASSWORD, Scene, actor_for,
                           build_url, database_digest, make_scene, matrix_scenes, matrix_world,
                           rules_of, scene_complaint, scene_entry, scene_member, scene_training,
                           signed_in_as, url_values)
from webapp import access as perm
from webapp import create_app, web
from webapp.accounts import services as account_services
from webapp.accounts.models import AuditEvent, Firm, RoleGrant, User, UserSession
from webapp.accounts.services import start_session
from webapp.db import db
from webapp.branches.models import Branch, BranchFirm, BranchMember
from webapp.i18n import local_today
from webapp.ledger.models import Entry

# ------------------------------------------------------------------ the route table

PUBLIC = "public"          # anyone, signed in or not
SIGNED_IN = "signed_in"    # any signed-in person, whatever their role


@dataclass
class Route:
    """Who may use an endpoint, and the form a permitted POST sends."""
    who: object                     # PUBLIC, SIGNED_IN, or a set of roles
    post: object = None             # dict, or callable(scene) -> dict
    # What a county admin of another county gets when the POST body names county A's
    # objects but the URL names none (the form must refuse them, not save them).
    foreign_post: int = None
    # What a permitted POST with that body answers when it is not a success (e.g. 400 for
    # a form that needs an uploaded file): the view was reached, the form said no.
    post_status: int = None


_names = itertools.count(1)


def _person_form(scene):
    return {"name": "新人", "phone": "13700000001", "firm_id": scene.firm.id,
            "licence_no": "", "birth_year": "1980"}


ROUTES = {
    "static": Route(PUBLIC),
    "auth.index": Route(PUBLIC),
    "auth.login": Route(PUBLIC, post=lambda s: {"login": s.login_phone, "password": PASSWORD}),
    "auth.logout": Route(PUBLIC, post={}),
    "auth.language": Route(PUBLIC, post={"locale": "en"}),
    "auth.me": Route(SIGNED_IN),
    "auth.my_data": Route(SIGNED_IN),
    "auth.no_role": Route(SIGNED_IN),
    "auth.password": Route(SIGNED_IN, post={
        "current": PASSWORD, "new": "a-new-password", "repeat": "a-new-password"}),
    "auth.end_device": Route(SIGNED_IN, post={}),
    "auth.switch_role": Route(SIGNED_IN, post=lambda s: {"grant": s.grant_id}),
    "accounts.firms": Route({"county_admin"}),
    "accounts.firm_form": Route({"county_admin"}, post=lambda s: {
        "name": f"新设法律服务所{next(_names)}", "setting": "rural"}),
    "accounts.firm_active": Route({"county_admin"}, post={"active": "0"}),
    "accounts.people": Route({"county_admin"}),
    "accounts.person_new": Route({"county_admin"}, post=_person_form, foreign_post=400),
    "accounts.person_edit": Route({"county_admin"}, post=_person_form),
    "accounts.person_active": Route({"county_admin"}, post={"active": "0"}),
    "accounts.person_director": Route({"county_admin"}, post={"director": "1"}),
    "accounts.person_reset": Route({"county_admin"}, post={}),
    "accounts.audit_log": Route({"county_admin", "city_admin"}),
    "accounts.audit_export": Route({"county_admin", "city_admin"}),
    # Roster import (tested in depth by tests/test_roster.py): without a file the upload
    # answers 400 with the form's message; an unknown preview token is 404.
    "accounts.import_roster": Route({"county_admin"}, post={}, post_status=400),
    "accounts.import_confirm": Route({"county_admin"}, post={"token": "nothing"},
                                     post_status=404),
    "accounts.import_template": Route({"county_admin"}),
    # Targets per scope (tested in depth by tests/test_targets_editing.py).
    "accounts.targets": Route({"county_admin", "city_admin"}, post={
        "metric": "education_hours", "value": "42", "source": "县定"}),
    "accounts.targets_start_year": Route({"county_admin", "city_admin"}, post={}),
    "home.practitioner": Route({"practitioner"}),
    "ledger.log": Route({"practitioner"}),
    "ledger.new": Route({"practitioner"}, post=lambda s: _entry_form()),
    "ledger.edit": Route({"practitioner"}, post=lambda s: _entry_form()),
    "ledger.withdraw": Route({"practitioner"}, post={}),
    "ledger.entry": Route({"practitioner", "director", "county_admin", "city_admin"}),
    "ledger.evidence_add": Route({"practitioner"}, post={}, post_status=400),
    "ledger.evidence_remove": Route({"practitioner"}, post={}),
    "ledger.evidence_file": Route({"practitioner", "director", "county_admin", "city_admin"}),
    "ledger.review_queue": Route({"county_admin", "director"}),
    "ledger.approve": Route({"county_admin"}, post={}),
    "ledger.decline": Route({"county_admin"}, post={"reason": "缺少证明材料"}),
    "ledger.bulk_approve": Route({"county_admin"},
                                 post=lambda s: {"pick": str(scene_entry(s).id)},
                                 foreign_post=400),
    "ledger.rules": Route({"county_admin"}, post={"max_public_hours_per_day": "8",
                                                  "outside_education_cap": "20"}),
    "ledger.my_year": Route({"practitioner"}),
    "ledger.summary": Route({"practitioner"}),
    "ledger.summary_xlsx": Route({"practitioner"}),
    "home.director": Route({"director"}),
    "home.secretary": Route({"secretary"}),
    "home.county": Route({"county_admin", "city_admin"}),
    # The county dashboard's lists and exports (tested in depth by tests/test_county_dashboard.py).
    "home.county_behind": Route({"county_admin", "city_admin"}),
    "home.county_people": Route({"county_admin", "city_admin"}),
    "home.county_behind_export": Route({"county_admin", "city_admin"}),
    "home.county_firms_export": Route({"county_admin", "city_admin"}),
    "home.county_quality_export": Route({"county_admin", "city_admin"}),
    "home.city": Route({"city_admin"}),
    "home.city_export": Route({"city_admin"}),
    "home.progress_export": Route({"county_admin", "city_admin"}),
    "home.county_figures": Route({"county_admin", "city_admin"}, post={}),
    # The annual assessment (tested in depth by tests/test_assessment.py).
    "home.assessment_person": Route({"director", "county_admin"}),
    "home.assessment_person_xlsx": Route({"director", "county_admin"}),
    "home.assessment_firm": Route({"director", "county_admin"}),
    "home.assessment_firm_xlsx": Route({"director", "county_admin"}),
    "home.assessment_firm_print": Route({"director", "county_admin"}),
    "home.assessment_record_person": Route({"county_admin"}, post={"result": "competent"}),
    "home.assessment_record_firm": Route({"county_admin"}, post={"result": "qualified"}),
    "home.assessment_close": Route({"county_admin"}, post={"note": "已整改"}),
    "pwa.service_worker": Route(PUBLIC),
    "pwa.manifest": Route(PUBLIC),
    "pwa.offline": Route(PUBLIC),
    "pwa.healthz": Route(PUBLIC),
    # Trainings (tested in depth by tests/test_trainings_views.py).
    "trainings.index": Route({"county_admin", "city_admin"}),
    "trainings.form": Route({"county_admin", "city_admin"}, post=lambda s: _training_form(s)),
    "trainings.detail": Route({"county_admin", "city_admin"}),
    "trainings.cancel": Route({"county_admin", "city_admin"}, post={}),
    "trainings.projector": Route({"county_admin", "city_admin"}),
    "trainings.live": Route({"county_admin", "city_admin"}),
    "trainings.poster": Route({"county_admin", "city_admin"}),
    "trainings.sheet": Route({"county_admin", "city_admin"}),
    "trainings.person": Route({"county_admin", "city_admin"},
                              post={"action": "present", "reason": "无智能手机"}),
    "trainings.export": Route({"county_admin", "city_admin"}),
    "trainings.signin_sheet": Route({"county_admin", "city_admin"}),
    "checkin.scanned": Route(PUBLIC),
    "checkin.confirm": Route(PUBLIC),
    "checkin.confirm_post": Route(SIGNED_IN, post={}),
    "checkin.result": Route(SIGNED_IN),
    "checkin.typed": Route(SIGNED_IN, post={}, post_status=400),
    "checkin.scanner": Route(SIGNED_IN),
    "checkin.sync": Route(SIGNED_IN, post={}, post_status=400),
    "trainings.mine": Route(SIGNED_IN),
    "trainings.calendar": Route(SIGNED_IN),
    # Training categories (tested in depth by tests/test_trainings_categories.py). The list
    # and adding are for both administrators; a county's own category (the object here) is
    # that county's to change: the city administrator, who edits the city-wide list, gets 404.
    "trainings.categories": Route({"county_admin", "city_admin"},
                                  post=lambda s: {"name": f"新类别{next(_names)}"}),
    "trainings.category": Route({"county_admin"}, post=lambda s: {"name": f"改名{next(_names)}"}),
    "trainings.category_move": Route({"county_admin"}, post={"direction": "up"}),
    "trainings.category_active": Route({"county_admin"}, post={"active": "0"}),
    "trainings.category_delete": Route({"county_admin"}, post={}),
    # Party branches (tested in depth by tests/test_branches_*.py).
    "branches.index": Route({"county_admin"}),
    "branches.form": Route({"county_admin"}, post=lambda s: _branch_form(s), foreign_post=400),
    "branches.detail": Route({"county_admin"}),
    "branches.member_add": Route({"county_admin"}, post=lambda s: {"user_id": s.subject.id}),
    "branches.member_change": Route({"county_admin"}, post={"action": "standing",
                                                            "standing": "probationary"}),
    "branches.secretary": Route({"county_admin"},
                                post=lambda s: {"user_id": scene_member(s).user_id}),
    "branches.export": Route({"county_admin"}),
    "branches.activities": Route({"secretary"}),
    "branches.activity_form": Route({"secretary"}, post=lambda s: _activity_form()),
    "branches.activity": Route({"secretary", "county_admin"}),
    "branches.activity_cancel": Route({"secretary"}, post={}),
    "branches.photo": Route({"secretary", "county_admin"}),
    "branches.photo_remove": Route({"secretary"}, post={}),
    "branches.attendance": Route({"secretary"}, post=lambda s: {
        "user_id": s.actor.id if s.actor else 0, "status": "present"}),
    "branches.projector": Route({"secretary"}),
    "branches.live": Route({"secretary"}),
    "branches.mine": Route(SIGNED_IN),
    # Firm monthly reports (tested in depth by tests/test_reports.py). A practitioner passes the
    # role gate too but only the firm's named reporter gets further; the scene's is not one.
    "reports.index": Route({"director"}),
    "reports.new": Route({"director"}, post=lambda s: _report_form()),
    "reports.edit": Route({"director"}, post=lambda s: _report_form()),
    "reports.report": Route({"director", "county_admin"}),
    "reports.queue": Route({"county_admin"}),
    "reports.accept": Route({"county_admin"}, post={}),
    "reports.return_report": Route({"county_admin"}, post={"reason": "请补充办理结果"}),
    # -- bulletin routes (bulletin helper adds here) --
    # Monthly bulletins (tested in depth by tests/test_bulletin_views.py). The month named is
    # last month, issued in both counties (tests/helpers.py), so a director reads it and a
    # second issue is refused with 409.
    "bulletins.index": Route({"county_admin", "director"}),
    "bulletins.page": Route({"county_admin", "director"}),
    "bulletins.export": Route({"county_admin", "director"}),
    "bulletins.issue": Route({"county_admin"}, post={"remarks": "本月良好"}, post_status=409),
    # -- report form routes (report-form helper adds here) --
    "reports.attachment": Route({"director", "county_admin", "city_admin"}),
    "reports.attachment_remove": Route({"director"}, post={}),
    "reports.reporter": Route({"director"}, post=lambda s: {"user_id": s.subject.id}),
    # -- selection routes (selection helper adds here) --
    # -- push routes --
    # Web Push (tested in depth by tests/test_push.py): the key is public; subscribing takes
    # the browser's JSON, so the matrix's form body is refused with 400.
    "push.key": Route(PUBLIC),
    "push.subscribe": Route(SIGNED_IN, post={}, post_status=400),
    "push.unsubscribe": Route(SIGNED_IN, post={}, post_status=400),
    # -- inbox routes (inbox helper adds here) --
    # The inbox (tested in depth by tests/test_inbox.py): everyone signed in has one; the
    # message the matrix opens is the actor's own (another's is a 404 there).
    "inbox.index": Route(SIGNED_IN),
    "inbox.open": Route(SIGNED_IN),
    "inbox.read_all": Route(SIGNED_IN, post={}),
    "inbox.switches": Route(SIGNED_IN, post={}),
    # The ten best cases (tested in depth by tests/test_selection.py); the scene's report is an
    # information report waiting for the county, so a permitted POST is refused with 409/400.
    "selection.index": Route({"county_admin", "city_admin"}),
    "selection.recommend": Route({"county_admin"}, post={}, post_status=400),
    "selection.withdraw": Route({"county_admin"}, post={}, post_status=409),
    "selection.choose": Route({"city_admin"}, post={}, post_status=409),
    "selection.unchoose": Route({"city_admin"}, post={}, post_status=409),
    # Party study (tested in depth by tests/test_study_*.py). A member opens, marks studied and
    # downloads only material assigned to them: the matrix's material is assigned to the
    # acting person of the own scope (tests/helpers.py scene_material), and another firm's,
    # branch's or county's person finds none (404). It has one question, a PDF and no reading
    # time to wait, so marking it studied with an answer succeeds.
    "study.index": Route(SIGNED_IN),
    "study.material": Route(SIGNED_IN),
    "study.done": Route(SIGNED_IN, post={"a1": "1"}),
    "study.attachment": Route(SIGNED_IN),
    # The secretary manages their branch's material, the county administrator the county's;
    # the city administrator reads, and changes nothing.
    "study_manage.index": Route({"secretary", "county_admin", "city_admin"}),
    "study_manage.new": Route({"secretary", "county_admin"}, post={
        "title": "权限测试", "body": "正文", "hours": "0.5", "audience": "all"}),
    "study_manage.detail": Route({"secretary", "county_admin", "city_admin"}),
    "study_manage.export": Route({"secretary", "county_admin", "city_admin"}),
    "study_manage.attachment": Route({"secretary", "county_admin", "city_admin"}),
    "study_manage.edit": Route({"secretary", "county_admin"}, post={
        "title": "权限测试改", "body": "正文", "hours": "1"}),
    "study_manage.remind": Route({"secretary", "county_admin"}, post={}),
    "study_manage.withdraw": Route({"secretary", "county_admin"}, post={"confirm": "yes"}),
    "study_manage.county": Route({"county_admin", "city_admin"}),
    "study_manage.county_export": Route({"county_admin", "city_admin"}),
    # Quarterly inspections (tested in depth by tests/test_inspections.py).
    "inspections.new": Route({"county_admin"}, post=lambda s: {
        "held_on": local_today().isoformat(), "inspectors": "督查组", "findings": "台账不全",
        "item_text": "补齐台账", "item_due": local_today().isoformat()}),
    "inspections.firm": Route({"county_admin", "director"}),
    "inspections.close": Route({"county_admin"}, post={"note": "已补齐"}),
    # Complaints (tested in depth by tests/test_complaints.py). A county administrator and a
    # director record them; the city administrator reads; practitioners and secretaries never
    # see one (403). The matrix's complaint (received, in county A about firm A) is assigned
    # to firm A's director, so the county's administrator and that director both move it on;
    # it has not been investigated, so concluding it is a conflict (409). Another county's or
    # firm's person naming firm A in a new complaint is refused by the form (400).
    "complaints.index": Route({"county_admin", "city_admin", "director"}),
    "complaints.export": Route({"county_admin", "city_admin", "director"}),
    "complaints.new": Route({"county_admin", "director"}, post=lambda s: {
        "firm": s.firm.id, "source": "letter", "received_on": local_today().isoformat(),
        "summary": "权限测试投诉", "assignee": s.actor.id if s.actor else 0},
        foreign_post=400),
    "complaints.page": Route({"county_admin", "city_admin", "director"}),
    "complaints.investigate": Route({"county_admin", "director"}, post={}),
    "complaints.conclude": Route({"county_admin", "director"}, post=lambda s: {
        "finding": "not_upheld", "reply": "已答复", "replied_on": local_today().isoformat()},
        post_status=409),
    "complaints.edit": Route({"county_admin", "director"}, post=lambda s: {
        "assignee": scene_complaint(s).assignee_id,
        "deadline": str(scene_complaint(s).deadline)}),
    # Ratings by the people served (tested in depth by tests/test_ratings.py): the practitioner
    # asks and prints a desk card; the director reads the firm's; the rating page itself is
    # public (no sign-in: the signed single-use code is the permission).
    "ratings.ask": Route({"practitioner"}),
    "ratings.card": Route({"practitioner"}),
    "ratings.mine": Route({"practitioner"}),
    "ratings.firm": Route({"director"}),
    "ratings.card_scan": Route(PUBLIC),
    "ratings.rate": Route(PUBLIC, post={"score": "4", "useful": "yes", "comment": ""}),
    "ratings.thanks": Route(PUBLIC),
    # Village legal advisers (tested in depth by tests/test_villages.py): the county's
    # administrator manages the list; both administrators read the coverage.
    "villages.index": Route({"county_admin"}),
    "villages.form": Route({"county_admin"}, post=lambda s: {
        "township": "城关镇", "name": f"新村{next(_names)}", "kind": "village"}),
    "villages.adviser": Route({"county_admin"}, post={"adviser": ""}),
    "villages.active": Route({"county_admin"}, post={"active": "0"}),
    "villages.import_list": Route({"county_admin"}, post={}, post_status=400),
    "villages.import_confirm": Route({"county_admin"}, post={"token": "nothing"},
                                     post_status=404),
    "villages.import_template": Route({"county_admin"}),
    "villages.coverage": Route({"county_admin", "city_admin"}),
    "villages.coverage_export": Route({"county_admin", "city_admin"}),
}


def _training_form(scene):
    return {"title": "新培训", "category_id": scene_training(scene).category_id,
            "date": "2026-06-02", "start": "09:00", "end": "11:00", "credit_hours": "2", "audience": "region"}


def _entry_form():
    return {"date": local_today().isoformat(), "hours": "1", "category": "consultation",
            "idempotency_key": uuid.uuid4().hex}


def _report_form():
    return {"kind": "info", "month": local_today().strftime("%Y-%m"), "title": "调解一起邻里纠纷",
            "body": "所里调解了一起邻里纠纷。", "idempotency_key": uuid.uuid4().hex}


def _branch_form(scene):
    firm = Firm.create(name=f"新设所{next(_names)}", county=scene.world["a"])
    return {"name": f"新支部{next(_names)}", "kind": "independent", "firm_ids": str(firm.id)}


def _activity_form():
    day = local_today() - datetime.timedelta(days=1)
    return {"kind": "theme_day", "date": day.isoformat(), "start": "14:30", "end": "16:30",
            "topic": "主题党日"}


# Endpoints whose permitted answer may legitimately send a signed-in person to /login.
ENDS_SESSION = {"auth.logout"}

# ------------------------------------------------------------------ the generated matrix
# Every rule of the app × every role × own and foreign scope × GET and every write method gets
# the answer its ROUTES line implies (see expected_answer): a permitted request in the actor's
# own scope succeeds (or answers the line's post_status), the same role of another firm, branch,
# county or city asking for those objects gets 404, a role the line does not name gets 403, a
# visitor the login page, and a method the rule does not take 405. A refused request writes
# nothing (the whole database is compared before and after).

SUCCESS, LOGIN = "success", "login"
CSRF = "test-csrf-token"  # what signed_in_as puts in the client's session
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

# Where the app answers otherwise on purpose: (endpoints, roles, scopes, methods) -> answer.
# None in a position means any. Keep this short: every line says why.
DOCUMENTED_EXCEPTIONS = [
    # Directors read the review queue, so the review actions let them past the role gate and
    # load the entry through their scope first: another firm's entry does not exist for them
    # (404); their own firm's is refused (403).
    (({"ledger.approve", "ledger.decline"}, {"director"}, {"foreign"}, None), 404,
     "a reviewer-gated route loads the entry before refusing the action"),
    # Firm reports are gated by firm role; only the practitioner the director names as the
    # firm's reporter sees the firm's reports, so for any other practitioner (a secretary
    # included: she holds a practitioner grant) a report does not exist.
    (({"reports.report", "reports.attachment", "reports.attachment_remove"},
      {"practitioner", "secretary"}, None, None), 404,
     "reports are scoped to the named reporter, not refused by role"),
    # A county's own training category is that county's to change: for the city administrator,
    # who edits the city-wide list, it does not exist.
    (({"trainings.category", "trainings.category_move", "trainings.category_active",
       "trainings.category_delete"}, {"city_admin"}, None, None), 404,
     "a county's category is outside the city administrator's list"),
]


def _exception(case):
    for (endpoints, roles, scopes, methods), answer, _why in DOCUMENTED_EXCEPTIONS:
        if (case.endpoint in endpoints and (roles is None or case.role in roles)
                and (scopes is None or case.scope in scopes)
                and (methods is None or case.method in methods)):
            return answer
    return None


@dataclass(frozen=True)
class Case:
    """One cell of the matrix."""
    endpoint: str
    rule: str                # the rule's path pattern (an endpoint may have several)
    label: str               # the endpoint, with #n when it has several rules
    role: str
    scope: str
    method: str
    names_objects: bool      # the URL names objects (so a foreign actor must not find them)
    methods_on_path: tuple   # every method some rule with this path takes

    def __str__(self):
        return f"{self.label}-{self.role}-{self.scope}-{self.method}"


def _collected_rules():
    """The app's rules, read when the tests are collected (before the app fixture exists;
    that fixture's create_app binds the database again)."""
    collecting = create_app({"TESTING": True, "DATABASE_URL": "sqlite:///:memory:",
                             "SECRET_KEY": "collecting"})
    return list(collecting.url_map.iter_rules())


def _stand_ins(route):
    """The roles that ask for a method the rule does not take: routing answers 405 before
    anyone's role is looked at, so a visitor and one role the route serves stand for all."""
    served = [r for r in MATRIX_ROLES[1:] if route is None or route.who in (PUBLIC, SIGNED_IN)
              or r in route.who]
    return ("anonymous", (served or ["practitioner"])[0])


def matrix_cases(rules):
    """Every cell: each rule × role × scope × method (foreign only where the scope can matter:
    the URL names objects or the form does; a method the rule does not take is asked by
    _stand_ins)."""
    on_path = collections.defaultdict(set)
    by_endpoint = collections.defaultdict(list)
    for rule in rules:
        on_path[rule.rule] |= rule.methods
        by_endpoint[rule.endpoint].append(rule)
    cases = []
    for endpoint in sorted(by_endpoint):
        mine = sorted(by_endpoint[endpoint], key=lambda r: r.rule)
        route = ROUTES.get(endpoint)
        for n, rule in enumerate(mine, start=1):
            label = endpoint if len(mine) == 1 else f"{endpoint}#{n}"
            names_objects = any(a in OBJECT_PARAMS for a in rule.arguments)
            methods = tuple(sorted(on_path[rule.rule] & set(METHODS)))
            for method in METHODS:
                if method in on_path[rule.rule] and method not in rule.methods:
                    continue  # another endpoint answers this method here; its cells test it
                scopes, roles = ["own"], MATRIX_ROLES
                if method not in rule.methods:
                    roles = _stand_ins(route)
                elif names_objects or (method == "POST" and route is not None
                                       and route.foreign_post is not None):
                    scopes.append("foreign")
                cases += [Case(endpoint, rule.rule, label, role, scope, method, names_objects,
                               methods)
                          for role in roles for scope in scopes]
    return cases


def expected_answer(case, route, scene):
    """Return SUCCESS, LOGIN or the status code the ROUTES line implies for this cell."""
    if case.method not in case.methods_on_path:
        return 405
    documented = _exception(case)
    if documented is not None:
        return documented
    if route.who != PUBLIC:
        if case.role == "anonymous":
            return LOGIN
        if route.who != SIGNED_IN and not route.who & scene.held:
            return 403
        if case.scope == "foreign":
            if case.names_objects:
                return 404
            if case.method == "POST" and route.foreign_post is not None:
                return route.foreign_post
    if case.method != "GET" and route.post_status is not None:
        return route.post_status
    return SUCCESS


class Matrix:
    """One world for all the matrix's cells, built again only after a request changed it."""

    def __init__(self, app):
        self.app = app
        self.adapter = app.url_map.bind("localhost")
        self.rules = {(r.endpoint, r.rule): r for r in app.url_map.iter_rules()}
        self.scenes = self.clients = None

    def scene(self, role, scope):
        """The scene of the role and scope, and a client signed in as its actor."""
        if self.scenes is None:
            truncate_all()
            db.connect(reuse_if_open=True)
            self.scenes = matrix_scenes(matrix_world())
            self.clients = {}
        scene = self.scenes[role, scope]
        if (role, scope) not in self.clients:
            self.clients[role, scope] = signed_in_as(self.app, scene)
        return scene, self.clients[role, scope]

    def spoil(self):
        self.scenes = self.clients = None


_LIVE = {}  # the module's Matrix while its world is in the database

_CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="module")
def matrix(app):
    """The matrix's shared world (cheap password hashes: the cells are about access)."""
    with pytest.MonkeyPatch.context() as patch, app.app_context():
        patch.setattr(account_services, "_hasher", _CHEAP)
        patch.setattr(helpers, "_HASH", {"h": _CHEAP.hash(PASSWORD)})
        _LIVE["matrix"] = Matrix(app)
        yield _LIVE["matrix"]
        _LIVE.pop("matrix").spoil()
        truncate_all()


@pytest.fixture(autouse=True)
def clean_db(request, app):
    """conftest's clean_db, except that the matrix's cells share one world between them."""
    with app.app_context():
        shared = "matrix" in request.fixturenames
        if not shared and "matrix" in _LIVE and _LIVE["matrix"].scenes is not None:
            _LIVE["matrix"].spoil()
            truncate_all()
        db.connect(reuse_if_open=True)
        yield
        if not db.is_closed():
            db.close()
        if not shared:
            truncate_all()


def _ask(client, method, url, data):
    if method == "GET":
        return client.get(url)
    return client.c.open(url, method=method, data={"csrf_token": CSRF, **data})


def check_answer(response, want, case, url):
    where = f"{case.method} {url} as {case.role} in the {case.scope} scope ({case.endpoint})"
    status = response.status_code
    response.close()  # file responses stream; close them so no file handle leaks
    location = urlparse(response.headers.get("Location", "")).path
    assert status != 500, f"{where}: server error"
    if want == SUCCESS:
        assert 200 <= status < 400, f"{where}: expected success, got {status}"
        if case.role != "anonymous" and case.endpoint not in ENDS_SESSION:
            assert location != "/login", f"{where}: signed-in person sent to the login page"
    elif want == LOGIN:
        assert status == 302 and location == "/login", \
            f"{where}: expected a redirect to /login, got {status} {location}"
    else:
        assert status == want, f"{where}: expected {want}, got {status}"


MATRIX_CASES = matrix_cases(_collected_rules())


@pytest.mark.parametrize("case", MATRIX_CASES, ids=str)
def test_access_matrix(app, matrix, case):
    route = ROUTES.get(case.endpoint)
    assert route is not None, (
        f"{case.endpoint} ({case.rule}) has no line in ROUTES in tests/test_permissions.py; "
        "say who may use it (PUBLIC, SIGNED_IN or a set of roles)")
    rule = matrix.rules[case.endpoint, case.rule]
    scene, client = matrix.scene(case.role, case.scope)
    # Fails for a URL parameter nobody knows how to fill.
    url = matrix.adapter.build(rule.endpoint, url_values(rule, scene))
    want = expected_answer(case, route, scene)
    data = {}
    if case.method == "POST" and want != 405:
        data = route.post(scene) if callable(route.post) else dict(route.post or {})
    before = database_digest()
    check_answer(_ask(client, case.method, url, data), want, case, url)
    after = database_digest()
    if want != SUCCESS:
        changed = sorted(t for t in before if before[t] != after[t])
        assert not changed, f"{case.method} {url} as {case.role} was refused but wrote {changed}"
    if before != after:
        matrix.spoil()  # the next cell gets a fresh world


def test_the_matrix_covers_every_route_role_scope_and_method(app):
    cells = {(c.endpoint, c.rule, c.role, c.scope, c.method) for c in MATRIX_CASES}
    assert {(c.endpoint, c.rule) for c in MATRIX_CASES} == {
        (r.endpoint, r.rule) for r in app.url_map.iter_rules()}
    for rule in app.url_map.iter_rules():
        for method in METHODS:
            if method in rule.methods:
                scopes = ("own", "foreign") if any(
                    a in OBJECT_PARAMS for a in rule.arguments) else ("own",)
                missing = [(role, scope) for role in MATRIX_ROLES for scope in scopes
                           if (rule.endpoint, rule.rule, role, scope, method) not in cells]
                assert not missing, (rule.rule, method, missing)
            elif not any(method in other.methods for other in app.url_map.iter_rules()
                         if other.rule == rule.rule):
                assert (rule.endpoint, rule.rule, "anonymous", "own", method) in cells
    ids = {str(c) for c in MATRIX_CASES}
    assert {"ledger.edit-director-foreign-POST", "reports.report-director-foreign-GET",
            "branches.activity-secretary-foreign-GET", "ledger.entry-practitioner-foreign-GET",
            "accounts.person_edit-county_admin-foreign-POST",
            "trainings.detail-city_admin-foreign-GET", "ledger.entry-practitioner-own-PUT"} <= ids


def test_every_documented_exception_still_applies():
    for row in DOCUMENTED_EXCEPTIONS:
        (endpoints, roles, scopes, methods), _answer, why = row
        assert endpoints <= set(ROUTES), why
        assert any(_exception(c) is not None and c.endpoint in endpoints
                   and (roles is None or c.role in roles) for c in MATRIX_CASES), why


def test_the_foreign_side_is_another_firm_branch_county_and_city(matrix):
    for role in MATRIX_ROLES[1:]:
        own, _client = matrix.scene(role, "own")
        foreign, _client = matrix.scene(role, "foreign")
        firm_a = own.world["firm_a"].id
        assert firm_a in ids(perm.firms(actor_for(own.actor, role))), role
        assert firm_a not in ids(perm.firms(actor_for(foreign.actor, role))), role
        assert ids(perm.firms(actor_for(foreign.actor, role))), role  # not just empty-handed
        # The device a foreign actor would end is the subject's; the own actor's is their own.
        assert UserSession.get_by_id(foreign.spare_session_id).user_id == foreign.subject.id
        assert UserSession.get_by_id(own.spare_session_id).user_id == own.actor.id
    assert matrix.scene("city_admin", "foreign")[0].actor.grants.get().region_id == (
        own.world["city2"].id)


def test_the_digest_sees_every_write(matrix):
    scene, _client = matrix.scene("practitioner", "own")
    before = database_digest()
    User.update(name="改名").where(User.id == scene.subject.id).execute()
    renamed = database_digest()
    assert [t for t in before if before[t] != renamed[t]] == ["user"]
    Entry.create(user=scene.subject, kind="public_service", date=local_today(), hours=1,
                 source="self", status="pending")
    added = database_digest()
    assert [t for t in before if renamed[t] != added[t]] == ["entry"]
    matrix.spoil()


def test_the_expectations_follow_the_declared_rule():
    scene = Scene(world={}, subject=None, held={"practitioner", "director"})
    base = dict(rule="/x/<int:entry_id>", label="x", names_objects=True,
                methods_on_path=("GET", "POST"))
    route = Route({"director"}, post={}, post_status=409)
    answers = {(role, scope, method): expected_answer(
        Case("x", role=role, scope=scope, method=method, **base), route, scene)
        for role in ("anonymous", "director") for scope in ("own", "foreign")
        for method in ("GET", "POST", "DELETE")}
    assert answers == {
        ("anonymous", "own", "GET"): LOGIN, ("anonymous", "own", "POST"): LOGIN,
        ("anonymous", "foreign", "GET"): LOGIN, ("anonymous", "foreign", "POST"): LOGIN,
        ("director", "own", "GET"): SUCCESS, ("director", "own", "POST"): 409,
        ("director", "foreign", "GET"): 404, ("director", "foreign", "POST"): 404,
        **{(role, scope, "DELETE"): 405 for role in ("anonymous", "director")
           for scope in ("own", "foreign")}}
    assert expected_answer(Case("x", role="director", scope="own", method="GET", **base),
                           Route({"county_admin"}), scene) == 403
    assert expected_answer(Case("x", role="director", scope="own", method="GET", **base),
                           Route(PUBLIC), Scene(world={}, subject=None)) == SUCCESS

# ------------------------------------------------------------------ the table and the app agree

def test_every_route_is_classified(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    unknown = sorted(endpoints - set(ROUTES))
    assert not unknown, (
        "These endpoints are not in ROUTES in tests/test_permissions.py; say who may use "
        f"them (PUBLIC, SIGNED_IN or a set of roles): {unknown}")
    stale = sorted(set(ROUTES) - endpoints)
    assert not stale, f"ROUTES in tests/test_permissions.py names endpoints that are gone: {stale}"


def test_every_url_parameter_can_be_filled(app):
    known = set(OBJECT_PARAMS) | set(OTHER_PARAMS)
    missing = {(r.endpoint, a) for r in app.url_map.iter_rules() for a in r.arguments
               if a not in known}
    assert not missing, f"URL parameters test_permissions.py cannot fill: {sorted(missing)}"


@pytest.mark.parametrize("endpoint", sorted(e for e in ROUTES if e.startswith("accounts.")))
def test_practitioner_cannot_reach_admin_routes(app, client, world, make_user, fast_passwords,
                                                endpoint):
    scene = make_scene(world, make_user, client, "practitioner")
    for rule in rules_of(app, endpoint):
        url = build_url(app, rule, scene)
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = client.get(url) if method == "GET" else client.post(
                url, _person_form(scene))
            assert response.status_code == 403, f"{method} {url}: {response.status_code}"
    assert User.select().count() == 2
    assert AuditEvent.select().count() == 0


@pytest.mark.parametrize("path", ["/admin/people/{user}", "/admin/firms/{firm}"])
def test_other_county_admin_gets_404_for_county_a_objects(client, world, make_user,
                                                          fast_passwords, path):
    scene = make_scene(world, make_user, client, "other_county_admin")
    url = path.format(user=scene.subject.id, firm=scene.firm.id)
    response = client.get(url)
    assert response.status_code == 404
    assert scene.subject.name not in response.get_data(as_text=True)
    assert scene.firm.name not in response.get_data(as_text=True)
    # The county A admin does see them (so the 404 above is about scope, not a broken page).
    own = make_user("county_admin")
    other_client = client.__class__(client.c.application.test_client())
    with other_client.c.session_transaction() as sess:
        sess["token"] = start_session(own)
    assert other_client.get(url).status_code == 200


def test_other_county_admin_cannot_change_county_a_objects(client, world, make_user,
                                                           fast_passwords):
    scene = make_scene(world, make_user, client, "other_county_admin")
    subject, firm = scene.subject, scene.firm
    for url, data in [
        (f"/admin/people/{subject.id}", _person_form(scene) | {"name": "改名"}),
        (f"/admin/people/{subject.id}/active", {"active": "0"}),
        (f"/admin/people/{subject.id}/director", {"director": "1"}),
        (f"/admin/people/{subject.id}/reset", {}),
        (f"/admin/firms/{firm.id}", {"name": "改名所", "setting": "urban"}),
        (f"/admin/firms/{firm.id}/active", {"active": "0"}),
    ]:
        assert client.post(url, data).status_code == 404, url
    fresh = User.get_by_id(subject.id)
    assert (fresh.name, fresh.active, fresh.password_hash) == (
        subject.name, True, subject.password_hash)
    assert not RoleGrant.select().where(RoleGrant.user == subject,
                                        RoleGrant.role == "director").exists()
    assert Firm.get_by_id(firm.id).name == firm.name and Firm.get_by_id(firm.id).active
    assert AuditEvent.select().count() == 0
    # A new person in county A's firm is refused too: the firm is not among the admin's.
    response = client.post("/admin/people/new", _person_form(scene))
    assert response.status_code == 400
    assert not User.select().where(User.phone == "13700000001").exists()


# ------------------------------------------------------------------ scoping helpers

@pytest.fixture
def town(world, make_user):
    """County A: two firms, a director, a secretary, members; county B with its own branch."""
    firm_a2 = Firm.create(name="甲县河口法律服务所", county=world["a"])
    people = {
        "p_a": make_user("practitioner"),
        "p_a2": make_user("practitioner", firm=firm_a2),
        "director": make_user("director"),
        "secretary": make_user("secretary"),
        "p_b": make_user("practitioner", county=world["b"]),
        "admin_a": make_user("county_admin"),
        "admin_b": make_user("county_admin", county=world["b"]),
        "city": make_user("city_admin"),
    }
    BranchMember.create(branch=world["branch"], user=people["p_a"])
    branch_b = Branch.create(name="乙县支部", county=world["b"])
    BranchFirm.create(branch=branch_b, firm=world["firm_b"])
    BranchMember.create(branch=branch_b, user=people["p_b"])
    for user in people.values():
        Entry.create(user=user, kind="public_service", date="2026-03-01", hours=2,
                     source="self", status="pending")
    return {**world, **people, "firm_a2": firm_a2, "branch_b": branch_b}


def ids(query):
    return {row.id for row in query}


SCOPES = [
    # (person, role) -> the names of what they see
    ("p_a", "practitioner"),
    ("director", "director"),
    ("director", "practitioner"),
    ("secretary", "secretary"),
    ("secretary", "practitioner"),
    ("admin_a", "county_admin"),
    ("admin_b", "county_admin"),
    ("city", "city_admin"),
]


def _expected_scopes(t, person, role):
    county_a_people = {"p_a", "p_a2", "director", "secretary", "admin_a"}
    county_b_people = {"p_b", "admin_b"}
    return {
        ("p_a", "practitioner"): dict(firms={"firm_a"}, people={"p_a"}, counties=set(),
                                      branches={"branch"}, entries={"p_a"}),
        ("director", "director"): dict(
            firms={"firm_a"}, people={"p_a", "director", "secretary"}, counties=set(),
            branches=set(), entries={"p_a", "director", "secretary"}),
        ("director", "practitioner"): dict(firms={"firm_a"}, people={"director"},
                                           counties=set(), branches=set(),
                                           entries={"director"}),
        ("secretary", "secretary"): dict(firms={"firm_a"}, people={"secretary", "p_a"},
                                         counties=set(), branches={"branch"},
                                         entries={"secretary"}),
        ("secretary", "practitioner"): dict(firms={"firm_a"}, people={"secretary"},
                                            counties=set(), branches={"branch"},
                                            entries={"secretary"}),
        ("admin_a", "county_admin"): dict(firms={"firm_a", "firm_a2"}, people=county_a_people,
                                          counties={"a"}, branches={"branch"},
                                          entries=county_a_people),
        ("admin_b", "county_admin"): dict(firms={"firm_b"}, people=county_b_people,
                                          counties={"b"}, branches={"branch_b"},
                                          entries=county_b_people),
        ("city", "city_admin"): dict(
            firms={"firm_a", "firm_a2", "firm_b"}, people=county_a_people | county_b_people,
            counties={"a", "b"}, branches={"branch", "branch_b"},
            entries=county_a_people | county_b_people),
    }[(person, role)]


@pytest.mark.parametrize("person,role", SCOPES)
def test_scoping_helpers_return_exactly_the_rows_of_the_role(town, person, role):
    actor = actor_for(town[person], role)
    want = _expected_scopes(town, person, role)
    assert ids(perm.firms(actor)) == {town[n].id for n in want["firms"]}
    assert ids(perm.people(actor)) == {town[n].id for n in want["people"]}
    assert ids(perm.counties(actor)) == {town[n].id for n in want["counties"]}
    assert ids(perm.branches(actor)) == {town[n].id for n in want["branches"]}
    assert {e.user_id for e in perm.entries(actor, Entry)} == {town[n].id for n in want["entries"]}


def test_scoping_helpers_return_nothing_without_an_actor(town):
    for helper in (perm.firms, perm.people, perm.counties, perm.branches):
        assert list(helper(None)) == []
    assert list(perm.entries(None, Entry)) == []


def test_get_or_404_loads_only_through_the_scope(town):
    actor = actor_for(town["admin_b"], "county_admin")
    assert perm.get_or_404(perm.people(actor), User, town["p_b"].id).id == town["p_b"].id
    assert perm.get_or_404(perm.people(actor), User, str(town["p_b"].id)).id == town["p_b"].id
    for bad in (town["p_a"].id, "abc", None, 10 ** 9):
        with pytest.raises(NotFound):
            perm.get_or_404(perm.people(actor), User, bad)
    with pytest.raises(NotFound):
        perm.get_or_404(perm.firms(actor), Firm, town["firm_a"].id)


def test_home_endpoint_per_role(town):
    assert perm.home_endpoint(None) == "auth.no_role"
    for person, role, endpoint in [("p_a", "practitioner", "home.practitioner"),
                                   ("director", "director", "home.director"),
                                   ("secretary", "secretary", "home.secretary"),
                                   ("admin_a", "county_admin", "home.county"),
                                   ("city", "city_admin", "home.city")]:
        assert perm.home_endpoint(actor_for(town[person], role)) == endpoint


def test_actor_county_ids(town):
    assert actor_for(town["admin_a"], "county_admin").county_ids() == [town["a"].id]
    assert sorted(actor_for(town["city"], "city_admin").county_ids()) == sorted(
        [town["a"].id, town["b"].id])
    assert actor_for(town["p_a"], "practitioner").county_ids() == []
    assert actor_for(town["p_a"], "practitioner").county_id == town["a"].id


def test_ids_too_large_for_a_column_are_not_found(town):
    actor = actor_for(town["admin_a"], "county_admin")
    for bad in (2 ** 31, 10 ** 20, "99999999999999999999", "²", "-1", " 1 2"):
        with pytest.raises(NotFound):
            perm.get_or_404(perm.people(actor), User, bad)
    assert web.object_id(" 42 ") == 42 and web.object_id(web.MAX_ID) == web.MAX_ID
    for bad in ("²", "٣", "-1", "1.0", "", str(web.MAX_ID + 1)):
        with pytest.raises(ValueError):
            web.object_id(bad)


@pytest.mark.parametrize("path", ["/admin/people/99999999999999999999",
                                  "/trainings/9223372036854775808",
                                  "/ledger/entries/2147483648",
                                  "/branches/99999999999999999999"])
def test_a_url_id_too_large_for_a_column_is_a_404(client, make_user, fast_passwords, path):
    client.login(make_user("county_admin"))
    assert client.get(path).status_code == 404
