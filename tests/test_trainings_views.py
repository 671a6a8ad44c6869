"""Check-in pages: every outcome message, sign-in after scanning, admin pages, bad input."""
import datetime
import io
import json
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests.helpers import soup, text_of
from webapp.accounts.models import AuditEvent
from webapp.db import utcnow
from webapp.i18n import to_local
from webapp.ledger.models import Entry
from webapp.checkin import codes as qr
from webapp.checkin import pipeline
from webapp.trainings.models import Attendance, ScanReceipt, Training


def minutes(n):
    return datetime.timedelta(minutes=n)


@pytest.fixture
def live_training(make_training):
    """A training starting in 5 minutes, so check-in is open now."""
    def make(start_in=5, hours=3, **fields):
        start = utcnow().replace(microsecond=0) + minutes(start_in)
        return make_training(start_at=start, end_at=start + datetime.timedelta(hours=hours), **fields)
    return make


@pytest.fixture
def person(make_user):
    return make_user("practitioner")


def code_path(training, purpose="in"):
    return qr.path_of(qr.current_code(training, purpose))


def scan_and_confirm(client, training, purpose="in", query=""):
    first = client.get(code_path(training, purpose) + query)
    assert first.status_code == 303, first.status_code
    assert first.headers["Location"].endswith("/checkin")
    assert client.get("/checkin").status_code == 200
    posted = client.post("/checkin")
    assert posted.status_code == 303 and posted.headers["Location"].endswith("/checkin/result")
    return client.get("/checkin/result")


def outcome_of(response):
    node = soup(response).find(class_="result")
    return node["data-outcome"], text_of(node.find(class_="result-message"))


# ------------------------------------------------------------------ the whole flow

def test_scan_then_sign_in_then_confirm(client, live_training, person):
    t = live_training()
    response = client.get(code_path(t))
    assert response.status_code == 303
    page = client.get("/checkin")
    html = soup(page)
    assert text_of(html.find("h1")) == t.title
    assert "kept for 10 minutes" in text_of(html.find(class_="notice"))
    form = html.find("form", action="/login")
    assert form.find("input", {"name": "next"})["value"] == "/checkin"
    assert Attendance.select().count() == 0  # GETs change nothing
    signed_in = client.post("/login", {"login": person.phone, "password": "password123",
                                       "next": "/checkin"})
    assert signed_in.headers["Location"].endswith("/checkin")
    confirm = soup(client.get("/checkin"))
    assert text_of(confirm.find("form", action="/checkin").find("button")) == "Check in"
    client.post("/checkin")
    result = client.get("/checkin/result")
    code, message = outcome_of(result)
    row = Attendance.get()
    assert code == "checked_in"
    assert message == f"Checked in at {to_local(row.checked_in_at):%H:%M}."
    assert text_of(soup(result).find(class_="result-title")) == t.title
    assert re.fullmatch(r"\d\d:\d\d:\d\d", text_of(soup(result).find(id="live-clock")))
    assert soup(result).find("script", src=re.compile("clock.js"))
    assert row.method_in == "qr" and row.device  # the device cookie was set on the confirm page


def test_scan_again_changes_nothing(client, live_training, person):
    t = live_training()
    client.login(person)
    scan_and_confirm(client, t)
    first = Attendance.get().checked_in_at
    code, message = outcome_of(scan_and_confirm(client, t))
    assert code == "already_in"
    assert message == f"You already checked in at {to_local(first):%H:%M}. Nothing has changed."
    assert Attendance.select().count() == 1 and Entry.select().count() == 1


def test_late_checkin_says_late(client, live_training, person):
    t = live_training(start_in=-15)
    client.login(person)
    code, message = outcome_of(scan_and_confirm(client, t))
    assert code == "checked_in" and message.endswith("— late.")


def test_checkout_credits_hours(client, live_training, person):
    t = live_training(start_in=-175, checkout_required=True)
    pipeline.check_in(t, person, t.start_at)
    client.login(person)
    code, message = outcome_of(scan_and_confirm(client, t, "out"))
    assert code == "checked_out"
    assert message.endswith("Credited: 3 hours.")
    assert Entry.get().hours == Decimal("3")


@pytest.mark.parametrize("setup,expected_code,expected_text", [
    ("not_open", "not_open", "Not open yet. It opens at"),
    ("closed", "closed", "Already closed."),
    ("audience", "not_audience", "You are not on the list for this training."),
    ("cancelled", "cancelled", "This training was cancelled."),
    ("no_checkin", "not_checked_in", "You have not checked in to this training"),
])
def test_refusals_have_their_own_message(client, live_training, make_user, world, person,
                                         setup, expected_code, expected_text):
    purpose = "in"
    user = person
    if setup == "not_open":
        t = live_training(start_in=120)
    elif setup == "closed":
        t = live_training(start_in=-60)
    elif setup == "audience":
        t = live_training()
        user = make_user("practitioner", county=world["b"])
    elif setup == "cancelled":
        t = live_training(status="cancelled")
    else:
        t = live_training(start_in=-175, checkout_required=True)
        purpose = "out"
    client.login(user)
    code, message = outcome_of(scan_and_confirm(client, t, purpose))
    assert code == expected_code
    assert message.startswith(expected_text)
    assert Attendance.select().count() == 0


def test_expired_code(client, live_training, person):
    t = live_training()
    old = qr.current_code(t, "in", qr.now_seconds() - 3 * t.rotation_seconds)
    response = client.get(qr.path_of(old))
    assert response.status_code == 410
    assert outcome_of(response) == ("expired", "This code has expired. Scan the code on the screen again.")


def test_tampered_code(client, live_training):
    t = live_training()
    path = code_path(t)
    bad = path[:-1] + ("0" if path[-1] != "0" else "1")
    response = client.get(bad)
    assert response.status_code == 400 and outcome_of(response)[0] == "invalid"
    assert client.get("/c/999999/in/1/" + "a" * 16).status_code == 400
    assert client.get("/c/1/sideways/1/" + "a" * 16).status_code == 400


def test_code_for_another_training(client, live_training, person):
    mine, other = live_training(), live_training(title="另一场培训")
    client.login(person)
    response = client.get(code_path(other) + f"?for={mine.id}")
    assert response.status_code == 409
    assert outcome_of(response) == ("other_training", "This code is for another training: 另一场培训.")


@pytest.mark.parametrize("value", ["99999999999999999999", "²", "-1"])
def test_code_with_a_for_that_is_not_an_id_goes_on_to_confirm(client, live_training, person,
                                                             value):
    t = live_training()
    client.login(person)
    response = client.get(code_path(t) + f"?for={value}")
    assert response.status_code == 303 and response.headers["Location"].endswith("/checkin")


def test_confirm_without_a_scan(client, person):
    client.login(person)
    response = client.get("/checkin")
    assert response.status_code == 302 and response.headers["Location"].endswith("/scan")
    client.post("/checkin")
    assert outcome_of(client.get("/checkin/result"))[0] == "expired"
    assert Attendance.select().count() == 0


def test_forged_ticket_is_ignored(client, live_training, person):
    t = live_training()
    client.login(person)
    with client.c.session_transaction() as sess:
        sess["scan"] = json.dumps([t.id, "in", 1, "x", 0])
    client.post("/checkin")
    assert outcome_of(client.get("/checkin/result"))[0] == "expired"
    assert Attendance.select().count() == 0


# ------------------------------------------------------------------ typed code and the Scan tab

def test_typed_code(client, live_training, person):
    t = live_training()
    client.login(person)
    typed = qr.typed_code(t.secret, "in", qr.slice_of(qr.now_seconds(), qr.TYPED_SLICE_SECONDS))
    response = client.post("/checkin/code", {"code": typed[:3] + " " + typed[3:]})
    assert response.status_code == 303
    assert outcome_of(client.get("/checkin/result"))[0] == "checked_in"
    assert Attendance.get().method_in == "code"


@pytest.mark.parametrize("value", ["", "12345", "abcdef"])
def test_typed_code_bad_input(client, person, value):
    client.login(person)
    response = client.post("/checkin/code", {"code": value})
    assert response.status_code == 400
    assert text_of(soup(response).find(class_="field-error")) == \
        "Type the 6 digits shown under the code on the screen."
    assert Attendance.select().count() == 0


def test_scan_tab(client, person):
    client.login(person)
    page = soup(client.get("/scan"))
    assert page.find(id="scanner") and page.find("form", action="/checkin/code")
    assert page.find("script", src=re.compile("scanner.js"))
    tab = page.find("nav", class_="tabbar").find("a", attrs={"aria-current": "page"})
    assert tab["href"] == "/scan"


# ------------------------------------------------------------------ offline sync

def test_offline_sync(client, live_training, person):
    t = live_training(start_in=-5)
    client.login(person)
    scanned_ms = int(qr.now_seconds() * 1000)
    body = {"url": "https://any.host" + code_path(t), "scanned_at": scanned_ms, "key": "k" * 20}
    headers = {"X-CSRF-Token": client.csrf()}
    first = client.c.post("/checkin/sync", json=body, headers=headers)
    assert first.status_code == 200 and first.json["code"] == "checked_in"
    again = client.c.post("/checkin/sync", json=body, headers=headers)
    assert again.json["code"] == "already_in"
    assert Attendance.get().method_in == "offline" and ScanReceipt.select().count() == 1
    junk = client.c.post("/checkin/sync", json={"url": "nope"}, headers=headers)
    assert junk.status_code == 400 and junk.json["message"]
    for not_an_object in ([body], "x", 5, None):
        odd = client.c.post("/checkin/sync", json=not_an_object, headers=headers)
        assert odd.status_code == 400 and odd.json["code"] == "invalid"
    assert Attendance.select().count() == 1


def test_offline_sync_too_old(client, live_training, person, monkeypatch):
    t = live_training(start_in=-5)
    client.login(person)
    scanned = qr.now_seconds()
    body = {"url": code_path(t), "scanned_at": int(scanned * 1000), "key": "x" * 20}
    monkeypatch.setattr("webapp.checkin.pipeline.utcnow",
                        lambda: utcnow() + datetime.timedelta(hours=73))
    response = client.c.post("/checkin/sync", json=body, headers={"X-CSRF-Token": client.csrf()})
    assert response.status_code == 422 and response.json["code"] == "too_old"
    assert Attendance.select().count() == 0


# ------------------------------------------------------------------ admin pages

def training_form(cat_id, **over):
    data = {"title": "人民调解实务培训", "category_id": cat_id, "date": "2026-06-02",
            "start": "09:00", "end": "11:30", "place": "县司法局", "credit_hours": "2.5",
            "audience": "region"}
    data.update(over)
    return data


def test_admin_creates_and_edits_a_training(client, make_user, world, category):
    admin = make_user("county_admin")
    client.login(admin)
    assert client.get("/trainings/new").status_code == 200
    response = client.post("/trainings/new", training_form(category.id, checkout_required="1",
                                                           audience="firms",
                                                           firm_ids=[world["firm_a"].id]))
    assert response.status_code == 303
    t = Training.get()
    assert (t.organiser_id, t.audience, t.checkout_required, t.credit_hours) == (
        world["a"].id, "firms", True, Decimal("2.5"))
    assert to_local(t.start_at).strftime("%H:%M") == "09:00" and len(t.secret) == 64
    assert [f.firm_id for f in t.audience_firms] == [world["firm_a"].id]
    client.post(f"/trainings/{t.id}/edit", training_form(category.id, title="改后的标题"))
    assert Training.get().title == "改后的标题" and Training.get().audience == "region"
    assert AuditEvent.select().where(AuditEvent.action.startswith("training.")).count() == 2


@pytest.mark.parametrize("over,field,message", [
    ({"title": ""}, "title", "Fill in the title."),
    ({"end": "08:00"}, "end", "The end time must be after the start time."),
    ({"credit_hours": "2.3"}, "credit_hours", "Credit hours must be between 0.25 and 24"),
    ({"credit_hours": "abc"}, "credit_hours", "Credit hours must be between 0.25 and 24"),
    ({"date": "2026-02-30"}, "date", "Enter the date of the training."),
    ({"audience": "firms"}, "firm_ids", "Choose at least one firm"),
    ({"late_after": "45"}, "late_after", "“Late after” cannot be later"),
    ({"rotation_seconds": "2"}, "rotation_seconds", "must be a whole number from 5 to 60"),
    ({"rotation_seconds": "¹⁰"}, "rotation_seconds", "must be a whole number from 5 to 60"),
    ({"category_id": "99999999999999999999"}, "category_id", "Choose a category."),
    ({"audience": "firms", "firm_ids": "99999999999999999999"}, "firm_ids",
     "Choose at least one firm"),
    ({"category_id": "999"}, "category_id", "Choose a category."),
])
def test_training_form_bad_input(client, make_user, category, over, field, message):
    client.login(make_user("county_admin"))
    response = client.post("/trainings/new", training_form(category.id, **over))
    assert response.status_code == 400
    page = soup(response)
    error = page.find(class_="field-error") or page.find(class_="form-error")
    assert text_of(error).startswith(message) or message in text_of(error)
    assert Training.select().count() == 0 and AuditEvent.select().count() == 0


def test_firm_of_another_county_is_refused(client, make_user, world, category):
    client.login(make_user("county_admin"))
    response = client.post("/trainings/new", training_form(
        category.id, audience="firms", firm_ids=[world["firm_b"].id]))
    assert response.status_code == 400 and Training.select().count() == 0


def test_cancel(client, make_user, live_training, person):
    t = live_training()
    client.login(make_user("county_admin"))
    assert client.post(f"/trainings/{t.id}/cancel").status_code == 303
    assert Training.get().status == "cancelled"
    assert client.post(f"/trainings/{t.id}/cancel").status_code == 400


def test_other_county_cannot_see_the_training(client, make_user, world, live_training):
    t = live_training()
    client.login(make_user("county_admin", county=world["b"]))
    for url in (f"/trainings/{t.id}", f"/trainings/{t.id}/projector", f"/trainings/{t.id}/attendance"):
        assert client.get(url).status_code == 404
    assert client.post(f"/trainings/{t.id}/cancel").status_code == 404
    assert Training.get().status == "scheduled"


def test_practitioner_cannot_manage(client, person, live_training):
    t = live_training()
    client.login(person)
    for url in ("/trainings", "/trainings/new", f"/trainings/{t.id}/projector",
                f"/trainings/{t.id}/live", f"/trainings/{t.id}/attendance"):
        assert client.get(url).status_code == 403, url


def test_projector_and_live_count(client, make_user, live_training, person):
    t = live_training()
    pipeline.check_in(t, person, utcnow())
    client.login(make_user("county_admin"))
    page = soup(client.get(f"/trainings/{t.id}/projector"))
    root = page.find(id="projector")
    assert root["data-secret"] == t.secret and root["data-purpose"] == "in"
    assert qr.parse(page.find(id="qr-box")["data-first-url"]).subject_id == t.id
    assert re.fullmatch(r"\d{3} \d{3}", text_of(page.find(id="typed-code")))
    assert page.find("script", src=re.compile("projector.js"))
    assert text_of(page.find(id="count-in")) == "1"
    live = client.get(f"/trainings/{t.id}/live")
    assert live.json["in"] == 1 and live.json["names"] == [person.name]
    assert len(live.get_data()) < 5 * 1024  # what each poll costs, codes are computed locally
    out = soup(client.get(f"/trainings/{t.id}/projector?purpose=out"))
    assert out.find(id="projector")["data-purpose"] == "out"


def test_poster_and_calendar(client, make_user, live_training, person):
    t = live_training()
    client.login(make_user("county_admin"))
    poster = soup(client.get(f"/trainings/{t.id}/poster"))
    assert poster.find("svg", class_="qr-svg") is not None
    client.logout()
    client.login(person)
    ics = client.get(f"/trainings/{t.id}/calendar.ics")
    assert ics.mimetype == "text/calendar"
    text = ics.get_data(as_text=True)
    assert "BEGIN:VEVENT" in text and f"SUMMARY:{t.title}" in text
    assert f"DTSTART:{t.start_at:%Y%m%dT%H%M%SZ}" in text
    mine = soup(client.get("/trainings/mine"))
    assert mine.find("a", href=f"/trainings/{t.id}/calendar.ics")


# ------------------------------------------------------------------ attendance sheet

def test_sheet_page_and_fragment(client, make_user, live_training, person):
    t = live_training()
    absent = make_user("practitioner", name="缺席者")
    pipeline.check_in(t, person, utcnow())
    client.login(make_user("county_admin"))
    page = client.get(f"/trainings/{t.id}/attendance")
    rows = {r["data-user"]: r["class"] for r in soup(page).select("#sheet tbody tr")}
    assert rows[str(person.id)] == ["row-in"] and rows[str(absent.id)] == ["row-absent"]
    fragment = client.htmx_get(f"/trainings/{t.id}/attendance?state=absent")
    html = soup(fragment)
    assert html.find("html") is None and html.find(id="sheet")["hx-trigger"] == "every 10s"
    assert [r["data-user"] for r in html.select("tbody tr")] == [str(absent.id)]
    assert "HX-Request" in fragment.headers["Vary"]


def test_mark_present_excuse_correct(client, make_user, live_training, person):
    t = live_training(start_in=-30)
    admin = make_user("county_admin")
    client.login(admin)
    url = f"/trainings/{t.id}/attendance/{person.id}"
    refused = client.post(url, {"action": "present", "reason": " "})
    assert refused.status_code == 400
    assert text_of(soup(refused).find(class_="field-error")) == "Say why you are marking this person present."
    assert Attendance.select().count() == 0 and AuditEvent.select().count() == 0
    assert client.post(url, {"action": "present", "reason": "无智能手机"}).status_code == 303
    row = Attendance.get()
    assert (row.method_in, row.note, row.marked_by_id, row.credited_hours) == (
        "staff", "无智能手机", admin.id, Decimal("3"))
    bad_time = client.post(url, {"action": "correct", "in_time": "9点", "reason": "x"})
    assert bad_time.status_code == 400
    in_local = to_local(t.start_at + minutes(40)).strftime("%H:%M")
    assert client.post(url, {"action": "correct", "in_time": in_local, "out_time": "",
                             "reason": "实际迟到"}).status_code == 303
    row = Attendance.get()
    assert row.late and row.credited_hours == Decimal("2.25")  # 140/180 × 3 = 2.33 → 2.25
    assert client.post(url, {"action": "excuse", "reason": "出庭"}).status_code == 303
    # The credit is withdrawn (kept in the history), not left as a 0-hour line.
    assert Attendance.get().status == "excused" and Entry.get().status == "withdrawn"
    actions = [a.action for a in AuditEvent.select().order_by(AuditEvent.id)]
    assert actions == ["attendance.mark_present", "attendance.correct", "attendance.excuse"]


def test_export_and_signin_sheet(client, make_user, live_training, person):
    t = live_training()
    pipeline.check_in(t, person, utcnow())
    client.login(make_user("county_admin"))
    response = client.get(f"/trainings/{t.id}/attendance.xlsx")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2][:6] == ("Name", "Firm", "In", "Out", "Duration (minutes)", "Credited hours")
    assert rows[3][0] == person.name and rows[3][5] == 3
    printable = soup(client.get(f"/trainings/{t.id}/sign-in-sheet"))
    names = [text_of(th) for th in printable.select("table.signin tbody th")]
    assert names == [person.name]
    assert printable.select("table.signin thead th.signature")


def test_a_for_naming_another_countys_training_is_not_read_back(client, live_training, person,
                                                               world):
    # ?for= names the training the scanner was opened for; another county's title stays hidden.
    elsewhere = live_training(title="乙县的培训", organiser=world["b"])
    mine = live_training()
    client.login(person)
    response = client.get(code_path(mine) + f"?for={elsewhere.id}")
    assert response.status_code == 303 and response.headers["Location"].endswith("/checkin")
