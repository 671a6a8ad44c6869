"""Plain helpers for the tests (no fixtures here: those live in conftest.py and tests/fixtures/).

Sections: the test database and clients; HTML; people and sessions; ledger forms and files;
trainings and branch activities; the scene of the route-permission matrix.
"""
import dataclasses
import datetime
import io
import itertools
import json
import os
import re
import secrets
import tempfile
import uuid
from decimal import Decimal
from urllib.parse import urlparse, urlunparse

from bs4 import BeautifulSoup
from flask import url_for
from PIL import Image

from webapp import access as perm
from webapp.accounts.models import Firm, Notification, Region, RoleGrant, User, UserSession
from webapp.accounts.services import hash_password, start_session
from webapp.branches import activities
from webapp.branches.models import ActivityPhoto, Branch, BranchActivity, BranchFirm, BranchMember
from webapp.checkin import codes as qr
from webapp.db import db, utcnow
from webapp.i18n import local_today
from webapp.ledger import evidence as evidence_files
from webapp.ledger import services as ledger_services
from webapp.ledger.models import Entry, Evidence
from webapp.models import ALL_MODELS
from webapp.reports import bulletin as bulletin_service
from webapp.reports.bulletin_models import Bulletin
from webapp.quality.complaint_models import Complaint
from webapp.quality import ratings as rating_services
from webapp.quality.village_models import Village
from webapp.reports.inspection_models import Inspection, InspectionItem
from webapp.reports.models import FirmReport, FirmReportAttachment
from webapp.study import services as study_services
from webapp.study.models import StudyAssignment, StudyMaterial, StudyQuestion
from webapp.study.text import render as study_render
from webapp.targets.models import Assessment
from webapp.trainings.models import Training, TrainingCategory

# ------------------------------------------------------------------ database and clients

ENGINE = os.environ.get("TEST_ENGINE", "sqlite")
PASSWORD = "password123"


def _pg_admin_url():
    return os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_exec(sql):
    import psycopg
    with psycopg.connect(_pg_admin_url(), autocommit=True) as conn:
        conn.execute(sql)


def make_database_url(label):
    """Create an empty database for this test process and return (url, drop)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    if ENGINE == "postgres":
        name = f"gl_test_{label}_{os.getpid()}_{worker}"
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}"')
        _pg_exec(f'CREATE DATABASE "{name}"')
        # Test data is thrown away: do not wait for the disk at every commit.
        _pg_exec(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        parsed = urlparse(_pg_admin_url())
        url = urlunparse(parsed._replace(path="/" + name))
        return url, lambda: _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    folder = tempfile.mkdtemp(prefix=f"gl-{label}-")
    return f"sqlite:///{folder}/test.db", lambda: None


class Client:
    """A test client that carries the CSRF token like a browser form would."""

    def __init__(self, flask_client):
        self.c = flask_client

    def csrf(self):
        with self.c.session_transaction() as sess:
            if "csrf" not in sess:
                sess["csrf"] = "test-csrf-token"
            return sess["csrf"]

    def get(self, url, **kw):
        return self.c.get(url, **kw)

    def post(self, url, data=None, csrf=True, htmx=False, **kw):
        data = dict(data or {})
        headers = kw.pop("headers", {})
        if csrf:
            data.setdefault("csrf_token", self.csrf())
        if htmx:
            headers["HX-Request"] = "true"
        return self.c.post(url, data=data, headers=headers, **kw)

    def htmx_get(self, url, **kw):
        return self.c.get(url, headers={"HX-Request": "true"}, **kw)

    def login(self, user, password=PASSWORD):
        response = self.post("/login", {"login": user.phone or user.username, "password": password})
        assert response.status_code == 303, response.data[:400]
        return response

    def logout(self):
        return self.post("/logout")


def english_client(app, language="en"):
    """A test client whose browser asks for English (tests assert English words)."""
    flask_client = app.test_client()
    flask_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    return Client(flask_client)


def signed_in(app, user, language="en"):
    """A client signed in as the user without a password check (argon2 is slow)."""
    client = english_client(app, language)
    with client.c.session_transaction() as sess:
        sess["token"] = start_session(user, "test")
        sess["csrf"] = "test-csrf-token"
    return client


# ------------------------------------------------------------------ HTML

def soup(response):
    """Parse a response's HTML."""
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text_of(node):
    return re.sub(r"\s+", " ", node.get_text(" ")).strip() if node is not None else ""


# ------------------------------------------------------------------ people

_HASH = {}  # the fast_passwords fixture swaps in a cheap hash


def password_hash():
    """Hash the test password once per process (argon2 is slow on purpose)."""
    if "h" not in _HASH:
        _HASH["h"] = hash_password(PASSWORD)
    return _HASH["h"]


def actor_for(user, role):
    """An Actor for the user acting in one of their roles."""
    grants = list(RoleGrant.select().where(RoleGrant.user == user))
    grant = next(gr for gr in grants if gr.role == role)
    return perm.Actor(user=user, grant=grant, grants=grants)


# ------------------------------------------------------------------ ledger forms and files

TODAY = datetime.date(2026, 6, 15)


def key():
    return uuid.uuid4().hex


def public_form(**over):
    data = {"date": TODAY.isoformat(), "hours": "2", "category": "consultation",
            "place": "城关社区", "people_served": "3", "description": "劳动合同咨询"}
    data.update(over)
    return data


def legal_aid_form(**over):
    data = {"case_number": "甲法援〔2026〕12号", "date": TODAY.isoformat(), "case_type": "civil",
            "case_status": "in_progress", "closed_on": "", "description": "追索劳动报酬纠纷"}
    data.update(over)
    return data


def education_form(**over):
    data = {"date": TODAY.isoformat(), "hours": "3", "category": "业务技能",
            "provider": "中国法律服务网", "topic": "民法典合同编解读", "place": "线上"}
    data.update(over)
    return data


def categories():
    """The default training categories (as a deployment or the demo sets them up)."""
    for pos, (name, name_en) in enumerate([("政治理论", "Political theory"),
                                           ("业务技能", "Professional skills")], start=1):
        TrainingCategory.get_or_create(name=name, defaults={"name_en": name_en,
                                                            "position": pos})


def log(user, kind="public_service", today=TODAY, **over):
    """Create an entry through the service (validated like the form)."""
    form = {"public_service": public_form, "legal_aid": legal_aid_form,
            "education": education_form}[kind](**over)
    entry, _created = ledger_services.create_entry(user, kind, form, key=key(), today=today)
    return entry


def jpeg_bytes(size=(2400, 1800), gps=True, colour=(200, 80, 40)):
    """A JPEG with camera EXIF and a GPS position (what a phone sends)."""
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"        # Make
    exif[0x0110] = "PhoneModel 12"     # Model
    exif[0x0112] = 1                   # Orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (31.0, 14.0, 5.0), 3: "E", 4: (121.0, 28.0, 9.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def png_bytes(size=(300, 200), mode="RGBA"):
    image = Image.new(mode, size, (10, 120, 200, 128) if mode == "RGBA" else 1)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def upload(data, name="photo.jpg", content_type="image/jpeg"):
    """A file for a test client's multipart form."""
    return (io.BytesIO(data), name, content_type)


# ------------------------------------------------------------------ trainings and activities

# A fixed training start (naive UTC) on a whole minute, far from any slice boundary trouble.
START = datetime.datetime(2026, 3, 10, 1, 0, 0)  # 09:00 in Asia/Shanghai


def minutes(n):
    return datetime.timedelta(minutes=n)


def hours(n):
    return datetime.timedelta(hours=n)


def unix(dt):
    return dt.replace(tzinfo=datetime.UTC).timestamp()


def make_activity(branch, start=None, length=2, kind="theme_day", status="held", **fields):
    """An activity of the branch; by default it began three hours ago and lasted two hours."""
    start = start or utcnow().replace(microsecond=0) - hours(3)
    values = {"topic": "学习党章", "place": "所会议室", "secret": secrets.token_hex(32)}
    values.update(fields)
    return BranchActivity.create(branch=branch, kind=kind, start_at=start,
                                 end_at=start + hours(length), status=status, **values)


# ------------------------------------------------------------------ the route-permission scene
# tests/test_permissions.py (the route table) and tests/test_security.py visit every route as
# each of ROLES; a Scene holds county A's objects that the URLs name.

ROLES = ("anonymous", "practitioner", "director", "secretary", "county_admin", "city_admin",
         "other_county_admin")


@dataclasses.dataclass
class Scene:
    """County A's objects, the acting person and their client."""
    world: dict
    subject: User
    actor: User = None
    held: set = dataclasses.field(default_factory=set)
    spare_session_id: int = None
    grant_id: int = None
    # The access matrix's foreign scope: the actor belongs to another county, firm, branch or
    # city than the objects, and the per-person objects (entry, device, message) are not theirs.
    foreign: bool = False

    @property
    def firm(self):
        return self.world["firm_a"]

    @property
    def login_phone(self):
        return (self.actor or self.subject).phone


def make_scene(world, make_user, client, role):
    """Create county A's subject, the actor for the role, and sign the client in."""
    subject = make_user("practitioner", name="对象")
    start_session(subject, "subject phone")
    subject_session = subject.sessions.get()
    scene = Scene(world=world, subject=subject, spare_session_id=subject_session.id)
    if role == "anonymous":
        client.csrf()
        return scene
    if role == "other_county_admin":
        actor = make_user("county_admin", county=world["b"])
    else:
        actor = make_user(role)
    token = start_session(actor, "test client")
    spare = start_session(actor, "second phone")
    with client.c.session_transaction() as sess:
        sess["token"] = token
    client.csrf()
    scene.actor = actor
    scene.held = {gr.role for gr in RoleGrant.select().where(RoleGrant.user == actor)}
    scene.grant_id = RoleGrant.select().where(RoleGrant.user == actor).order_by(
        RoleGrant.id.desc()).first().id
    if role != "other_county_admin":
        scene.spare_session_id = UserSession.get(UserSession.token == spare).id
    return scene


def scene_training(scene):
    """County A's training, starting in ten minutes (made on first use)."""
    if getattr(scene, "training", None) is None:
        start = utcnow() + datetime.timedelta(minutes=10)
        scene.training = Training.create(
            title="权限测试培训", category=TrainingCategory.create(name="业务技能"),
            organiser=scene.world["a"], start_at=start, end_at=start + datetime.timedelta(hours=3),
            credit_hours=3, secret="s" * 64)
    return scene.training


def scene_category(scene):
    """The second of county A's own two categories (made on first use)."""
    if getattr(scene, "category", None) is None:
        TrainingCategory.create(name="甲县专题一", region=scene.world["a"], position=1)
        scene.category = TrainingCategory.create(name="甲县专题二", region=scene.world["a"],
                                                 position=2)
    return scene.category


def scene_assessment(scene):
    """County A's subject's failed result with an open rectification (made on first use)."""
    if getattr(scene, "assessment", None) is None:
        today = local_today()
        scene.assessment = Assessment.create(
            year=today.year, county=scene.world["a"], user=scene.subject, result="incompetent",
            rectify_by=today + datetime.timedelta(days=30))
    return scene.assessment


def scene_report(scene):
    """County A's firm's information report, waiting for the county (made on first use)."""
    if getattr(scene, "report", None) is None:
        scene.report = FirmReport.create(
            firm=scene.firm, author=scene.subject, kind="info",
            month=local_today().replace(day=1), title="权限测试信息", body="调解邻里纠纷一起",
            status="submitted")
    return scene.report


def scene_inspection_item(scene):
    """An open item of an inspection of county A's firm (made on first use)."""
    if getattr(scene, "inspection_item", None) is None:
        today = local_today()
        inspection = Inspection.create(
            firm=scene.firm, county=scene.world["a"], held_on=today, inspectors="权限测试督查组",
            findings="台账不全", created_by=scene.subject)
        scene.inspection_item = InspectionItem.create(
            inspection=inspection, text="补齐台账", due_on=today + datetime.timedelta(days=30))
    return scene.inspection_item


def scene_complaint(scene):
    """County A's complaint about the subject (firm A), received today (made on first use).

    It is assigned to firm A's director where the world has one (the matrix's own side), so
    both county A's administrator and that director may move it on."""
    if getattr(scene, "complaint", None) is None:
        today = local_today()
        director = (User.select().join(RoleGrant, on=(RoleGrant.user == User.id))
                    .where(RoleGrant.role == "director", RoleGrant.firm == scene.firm.id)
                    .order_by(User.id).first())
        scene.complaint = Complaint.create(
            county=scene.world["a"], firm=scene.firm, practitioner=scene.subject,
            source="hotline_12348", received_on=today, summary="权限测试投诉",
            assignee=director or scene.subject, deadline=today + datetime.timedelta(days=30),
            created_by=scene.subject)
    return scene.complaint


def scene_village(scene):
    """A village of county A (made once per scene)."""
    return _once(scene, "village", lambda: Village.create(
        county=scene.world["a"], township="城关镇", name="权限村"))


def scene_code(scene):
    return qr.current_code(scene_training(scene), "in")


def this_year():
    return local_today().year


def scene_entry(scene):
    """A pending entry: the actor's own when they hold a practitioner grant, else county A's."""
    owner = scene.actor if scene.actor is not None and "practitioner" in scene.held \
        and not scene.foreign else scene.subject
    return _once(scene, ("entry", owner.id), lambda: Entry.create(
        user=owner, kind="public_service", date=local_today(), hours=1,
        category="consultation", source="self", status="pending"))


def _once(scene, key, make):
    """Make the object; a MatrixScene makes it once for all the scenes of its world."""
    store = getattr(scene, "store", None)
    if store is None:
        return make()
    if key not in store:
        store[key] = make()
    return store[key]


def scene_evidence(scene):
    def make():
        upload = evidence_files.Upload(b"%PDF-1.4\n%%EOF\n", None, "application/pdf", "a.pdf")
        stored, _paths = evidence_files.store(upload)
        return Evidence.create(entry=scene_entry(scene), stored_name=stored,
                               content_type=upload.content_type, size=len(upload.data),
                               original_name="a.pdf")
    return _once(scene, ("evidence", scene_entry(scene).id), make)


def scene_activity(scene):
    """County A's branch activity, begun three hours ago (made on first use)."""
    if getattr(scene, "activity", None) is None:
        start = utcnow() - datetime.timedelta(hours=3)
        scene.activity = BranchActivity.create(
            branch=scene.world["branch"], kind="theme_day", topic="权限测试主题党日",
            start_at=start, end_at=start + datetime.timedelta(hours=2), secret="a" * 64)
    return scene.activity


def scene_activity_code(scene):
    return qr.current_code(scene_activity(scene), 'in', None, 'activity')


def scene_member(scene):
    """The subject as a full member of county A's branch (made on first use)."""
    if getattr(scene, "member", None) is None:
        scene.member = BranchMember.create(branch=scene.world["branch"], user=scene.subject)
    return scene.member


def scene_photo(scene):
    def make():
        out = io.BytesIO()
        Image.new("RGB", (4, 4)).save(out, "JPEG")
        stored, _paths = activities.store_photo((out.getvalue(), out.getvalue()))
        return ActivityPhoto.create(activity=scene_activity(scene), stored_name=stored,
                                    content_type="image/jpeg", size=len(out.getvalue()))
    return _once(scene, "photo", make)


# URL parameters that name objects, and how to fill them. Objects are always in county A;
# the admin of county B gets the same ids and must be told they do not exist.
OBJECT_PARAMS = {
    "firm_id": lambda s: s.firm.id,
    "user_id": lambda s: s.subject.id,
    # The actor's own second device (so ending it keeps this client signed in);
    # for the other county's admin and for visitors, the subject's device.
    "session_id": lambda s: s.spare_session_id,
    "training_id": lambda s: scene_training(s).id,
    "entry_id": lambda s: scene_entry(s).id,
    "evidence_id": lambda s: scene_evidence(s).id,
    "branch_id": lambda s: s.world["branch"].id,
    "activity_id": lambda s: scene_activity(s).id,
    "member_id": lambda s: scene_member(s).id,
    "photo_id": lambda s: scene_photo(s).id,
    "category_id": lambda s: scene_category(s).id,
    "assessment_id": lambda s: scene_assessment(s).id,
    "report_id": lambda s: scene_report(s).id,
    "item_id": lambda s: scene_inspection_item(s).id,
    "complaint_id": lambda s: scene_complaint(s).id,
    "village_id": lambda s: scene_village(s).id,
    "attachment_id": lambda s: scene_report_attachment(s).id,
    "material_id": lambda s: scene_material(s).id,
}


def scene_report_attachment(scene):
    """A PDF attached to the scene's report (the file really stored)."""
    def make():
        upload = evidence_files.Upload(b"%PDF-1.4\n%%EOF\n", None, "application/pdf", "a.pdf")
        stored, _paths = evidence_files.store(upload, folder="reports")
        return FirmReportAttachment.create(
            report=scene_report(scene), stored_name=stored, content_type=upload.content_type,
            size=len(upload.data), original_name="a.pdf")
    return _once(scene, "attachment", make)


def scene_material(scene):
    """Study material of county A's branch with a PDF and one question, no reading time to
    wait, assigned to the subject and to the acting person (their own to study, as an entry
    or a message is: another branch's or county's actor finds none), made once per scene."""
    def make():
        upload = evidence_files.Upload(PDF, None, "application/pdf", "学习材料.pdf")
        stored, _paths = evidence_files.store(upload, folder=study_services.FOLDER)
        body = "## 学习党章\n\n第一章 党员"
        material = StudyMaterial.create(
            county=scene.world["a"], branch=scene.world["branch"], title="权限测试学习材料",
            body=body, body_html=study_render(body), hours=Decimal("0.5"), min_seconds=0,
            stored_name=stored, original_name="学习材料.pdf", content_type=upload.content_type,
            size=len(upload.data))
        StudyQuestion.create(material=material, position=0, text="党的最高理想是什么？",
                             choices=json.dumps(["实现共产主义", "发展经济"], ensure_ascii=False),
                             answer=0)
        StudyAssignment.create(material=material, user=scene.subject)
        return material
    material = _once(scene, "study_material", make)
    if scene.actor is not None and not scene.foreign:
        _once(scene, ("study_assignment", material.id, scene.actor.id), lambda: (
            StudyAssignment.get_or_create(material=material, user=scene.actor)))
    return material


def scene_bulletin_month(scene):
    """Last month as yyyy-mm, its bulletin issued in both counties (made on first use)."""
    month = (local_today().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)

    def make():
        for county in (scene.world["a"], scene.world["b"]):
            Bulletin.get_or_create(county=county, month=month, defaults={
                "status": "issued", "remarks": "权限测试", "issued_at": utcnow(),
                "data": json.dumps(bulletin_service.build(county, month, local_today()))})
        return month.strftime("%Y-%m")
    return _once(scene, "bulletin_month", make)


def scene_notification(scene):
    """A message to the acting person (to the subject for a visitor), linking to the start."""
    owner = scene.subject if scene.foreign else scene.actor or scene.subject
    return _once(scene, ("notification", owner.id), lambda: Notification.create(
        user=owner, kind="entry_approved", message="已通过", link="/")).id


def scene_rating_code(scene):
    """A fresh rating code for the subject's service (a code rates once, so one per use)."""
    return rating_services.make_code(scene.subject)


def scene_rating_card(scene):
    """The subject's desk-card token."""
    return rating_services.card_token(scene.subject)


OTHER_PARAMS = {"code": scene_rating_code, "token": scene_rating_card,
                "notification_id": scene_notification, "bulletin_month": scene_bulletin_month, "filename": lambda s: "css/app.css", "purpose": lambda s: "in",
                "kind": lambda s: "public_service", "year": lambda s: this_year(),
                "slice_no": lambda s: scene_code(s).slice_no, "mac": lambda s: scene_code(s).mac,
                "subject_id": lambda s: scene_code(s).subject_id}
# A check-in code's parts come from the subject of the rule's kind (/c/... or /c/a/...).
ACTIVITY_CODE_PARAMS = {"subject_id": lambda s: scene_activity_code(s).subject_id,
                        "slice_no": lambda s: scene_activity_code(s).slice_no,
                        "mac": lambda s: scene_activity_code(s).mac}


def rules_of(app, endpoint):
    return [r for r in app.url_map.iter_rules() if r.endpoint == endpoint]


def build_url(app, rule, scene):
    """The URL of `rule` with every parameter filled from the scene."""
    values = url_values(rule, scene)
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def url_values(rule, scene):
    """The values of `rule`'s URL parameters, filled from the scene (fails for one nobody
    knows how to fill)."""
    values = {}
    defaults = rule.defaults or {}
    for name in rule.arguments:
        if name in defaults:
            values[name] = defaults[name]
            continue
        fill = (defaults.get("kind") == "activity" and ACTIVITY_CODE_PARAMS.get(name)
                or OBJECT_PARAMS.get(name) or OTHER_PARAMS.get(name))
        assert fill is not None, (
            f"route {rule.rule} ({rule.endpoint}) has a URL parameter {name!r} that "
            f"tests/helpers.py does not know how to fill: add it to OBJECT_PARAMS "
            f"(an object in county A) or OTHER_PARAMS")
        values[name] = fill(scene)
    return values


# ------------------------------------------------------------------ the access matrix's world
# tests/test_permissions.py's matrix asks every route as each of MATRIX_ROLES, in the actor's
# own scope (the URL names county A's objects, which the actor may see) and in a foreign one
# (the same role of another firm, branch, county or city asks for those same objects).

MATRIX_ROLES = ("anonymous", "practitioner", "director", "secretary", "county_admin",
                "city_admin")
MATRIX_SCOPES = ("own", "foreign")
# The objects a scene makes on first use; a matrix's scenes share one copy of each.
SHARED_OBJECTS = ("training", "category", "assessment", "report", "inspection_item",
                  "activity", "member", "complaint")
_matrix_names = itertools.count(1)


def matrix_world():
    """City 1 with counties A and B, city 2 with county C; a firm in each, a branch in A and B."""
    city = Region.create(name="测试市", kind="city")
    a = Region.create(name="甲县", kind="county", parent=city, population=500000)
    b = Region.create(name="乙县", kind="county", parent=city, population=300000)
    city2 = Region.create(name="外市", kind="city")
    c = Region.create(name="丙县", kind="county", parent=city2, population=200000)
    firm_a = Firm.create(name="甲县城关法律服务所", county=a)
    firm_b = Firm.create(name="乙县城关法律服务所", county=b)
    firm_c = Firm.create(name="丙县城关法律服务所", county=c)
    branch = Branch.create(name="甲县联合支部", county=a, kind="joint")
    BranchFirm.create(branch=branch, firm=firm_a)
    branch_b = Branch.create(name="乙县支部", county=b)
    BranchFirm.create(branch=branch_b, firm=firm_b)
    return {"city": city, "a": a, "b": b, "firm_a": firm_a, "firm_b": firm_b, "branch": branch,
            "city2": city2, "c": c, "firm_c": firm_c, "branch_b": branch_b}


def matrix_person(world, role, foreign=False, name=None):
    """A person holding the role (scoped like DESIGN.md says) on side A, or on the foreign
    side: firm, branch and county B, or city 2 for the city administrator."""
    n = next(_matrix_names)
    county = world["b"] if foreign else world["a"]
    firm = world["firm_b"] if foreign else world["firm_a"]
    branch = world["branch_b"] if foreign else world["branch"]
    works_in_firm = role in ("practitioner", "director", "secretary")
    user = User.create(name=name or f"矩阵{n}", phone=f"138{n:08d}", password_hash=password_hash(),
                       firm=firm if works_in_firm else None,
                       county=None if role == "city_admin" else county,
                       party_member=role == "secretary")
    if works_in_firm:
        RoleGrant.create(user=user, role="practitioner", firm=firm)
    if role == "director":
        RoleGrant.create(user=user, role="director", firm=firm)
    if role == "secretary":
        RoleGrant.create(user=user, role="secretary", branch=branch)
        BranchMember.create(branch=branch, user=user)
        branch.secretary = user
        branch.save()
    if role == "county_admin":
        RoleGrant.create(user=user, role="county_admin", region=county)
    if role == "city_admin":
        RoleGrant.create(user=user, role="city_admin",
                         region=world["city2"] if foreign else world["city"])
    return user


@dataclasses.dataclass
class MatrixScene(Scene):
    """A Scene whose first-use objects live in a store shared by all scenes of one world."""
    store: dict = dataclasses.field(default_factory=dict)
    token: str = None

    def __getattr__(self, name):  # called only for attributes the instance does not have
        if name in SHARED_OBJECTS:
            return self.__dict__.get("store", {}).get(name)
        raise AttributeError(name)

    def __setattr__(self, name, value):
        if name in SHARED_OBJECTS:
            self.store[name] = value
        else:
            super().__setattr__(name, value)


def matrix_scenes(world):
    """Return {(role, scope): MatrixScene}: county A's subject, and for each role an actor of
    side A ("own") and of the other side ("foreign"), each signed in on two devices."""
    subject = matrix_person(world, "practitioner", name="对象")
    start_session(subject, "subject phone")
    subject_session = UserSession.get(UserSession.user == subject).id
    store = {}
    scenes = {}
    for role in MATRIX_ROLES:
        for scope in MATRIX_SCOPES:
            foreign = scope == "foreign"
            scene = MatrixScene(world=world, subject=subject, spare_session_id=subject_session,
                                foreign=foreign, store=store)
            if role != "anonymous":
                actor = matrix_person(world, role, foreign=foreign)
                grants = list(RoleGrant.select().where(RoleGrant.user == actor)
                              .order_by(RoleGrant.id))
                scene.actor = actor
                scene.held = {gr.role for gr in grants}
                scene.grant_id = grants[-1].id
                scene.token = start_session(actor, "test client")
                spare = start_session(actor, "second phone")
                if not foreign:
                    scene.spare_session_id = UserSession.get(UserSession.token == spare).id
            scenes[role, scope] = scene
    return scenes


def signed_in_as(app, scene):
    """A fresh client carrying the scene's session (none for a visitor) and a CSRF token."""
    client = english_client(app)
    with client.c.session_transaction() as sess:
        if scene.token:
            sess["token"] = scene.token
        sess["csrf"] = "test-csrf-token"
    return client


_DIGEST_SQL = {}


def _digest_sql():
    """One statement that returns every table's rows as one text each (built once)."""
    if ENGINE not in _DIGEST_SQL:
        parts = []
        for model in ALL_MODELS:
            table = model._meta.table_name
            if ENGINE == "postgres":
                # A sum of row hashes: blind to order, and no sort on the server.
                parts.append(f"(SELECT count(*) || ':' || coalesce(sum(hashtextextended("
                             f"t::text, 0)::numeric), 0) FROM \"{table}\" t)")
            else:
                row = " || ',' || ".join(f'quote("{f.column_name}")'
                                         for f in model._meta.sorted_fields)
                parts.append(f'(SELECT group_concat(r, \'|\') FROM (SELECT {row} AS r '
                             f'FROM "{table}" ORDER BY r))')
        _DIGEST_SQL[ENGINE] = "SELECT " + ", ".join(parts)
    return _DIGEST_SQL[ENGINE]


def database_digest():
    """Return {table: digest of all its rows}, to tell whether a request wrote anything."""
    tables = [model._meta.table_name for model in ALL_MODELS]
    return dict(zip(tables, db.execute_sql(_digest_sql()).fetchone()))
