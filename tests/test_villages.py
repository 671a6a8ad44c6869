"""Village legal advisers: the county's list, its import, naming advisers, duty entries that
attach to a village, the quarter's coverage (figures equal the rows), scoping, bad input."""
import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from bs4 import BeautifulSoup
from flask import g, render_template

from tests.helpers import TODAY, actor_for, key, signed_in, soup, text_of
from tests.roster_helpers import row_errors, table_lines, token_of, upload
from webapp.accounts.models import AuditEvent, User
from webapp.errors import DomainError
from webapp.i18n import local_today
from webapp.ledger import services as ledger
from webapp.ledger.models import Entry
from webapp.quality import villages
from webapp.quality.village_models import Village

HEADER = ["乡镇（街道）", "村（社区）名称", "类型", "法律顾问"]


@pytest.fixture
def request_ctx(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def admin(make_user):
    return make_user("county_admin", name="县管理员")


@pytest.fixture
def admin_client(app, admin):
    return signed_in(app, admin)


def csv_file(rows, header=HEADER):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_file(rows, header=HEADER):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["某县村（社区）法律顾问名册"])
    sheet.append(header)
    for values in rows:
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def send(client, content, filename="villages.csv"):
    return upload(client, content, filename, url="/villages/import")


def make_village(world, county="a", name="东关村", township="城关镇", kind="village",
                 adviser=None, active=True):
    return Village.create(county=world[county], township=township, name=name, kind=kind,
                          adviser=adviser, active=active)


def duty(user, village, day=TODAY, hours="2", status="approved", category="village_adviser",
         source="self"):
    return Entry.create(user=user, kind="public_service", date=day, hours=Decimal(hours),
                        category=category, village=village, source=source, status=status)


# ------------------------------------------------------------------ import

def test_import_good_rows_from_xlsx_then_confirm_once(admin_client, make_user, world):
    adviser = make_user(name="王顾问")
    rows = [["城关镇", "东关村", "村", "王顾问"], ["城关镇", "城北社区", "", adviser.phone],
            [None, None, None, None], ["河口乡", "河口村", "", ""]]
    response = send(admin_client, xlsx_file(rows), "list.xlsx")
    assert response.status_code == 200
    assert table_lines(response, "rows-valid") == [3, 4, 6]
    assert table_lines(response, "rows-invalid") == []
    assert Village.select().count() == 0          # the preview writes nothing
    token = token_of(response)
    done = admin_client.post("/villages/import/confirm", {"token": token})
    assert done.status_code == 200
    got = {(v.township, v.name): (v.kind, v.adviser_id) for v in Village.select()}
    assert got == {("城关镇", "东关村"): ("village", adviser.id),
                   ("城关镇", "城北社区"): ("community", adviser.id),
                   ("河口乡", "河口村"): ("village", None)}
    assert all(v.county_id == world["a"].id for v in Village.select())
    event = AuditEvent.get(AuditEvent.action == "village.import")
    assert event.region_id == world["a"].id and '"created": 3' in event.detail
    again = admin_client.post("/villages/import/confirm", {"token": token})
    assert again.status_code == 409
    assert Village.select().count() == 3


def test_bad_rows_are_listed_with_their_messages(admin_client, make_user, world):
    make_user(name="同名")
    make_user(name="同名")
    make_user(county=world["b"], name="乙县人")
    make_village(world, name="旧村", township="城关镇")
    rows = [["城关镇", "", "村", ""],                 # 2: no name
            ["", "无乡村", "村", ""],                 # 3: no township
            ["城关镇", "甲村", "乡", ""],              # 4: unknown type
            ["城关镇", "乙村", "", "同名"],            # 5: two practitioners of that name
            ["城关镇", "丙村", "", "乙县人"],          # 6: a practitioner of another county
            ["城关镇", "丁村", "", "13999999999"],     # 7: nobody has this phone
            ["城关镇", "旧村", "", ""],                # 8: already listed
            ["城关镇", "X" * 61, "", ""],              # 9: too long
            ["城关镇", "好村", "", ""]]                # 10: fine
    response = send(admin_client, csv_file(rows))
    assert response.status_code == 200
    assert table_lines(response, "rows-invalid") == [2, 3, 4, 5, 6, 7, 8, 9]
    assert table_lines(response, "rows-valid") == [10]
    assert row_errors(response, 2) == ["Fill in the name of the village or community."]
    assert row_errors(response, 3) == ["Fill in the township or street."]
    assert "村 or 社区" in row_errors(response, 4)[0]
    assert "phone number instead" in row_errors(response, 5)[0]
    assert "no practitioner" in row_errors(response, 6)[0]
    assert "no practitioner" in row_errors(response, 7)[0]
    assert row_errors(response, 8) == ["Already listed: the county has this village."]
    assert "too long" in row_errors(response, 9)[0]
    assert Village.select().count() == 1


def test_duplicates_in_the_file_are_flagged_on_each_row(admin_client, world):
    rows = [["城关镇", "东关村", "", ""], ["城关镇", "东关村 ", "", ""],
            ["城 关 镇", "ＤＧ村", "", ""], ["城关镇", "dg村", "", ""], ["河口乡", "东关村", "", ""]]
    response = send(admin_client, csv_file(rows))
    assert table_lines(response, "rows-invalid") == [2, 3, 4, 5]
    assert row_errors(response, 2) == ["The same village is also on row 3."]
    assert row_errors(response, 4) == ["The same village is also on row 5."]
    assert table_lines(response, "rows-valid") == [6]   # the same name in another township


def test_a_village_added_between_preview_and_confirm_is_refused(admin_client, world):
    response = send(admin_client, csv_file([["城关镇", "东关村", "", ""],
                                            ["城关镇", "西关村", "", ""]]))
    token = token_of(response)
    make_village(world, name="西关村")
    done = admin_client.post("/villages/import/confirm", {"token": token})
    assert done.status_code == 200
    assert table_lines(done, "rows-refused") == [3]
    assert sorted(v.name for v in Village.select()) == ["东关村", "西关村"]


@pytest.mark.parametrize("content, filename, message", [
    (b"", "v.csv", "empty"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"0" * 100, "v.xls", "old Excel"),
    (b"PK\x03\x04garbage", "v.xlsx", "could not be read"),
    ("名字,电话\n张三,1\n".encode(), "v.csv", "No column headers"),
    (csv_file([]), "v.csv", "no villages under them"),
    (b"hello", "v.txt", "Choose an Excel file"),
])
def test_unusable_files_get_a_plain_message(admin_client, content, filename, message):
    response = send(admin_client, content, filename)
    assert response.status_code == 400
    assert message in text_of(soup(response).find(id="import-error"))
    assert Village.select().count() == 0


def test_template_has_the_headers_and_the_county_practitioners(admin_client, make_user, world,
                                                               request_ctx):
    make_user(name="模板顾问")
    make_user(county=world["b"], name="别县人")
    response = admin_client.get("/villages/import/template.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    first, notes = book.worksheets
    assert [c.value for c in first[1]] == HEADER
    names = {c.value for c in notes["A"]}
    assert "模板顾问" in names and "别县人" not in names
    # The template read back is a valid (empty) list: its headers are recognised.
    with pytest.raises(DomainError, match="no villages"):
        villages.parse("t.xlsx", response.data)


# ------------------------------------------------------------------ list, form, adviser

def test_admin_adds_edits_and_names_an_adviser_audited(admin_client, make_user, world):
    adviser = make_user(name="李顾问")
    response = admin_client.post("/villages/new", {"township": "城关镇", "name": "东关村",
                                                   "kind": "village"})
    assert response.status_code == 303
    village = Village.get()
    assert (village.county_id, village.township, village.name) == (world["a"].id, "城关镇",
                                                                    "东关村")
    response = admin_client.post(f"/villages/{village.id}", {"township": "城关镇",
                                                             "name": "东关社区",
                                                             "kind": "community"})
    assert response.status_code == 303
    assert Village.get_by_id(village.id).kind == "community"
    response = admin_client.post(f"/villages/{village.id}/adviser", {"adviser": adviser.id})
    assert response.status_code == 303
    assert Village.get_by_id(village.id).adviser_id == adviser.id
    actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
    assert actions == ["village.create", "village.update", "village.adviser"]
    listing = admin_client.get("/villages/?without_adviser=1")
    assert soup(listing).find(id=f"village-{village.id}") is None
    listing = admin_client.get("/villages/")
    assert "李顾问" in text_of(soup(listing).find(id=f"village-{village.id}"))
    fragment = admin_client.htmx_get("/villages/?without_adviser=1")
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    response = admin_client.post(f"/villages/{village.id}/adviser", {"adviser": ""})
    assert Village.get_by_id(village.id).adviser_id is None
    assert AuditEvent.select().where(AuditEvent.action == "village.adviser").count() == 2


def test_adviser_must_be_a_practitioner_of_the_county(admin_client, make_user, world):
    village = make_village(world)
    other = make_user(county=world["b"])
    admin_b = make_user("county_admin", county=world["b"])
    for value in (other.id, admin_b.id, "abc", "99999999999999", "-1", "１"):
        response = admin_client.post(f"/villages/{village.id}/adviser", {"adviser": value})
        assert response.status_code == 400
        assert "county's practitioners" in text_of(soup(response).find(id="adviser-error"))
    inactive = make_user()
    User.update(active=False).where(User.id == inactive.id).execute()
    assert admin_client.post(f"/villages/{village.id}/adviser",
                             {"adviser": inactive.id}).status_code == 400
    assert Village.get_by_id(village.id).adviser_id is None
    assert not AuditEvent.select().where(AuditEvent.action == "village.adviser").exists()


def test_a_village_name_is_unique_in_its_township(admin_client, world):
    make_village(world)
    response = admin_client.post("/villages/new", {"township": "城关镇", "name": "东关村",
                                                   "kind": "village"})
    assert response.status_code == 409
    assert Village.select().count() == 1
    make_village(world, county="b")   # the same name in another county is another village


def test_another_county_gets_404_and_others_403(app, make_user, world):
    village = make_village(world)
    admin_b = signed_in(app, make_user("county_admin", county=world["b"]))
    for url in (f"/villages/{village.id}",):
        assert admin_b.get(url).status_code == 404
    for url in (f"/villages/{village.id}", f"/villages/{village.id}/adviser",
                f"/villages/{village.id}/active"):
        assert admin_b.post(url, {"adviser": "", "township": "x", "name": "y",
                                  "kind": "village", "active": "0"}).status_code == 404
    assert Village.get_by_id(village.id).active and Village.get_by_id(village.id).name == "东关村"
    assert soup(admin_b.get("/villages/")).find(id=f"village-{village.id}") is None
    coverage = admin_b.get("/villages/coverage")
    assert soup(coverage).find(id=f"uncovered-{village.id}") is None
    for role in ("practitioner", "director", "secretary"):
        client = signed_in(app, make_user(role))
        for url in ("/villages/", "/villages/coverage", "/villages/import",
                    f"/villages/{village.id}"):
            assert client.get(url).status_code == 403, (role, url)
    city = signed_in(app, make_user("city_admin"))
    assert city.get("/villages/").status_code == 403
    assert city.get("/villages/coverage").status_code == 200


# ------------------------------------------------------------------ duty entries

def test_duty_entry_attaches_to_a_village_of_the_county(request_ctx, make_user, world):
    user = make_user()
    own = make_village(world)
    foreign = make_village(world, county="b", name="乙村")
    form = {"date": TODAY.isoformat(), "hours": "2", "category": "village_adviser",
            "village": str(own.id)}
    entry, _ = ledger.create_entry(user, "public_service", form, key=key(), today=TODAY)
    assert entry.village_id == own.id
    for bad in (str(foreign.id), "abc", "99999999999", "0", "-3", "1.5"):
        with pytest.raises(DomainError) as exc:
            ledger.create_entry(user, "public_service", dict(form, village=bad), key=key(),
                                today=TODAY)
        assert exc.value.field == "village"
    other_type, _ = ledger.create_entry(user, "public_service",
                                        dict(form, category="mediation"), key=key(), today=TODAY)
    assert other_type.village_id is None
    blank, _ = ledger.create_entry(user, "public_service", dict(form, village=""), key=key(),
                                   today=TODAY)
    assert blank.village_id is None
    # Changing the type away from adviser duty takes the village off.
    changed, _ = ledger.edit_entry(user, entry, dict(form, category="consultation"), today=TODAY)
    assert changed.village_id is None


def test_a_form_without_the_field_defaults_to_the_village_one_advises(request_ctx, make_user,
                                                                      world):
    user = make_user()
    advised = make_village(world, adviser=user)
    form = {"date": TODAY.isoformat(), "hours": "1", "category": "village_adviser"}
    entry, _ = ledger.create_entry(user, "public_service", form, key=key(), today=TODAY)
    assert entry.village_id == advised.id
    make_village(world, name="第二村", adviser=user)
    entry, _ = ledger.create_entry(user, "public_service", form, key=key(), today=TODAY)
    assert entry.village_id is None      # two villages: the person chooses


def test_the_public_service_form_offers_the_villages(app, make_user, world):
    user = make_user()
    make_village(world, name="甲村", township="甲镇")
    advised = make_village(world, name="乙村", township="乙镇", adviser=user)
    make_village(world, name="停村", active=False)
    make_village(world, county="b", name="别村")
    client = signed_in(app, user)
    page = soup(client.get("/ledger/new/public_service"))
    select = page.find("select", attrs={"name": "village"})
    options = {o.get_text(): o.get("selected") is not None for o in select.find_all("option")}
    assert options == {"None": False, "甲镇 · 甲村": False, "乙镇 · 乙村": True}
    assert page.find("form", attrs={"data-ledger-form": True}).find("select") is select
    today = local_today()
    response = client.post("/ledger/new/public_service", {
        "date": today.isoformat(), "hours": "2", "category": "village_adviser",
        "village": str(advised.id), "idempotency_key": key(), "for_user": str(user.id)})
    assert response.status_code == 303
    assert Entry.get().village_id == advised.id
    bad = client.post("/ledger/new/public_service", {
        "date": today.isoformat(), "hours": "2", "category": "village_adviser",
        "village": "x" * 5000, "idempotency_key": key(), "for_user": str(user.id)})
    assert bad.status_code == 400
    assert soup(bad).find(id="village-error") is not None
    assert Entry.select().count() == 1


def test_a_county_without_villages_shows_no_select(app, make_user, world):
    client = signed_in(app, make_user())
    page = soup(client.get("/ledger/new/public_service"))
    assert page.find("select", attrs={"name": "village"}) is None


# ------------------------------------------------------------------ coverage

def _expected(county_ids, start, end):
    """The figures counted straight from the rows, one village at a time."""
    villages_ = [v for v in Village.select() if v.county_id in county_ids and v.active]
    with_adviser = [v for v in villages_ if v.adviser_id and v.adviser.active
                    and v.adviser.county_id == v.county_id]
    with_hours = [v for v in villages_ if any(
        e.kind == "public_service" and e.category == "village_adviser"
        and e.status in ("approved", "recorded") and start <= e.date <= end
        for e in Entry.select().where(Entry.village == v.id))]
    covered = {v.id for v in with_adviser} & {v.id for v in with_hours}
    return {"villages": len(villages_), "with_adviser": len(with_adviser),
            "with_duty_hours": len(with_hours),
            "uncovered": sorted(v.id for v in villages_ if v.id not in covered)}


def test_coverage_figures_equal_the_rows(make_user, world):
    start, end = villages.quarter_of(TODAY)
    assert (start, end) == (datetime.date(2026, 4, 1), datetime.date(2026, 6, 30))
    a1, a2, gone = make_user(), make_user(), make_user()
    User.update(active=False).where(User.id == gone.id).execute()
    b1 = make_user(county=world["b"])
    covered = make_village(world, name="全村", adviser=a1)
    no_hours = make_village(world, name="无时村", adviser=a2)
    no_adviser = make_village(world, name="无顾问村")
    gone_adviser = make_village(world, name="离职村", adviser=gone)
    inactive = make_village(world, name="停村", adviser=a1, active=False)
    in_b = make_village(world, county="b", name="乙村", adviser=b1)
    duty(a1, covered, day=start)
    duty(a1, covered, day=end, hours="1.5", status="recorded", source="system")
    duty(a2, no_hours, status="pending")
    duty(a2, no_hours, status="declined")
    duty(a2, no_hours, day=start - datetime.timedelta(days=1))
    duty(a2, no_hours, day=end + datetime.timedelta(days=1))
    duty(a2, no_hours, category="mediation")
    duty(a1, no_adviser)
    duty(gone, gone_adviser)
    duty(a1, inactive)
    duty(b1, in_b)
    for ids in ([world["a"].id], [world["b"].id], [world["a"].id, world["b"].id], []):
        got = villages.coverage(ids, start, end)
        want = _expected(ids, start, end)
        assert {k: got[k] for k in ("villages", "with_adviser", "with_duty_hours")} == \
            {k: want[k] for k in ("villages", "with_adviser", "with_duty_hours")}
        assert sorted(v.id for v in got["uncovered"]) == want["uncovered"]
    figures = villages.coverage([world["a"].id], start, end)
    assert (figures["villages"], figures["with_adviser"], figures["with_duty_hours"]) == (4, 2, 3)
    assert {v.id for v in figures["uncovered"]} == {no_hours.id, no_adviser.id, gone_adviser.id}
    rows = {v.id: v for v in villages.coverage_rows([world["a"].id], start, end)}
    assert rows[covered.id].duty_hours == Decimal("3.5") and rows[covered.id].duty_entries == 2


def test_the_coverage_page_and_export_show_the_same(admin_client, make_user, world):
    user = make_user(name="覆盖顾问")
    start, end = villages.quarter_of(local_today())
    covered = make_village(world, name="全村", adviser=user)
    bare = make_village(world, name="空村")
    duty(user, covered, day=start)
    page = soup(admin_client.get("/villages/coverage"))
    figures = {n["data-figure"]: int(text_of(n)) for n in page.find_all(attrs={"data-figure": True})}
    assert figures == {"villages": 2, "with_adviser": 1, "with_duty_hours": 1}
    assert page.find(id=f"uncovered-{bare.id}")["data-gap"] == "adviser"
    assert page.find(id=f"uncovered-{covered.id}") is None
    response = admin_client.get("/villages/coverage.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert ["Villages and communities", 2] in [v[:2] for v in values]
    assert ["With an adviser", 1] in [v[:2] for v in values]
    assert ["With duty hours this quarter", 1] in [v[:2] for v in values]
    names = [v[1] for v in values if v[1] in ("全村", "空村")]
    assert sorted(names) == ["全村", "空村"]


def test_quarters(request_ctx):
    today = datetime.date(2026, 11, 3)
    assert villages.parse_quarter("2026-Q1", today) == (datetime.date(2026, 1, 1),
                                                        datetime.date(2026, 3, 31))
    assert villages.parse_quarter("2025q4", today) == (datetime.date(2025, 10, 1),
                                                       datetime.date(2025, 12, 31))
    for bad in ("", None, "2026-Q5", "1999-Q1", "２０２６-Q1", "x" * 5000, "2026-Q1\x00"):
        assert villages.parse_quarter(bad, today) == (datetime.date(2026, 10, 1),
                                                      datetime.date(2026, 12, 31))


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize("value", ["", " ", "x" * 10000, "\x00", "<script>", "１", "-1",
                                   "99999999999999999999", "' OR 1=1 --"])
def test_bad_input_is_never_a_500(admin_client, world, value):
    village = make_village(world)
    before = Village.select().count()
    for url, data in (("/villages/new", {"township": value, "name": value, "kind": value}),
                      (f"/villages/{village.id}", {"township": value, "name": "n",
                                                   "kind": "village"}),
                      (f"/villages/{village.id}/adviser", {"adviser": value}),
                      (f"/villages/{village.id}/active", {"active": value}),
                      ("/villages/import/confirm", {"token": value})):
        response = admin_client.post(url, data)
        assert response.status_code < 500, (url, value)
    for url in (f"/villages/?township={value}&without_adviser={value}",
                f"/villages/coverage?quarter={value}&county={value}",
                f"/villages/coverage.xlsx?quarter={value}&county={value}"):
        assert admin_client.get(url).status_code == 200, url
    assert Village.select().count() <= before + 1


def test_missing_fields_and_methods(admin_client, world):
    assert admin_client.post("/villages/new", {}).status_code == 400
    assert admin_client.post("/villages/import", {}).status_code == 400
    assert admin_client.post("/villages/import/confirm", {}).status_code == 404
    assert admin_client.get("/villages/99999999").status_code == 404
    assert admin_client.get("/villages/99999999999999999999").status_code == 404
    assert admin_client.get("/villages/import/confirm").status_code == 405
    assert admin_client.post("/villages/new", {"township": "镇", "name": "村", "kind": "v"},
                             csrf=False).status_code == 400
    assert Village.select().count() == 0


HOSTILE = ["=1+1", '=HYPERLINK("http://x","y")', "+1", "-1", "@SUM(A1)", "＝1", "0012",
           "1e5", "2026-01-01", "<&>\"'"]


@pytest.mark.parametrize("value", HOSTILE)
def test_exports_write_names_as_text(admin_client, make_user, world, value):
    adviser = make_user(name=value[:60])
    Village.create(county=world["a"], township=value[:60], name=value[:60], adviser=adviser)
    for url in ("/villages/coverage.xlsx", "/villages/import/template.xlsx"):
        response = admin_client.get(url)
        assert response.status_code == 200
        book = openpyxl.load_workbook(io.BytesIO(response.data))
        cells = [c for sheet in book.worksheets for r in sheet.iter_rows() for c in r
                 if c.value == value[:60]]
        assert cells, url
        assert all(c.data_type == "s" for c in cells), url


def test_the_county_home_card(app, make_user, world):
    admin = make_user("county_admin")
    adviser = make_user()
    start, _end = villages.quarter_of(local_today())
    covered = make_village(world, name="全村", adviser=adviser)
    make_village(world, name="空村")
    duty(adviser, covered, day=start)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        g.user, g.actor = admin, actor_for(admin, "county_admin")
        html = render_template("quality/villages/_home_card.html", county=world["a"],
                               can_manage=True)
        card = BeautifulSoup(html, "html.parser").find(id="village-coverage")
        assert [text_of(n) for n in card.find_all(class_="big-number")] == ["1", "1"]
        assert "Not covered (1)" in text_of(card)
        # Another county's administrator sees no card for county A.
        other = make_user("county_admin", county=world["b"])
        g.user, g.actor = other, actor_for(other, "county_admin")
        html = render_template("quality/villages/_home_card.html", county=world["a"],
                               can_manage=True)
        assert BeautifulSoup(html, "html.parser").find(id="village-coverage") is None


def test_both_import_pages_say_how_to_fill_in_each_column(app, admin_client, make_user):
    """The roster's and the villages' upload pages share one guide (_macros/imports.html):
    each column's header, whether it must be filled in, and what to write."""
    page = soup(admin_client.get("/villages/import"))
    rows = page.select("#import-columns tbody tr")
    assert len(rows) == 4 and all(text_of(r.select_one("td")) for r in rows)
    required = [r for r in rows if "must be filled in" in text_of(r.select_one("th"))]
    assert len(required) == 2
    assert page.select_one("#template-link")["href"] == "/villages/import/template.xlsx"
    roster = soup(signed_in(app, make_user("county_admin")).get("/admin/people/import"))
    rows = roster.select("#import-columns tbody tr")
    assert len(rows) >= 7 and all(text_of(r.select_one("td")) for r in rows[:7])
    assert roster.select_one("#template-link")["href"] == "/admin/people/import/template.xlsx"
    assert "GBK" in text_of(roster.select_one("#import-columns").find_parent("section"))
