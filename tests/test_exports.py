"""Every export writes user text as text, exactly: hostile text stored straight into the
database (no form, no cleaner) comes back from each .xlsx as a string cell, never a formula.

The one exception, documented in webapp/web.py: characters XML cannot hold (C0 controls other
than tab, newline and carriage return; U+FFFE, U+FFFF) are dropped, and text longer than a
cell's 32,767 characters is cut and ends in "…". Cells are read as Excel shows them: OOXML
decodes "_xHHHH_" in a string, so the writer escapes it and the test decodes it.
"""
import datetime
import io
import json
import re
import secrets
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests.helpers import ENGINE, actor_for, make_activity, signed_in
from tests.roster_helpers import token_of, upload
from webapp.accounts.models import AuditEvent, Firm, Region, User
from webapp.branches.models import Branch, BranchActivity, BranchMember
from webapp.db import utcnow
from webapp.i18n import local_today
from webapp.ledger.models import Entry
from webapp.reports import bulletin as bulletin_service
from webapp.reports.bulletin_models import Bulletin
from webapp.quality.complaint_models import Complaint
from webapp.quality.village_models import Village
from webapp.study.models import StudyAssignment, StudyMaterial
from webapp.targets.models import Assessment
from webapp.trainings.models import Attendance, Training, TrainingCategory
from webapp.web import Sheet, download_name, sheet_title, workbook, xlsx_bytes

LONG = "长" * 40000
HOSTILE = [
    "=1+1", '=HYPERLINK("http://x","y")', "+1", "-1", "@SUM(A1)", "\t=1", " =1", "＝1",
    "＋1", "王\x0b小明", "\x1f起首", "尾\x1f", LONG, "😀👨‍👩‍👧 法援", "\u202eRTL\u200f",
    "<&>\"'", "0012", "1e5", "2026-01-01", "_x0041_ 与 _x000B_", "一\r\n二\n三", "非\ufffe字",
    "=cmd|' /C calc'!A0", "注入\r\nEND:VEVENT\r\nBEGIN:VEVENT",
]
if ENGINE == "sqlite":
    HOSTILE.append("零\x00字")        # PostgreSQL text cannot hold NUL at all
# Every round on SQLite, so each field meets every value. The writer is the same code on
# PostgreSQL; what that run adds is the values' trip through its columns (varchar limits,
# text), so a third of the rounds, spread over the list, is enough there.
ROUNDS = range(len(HOSTILE)) if ENGINE == "sqlite" else range(0, len(HOSTILE), 3)
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
FORMULA_FIRST = tuple("=+-@\t\r＝＋－＠")


def expected(stored):
    """What a reader sees of stored text: XML-illegal characters dropped, cut to a cell."""
    text = NOT_XML.sub("", stored)
    if len(text.encode("utf-16-le")) // 2 > 32767:
        text = text[:32766] + "…"       # every character of LONG is one UTF-16 unit
    return text


def as_excel_shows(text):
    """Decode OOXML's _xHHHH_ escapes, as Excel does when it reads a string."""
    return re.sub("_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


class Planted:
    """Hostile values for one round: field k gets HOSTILE[round + k], so every field gets
    every value over the rounds, and within a round each field's value is its own."""

    def __init__(self, round_):
        self.round, self.values = round_, []

    def __call__(self, model, field, label, joined=False):
        value = HOSTILE[(self.round + len(self.values)) % len(HOSTILE)]
        max_length = getattr(getattr(model, field), "max_length", None)
        if max_length:
            value = value[:max_length]      # PostgreSQL enforces varchar(n); keep engines alike
        self.values.append((label, value, joined))
        return value


def cells_of(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    disposition = response.headers["Content-Disposition"]
    assert not re.search("[\x00-\x1f\x7f]", disposition)
    book = load_workbook(io.BytesIO(response.data))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
            if cell.value is not None]


def check(response, planted, numbers=True):
    """No formula anywhere; each planted value is a text cell (or inside one, when joined)."""
    cells = cells_of(response)
    for cell in cells:
        assert cell.data_type != "f", (cell.coordinate, cell.value)
        if isinstance(cell.value, str):
            assert cell.data_type == "s"
            assert not NOT_XML.search(cell.value)
            if cell.value.startswith(FORMULA_FIRST):
                assert cell.quotePrefix, (cell.coordinate, cell.value)
    texts = [as_excel_shows(c.value) for c in cells if isinstance(c.value, str)]
    for label, stored, joined in planted.values:
        want = expected(stored)
        if joined:
            want = want[:1000]      # joined to other text, a long value is cut with the cell
            assert any(want in text for text in texts), (label, stored[:40])
        else:
            assert want in texts, (label, stored[:40])
    if numbers:     # the app's own figures stay numbers
        assert any(c.data_type == "n" and not isinstance(c.value, datetime.datetime)
                   for c in cells)


# ------------------------------------------------------------------ one scene per export

def _template(app, world, make_user, plant):
    Firm.update(name=plant(Firm, "name", "firm name")).where(
        Firm.id == world["firm_a"].id).execute()
    Branch.update(name=plant(Branch, "name", "branch name")).where(
        Branch.id == world["branch"].id).execute()
    return signed_in(app, make_user("county_admin")), "/admin/people/import/template.xlsx", False


def _name_county_firm(world, plant):
    Region.update(name=plant(Region, "name", "county name")).where(
        Region.id == world["a"].id).execute()
    Firm.update(name=plant(Firm, "name", "firm name")).where(
        Firm.id == world["firm_a"].id).execute()


def _behind(app, world, make_user, plant):
    _name_county_firm(world, plant)
    make_user(name=plant(User, "name", "person name"))
    return (signed_in(app, make_user("county_admin")),
            f"/home/county/behind.xlsx?firm={world['firm_a'].id}", True)


def _firms(app, world, make_user, plant):
    _name_county_firm(world, plant)
    make_user()
    return signed_in(app, make_user("county_admin")), "/home/county/firms.xlsx", True


def _progress(app, world, make_user, plant):
    _name_county_firm(world, plant)
    make_user(name=plant(User, "name", "person name"),
              licence_no=plant(User, "licence_no", "licence number"))
    return signed_in(app, make_user("county_admin")), "/home/people.xlsx", True


def _city(app, world, make_user, plant):
    for county in ("a", "b"):
        Region.update(name=plant(Region, "name", f"county {county}")).where(
            Region.id == world[county].id).execute()
    make_user()
    return signed_in(app, make_user("city_admin")), "/home/city.xlsx", True


def _this_year_start():
    """A training start this year, before today (naive UTC, like the app stores)."""
    return datetime.datetime.combine(local_today().replace(month=1, day=2), datetime.time(1))


def _training(world, plant, **fields):
    category = TrainingCategory.create(name="业务技能")
    start = _this_year_start()
    return Training.create(title=plant(Training, "title", "training title"), category=category,
                           organiser=world["a"], start_at=start,
                           end_at=start + datetime.timedelta(hours=3), credit_hours=3,
                           secret=secrets.token_hex(32), **fields)


def _attend(training, person, plant=None):
    note = plant(Attendance, "note", "attendance note") if plant else ""
    return Attendance.create(training=training, user=person, checked_in_at=training.start_at,
                             checked_out_at=training.end_at, credited_hours=Decimal("3"),
                             method_in="qr", note=note)


def _assessment_person(app, world, make_user, plant):
    Firm.update(name=plant(Firm, "name", "firm name")).where(
        Firm.id == world["firm_a"].id).execute()
    person = make_user(name=plant(User, "name", "person name"),
                       licence_no=plant(User, "licence_no", "licence number"))
    Assessment.create(year=local_today().year, county=world["a"], user=person,
                      result="competent", comment=plant(Assessment, "comment", "comment"))
    _attend(_training(world, plant), person)
    Entry.create(user=person, kind="public_service", date=local_today(), hours=2,
                 category="consultation", source="self", status="approved")
    return (signed_in(app, make_user("county_admin")),
            f"/home/assessment/person/{person.id}.xlsx", True)


def _assessment_firm(app, world, make_user, plant):
    firm_name = plant(Firm, "name", "firm name")
    Firm.update(name=firm_name).where(Firm.id == world["firm_a"].id).execute()
    make_user(name=plant(User, "name", "person name"))
    Assessment.create(year=local_today().year, county=world["a"], firm=world["firm_a"],
                      result="qualified", comment=plant(Assessment, "comment", "firm comment"))
    return (signed_in(app, make_user("county_admin")),
            f"/home/assessment/firm/{world['firm_a'].id}.xlsx", True)


def _attendance(app, world, make_user, plant):
    Firm.update(name=plant(Firm, "name", "firm name")).where(
        Firm.id == world["firm_a"].id).execute()
    training = _training(world, plant, place="")
    Training.update(place=plant(Training, "place", "training place")).where(
        Training.id == training.id).execute()
    present = make_user(name=plant(User, "name", "present person"))
    make_user(name=plant(User, "name", "absent person"))
    _attend(training, present, plant)
    return (signed_in(app, make_user("county_admin")),
            f"/trainings/{training.id}/attendance.xlsx", True)


def _summary(app, world, make_user, plant):
    Firm.update(name=plant(Firm, "name", "firm name")).where(
        Firm.id == world["firm_a"].id).execute()
    person = make_user(name=plant(User, "name", "person name"),
                       licence_no=plant(User, "licence_no", "licence number"))
    today = local_today()
    TrainingCategory.create(name="外训类别", name_en=plant(TrainingCategory, "name_en",
                                                       "category's English name"))
    rows = [
        {"kind": "public_service", "category": "consultation", "hours": 2,
         "description": plant(Entry, "description", "public service description")},
        {"kind": "legal_aid", "count": 1, "case_type": "civil", "case_status": "closed",
         "case_number": plant(Entry, "case_number", "case number")},
        {"kind": "education", "hours": 3, "category": plant(Entry, "category", "own category"),
         "description": plant(Entry, "description", "education description")},
        {"kind": "education", "hours": 1, "category": "外训类别"},
        {"kind": "training_credit", "hours": 3, "source": "system",
         "description": plant(Entry, "description", "training credit")},
    ]
    for row in rows:
        Entry.create(user=person, date=today, status="approved",
                     **{"source": "self", **row})
    return (signed_in(app, person), f"/ledger/year/{today.year}/summary.xlsx", True)


def _branches(app, world, make_user, plant):
    branch = world["branch"]
    make_user("secretary", name=plant(User, "name", "secretary name"))   # saves the branch
    Branch.update(name=plant(Branch, "name", "branch name")).where(
        Branch.id == branch.id).execute()
    Firm.update(name=plant(Firm, "name", "firm name", joined=True)).where(
        Firm.id == world["firm_a"].id).execute()
    absent = make_user(name=plant(User, "name", "absent member", joined=True),
                       party_member=True)
    BranchMember.create(branch=branch, user=absent, joined_on=datetime.date(2020, 1, 1))
    activity = make_activity(branch)
    BranchActivity.update(topic=plant(BranchActivity, "topic", "activity topic"),
                          place=plant(BranchActivity, "place", "activity place")).where(
        BranchActivity.id == activity.id).execute()
    return signed_in(app, make_user("county_admin")), "/branches/export.xlsx", True


def _last_month():
    return (local_today().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def _bulletin(app, world, make_user, plant):
    """An issued bulletin: its figures come back from the JSON snapshot, with the remarks."""
    Region.update(name=plant(Region, "name", "county name", joined=True)).where(
        Region.id == world["a"].id).execute()
    Firm.update(name=plant(Firm, "name", "firm name")).where(
        Firm.id == world["firm_a"].id).execute()
    Branch.update(name=plant(Branch, "name", "branch without a theme day")).where(
        Branch.id == world["branch"].id).execute()
    make_user(name=plant(User, "name", "person behind"))
    admin = make_user("county_admin", name=plant(User, "name", "issuer", joined=True))
    month = _last_month()
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        bulletin_service.issue(actor_for(admin, "county_admin"), Region.get_by_id(world["a"].id),
                               month, "", local_today())
    Bulletin.update(remarks=plant(Bulletin, "remarks", "remarks")).execute()
    return signed_in(app, admin), f"/bulletins/{month:%Y-%m}.xlsx", True


def _audit(app, world, make_user, plant):
    """An event whose actor, county, address, name, changes and details are hostile text."""
    Region.update(name=plant(Region, "name", "county name")).where(
        Region.id == world["a"].id).execute()
    Firm.update(name=plant(Firm, "name", "firm name", joined=True)).where(
        Firm.id == world["firm_a"].id).execute()
    admin = make_user("county_admin", name=plant(User, "name", "actor name"))
    # The firm first: a long value later in the same cell cuts what follows it.
    detail = {"firm": world["firm_a"].id,
              "name": plant(AuditEvent, "detail", "record name", joined=True),
              "before": {"title": "旧"},
              "after": {"title": plant(AuditEvent, "detail", "changed value", joined=True)},
              "reason": plant(AuditEvent, "detail", "detail text", joined=True)}
    AuditEvent.create(actor=admin, action="firm.updated", object_type="firm",
                      object_id=world["firm_a"].id, region=world["a"],
                      detail=json.dumps(detail, ensure_ascii=False),
                      address=plant(AuditEvent, "address", "address"))
    return signed_in(app, admin), "/admin/audit.xlsx", False


def _material(world, make_user, plant, names=True):
    """County A's branch's study material, with a member who studied it and one who has not
    (the people's names planted where the workbook lists people)."""
    def name(label):
        return plant(User, "name", label) if names else label
    secretary = make_user("secretary", name="书记")
    material = StudyMaterial.create(
        county=world["a"], branch=world["branch"], title=plant(StudyMaterial, "title", "title"),
        hours=Decimal("0.5"), min_seconds=0, created_by=secretary)
    if not names:   # the county's workbook names the branches, not the people
        Branch.update(name=plant(Branch, "name", "branch name")).where(
            Branch.id == world["branch"].id).execute()
    for n, done in enumerate((True, False)):
        member = make_user(name=name(f"member name {n}"), party_member=True)
        BranchMember.create(branch=world["branch"], user=member,
                            joined_on=datetime.date(2020, 1, 1))
        StudyAssignment.create(material=material, user=member,
                               completed_at=utcnow() if done else None, score=None)
    return secretary, material


def _study(app, world, make_user, plant):
    secretary, material = _material(world, make_user, plant)
    return signed_in(app, secretary), f"/branch/study/{material.id}.xlsx", True


def _study_county(app, world, make_user, plant):
    _material(world, make_user, plant, names=False)
    return (signed_in(app, make_user("county_admin")),
            f"/home/county/study.xlsx?year={local_today().year}", True)


def _complaints(app, world, make_user, plant):
    admin = make_user("county_admin")
    Firm.update(name=plant(Firm, "name", "firm name")).where(
        Firm.id == world["firm_a"].id).execute()
    person = make_user(name=plant(User, "name", "practitioner name"))
    Complaint.create(county=world["a"], firm=world["firm_a"], practitioner=person,
                     source="letter", received_on=local_today(),
                     summary=plant(Complaint, "summary", "summary"), assignee=admin,
                     deadline=local_today() + datetime.timedelta(days=30), created_by=admin)
    return signed_in(app, admin), "/complaints/export.xlsx", False


def _county_quality(app, world, make_user, plant):
    _name_county_firm(world, plant)
    admin = make_user("county_admin")
    person = make_user(name=plant(User, "name", "person name"))
    today = local_today()
    Complaint.create(county=world["a"], firm=world["firm_a"], practitioner=person,
                     source="letter", received_on=today, summary="投诉", assignee=admin,
                     deadline=today, status="concluded", finding="upheld",
                     concluded_on=today, created_by=admin)
    return signed_in(app, admin), "/home/county/quality.xlsx", True


def _villages(app, world, make_user, plant):
    adviser = make_user(name=plant(User, "name", "adviser name"))
    Village.create(county=world["a"], township=plant(Village, "township", "township"),
                   name=plant(Village, "name", "village name"), adviser=adviser)
    return signed_in(app, make_user("county_admin")), "/villages/coverage.xlsx", True


def _villages_template(app, world, make_user, plant):
    make_user(name=plant(User, "name", "person name"))
    return signed_in(app, make_user("county_admin")), "/villages/import/template.xlsx", False


EXPORTS = {
    "accounts.audit_export": _audit,
    "accounts.import_template": _template,
    "home.county_behind_export": _behind,
    "home.county_firms_export": _firms,
    "home.progress_export": _progress,
    "home.city_export": _city,
    "home.assessment_person_xlsx": _assessment_person,
    "home.assessment_firm_xlsx": _assessment_firm,
    "trainings.export": _attendance,
    "ledger.summary_xlsx": _summary,
    "branches.export": _branches,
    "bulletins.export": _bulletin,
    "study_manage.export": _study,
    "study_manage.county_export": _study_county,
    "complaints.export": _complaints,
    "home.county_quality_export": _county_quality,
    "villages.coverage_export": _villages,
    "villages.import_template": _villages_template,
}


def test_every_xlsx_route_is_covered(app):
    routes = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.endswith(".xlsx")}
    assert routes == set(EXPORTS), "an .xlsx route without a hostile-text scene here"


@pytest.mark.parametrize("round_", ROUNDS)
@pytest.mark.parametrize("endpoint", sorted(EXPORTS))
def test_export_writes_hostile_text_as_text(app, world, make_user, endpoint, round_):
    plant = Planted(round_)
    client, url, numbers = EXPORTS[endpoint](app, world, make_user, plant)
    check(client.get(url), plant, numbers=numbers)


# ------------------------------------------------------------------ the writer itself

def _one_cell(value, stream):
    sheets = [Sheet("t", ["h"], [[value]])]
    data = xlsx_bytes(sheets if stream else workbook(sheets))
    return data, load_workbook(io.BytesIO(data))["t"]["A2"]


@pytest.mark.parametrize("stream", [True, False])
def test_writer_keeps_text_as_text_and_numbers_as_numbers(stream):
    for value in HOSTILE + ["零\x00字", "孤\ud800字", "非\uffff字", LONG[:32767]]:
        _data, cell = _one_cell(value, stream)
        assert cell.data_type == "s" and as_excel_shows(cell.value) == expected(
            value.replace("\ud800", ""))
    for value in (3, 2.5, Decimal("1.25")):
        _data, cell = _one_cell(value, stream)
        assert cell.data_type == "n" and cell.value == value
    _data, cell = _one_cell(datetime.date(2026, 1, 1), stream)
    assert cell.is_date and cell.number_format == "yyyy-mm-dd"


def test_writer_cuts_long_text_to_a_cell_never_inside_a_character():
    _data, cell = _one_cell("😀" * 20000, True)
    assert cell.value == "😀" * 16383 + "…"     # 32,766 UTF-16 units and the ellipsis
    _data, cell = _one_cell(LONG, True)
    assert len(cell.value) == 32767 and cell.value.endswith("长…")


def test_writer_escapes_what_ooxml_would_decode():
    data, cell = _one_cell("_x0041__x0042_ x0043_", True)
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "_x005F_x0041__x005F_x0042_ x0043_" in sheet_xml
    assert as_excel_shows(cell.value) == "_x0041__x0042_ x0043_"


def test_sheet_titles_and_file_names_from_user_text_are_safe(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert sheet_title("\x00") == "Sheet" and download_name("\x00.xlsx") == "export.xlsx"
    assert sheet_title('=HYPERLINK("http://x","y")') == '=HYPERLINK("http___x","y")'
    assert sheet_title("'王\x0b小明'") == "王小明"
    assert sheet_title("[*?]") == "____"
    assert sheet_title("History") == "History_"
    assert sheet_title("😀" * 20) == "😀" * 15      # 31 UTF-16 units at most
    assert download_name("年度考核 王\x0b小\n明/\u202e.xlsx") == "年度考核 王小明_.xlsx"
    assert download_name("a" * 300 + ".xlsx") == "a" * 120 + ".xlsx"
    book = load_workbook(io.BytesIO(xlsx_bytes([Sheet('=a:b/c', ["h"], []),
                                                Sheet('=a:b/c', ["h"], [])])))
    assert book.sheetnames == ["=a_b_c", "=a_b_c1"]


# ------------------------------------------------------------------ the roster template

def test_roster_template_lists_hostile_firm_names_as_text(app, world, make_user):
    names = ['=HYPERLINK("http://x","y")', "甲\x0b所", "-1", "＝SUM(A1)"]
    Firm.update(name=names[0]).where(Firm.id == world["firm_a"].id).execute()
    for name in names[1:]:
        Firm.create(name=name, county=world["a"])
    client = signed_in(app, make_user("county_admin"))
    response = client.get("/admin/people/import/template.xlsx")
    cells = cells_of(response)
    assert all(c.data_type != "f" for c in cells)
    listed = {c.value: c for c in cells}
    for name in names:
        assert listed[expected(name)].data_type == "s"
    # Filled in with names copied from the list, the template imports: every firm is found.
    book = load_workbook(io.BytesIO(response.data))
    roster, notes = book.worksheets
    formulas = [v.formula1 for v in roster.data_validations.dataValidation]
    assert any(f"'{notes.title}'!$A$" in f for f in formulas)
    firm_column = [row[0].value for row in notes.iter_rows(min_row=notes.max_row - len(names) + 1)]
    assert sorted(firm_column) == sorted(expected(n) for n in names)
    for i, firm in enumerate(firm_column):
        roster.append([f"导入{i}", f"1370000000{i}", firm, "", "1975", "否"])
    out = io.BytesIO()
    book.save(out)
    preview = upload(client, out.getvalue(), "roster.xlsx")
    assert preview.status_code == 200, preview.get_data(as_text=True)[:300]
    assert "There is no firm called" not in preview.get_data(as_text=True)
    assert token_of(preview)


# ------------------------------------------------------------------ the calendar file

def _ics_unescape(value):
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


@pytest.mark.parametrize("round_", range(len(HOSTILE)))
def test_calendar_file_holds_hostile_text_in_its_own_lines(app, world, make_user, round_):
    plant = Planted(round_)
    training = _training(world, plant, place="")
    place = plant(Training, "place", "place")
    Training.update(place=place).where(Training.id == training.id).execute()
    training = Training.get_by_id(training.id)
    response = signed_in(app, make_user("county_admin")).get(
        f"/trainings/{training.id}/calendar.ics")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    lines = body.replace("\r\n ", "").split("\r\n")
    for line in lines:
        assert not re.search("[\x00-\x08\x0a-\x1f\x7f]", line), repr(line[:60])
    props = {}
    for line in lines:
        name, _sep, value = line.partition(":")
        props.setdefault(name, value)
    for prop, stored in (("SUMMARY", training.title), ("LOCATION", place)):
        want = re.sub("[\x00-\x08\x0b-\x1f\x7f]", "", stored.replace("\r\n", "\n")
                      .replace("\r", "\n"))
        assert _ics_unescape(props[prop]) == want
    assert lines.count("END:VEVENT") == 1 and lines.count("BEGIN:VEVENT") == 1
