"""A person downloads everything the service holds about them (/me/data.zip): all of it,
only theirs, never a password hash, a session token or a push key."""
import datetime
import io
import json
import os
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from peewee import ForeignKeyField

from tests.helpers import TODAY, categories, log, make_activity, signed_in, soup, text_of
from webapp.accounts import mydata
from webapp.accounts.models import AuditEvent, LoginAttempt, Notification, User, UserSession
from webapp.branches.models import ActivityAttendance, BranchMember
from webapp.db import utcnow
from webapp.ledger import evidence as evidence_files
from webapp.ledger.models import Entry, Evidence
from webapp.models import ALL_MODELS
from webapp.push.models import NotificationMute, PushSubscription
from webapp.reports.models import FirmReport, FirmReportCredit
from webapp.targets.models import Assessment
from webapp.trainings.models import Attendance

HOSTILE = ("=HYPERLINK(\"http://evil.example\",\"点我\") <script>alert(1)</script> "
           "'; DROP TABLE entry; -- \u202egnp.exe 🙂 \"引号\" & ampersand")
ROLES = ("practitioner", "director", "secretary", "county_admin", "city_admin")


@pytest.fixture(autouse=True)
def cheap(app, fast_passwords):
    """Fast hashes (these tests are about the export), the training categories, and a request
    for the services that make the data (they translate messages, as inside a request)."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        categories()
        yield


def download(app, user):
    client = signed_in(app, user)
    response = client.get("/me/data.zip")
    assert response.status_code == 200, response.data[:400]
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"
    return zipfile.ZipFile(io.BytesIO(response.data))


def everything(archive):
    """Every byte of the zip's files, the xlsx unpacked too (it is a zip of XML)."""
    out = b""
    for name in archive.namelist():
        data = archive.read(name)
        out += data
        if name.endswith(".xlsx"):
            inner = zipfile.ZipFile(io.BytesIO(data))
            out += b"".join(inner.read(n) for n in inner.namelist())
    return out


def stored_evidence(entry, data, name="收据.pdf"):
    upload = evidence_files.Upload(data, None, "application/pdf", name)
    stored, _paths = evidence_files.store(upload)
    return Evidence.create(entry=entry, stored_name=stored, content_type="application/pdf",
                           size=len(data), original_name=name)


def pdf(text):
    return b"%PDF-1.4\n% " + text.encode() + b"\n%%EOF\n"


def test_every_foreign_key_to_a_person_is_in_a_section_of_the_export(app, make_user):
    missing = [f"{model.__name__}.{field.name}" for model in ALL_MODELS
               for field in model._meta.sorted_fields
               if isinstance(field, ForeignKeyField) and field.rel_model is User
               and (model, field.name) not in mydata.COVERED]
    assert missing == [], "add these to webapp/accounts/mydata.py COVERED and collect()"
    data = json.loads(download(app, make_user()).read("data.json"))
    assert set(mydata.COVERED.values()) <= set(data)


def make_life(make_user, world, make_training, who, words):
    """A practitioner with one of each thing the export shows, each naming `words`."""
    user = make_user("practitioner", name=f"{who}某")
    user.party_member = True
    user.save()
    entry = log(user, description=f"{words}的服务")
    ev = stored_evidence(entry, pdf(f"{words}-evidence"))
    Notification.create(user=user, kind="entry_approved", message=f"{words}的消息")
    PushSubscription.create(user=user, endpoint=f"https://push.example.org/send/{words}PATH",
                            p256dh=f"{words}P256DHKEY", auth=f"{words}AUTHKEY")
    training = make_training(title=f"{words}的培训")
    Attendance.create(training=training, user=user, checked_in_at=utcnow(), method_in="code",
                      credited_hours=Decimal("2.5"), flags="late", late=True)
    BranchMember.create(branch=world["branch"], user=user)
    activity = make_activity(world["branch"], topic=f"{words}的主题党日")
    ActivityAttendance.create(activity=activity, user=user, status="excused", reason="出差")
    report = FirmReport.create(firm=user.firm, author=make_user("director"), kind="info",
                               month=TODAY.replace(day=1), title=f"{words}的信息",
                               status="submitted")
    FirmReportCredit.create(report=report, user=user)
    Assessment.create(year=TODAY.year, county=world["a"], user=user, result="competent",
                      comment=f"{words}的评语")
    NotificationMute.create(user=user, switch="pace")
    LoginAttempt.create(account=user.phone, address="10.0.0.9")
    return user, entry, ev


def test_the_zip_holds_everything_about_me_and_nothing_of_another_person(
        app, world, make_user, make_training):
    me, entry, ev = make_life(make_user, world, make_training, "甲", "我自己")
    other, other_entry, other_ev = make_life(make_user, world, make_training, "乙", "别人家")
    admin = make_user("county_admin")
    AuditEvent.create(actor=admin, action="user.update", object_type="user", object_id=me.id)
    AuditEvent.create(actor=admin, action="user.update", object_type="user", object_id=other.id)
    AuditEvent.create(actor=admin, action="entry.approve", object_type="entry",
                      object_id=entry.id)
    AuditEvent.create(actor=admin, action="entry.approve", object_type="entry",
                      object_id=other_entry.id)

    archive = download(app, me)
    names = archive.namelist()
    assert sorted(names) == sorted(["README.txt", "data.json", "entries.xlsx",
                                    f"evidence/entry-{entry.id}/{ev.id}.pdf"])
    assert archive.read(f"evidence/entry-{entry.id}/{ev.id}.pdf") == pdf("我自己-evidence")
    data = json.loads(archive.read("data.json"))
    assert data["profile"]["id"] == me.id and data["profile"]["name"] == "甲某"
    assert "password_hash" not in data["profile"]
    assert [g["role"] for g in data["roles"]] == ["practitioner"]
    assert data["roles"][0]["firm"] == world["firm_a"].name
    [device] = data["devices"]
    assert set(device) == {"created_at", "ended_at", "last_used_at", "device"}
    [row] = data["entries"]
    assert (row["id"], row["description"]) == (entry.id, "我自己的服务")
    assert row["evidence"] == [{"original_name": "收据.pdf", "content_type": "application/pdf",
                                "size": ev.size, "created_at": row["evidence"][0]["created_at"],
                                "file": f"evidence/entry-{entry.id}/{ev.id}.pdf"}]
    [seen] = data["training_attendance"]
    assert (seen["training"], seen["method_in"], seen["credited_hours"], seen["flags"],
            seen["late"]) == ("我自己的培训", "code", "2.5", "late", True)
    assert [m["branch"] for m in data["branch_membership"]] == [world["branch"].name]
    assert [(a["activity"], a["status"]) for a in data["party_activity_attendance"]] == [
        ("我自己的主题党日", "excused")]
    assert [n["message"] for n in data["notifications"]] == ["我自己的消息"]
    assert [p["endpoint_host"] for p in data["push_subscriptions"]] == ["push.example.org"]
    assert [(r["title"], r["i_wrote_it"]) for r in data["firm_reports"]] == [
        ("我自己的信息", False)]
    assert [a["comment"] for a in data["assessments"]] == ["我自己的评语"]
    assert [m["switch"] for m in data["messages_switched_off"]] == ["pace"]
    assert len(data["failed_sign_ins"]) == 1
    assert [(e["action"], e["object_id"], e["by_me"]) for e in data["audit_events"]] == [
        ("user.update", me.id, False), ("entry.approve", entry.id, False)]

    book = load_workbook(io.BytesIO(archive.read("entries.xlsx")))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[2]][5] == "我自己的服务"
    assert sheet.max_row == 2  # the header and my one entry

    blob = everything(archive)
    for theirs in ("别人家", "乙某", str(other_ev.stored_name)):
        assert theirs.encode() not in blob, theirs
    assert "甲某".encode() in archive.read("README.txt")


def test_no_password_hash_session_token_or_push_key_anywhere_in_the_zip(
        app, world, make_user, make_training):
    me, _entry, _ev = make_life(make_user, world, make_training, "甲", "我自己")
    archive = download(app, me)
    blob = everything(archive)
    tokens = [s.token for s in UserSession.select().where(UserSession.user == me)]
    assert tokens  # the download's own session among them
    secrets_ = [User.get_by_id(me.id).password_hash, *tokens, "我自己P256DHKEY", "我自己AUTHKEY",
                "/send/我自己PATH"]
    for secret in secrets_:
        assert secret.encode() not in blob, secret
    assert b"argon2" not in blob


@pytest.mark.parametrize("role", ROLES)
def test_every_role_downloads_their_own_and_it_is_audited(app, make_user, role):
    person = make_user(role)
    archive = download(app, person)
    data = json.loads(archive.read("data.json"))
    assert data["profile"]["id"] == person.id
    held = sorted(g["role"] for g in data["roles"])
    assert role in held
    [event] = AuditEvent.select().where(AuditEvent.action == "my_data.download")
    assert (event.actor_id, event.object_type, event.object_id) == (person.id, "user", person.id)
    assert set(mydata.COVERED.values()) <= set(data)


def test_hostile_text_round_trips_as_text(app, make_user):
    me = make_user("practitioner", name="张<b>三</b>")
    entry = log(me, description=HOSTILE, place="=1+2")
    stored = Entry.get_by_id(entry.id)
    Notification.create(user=me, kind="entry_declined", message=HOSTILE)
    archive = download(app, me)
    data = json.loads(archive.read("data.json"))
    assert data["entries"][0]["description"] == stored.description
    assert data["entries"][0]["place"] == "=1+2"
    assert data["notifications"][0]["message"] == HOSTILE
    assert data["profile"]["name"] == "张<b>三</b>"
    sheet = load_workbook(io.BytesIO(archive.read("entries.xlsx"))).worksheets[0]
    row = list(sheet[2])
    assert row[5].value == stored.description and row[5].data_type == "s"
    assert row[6].value == "=1+2" and row[6].data_type == "s"  # text, never a formula


def test_evidence_of_another_person_is_never_in_my_zip_even_on_disk(app, make_user):
    me, other = make_user("practitioner"), make_user("practitioner")
    mine = log(me)
    theirs = log(other)
    stored_evidence(mine, pdf("mine"))
    stored_evidence(theirs, pdf("theirs"))
    archive = download(app, me)
    files = [n for n in archive.namelist() if n.startswith("evidence/")]
    assert [archive.read(n) for n in files] == [pdf("mine")]


def test_a_lost_evidence_file_is_listed_and_the_zip_still_made(app, make_user):
    me = make_user("practitioner")
    entry = log(me)
    ev = stored_evidence(entry, pdf("gone"))
    os.remove(evidence_files.path_for(ev.stored_name))
    archive = download(app, me)
    data = json.loads(archive.read("data.json"))
    assert data["entries"][0]["evidence"][0]["original_name"] == "收据.pdf"
    assert not [n for n in archive.namelist() if n.startswith("evidence/")]


def test_many_downloads_in_an_hour_are_refused_with_a_message(app, make_user):
    me, earlier = make_user("practitioner"), make_user("practitioner")
    for person, ago in ((me, 30), (earlier, 61)):
        for _n in range(mydata.DOWNLOADS_PER_HOUR):
            AuditEvent.create(actor=person, action="my_data.download", object_type="user",
                              object_id=person.id,
                              created_at=utcnow() - datetime.timedelta(minutes=ago))
    response = signed_in(app, me).get("/me/data.zip")
    assert response.status_code == 429
    assert "many times" in text_of(soup(response).find("h1"))
    # Downloads more than an hour ago do not count.
    assert signed_in(app, earlier).get("/me/data.zip").status_code == 200


def test_a_visitor_is_sent_to_sign_in(client):
    response = client.get("/me/data.zip")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ROLES)
def test_the_me_page_links_to_the_download_full_width(app, make_user, role):
    page = soup(signed_in(app, make_user(role)).get("/me"))
    section = page.find("section", id="my-data")
    link = section.find("a", href="/me/data.zip")
    assert text_of(link) == "Download my data"
    # Full width (a 44 px tall block button fits 360 px), and a line that says what it holds.
    assert {"btn", "btn-block"} <= set(link["class"])
    assert link.has_attr("download")
    assert "zip" in text_of(section.find("p"))
