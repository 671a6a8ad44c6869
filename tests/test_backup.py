"""Backups: a restore into a fresh database gives back every row and every file; a backup taken
while the app writes is consistent; a damaged archive is refused; retention keeps the right
archives; two backups at once: one runs, the other reports the lock."""
import datetime
import io
import json
import os
import sqlite3
import tarfile
import threading
from decimal import Decimal
from zoneinfo import ZoneInfo

import psycopg
import pytest

from tests.helpers import (ENGINE, jpeg_bytes, make_database_url, make_scene, scene_activity,
                           scene_assessment, scene_bulletin_month, scene_category, scene_entry,
                           scene_evidence, scene_inspection_item, scene_member, scene_notification,
                           scene_photo, scene_report, scene_report_attachment, scene_training)
from webapp import backup, backup_retention
from webapp.accounts.models import (AuditEvent, Firm, LoginAttempt, Notification, Region,
                                   RegionYear, UserSession)
from webapp.branches.models import ActivityAttendance
from webapp.cli import BACKUP_BUSY_EXIT
from webapp.db import db, utcnow
from webapp.ledger import evidence as evidence_files
from webapp.ledger.models import Evidence, ReviewRule
from webapp.models import ALL_MODELS
from webapp.push.models import (NotificationMute, PushDelivery, PushDevice, PushSubscription,
                                ReminderSent)
from webapp.quality.complaint_models import Complaint
from webapp.quality.rating_models import Rating
from webapp.quality.village_models import Village
from webapp.reports.models import FirmReportCredit, FirmReporter
from webapp.reports.selection_models import CaseSelection
from webapp.study.models import StudyAssignment, StudyMaterial, StudyQuestion
from webapp.targets.models import Target
from webapp.trainings.models import Attendance, ScanReceipt, TrainingFirm, TrainingPerson

WAIT = 60  # seconds: only a guard against a hang; every wait below is on a condition


@pytest.fixture
def stores(app, tmp_path, monkeypatch):
    """A fresh upload folder and backup folder for this test."""
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setitem(app.config, "BACKUP_DIR", str(tmp_path / "backups"))
    return tmp_path


@pytest.fixture
def target(app, tmp_path, monkeypatch):
    """An app config naming a fresh, empty database and upload folder (the restore target)."""
    url, drop = make_database_url("restore")
    upload_dir = tmp_path / "restored-uploads"

    class Target:
        config = {**app.config, "DATABASE_URL": url, "UPLOAD_DIR": str(upload_dir),
                  "BACKUP_DIR": str(tmp_path / "target-backups")}

    yield Target
    drop()


def fill(world, make_user, client):
    """Rows in many tables, and evidence, branch photos and report attachments on disk."""
    scene = make_scene(world, make_user, client, "director")
    for make in (scene_training, scene_category, scene_assessment, scene_report,
                 scene_inspection_item, scene_entry, scene_evidence, scene_activity, scene_member,
                 scene_photo, scene_report_attachment, scene_bulletin_month, scene_notification):
        make(scene)
    make_user(name="王'小\"明 🙂", licence_no="", birth_year=None)
    photo = evidence_files.Upload(jpeg_bytes((64, 48)), jpeg_bytes((16, 12)), "image/jpeg",
                                  "现场.jpg")
    stored, _paths = evidence_files.store(photo)
    Evidence.create(entry=scene_entry(scene), stored_name=stored, content_type="image/jpeg",
                    size=len(photo.data), original_name=photo.original_name)
    fill_the_rest(scene)
    return scene


def fill_the_rest(scene):
    """A row in each table the route scene leaves empty (odd values: NULLs, decimals, text)."""
    world, subject, actor = scene.world, scene.subject, scene.actor
    training, activity, report = scene.training, scene.activity, scene.report
    now = utcnow()
    TrainingFirm.create(training=training, firm=world["firm_a"])
    TrainingPerson.create(training=training, user=subject)
    Attendance.create(training=training, user=subject, checked_in_at=now, method_in="code",
                      credited_hours=Decimal("2.75"), late=True, flags="far", distance_m=730,
                      note="迟到 \"15\" 分钟")
    ScanReceipt.create(key="k" * 64, user=subject, training=training, purpose="in",
                       scanned_at=now, result="ok")
    ActivityAttendance.create(activity=activity, user=subject, status="excused", reason="出差")
    ReviewRule.create(county=world["a"], year=2026, max_public_hours_per_day=Decimal("7.5"),
                      director_reviews=True)
    Target.create(year=2026, metric="education_hours", region=world["a"], value=Decimal("40.5"))
    RegionYear.create(region=world["a"], year=2026, population=510000, lawyers=None)
    FirmReportCredit.create(report=report, user=subject)
    FirmReporter.create(firm=world["firm_a"], user=subject, named_by=actor)
    CaseSelection.create(report=report, county=world["a"], city=world["city"], year=2026,
                         recommended_by=actor)
    subscription = PushSubscription.create(user=actor, endpoint="https://push.example.org/x",
                                           p256dh="p" * 80, auth="a" * 20)
    PushDevice.create(subscription=subscription,
                      session=UserSession.select().where(UserSession.user == actor).get())
    notice = Notification.create(user=actor, kind="entry_approved", message="已通过", link="/")
    PushDelivery.create(notification=notice, subscription=subscription, attempts=2,
                        last_error="503")
    ReminderSent.create(user=actor, kind="pace", period="2026-12", notification=notice)
    NotificationMute.create(user=actor, switch="pace")
    LoginAttempt.create(account="13900000000", address="203.0.113.9")
    material = StudyMaterial.create(county=world["a"], branch=world["branch"], title="学习“党章”",
                                    body="# 一\n\n二", body_html="<h2>一</h2><p>二</p>",
                                    hours=Decimal("0.25"), min_seconds=90, created_by=actor)
    StudyQuestion.create(material=material, position=0, text="问？", choices='["甲", "乙"]',
                         answer=1)
    StudyAssignment.create(material=material, user=subject, opened_at=now, completed_at=now,
                           answers="[1]", score=1)
    Village.create(county=world["a"], township="城关镇", name="东关村", adviser=subject)
    Rating.create(key="r" * 32, practitioner=subject, firm=world["firm_a"], score=4,
                  useful="partly", comment="还行 \"好\"")
    Complaint.create(county=world["a"], firm=world["firm_a"], practitioner=subject,
                     source="letter", received_on=now.date(), summary="来信", assignee=actor,
                     deadline=now.date(), created_by=actor)
    AuditEvent.create(actor=actor, action="backup.test", object_type="user", object_id=subject.id,
                      region=world["a"], detail=json.dumps({"说明": "测试"}, ensure_ascii=False))


def connect(url):
    if url.startswith("sqlite:///"):
        return sqlite3.connect(url[len("sqlite:///"):])
    return psycopg.connect(url, autocommit=True)


def tables_of(url):
    """Every table of a database: {name: (column names, rows sorted)}, read with the driver."""
    conn = connect(url)
    try:
        if url.startswith("sqlite:///"):
            names = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%'")]
        else:
            names = [r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]
        out = {}
        for name in names:
            cursor = conn.execute(f'SELECT * FROM "{name}"')
            columns = [d[0] for d in cursor.description]
            out[name] = (columns, sorted(cursor.fetchall(), key=repr))
        return out
    finally:
        conn.close()


def files_of(folder):
    """{relative path: bytes} of every file under a folder."""
    found = {}
    for root, _dirs, names in os.walk(folder):
        for name in names:
            full = os.path.join(root, name)
            with open(full, "rb") as fh:
                found[os.path.relpath(full, folder)] = fh.read()
    return found


def test_a_restore_into_a_fresh_database_gives_back_every_row_and_file(
        app, stores, target, world, make_user, client):
    fill(world, make_user, client)
    made = backup.make_backup(app)

    assert os.path.basename(made.path) == \
        f"ledger-{made.manifest['created_at'].replace('-', '').replace(':', '')}.tar.gz"
    assert sorted(os.listdir(stores / "backups")) == [".backup.lock", os.path.basename(made.path)]
    manifest = made.manifest
    assert manifest["engine"] == ("sqlite" if ENGINE == "sqlite" else "postgresql")
    assert manifest["migration_level"] == sorted(
        n[:-3] for n in os.listdir("migrations") if n[:4].isdigit())[-1]
    uploads = files_of(app.config["UPLOAD_DIR"])
    assert len(uploads) == 6  # two PDFs; a branch photo and an evidence photo, each with a thumb
    assert {n for n in manifest["files"] if n.startswith("files/")} == \
        {"files/" + rel for rel in uploads}

    result = backup.restore_backup(target, made.path)

    source = tables_of(app.config["DATABASE_URL"])
    restored = tables_of(target.config["DATABASE_URL"])
    assert {m._meta.table_name for m in ALL_MODELS} <= set(source)
    assert set(restored) == set(source)
    for table in source:
        assert restored[table] == source[table], table
        assert manifest["tables"][table] == len(source[table][1])
    assert all(source[t][1] for t in source)  # the scene filled every table
    assert files_of(target.config["UPLOAD_DIR"]) == uploads
    assert result.files == 6 and result.extra_files == 0 and result.safety_backup is None
    assert result.tables == manifest["tables"]


def test_the_commands_back_up_and_restore_with_clear_output(
        app, stores, target, world, make_user, client, monkeypatch):
    fill(world, make_user, client)
    runner = app.test_cli_runner()
    out = runner.invoke(args=["backup", "--to", str(stores / "elsewhere")])
    assert out.exit_code == 0, out.output
    assert out.output.startswith(f"backup written: {stores / 'elsewhere'}/ledger-")
    assert "6 uploaded files" in out.output
    [name] = [n for n in os.listdir(stores / "elsewhere") if n.endswith(".tar.gz")]
    archive = str(stores / "elsewhere" / name)

    # Into the live database (it holds data): refused, nothing changed.
    before = tables_of(app.config["DATABASE_URL"])
    out = runner.invoke(args=["restore", archive])
    assert out.exit_code == 1
    assert "already holds data; restore with --force" in out.output
    assert tables_of(app.config["DATABASE_URL"]) == before
    assert not os.path.exists(stores / "backups")

    # Data changes; restore --force puts the backup back and keeps what it replaced.
    Firm.create(name="备份之后新建的所", county=world["a"])
    Evidence.delete().execute()
    out = runner.invoke(args=["restore", "--force", archive])
    assert out.exit_code == 0, out.output
    assert "the data it replaced was backed up first:" in out.output
    assert "(counts match the manifest), 6 files" in out.output
    assert tables_of(app.config["DATABASE_URL"]) == before
    [safety] = [n for n in os.listdir(stores / "backups") if n.endswith(".tar.gz")]
    with tarfile.open(stores / "backups" / safety) as tar:
        replaced = json.load(tar.extractfile("manifest.json"))
    assert replaced["tables"]["evidence"] == 0
    assert replaced["tables"]["firm"] == before["firm"][1].__len__() + 1

    # Into a fresh database named by the config.
    monkeypatch.setitem(app.config, "DATABASE_URL", target.config["DATABASE_URL"])
    monkeypatch.setitem(app.config, "UPLOAD_DIR", target.config["UPLOAD_DIR"])
    out = runner.invoke(args=["restore", archive])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("restored the backup of ")
    assert tables_of(target.config["DATABASE_URL"]) == before


def test_a_backup_taken_while_the_app_writes_is_consistent(app, stores, monkeypatch):
    """A writer commits a region and its firm together, before, during and after the backup."""
    written = threading.Condition()
    state = {"pairs": 0, "stop": False, "error": None}

    def writer():
        try:
            with app.app_context(), db.connection_context():
                while not state["stop"]:
                    with db.atomic():
                        region = Region.create(name=f"并发县{state['pairs']}", kind="county")
                        Firm.create(name=f"并发所{state['pairs']}", county=region)
                    with written:
                        state["pairs"] += 1
                        written.notify_all()
        except Exception as exc:  # reported by the test below
            state["error"] = exc
            with written:
                written.notify_all()

    def wait_for(pairs):
        with written:
            assert written.wait_for(lambda: state["pairs"] >= pairs or state["error"], WAIT)
        assert state["error"] is None, state["error"]

    add_files = backup._add_files

    def add_files_while_writes_go_on(*args):
        wait_for(state["pairs"] + 20)  # the app keeps writing while the backup runs
        return add_files(*args)

    monkeypatch.setattr(backup, "_add_files", add_files_while_writes_go_on)
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        wait_for(20)  # committed, still in the write-ahead log on SQLite
        made = backup.make_backup(app)
        during = state["pairs"]
    finally:
        state["stop"] = True
        thread.join(WAIT)
    assert state["error"] is None

    with tarfile.open(made.path) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        database = tar.extractfile(manifest["database"]).read()
    counts = manifest["tables"]
    assert counts["region"] == counts["firm"]  # never a region without its firm
    assert 20 <= counts["firm"] < during
    if ENGINE == "sqlite":
        copy = stores / "copy.db"
        copy.write_bytes(database)
        conn = sqlite3.connect(copy)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM firm").fetchone()[0] == counts["firm"]
        assert conn.execute("SELECT count(*) FROM region").fetchone()[0] == counts["region"]
        conn.close()


def rewrite(source, dest, change, extra=()):
    """Copy an archive, passing each member (name, bytes) through change (None drops it)."""
    with tarfile.open(source) as tar, tarfile.open(dest, "w:gz") as out:
        members = [(m.name, tar.extractfile(m).read()) for m in tar]
        for name, data in [*members, *extra]:
            changed = change(name, data)
            if changed is None:
                continue
            name, data = changed
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))


def flip_evidence(name, data):
    if name.startswith("files/evidence/"):
        data = data[:-1] + bytes([data[-1] ^ 1])
    return name, data


def _damaged(archive, tmp):
    """Ways a file can fail to be a whole backup, and the words the refusal uses."""
    with open(archive, "rb") as fh:
        raw = fh.read()
    (tmp / "truncated.tar.gz").write_bytes(raw[:len(raw) // 2])
    (tmp / "noise.tar.gz").write_bytes(os.urandom(4096))
    rewrite(archive, tmp / "flipped.tar.gz", flip_evidence)
    rewrite(archive, tmp / "no-manifest.tar.gz",
            lambda n, d: None if n == "manifest.json" else (n, d))
    rewrite(archive, tmp / "extra.tar.gz", lambda n, d: (n, d),
            extra=[("files/evidence/zz/planted.pdf", b"%PDF-1.4 not from the backup")])
    rewrite(archive, tmp / "escape.tar.gz",
            lambda n, d: ("files/../../escaped", d) if n.startswith("files/reports/") else (n, d))
    rewrite(archive, tmp / "db-changed.tar.gz",
            lambda n, d: (n, d + b"\0") if n.startswith("database/") else (n, d))
    return {
        "truncated.tar.gz": "is damaged or not a backup",
        "noise.tar.gz": "is damaged or not a backup",
        "flipped.tar.gz": "does not match its manifest",
        "no-manifest.tar.gz": "has no manifest.json",
        "extra.tar.gz": "files/evidence/zz/planted.pdf does not match its manifest",
        "escape.tar.gz": "is not a backup of this app",
        "db-changed.tar.gz": "does not match its manifest",
    }


def test_a_damaged_archive_is_refused_and_nothing_changes(
        app, stores, target, world, make_user, client):
    fill(world, make_user, client)
    made = backup.make_backup(app)
    cases = _damaged(made.path, stores)
    runner = app.test_cli_runner()
    for name, words in cases.items():
        with pytest.raises(backup.BackupError, match=words):
            backup.restore_backup(target, str(stores / name))
        assert backup.database_counts(target.config["DATABASE_URL"]) == {}, name
        assert files_of(target.config["UPLOAD_DIR"]) == {}, name
        assert not os.path.exists(stores / "escaped")
        # The command says so in a sentence, not a traceback.
        out = runner.invoke(args=["restore", str(stores / name)])
        assert out.exit_code == 1 and f"Error: {stores / name}" in out.output, out.output
        assert "Traceback" not in out.output
    out = runner.invoke(args=["restore", str(stores / "missing.tar.gz")])
    assert out.exit_code == 1 and "no such file" in out.output


def test_a_backup_of_another_engine_is_refused(app, stores, target):
    made = backup.make_backup(app)
    other = "postgresql" if ENGINE == "sqlite" else "sqlite"

    mine = made.manifest["database"]

    def swap(name, data):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["engine"] = other
            manifest["database"] = backup.DB_MEMBER[other]
            manifest["files"][backup.DB_MEMBER[other]] = manifest["files"].pop(mine)
            return name, json.dumps(manifest).encode()
        if name == mine:
            return backup.DB_MEMBER[other], data
        return name, data

    rewrite(made.path, stores / "other.tar.gz", swap)
    with pytest.raises(backup.BackupError, match=f"this backup is of a {other} database"):
        backup.restore_backup(target, str(stores / "other.tar.gz"))
    assert backup.database_counts(target.config["DATABASE_URL"]) == {}


# ------------------------------------------------------------------ retention

UTC = datetime.UTC


def touch_backups(folder, moments):
    folder.mkdir(exist_ok=True)
    for moment in moments:
        (folder / f"ledger-{moment:%Y%m%dT%H%M%SZ}.tar.gz").write_bytes(b"")


def names(moments):
    return {f"ledger-{m:%Y%m%dT%H%M%SZ}.tar.gz" for m in moments}


def test_retention_keeps_the_last_days_and_the_first_of_the_last_months(tmp_path):
    start = datetime.datetime(2026, 1, 1, 2, 0, tzinfo=UTC)
    daily = [start + datetime.timedelta(days=n) for n in range(340)]  # to 2026-12-06
    hourly_today = [daily[-1] + datetime.timedelta(hours=h) for h in (1, 5, 9)]
    touch_backups(tmp_path, daily + hourly_today)
    (tmp_path / "notes.txt").write_text("not a backup")
    (tmp_path / "ledger-broken.tar.gz").write_bytes(b"")

    removed = backup_retention.prune_backups(tmp_path, 14, 6, ZoneInfo("UTC"))

    kept = {n for n in os.listdir(tmp_path) if backup_retention.NAME_RE.match(n)}
    last_days = daily[-14:-1] + [hourly_today[-1]]  # the newest of each of the last 14 days
    firsts = [datetime.datetime(2026, m, 1, 2, 0, tzinfo=UTC) for m in range(7, 13)]
    assert kept == names(last_days) | names(firsts)
    assert len(kept) == 14 + 5  # 1 December is among the last 14 days too
    assert set(removed) == names(daily + hourly_today) - kept
    assert (tmp_path / "notes.txt").exists() and (tmp_path / "ledger-broken.tar.gz").exists()


def test_retention_counts_days_that_have_backups_and_reads_days_locally(tmp_path):
    # A server that was off for months keeps its last backups.
    old = [datetime.datetime(2025, 3, d, 12, 0, tzinfo=UTC) for d in range(1, 21)]
    assert backup_retention.to_keep([(m, n) for m, n in zip(old, sorted(names(old)))], 3, 1,
                          ZoneInfo("UTC")) == names([old[0], *old[-3:]])
    # 23:30 UTC on 30 November is 1 December 07:30 in Shanghai: December's first backup.
    moments = [datetime.datetime(2026, 11, 30, 23, 30, tzinfo=UTC),
               datetime.datetime(2026, 12, 1, 12, 0, tzinfo=UTC)]
    listed = [(m, f"ledger-{m:%Y%m%dT%H%M%SZ}.tar.gz") for m in moments]
    assert backup_retention.to_keep(listed, 0, 1, ZoneInfo("Asia/Shanghai")) == names(moments[:1])
    assert backup_retention.to_keep(listed, 0, 1, ZoneInfo("UTC")) == names(moments[1:])
    assert backup_retention.to_keep(listed, 1, 0, ZoneInfo("Asia/Shanghai")) == names(moments[1:])


def test_a_backup_prunes_after_it_succeeds_and_keeps_itself(app, stores):
    folder = stores / "backups"
    now = datetime.datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
    old = [now - datetime.timedelta(days=n) for n in range(1, 60)]
    touch_backups(folder, old)

    made = backup.make_backup(app, keep_daily=0, keep_monthly=0, now=now)
    assert os.path.basename(made.path) == "ledger-20261207T010000Z.tar.gz"
    assert sorted(made.pruned) == sorted(names(old))
    assert sorted(os.listdir(folder)) == [".backup.lock", "ledger-20261207T010000Z.tar.gz"]

    # The same second again: a second name, never an overwrite; the config decides retention.
    touch_backups(folder, old)
    app.config["BACKUP_KEEP_DAILY"], app.config["BACKUP_KEEP_MONTHLY"] = 3, 2
    try:
        again = backup.make_backup(app, now=now)
    finally:
        app.config["BACKUP_KEEP_DAILY"], app.config["BACKUP_KEEP_MONTHLY"] = 14, 6
    assert os.path.basename(again.path) == "ledger-20261207T010000Z-2.tar.gz"
    kept = {n for n in os.listdir(folder) if n.endswith(".tar.gz")}
    # Days (Shanghai, where 01:00 UTC is 09:00): 7 Dec has two (the -2 is newest), then 6 and
    # 5 Dec; months: the first backups of December and November.
    assert kept == {"ledger-20261207T010000Z-2.tar.gz", *names(old[:2]),
                    *names([datetime.datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
                            datetime.datetime(2026, 11, 1, 1, 0, tzinfo=UTC)])}


def test_a_failed_backup_leaves_nothing_and_prunes_nothing(app, stores, monkeypatch):
    folder = stores / "backups"
    old = [datetime.datetime(2025, 1, d, tzinfo=UTC) for d in range(1, 10)]
    touch_backups(folder, old)

    def broken(*args):
        raise OSError("disk full")

    monkeypatch.setattr(backup, "_add_files", broken)
    with pytest.raises(OSError, match="disk full"):
        backup.make_backup(app, keep_daily=1, keep_monthly=0)
    assert set(os.listdir(folder)) == {".backup.lock"} | names(old)


def test_bad_retention_numbers_are_refused(app, stores):
    with pytest.raises(backup.BackupError, match="whole number of 0 or more"):
        backup.make_backup(app, keep_daily=-1)
    out = app.test_cli_runner().invoke(args=["backup", "--keep-monthly", "many"])
    assert out.exit_code == 2 and "'many' is not a valid integer" in out.output


# ------------------------------------------------------------------ two at once

def test_two_backups_at_once_one_runs_and_the_other_reports_the_lock(app, stores, monkeypatch):
    inside, release = threading.Event(), threading.Event()
    add_files = backup._add_files

    def held(*args):
        inside.set()
        assert release.wait(WAIT)
        return add_files(*args)

    monkeypatch.setattr(backup, "_add_files", held)
    results = {}

    def first():
        with app.app_context():
            results["first"] = backup.make_backup(app)

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert inside.wait(WAIT)
        out = app.test_cli_runner().invoke(args=["backup"])
        with pytest.raises(backup.BackupBusy, match="another backup is running"):
            backup.make_backup(app)
    finally:
        release.set()
        thread.join(WAIT)
    assert out.exit_code == BACKUP_BUSY_EXIT == 75
    assert out.output.startswith("backup skipped: another backup is running into ")
    [archive] = [n for n in os.listdir(stores / "backups") if n.endswith(".tar.gz")]
    assert results["first"].path == str(stores / "backups" / archive)
    # The lock is let go: the next backup runs.
    monkeypatch.setattr(backup, "_add_files", add_files)
    assert app.test_cli_runner().invoke(args=["backup"]).exit_code == 0


@pytest.mark.skipif(ENGINE != "postgres", reason="pg_dump is PostgreSQL's")
def test_without_pg_dump_the_backup_says_what_to_install(app, stores, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))
    out = app.test_cli_runner().invoke(args=["backup"])
    assert out.exit_code == 1
    assert "Error: pg_dump was not found on PATH: install the PostgreSQL client tools" \
        in out.output
    assert os.listdir(stores / "backups") == [".backup.lock"]


def test_the_postgresql_password_goes_in_the_environment_not_the_command_line():
    url, env = backup._pg_command_target(
        "postgres://led:s%40cret@db.example:5433/ledger?sslmode=require")
    assert url == "postgresql://led@db.example:5433/ledger?sslmode=require"
    assert env["PGPASSWORD"] == "s@cret"


def test_an_unreachable_database_is_a_sentence_not_a_traceback(app, stores, monkeypatch):
    url = ("postgresql://postgres@127.0.0.1:5432/gl_no_such_database" if ENGINE == "postgres"
           else f"sqlite:///{stores}/missing/ledger.db")
    monkeypatch.setitem(app.config, "DATABASE_URL", url)
    out = app.test_cli_runner().invoke(args=["backup"])
    assert out.exit_code == 1 and "Traceback" not in out.output
    assert ("could not read the PostgreSQL database" if ENGINE == "postgres"
            else "no database at") in out.output
    assert os.listdir(stores / "backups") == [".backup.lock"]
