"""Roster import: reading .csv/.xlsx, row errors, preview writes nothing, confirm once, scope."""
import datetime
import csv
import glob
import io
import json
import os
import re
import zipfile

import openpyxl
import pytest
from argon2 import PasswordHasher

from tests.helpers import soup, text_of
from tests.roster_helpers import (BRANCH_A, EN, FIRM_A, ZH, confirm, counts, csv_bytes, row, row_errors, table_lines, token_of, upload, xlsx_bytes)
from webapp.accounts import roster
from webapp.accounts.models import AuditEvent, Firm, RoleGrant, User
from webapp.accounts.services import check_password
from webapp.branches.models import Branch, BranchMember
from webapp.errors import Conflict

def pending_files(app):
    return glob.glob(os.path.join(app.config["UPLOAD_DIR"], "imports", "*"))


@pytest.fixture
def request_ctx(app):
    """A request context, for calling the services (their messages are translated) directly."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def admin(make_user, client):
    user = make_user("county_admin")
    client.login(user)
    return user


# ------------------------------------------------------------------ reading files

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_in_each_encoding_is_read(client, admin, encoding):
    rows = [row(name="王芳", phone="13700000001"), row(name="李建国", phone="13700000002")]
    delimiter = "\t" if encoding == "utf-16" else ","   # Excel's "Unicode text" uses tabs
    before = counts()
    response = upload(client, csv_bytes(rows, encoding=encoding, delimiter=delimiter))
    assert response.status_code == 200
    table = soup(response).find("table", id="rows-valid")
    names = [text_of(tr.find_all("td")[1]) for tr in table.find("tbody").find_all("tr")]
    assert names == ["王芳", "李建国"]
    assert table_lines(response, "rows-invalid") == []
    assert counts() == before


def test_xlsx_with_title_row_numbers_dates_and_blank_rows(client, admin):
    rows = [
        ["王芳", 13700000001, FIRM_A, "L-001", 1975, True, BRANCH_A],
        [None, None, None, None, None, None, None],
        ["李建国", 13700000002.0, " 甲县城关 法律服务所 ", None, datetime.date(1980, 5, 1), "否", None],
    ]
    response = upload(client, xlsx_bytes(rows, title="甲县基层法律服务工作者名册"), "名册.xlsx")
    assert response.status_code == 200
    assert table_lines(response, "rows-valid") == [3, 5]
    cells = [[text_of(td) for td in tr.find_all("td")]
             for tr in soup(response).find("table", id="rows-valid").find("tbody").find_all("tr")]
    assert cells[0] == ["3", "王芳", "13700000001", FIRM_A, "L-001", "1975", "Yes", BRANCH_A,
                        "", ""]
    assert cells[1] == ["5", "李建国", "13700000002", FIRM_A, "", "1980", "No", "", "", ""]
    assert soup(response).find(id="count-blank") is not None


def test_xlsx_with_a_wrong_used_range_is_read_to_the_end(client, admin):
    data = xlsx_bytes([row(phone="13700000001"), row(phone="13700000002")])
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in source.namelist():
            content = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                content = re.sub(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:C2"/>',
                                 content)
                assert b'ref="A1:C2"' in content
            archive.writestr(name, content)
    response = upload(client, out.getvalue(), "r.xlsx")
    assert table_lines(response, "rows-valid") == [2, 3]


def test_an_xlsx_without_extension_is_recognised(client, admin):
    response = upload(client, xlsx_bytes([row()]), "roster")
    assert table_lines(response, "rows-valid") == [2]


def test_english_headers_and_unknown_columns(client, admin):
    header = EN + ["Notes"]
    response = upload(client, csv_bytes([row() + ["x"]], header=header))
    assert response.status_code == 200
    assert table_lines(response, "rows-valid") == [2]
    assert "Notes" in text_of(soup(response).find(id="ignored-columns"))


def test_optional_columns_may_be_left_out(client, admin):
    data = csv_bytes([["王芳", "13700000001", FIRM_A]], header=["姓名", "电话", "单位"])
    response = upload(client, data)
    assert table_lines(response, "rows-valid") == [2]


def test_a_branch_without_a_party_column_makes_a_party_member(world, request_ctx):
    sheet = roster.parse("r.csv", csv_bytes([["王芳", "13700000001", FIRM_A, BRANCH_A]],
                                            header=["姓名", "手机号", "服务所", "支部"]))
    assert sheet.rows == [(2, {"name": "王芳", "phone": "13700000001", "firm": FIRM_A,
                               "branch": BRANCH_A})]
    [checked] = roster.check_rows(sheet.rows, [world["firm_a"]], [world["branch"]], world["a"],
                                  2026)
    assert checked.errors == []
    assert (checked.clean["party_member"], checked.clean["branch"]) == (True, world["branch"])


@pytest.mark.parametrize("text,year", [("1975", "1975"), ("1975年", "1975"), ("1975-03", "1975"),
                                       ("1975/3/1", "1975"), ("1975.0", "1975"), ("七五", "七五")])
def test_birth_year_forms(text, year):
    assert roster._birth_year_text(text) == year


# ------------------------------------------------------------------ row errors

CASES = {
    "name missing": (row(name=""), "Fill in the name"),
    "name too long": (row(name="张" * 61), "too long"),
    "phone missing": (row(phone=""), "Fill in the phone number"),
    "phone malformed": (row(phone="12345"), "11 digits"),
    "phone turned into a number by Excel": (row(phone="1.37E+10"), "1.39E+10"),
    "phone registered in this county": (row(phone="13800000001"), "Already registered: 老张"),
    "phone registered elsewhere": (row(phone="13800000002"),
                                   "Someone with this phone number is already registered"),
    "firm missing": (row(firm=""), "Fill in the firm"),
    "firm unknown": (row(firm="不存在法律服务所"), "There is no firm called"),
    "firm of another county": (row(firm="乙县城关法律服务所"), "There is no firm called"),
    "firm deactivated": (row(firm="甲县旧法律服务所"), "is deactivated"),
    "licence too long": (row(licence="X" * 41), "too long"),
    "licence registered": (row(licence="L-OLD"), "licence number is already registered"),
    "birth year impossible": (row(birth="1850"), "Birth year must be"),
    "party answer unknown": (row(party="也许"), "write 是 or 否"),
    "branch unknown": (row(party="是", branch="不存在支部"), "There is no party branch called"),
    "branch of another county": (row(party="是", branch="乙县支部"),
                                 "There is no party branch called"),
    "branch deactivated": (row(party="是", branch="甲县旧支部"), "is deactivated"),
    "branch but not a party member": (row(party="否", branch=BRANCH_A), "not a party member"),
}


def person(make_user, phone, **fields):
    """Create a practitioner with a chosen phone number."""
    user = make_user(**fields)
    user.phone = phone
    user.save()
    return user


@pytest.fixture
def county_data(world, make_user):
    person(make_user, "13800000001", name="老张", county=world["a"])
    person(make_user, "13800000002", name="老李", county=world["b"], licence_no="L-OLD")
    Firm.create(name="甲县旧法律服务所", county=world["a"], active=False)
    Branch.create(name="乙县支部", county=world["b"])
    Branch.create(name="甲县旧支部", county=world["a"], active=False)


@pytest.mark.parametrize("case", list(CASES))
def test_each_row_error_is_shown_in_plain_words(client, admin, county_data, case):
    bad, expected = CASES[case]
    good = row(name="好人", phone="13700000099")
    before = counts()
    response = upload(client, csv_bytes([good, bad]))
    assert response.status_code == 200
    assert table_lines(response, "rows-valid") == [2]
    assert table_lines(response, "rows-invalid") == [3]
    errors = row_errors(response, 3)
    assert any(expected in e for e in errors), errors
    if case == "phone registered elsewhere":
        assert not any("老李" in e for e in errors)
    assert counts() == before


def test_duplicates_within_the_file_are_errors_on_every_copy(client, admin):
    rows = [row(name="甲", phone="13700000001", licence="L1"),
            row(name="乙", phone="13700000001", licence="L2"),
            row(name="丙", phone="13700000003", licence="L1"),
            row(name="丁", phone="13700000004", licence="L9")]
    response = upload(client, csv_bytes(rows))
    assert table_lines(response, "rows-invalid") == [2, 3, 4]
    assert table_lines(response, "rows-valid") == [5]
    assert "The same phone number is also on row 3." in row_errors(response, 2)
    assert "The same phone number is also on row 2." in row_errors(response, 3)
    assert "The same licence number is also on row 4." in row_errors(response, 2)
    assert "The same licence number is also on row 2." in row_errors(response, 4)


def test_row_errors_are_translated(make_client, make_user):
    client = make_client("zh-CN")
    client.login(make_user("county_admin"))
    response = upload(client, csv_bytes([row(firm="不存在法律服务所"), row(phone="13700000002")]))
    errors = row_errors(response, 2)
    assert errors and all("firm" not in e and "There is" not in e for e in errors), errors


def test_a_file_with_only_bad_rows_offers_no_confirmation(client, admin, app):
    before_files = set(pending_files(app))
    response = upload(client, csv_bytes([row(phone="1")]))
    assert response.status_code == 200
    assert soup(response).find("form", id="confirm-form") is None
    assert soup(response).find(id="nothing-to-import") is not None
    assert set(pending_files(app)) == before_files


# ------------------------------------------------------------------ file errors

def _zip_without_workbook():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


FILE_CASES = {
    "no header": ("r.csv", "x,y\n1,2\n".encode(), "No column headers were found"),
    "required column missing": ("r.csv", "姓名,执业证号\n王芳,1\n".encode(),
                                "These columns are missing: Phone number, Firm"),
    "header only": ("r.csv", "姓名,手机号,服务所\n,,\n".encode(), "no people under them"),
    "empty": ("r.csv", b"", "The file is empty"),
    "wrong type": ("r.pdf", b"%PDF-1.4", "Choose an Excel file (.xlsx) or a CSV file"),
    "old xls": ("r.xls", roster.OLE_MAGIC + b"\0" * 100, "old Excel file (.xls)"),
    "locked xlsx": ("r.xlsx", roster.OLE_MAGIC + b"\0" * 100, "locked with a password"),
    "not a zip": ("r.xlsx", b"hello, this is text", "could not be read"),
    "broken zip": ("r.xlsx", b"PK\x03\x04" + b"\x00" * 200, "could not be read"),
    "zip without a workbook": ("r.xlsx", _zip_without_workbook(), "could not be read"),
    "xlsx named csv": ("r.csv", xlsx_bytes([row()]), "Excel workbook with a .csv name"),
    "undecodable csv": ("r.csv", "姓名,手机号,服务所\n".encode() + b"\x81\xff\x80\n",
                        "could not be read"),
    "nul bytes": ("r.csv", b"\x00\x00\x00\x00", "could not be read"),
    "runaway quote": ("r.csv", ("姓名,手机号,服务所\n\"王芳" + "长" * 140000).encode(),
                      "not well formed"),
}


@pytest.mark.parametrize("case", list(FILE_CASES))
def test_unusable_files_get_400_and_a_plain_message(client, admin, app, case):
    filename, content, expected = FILE_CASES[case]
    before, before_files = counts(), set(pending_files(app))
    response = upload(client, content, filename)
    assert response.status_code == 400
    assert expected in text_of(soup(response).find(id="import-error"))
    assert counts() == before
    assert set(pending_files(app)) == before_files


def test_no_file_chosen(client, admin):
    response = client.post("/admin/people/import", {}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose a file" in text_of(soup(response).find(id="import-error"))


def test_file_over_2_mb_is_refused(client, admin):
    content = csv_bytes([row()]) + b"#" * roster.MAX_BYTES
    response = upload(client, content)
    assert response.status_code == 400
    assert "larger than 2 MB" in text_of(soup(response).find(id="import-error"))


def test_xlsx_that_unpacks_too_large_is_refused(client, admin, monkeypatch):
    monkeypatch.setattr(roster, "MAX_UNZIPPED", 1000)
    response = upload(client, xlsx_bytes([row()]), "r.xlsx")
    assert response.status_code == 400
    assert "too large once opened" in text_of(soup(response).find(id="import-error"))


def test_at_most_2000_people_per_file(client, admin):
    rows = [row(name=f"人{i}", phone=f"137{i:08d}") for i in range(roster.MAX_ROWS)]
    response = upload(client, csv_bytes(rows))
    assert response.status_code == 200
    assert len(table_lines(response, "rows-valid")) == roster.MAX_ROWS
    rows.append(row(name="多一人", phone="13799999999"))
    response = upload(client, csv_bytes(rows))
    assert response.status_code == 400
    assert "more than 2000 people" in text_of(soup(response).find(id="import-error"))


# ------------------------------------------------------------------ preview and confirm

def test_preview_writes_nothing_and_keeps_only_valid_rows_server_side(client, admin, app):
    before = counts()
    response = upload(client, csv_bytes([row(phone="13700000001"), row(phone="bad")]))
    assert counts() == before
    token = token_of(response)
    [path] = [p for p in pending_files(app) if token in p]
    assert os.path.basename(path).startswith(f"{admin.id}-")
    with open(path, encoding="utf-8") as fh:
        payload = json.load(fh)
    assert [line for line, _values in payload["rows"]] == [2]
    assert payload["user"] == admin.id and payload["county"] == admin.county_id


def test_confirm_creates_only_valid_rows_once(client, admin, world, app, make_client):
    rows = [row(name="王芳", phone="13700000001", licence="L-1", birth="1975", party="是",
                branch=BRANCH_A),
            row(name="李建国", phone="13700000002", party="否"),
            row(name="坏行", phone="123")]
    token = token_of(upload(client, csv_bytes(rows)))
    users_before = User.select().count()
    response = confirm(client, token)
    assert response.status_code == 200
    codes = {text_of(tr.find_all("td")[2]): text_of(tr.find("code"))
             for tr in soup(response).find("table", id="codes").find("tbody").find_all("tr")}
    assert set(codes) == {"13700000001", "13700000002"}
    assert User.select().count() == users_before + 2
    wang = User.get(User.phone == "13700000001")
    assert (wang.name, wang.firm_id, wang.county_id, wang.licence_no, wang.birth_year,
            wang.party_member, wang.must_change_password, wang.active) == (
        "王芳", world["firm_a"].id, world["a"].id, "L-1", 1975, True, True, True)
    assert [(g.role, g.firm_id) for g in RoleGrant.select().where(RoleGrant.user == wang)] == [
        ("practitioner", world["firm_a"].id)]
    assert [m.branch_id for m in BranchMember.select().where(BranchMember.user == wang)] == [
        world["branch"].id]
    li = User.get(User.phone == "13700000002")
    assert not li.party_member
    assert not BranchMember.select().where(BranchMember.user == li).exists()
    assert wang.password_hash != li.password_hash
    full = PasswordHasher()
    # Light parameters for the one-time password (replaced at first sign-in).
    assert full.verify(wang.password_hash, codes["13700000001"])
    assert full.check_needs_rehash(wang.password_hash)

    [event] = AuditEvent.select().where(AuditEvent.action == "roster.import")
    detail = json.loads(event.detail)
    assert (event.actor_id, event.region_id) == (admin.id, world["a"].id)
    assert (detail["created"], detail["rows_in_file"], detail["errors_at_preview"],
            detail["refused_at_confirm"], detail["branch_members"]) == (2, 3, 1, 0, 1)

    # The passwords were made at confirmation and are stored nowhere in plain text.
    for path in pending_files(app):
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        assert not any(code in text for code in codes.values())
    href = soup(response).find("a", id="codes-download")["href"]
    assert href.startswith("data:text/csv;charset=utf-8;base64,")

    # A second confirmation (a double click, a reload) changes nothing.
    before = counts()
    again = confirm(client, token)
    assert again.status_code == 409
    assert "already imported" in text_of(soup(again).find(id="import-error"))
    assert counts() == before

    # The new person signs in with the one-time password and must choose their own.
    person = make_client()
    answer = person.post("/login", {"login": "13700000001", "password": codes["13700000001"]})
    assert answer.status_code == 303 and "/me/password" in answer.headers["Location"]
    wang = User.get_by_id(wang.id)
    assert not full.check_needs_rehash(wang.password_hash)
    assert check_password(wang, codes["13700000001"])


def test_codes_csv_opens_in_excel_and_is_not_a_formula(request_ctx):
    data = roster.codes_csv([{"name": "=HYPERLINK(1)", "phone": "13700000001", "firm": "所",
                              "code": "abc"}])
    assert data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert lines[1] == ["'=HYPERLINK(1)", "13700000001", "所", "abc"]


def test_confirm_checks_again_what_changed_since_the_preview(client, admin, make_user):
    token = token_of(upload(client, csv_bytes([row(phone="13700000001"),
                                               row(name="后来者", phone="13700000002")])))
    person(make_user, "13700000002", name="抢先")
    response = confirm(client, token)
    assert response.status_code == 200
    assert table_lines(response, "rows-refused") == [3]
    assert len(soup(response).find("table", id="codes").find("tbody").find_all("tr")) == 1
    assert User.get(User.phone == "13700000002").name == "抢先"
    detail = json.loads(AuditEvent.get(AuditEvent.action == "roster.import").detail)
    assert (detail["created"], detail["refused_at_confirm"]) == (1, 1)


def test_a_clash_while_writing_writes_nothing_and_keeps_the_preview(client, admin, monkeypatch):
    token = token_of(upload(client, csv_bytes([row(phone="13700000001")])))
    real = roster.create_people

    def clash(*args, **kwargs):
        raise Conflict("clash")
    monkeypatch.setattr(roster, "create_people", clash)
    before = counts()
    response = confirm(client, token)
    assert response.status_code == 409
    assert counts() == before
    monkeypatch.setattr(roster, "create_people", real)
    assert confirm(client, token).status_code == 200
    assert User.select().where(User.phone == "13700000001").exists()


def test_create_people_is_all_or_nothing(world, make_user, admin, request_ctx):
    rows = roster.check_rows([(2, {"name": "甲", "phone": "13700000001", "firm": FIRM_A}),
                              (3, {"name": "乙", "phone": "13700000002", "firm": FIRM_A})],
                             [world["firm_a"]], [], world["a"], 2026)
    assert not any(r.errors for r in rows)
    person(make_user, "13700000002")
    before = counts()
    with pytest.raises(Conflict):
        roster.create_people(admin, world["a"], rows)
    assert counts() == before


def test_expired_preview_cannot_be_confirmed(client, admin, app):
    token = token_of(upload(client, csv_bytes([row()])))
    [path] = [p for p in pending_files(app) if token in p]
    with open(path, encoding="utf-8") as fh:
        payload = json.load(fh)
    payload["created"] -= roster.PENDING_SECONDS + 1
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(payload, fh)
    response = confirm(client, token)
    assert response.status_code == 404
    assert "expired" in text_of(soup(response).find(id="import-error"))
    assert not User.select().where(User.phone == "13700000001").exists()


@pytest.mark.parametrize("token", ["", "../../etc/passwd", "x" * 10, "a" * 40])
def test_unknown_or_malformed_tokens_are_not_found(client, admin, token):
    before = counts()
    response = confirm(client, token)
    assert response.status_code == 404
    assert counts() == before


@pytest.mark.parametrize("other", ["other county", "same county"])
def test_another_admin_cannot_confirm_someone_elses_preview(client, admin, make_user,
                                                            make_client, world, other):
    token = token_of(upload(client, csv_bytes([row()])))
    intruder = make_client()
    intruder.login(make_user("county_admin", county=world["b" if other == "other county" else "a"]))
    before = counts()
    response = confirm(intruder, token)
    assert response.status_code == 404
    assert counts() == before
    assert confirm(client, token).status_code == 200


def test_an_admin_of_two_counties_confirms_only_in_the_county_previewed(
        client, admin, world, app):
    second = RoleGrant.create(user=admin, role="county_admin", region=world["b"])
    token = token_of(upload(client, csv_bytes([row()])))
    client.post("/me/role", {"grant": second.id})
    response = confirm(client, token)
    assert response.status_code == 404
    assert not User.select().where(User.phone == "13700000001").exists()


def test_firms_and_branches_of_another_county_are_never_matched(client, make_user, world):
    client.login(make_user("county_admin", county=world["b"]))
    response = upload(client, csv_bytes([row(firm=FIRM_A), row(firm="乙县城关法律服务所",
                                                               phone="13700000002",
                                                               party="是", branch=BRANCH_A)]))
    assert table_lines(response, "rows-valid") == []
    assert any("There is no firm called" in e for e in row_errors(response, 2))
    assert any("There is no party branch called" in e for e in row_errors(response, 3))


# ------------------------------------------------------------------ permissions and pages

@pytest.mark.parametrize("role", ["practitioner", "director", "secretary", "city_admin"])
@pytest.mark.parametrize("method,url", [
    ("get", "/admin/people/import"), ("post", "/admin/people/import"),
    ("post", "/admin/people/import/confirm"), ("get", "/admin/people/import/template.xlsx")])
def test_only_county_admins_may_import(client, make_user, role, method, url):
    client.login(make_user(role))
    if method == "get":
        response = client.get(url)
    elif url.endswith("/confirm"):
        response = client.post(url, {"token": "a" * 32})
    else:
        response = upload(client, csv_bytes([row()]), url=url)
    assert response.status_code == 403


def test_visitors_are_sent_to_sign_in(client, world):
    response = client.get("/admin/people/import")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_pages_work_without_javascript(client, admin):
    page = soup(client.get("/admin/people"))
    link = page.select_one("main .page-head a[href='/admin/people/import']")
    assert text_of(link) == "Import a roster"

    upload_page = soup(client.get("/admin/people/import"))
    form = upload_page.find("form", id="import-form")
    assert (form["method"], form["action"], form["enctype"]) == (
        "post", "/admin/people/import", "multipart/form-data")
    assert form.find("input", {"type": "file", "name": "file"}) is not None
    assert form.find("input", {"name": "csrf_token"}) is not None
    assert form.find("button", type="submit") is not None

    preview = upload(client, csv_bytes([row()]))
    confirm_form = soup(preview).find("form", id="confirm-form")
    assert (confirm_form["method"], confirm_form["action"]) == (
        "post", "/admin/people/import/confirm")
    assert confirm_form.find("input", {"name": "csrf_token"}) is not None

    done = confirm(client, token_of(preview))
    for page in (upload_page, soup(preview), soup(done)):
        for script in page.find_all("script"):
            assert script.get("src") and not script.string
        assert not [tag for tag in page.find_all(True)
                    if tag.has_attr("style") or any(a.startswith("on") for a in tag.attrs)]
    print_button = soup(done).find("button", attrs={"data-print": True})
    assert print_button.has_attr("hidden")          # shown by JS only; noscript explains
    assert soup(done).find("noscript") is not None


def test_template_has_chinese_headers_and_only_this_countys_names(client, admin, world):
    Firm.create(name="甲县旧法律服务所", county=world["a"], active=False)
    response = client.get("/admin/people/import/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    first = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    assert first[0] == ZH + ["执业日期", "学历"]
    listed = {v for r in book.worksheets[1].iter_rows(values_only=True) for v in r if v}
    book.close()
    assert {FIRM_A, BRANCH_A} <= listed
    assert "乙县城关法律服务所" not in listed and "甲县旧法律服务所" not in listed

    # An empty template is refused in words; filled in, it imports.
    empty = upload(client, response.data, "template.xlsx")
    assert empty.status_code == 400
    filled = openpyxl.load_workbook(io.BytesIO(response.data))
    filled.worksheets[0].append(row(phone="13700000001", party="是", branch=BRANCH_A))
    out = io.BytesIO()
    filled.save(out)
    preview = upload(client, out.getvalue(), "template.xlsx")
    assert table_lines(preview, "rows-valid") == [2]


def test_template_has_a_chinese_file_name_in_chinese(make_client, make_user):
    client = make_client("zh-CN")
    client.login(make_user("county_admin"))
    response = client.get("/admin/people/import/template.xlsx")
    assert response.status_code == 200
    assert "filename*=UTF-8''%E8%8A%B1%E5%90%8D%E5%86%8C" in response.headers["Content-Disposition"]
