"""A province's reminder run: finding who is due, writing it, and pushing 20,000 messages.

Targets (issue 12): for 20,000 people (100 counties, 2,000 firms), finding who is due
(`reminders.find_due`) in < 5 s; sending 20,000 pushes to a local fake push service with
bounded concurrency, with throughput and peak memory reported.

The province is bench/province.py's (its `generate`: 200 practitioners a county, five years
of ledger entries), plus what makes the most kinds of reminder due at once: a county and a
city administrator for each county and city, a director and a named reporter in each firm,
this month's reports accepted for half the firms and waiting for review (submitted ten days
ago) for a tenth, a few trainings starting within 24 hours (one within the hour) among a few
hundred others, a few people who turned pace reminders off, and one push subscription per
person (a real P-256 public point, 16 key pairs shared round-robin, a unique auth secret and
a unique endpoint on the fake service). `generate` leaves a sixth of five years' entries
pending (500,000 rows at full size); a county reviews its entries, so those older than
`--backlog-days` are marked approved first (`--keep-backlog` leaves them all waiting). `now`
is by default the next 27th of a month at 02:00 UTC (10:00 in Asia/Shanghai, out of the
quiet hours), four days before month end.

Then: `find_due(now)` (`--runs` times, read only; the breakdown by kind of what it found and
the statements it sent), `write(items)` once, `find_due` again (nothing left to find), and
`sender.drain(now, workers=N)` for each N of `--workers`, over the same 20,000 outbox rows
(one per subscription, each for its person's newest notification; reset between runs), then
once more with tracemalloc on for the peak of Python memory (tracing slows Python: that run's
rate is not the figure). The fake push service is a ThreadingHTTPServer in a separate
process (so it does not share the sender's interpreter lock), answering 201 over keep-alive
HTTP/1.1; it checks every request's VAPID header and decrypts one in `--sample` (aes128gcm,
with the subscriber's private key), and says how many it received. Figures taken on a shared
machine are figures under its load.

Usage: .venv/bin/python bench/reminders.py [sqlite] [postgres] [--people 20000]
       [--workers 8,32] [--runs 3] [--small] [--now 2026-12-27T02:00] [--profile]
       [--backlog-days 90 | --keep-backlog]
(--small: 500 people, rounded up to whole counties of 200; PostgreSQL: a scratch database on
TEST_DATABASE_URL's server, postgresql://postgres@127.0.0.1:5432 by default, created and
dropped; SQLite: a temporary file.)
"""
import argparse
import base64
import collections
import cProfile
import datetime
import hashlib
import io
import json
import math
import multiprocessing
import os
import pstats
import random
import resource
import secrets
import shutil
import sys
import tempfile
import time
import tracemalloc
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

from ledger_bench import stats  # noqa: E402  (bench/ is not a package)

PEOPLE_PER_COUNTY = 200    # province.generate: 20 firms of 10
KEY_PAIRS = 16             # subscriber key pairs, shared round-robin (EC keys are slow to make)
SMALL = 500


def b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def auth_secret(n):
    """The n-th subscription's 16-byte auth secret (the fake service derives it again)."""
    return hashlib.sha256(f"auth-{n}".encode()).digest()[:16]


def private_keys(count):
    from cryptography.hazmat.primitives.asymmetric import ec
    rng = random.Random(12)
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    return [ec.derive_private_key(rng.randrange(1, order), ec.SECP256R1()) for _ in range(count)]


def max_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ------------------------------------------------------------------ the fake push service

def serve_push(conn, vapid_public, sample):
    """The fake push service (a child process): answer 201, count, decrypt one in `sample`."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    import threading

    import http_ece
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    keys = private_keys(KEY_PAIRS)
    lock = threading.Lock()
    counts = {"received": 0, "decrypted": 0, "vapid_verified": 0, "rejected": 0, "errors": []}

    def unb64(text):
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    def check(path, headers, body, full):
        scheme, _, params = (headers.get("Authorization") or "").partition(" ")
        assert scheme.lower() == "vapid", "no VAPID authorization"
        parts = dict(p.strip().split("=", 1) for p in params.split(","))
        assert parts["k"] == vapid_public, "signed with another key"
        assert headers.get("Content-Encoding") == "aes128gcm"
        if not full:
            return
        head, claims, signature = parts["t"].split(".")
        raw = unb64(signature)
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(parts["k"]))
        public.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                           int.from_bytes(raw[32:], "big")),
                      f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        n = int(path.rsplit("/", 1)[1])
        plain = http_ece.decrypt(body, private_key=keys[n % KEY_PAIRS],
                                 auth_secret=auth_secret(n), version="aes128gcm")
        message = json.loads(plain)
        assert message["body"] and message["url"].startswith("/"), message

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"   # keep-alive, as a real push service

        def reply(self, status, body=b""):
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802 - http.server's name
            with lock:
                body = json.dumps(counts).encode()
            self.reply(200, body)

        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == "/reset":
                with lock:
                    counts.update(received=0, decrypted=0, vapid_verified=0, rejected=0,
                                  errors=[])
                return self.reply(200)
            with lock:
                counts["received"] += 1
                full = counts["received"] % sample == 1 or sample == 1
            try:
                check(self.path, self.headers, body, full)
            except Exception as exc:  # noqa: BLE001 - counted and shown, not raised
                with lock:
                    counts["rejected"] += 1
                    counts["errors"] = (counts["errors"] + [repr(exc)[:200]])[:5]
                return self.reply(400)
            if full:
                with lock:
                    counts["decrypted"] += 1
                    counts["vapid_verified"] += 1
            self.reply(201)

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256

    server = Server(("127.0.0.1", 0), Handler)
    conn.send(server.server_port)
    server.serve_forever()


class PushService:
    def __init__(self, vapid_public, sample):
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self.process = context.Process(target=serve_push, args=(child, vapid_public, sample),
                                       daemon=True)
        self.process.start()
        self.origin = f"http://127.0.0.1:{parent.recv()}"

    def counts(self):
        with urllib.request.urlopen(self.origin + "/stats") as response:
            return json.loads(response.read())

    def reset(self):
        urllib.request.urlopen(urllib.request.Request(self.origin + "/reset", data=b"",
                                                      method="POST")).read()

    def close(self):
        self.process.terminate()
        self.process.join(5)


# ------------------------------------------------------------------ the province

def bench_now(text):
    """`now` (naive UTC): given, or the next 27th at 02:00 UTC after the real clock (outbox rows
    are written at the real time, and drain sends what is due at `now`)."""
    if text:
        return datetime.datetime.fromisoformat(text)
    real = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    candidate = real.replace(day=27, hour=2, minute=0, second=0, microsecond=0)
    while candidate <= real:
        month = candidate.month % 12 + 1
        candidate = candidate.replace(year=candidate.year + (month == 1), month=month)
    return candidate


def furnish(db, now, rng, keys, origin, backlog_days):
    """Add to province.generate's people what makes reminders of every kind due at `now`."""
    from webapp.accounts.models import Firm, Notification, Region, RoleGrant, User
    from webapp.i18n import to_local
    from webapp.ledger.models import Entry
    from webapp.push.models import NotificationMute, PushSubscription
    from webapp.reports.models import FirmReport, FirmReporter
    from webapp.trainings.models import Training, TrainingCategory
    from cryptography.hazmat.primitives import serialization

    # province.generate leaves a sixth of five years' entries pending (its dashboards count
    # them); a county reviews its entries, so keep only the last `backlog_days` waiting.
    reviewed = 0
    if backlog_days is not None:
        with db.atomic():
            reviewed = Entry.update(status="approved").where(
                Entry.status == "pending",
                Entry.created_at < now - datetime.timedelta(days=backlog_days)).execute()
    pending = Entry.select().where(Entry.status == "pending").count()
    counties = list(Region.select().where(Region.kind == "county").order_by(Region.id))
    cities = list(Region.select().where(Region.kind == "city").order_by(Region.id))
    with db.atomic():
        for region in counties + cities:
            admin = User.create(name=f"管理员{region.id}", phone=f"10{region.id:09d}",
                                password_hash="x",
                                county=region if region.kind == "county" else None)
            RoleGrant.create(user=admin, role=f"{region.kind}_admin", region=region)

    firms = list(Firm.select(Firm.id, Firm.county).order_by(Firm.id).tuples())
    staff = collections.defaultdict(list)
    for user_id, firm_id in (User.select(User.id, User.firm).where(User.firm.is_null(False))
                             .order_by(User.id).tuples()):
        staff[firm_id].append(user_id)
    month = to_local(now).date().replace(day=1)
    reports = []
    with db.atomic():
        RoleGrant.insert_many([{"user": staff[f][0], "role": "director", "firm": f}
                               for f, _c in firms]).execute()
        for start in range(0, len(firms), 1000):
            FirmReporter.insert_many([{"firm": f, "user": staff[f][1], "named_by": staff[f][0]}
                                      for f, _c in firms[start:start + 1000]]).execute()
        for i, (firm_id, _county) in enumerate(firms):
            author = staff[firm_id][1]
            if i % 2 == 0:          # this month's quota met: 3 information reports, 1 case
                stamp = now - datetime.timedelta(days=12)
                reports += [{"firm": firm_id, "author": author, "kind": kind, "month": month,
                             "title": f"报告{i}-{k}", "status": "accepted",
                             "submitted_at": stamp, "reviewed_at": stamp, "created_at": stamp,
                             "updated_at": stamp}
                            for k, kind in enumerate(("info", "info", "info", "case"))]
            elif i % 10 == 1:       # one report waiting for review for ten days
                stamp = now - datetime.timedelta(days=10)
                reports.append({"firm": firm_id, "author": author, "kind": "info",
                                "month": month, "title": f"报告{i}", "status": "submitted",
                                "submitted_at": stamp, "created_at": stamp, "updated_at": stamp})
        for start in range(0, len(reports), 1000):
            FirmReport.insert_many(reports[start:start + 1000]).execute()

        category = TrainingCategory.create(name="业务技能", name_en="Professional skills")
        trainings = []

        def training(organiser, start, title):
            trainings.append({"title": title, "category": category.id, "organiser": organiser.id,
                              "start_at": start, "end_at": start + datetime.timedelta(hours=3),
                              "place": "县司法局", "credit_hours": 3, "audience": "region",
                              "secret": secrets.token_hex(16), "status": "scheduled"})

        # Due now: three county trainings and one city training within 24 h, one within the hour.
        for n, hours in enumerate((3, 20, 23)):
            training(counties[n % len(counties)], now + datetime.timedelta(hours=hours),
                     f"明日培训{n}")
        training(counties[3 % len(counties)], now + datetime.timedelta(minutes=40), "即将开始的培训")
        training(cities[0], now + datetime.timedelta(hours=10), "全市培训")
        # Not due: each county's trainings of past months and of the coming weeks.
        for county in counties:
            for days in (-90, -30, 3, 20):
                training(county, now + datetime.timedelta(days=days, hours=rng.randint(0, 8)),
                         f"{county.name}培训{days}")
        for start in range(0, len(trainings), 500):
            Training.insert_many(trainings[start:start + 500]).execute()

    users = [u for (u,) in User.select(User.id).order_by(User.id).tuples()]
    with db.atomic():
        muted = [u for u in users if rng.random() < 0.02]
        for start in range(0, len(muted), 1000):
            NotificationMute.insert_many([{"user": u, "switch": "pace"}
                                          for u in muted[start:start + 1000]]).execute()
        points = [b64(k.public_key().public_bytes(serialization.Encoding.X962,
                                                  serialization.PublicFormat.UncompressedPoint))
                  for k in keys]
        rows = [{"user": u, "endpoint": f"{origin}/push/{n}", "p256dh": points[n % len(keys)],
                 "auth": b64(auth_secret(n)), "user_agent": "bench"}
                for n, u in enumerate(users)]
        for start in range(0, len(rows), 1000):
            PushSubscription.insert_many(rows[start:start + 1000]).execute()
    # Earlier months' review decisions in the inbox (the table is not empty in a real year).
    with db.atomic():
        old = now - datetime.timedelta(days=40)
        notes = [{"user": u, "kind": "entry_approved", "message": "已通过：公益服务（2 小时）。",
                  "link": "/ledger", "created_at": old, "read_at": old}
                 for u in users if rng.random() < 0.5]
        for start in range(0, len(notes), 1000):
            Notification.insert_many(notes[start:start + 1000]).execute()
    return len(users), len(firms), len(trainings), len(reports), len(muted), reviewed, pending


# ------------------------------------------------------------------ measuring

class Statements:
    """Count the SQL statements sent, and the time spent in each (by its first 90 characters)."""

    def __init__(self, db):
        self.database = db.obj
        self.real = self.database.execute_sql
        self.by_sql = collections.defaultdict(lambda: [0, 0.0])
        self.database.execute_sql = self.execute

    def execute(self, sql, *args, **kwargs):
        began = time.perf_counter()
        try:
            return self.real(sql, *args, **kwargs)
        finally:
            row = self.by_sql[" ".join(sql.split())[:90]]
            row[0] += 1
            row[1] += time.perf_counter() - began

    def reset(self):
        self.by_sql.clear()

    def total(self):
        return sum(n for n, _t in self.by_sql.values())

    def seconds(self):
        return sum(t for _n, t in self.by_sql.values())

    def show(self, top=3):
        rows = sorted(self.by_sql.items(), key=lambda item: -item[1][1])[:top]
        for sql, (n, seconds) in rows:
            print(f"      {n:>6} x {seconds:6.2f} s  {sql}")

    def close(self):
        self.database.execute_sql = self.real


def outbox_one_per_subscription(db, now):
    """Make the outbox one pending delivery per subscription, for its person's newest note."""
    from peewee import fn

    from webapp.accounts.models import Notification
    from webapp.db import utcnow
    from webapp.push.models import PushDelivery, PushSubscription

    with db.atomic():
        newest = dict(Notification.select(Notification.user, fn.MAX(Notification.id))
                      .group_by(Notification.user).tuples())
        subscriptions = list(PushSubscription.select(PushSubscription.id, PushSubscription.user)
                             .tuples())
        missing = sorted({u for _s, u in subscriptions if u not in newest})
        stamp = utcnow()
        for start in range(0, len(missing), 1000):
            Notification.insert_many([{"user": u, "kind": "pace", "link": "/targets",
                                       "message": "本年度公益服务进度落后：每月还需 3 小时。",
                                       "created_at": stamp}
                                      for u in missing[start:start + 1000]]).execute()
        if missing:
            newest.update(Notification.select(Notification.user, fn.MAX(Notification.id))
                          .where(Notification.user.in_(missing))
                          .group_by(Notification.user).tuples())
        PushDelivery.delete().execute()
        rows = [{"notification": newest[u], "subscription": s, "status": "pending",
                 "attempts": 0, "next_attempt_at": stamp, "created_at": stamp}
                for s, u in subscriptions]
        for start in range(0, len(rows), 1000):
            PushDelivery.insert_many(rows[start:start + 1000]).execute()
    return len(rows)


def reset_outbox():
    from webapp.db import utcnow
    from webapp.push.models import PushDelivery
    PushDelivery.update(status="pending", attempts=0, next_attempt_at=utcnow(), claim="",
                        sent_at=None, last_error="").execute()


def run(engine, people, workers_list, runs, now, sample, profile, backlog_days, table):
    import tests.helpers as helpers
    os.environ["TEST_ENGINE"] = engine
    helpers.ENGINE = engine
    from cryptography.hazmat.primitives.asymmetric import ec

    from province import generate, is_postgres
    from tests.helpers import make_database_url
    from webapp import create_app
    from webapp.cli import migrate_database
    from webapp.db import db
    from webapp.i18n import local_today
    from webapp.push import due as finders, reminders, sender, vapid
    from webapp.push.models import PushDelivery

    vapid_private = ec.generate_private_key(ec.SECP256R1())
    config = {"TESTING": True, "SECRET_KEY": "bench",
              "UPLOAD_DIR": tempfile.mkdtemp(prefix="gl-bench-"), "PROPAGATE_EXCEPTIONS": True,
              "VAPID_PRIVATE_KEY": b64(vapid_private.private_numbers().private_value
                                       .to_bytes(32, "big")),
              "VAPID_PUBLIC_KEY": "", "PUSH_ENDPOINT_ANY_HOST": True}
    service = PushService(vapid.public_key(config), sample)
    url, drop = make_database_url("reminders")
    app = create_app({**config, "DATABASE_URL": url})
    counties = max(1, math.ceil(people / PEOPLE_PER_COUNTY))
    rng = random.Random(12)
    statements = None

    def row(phase, figure, target=""):
        table.append((engine, f"{people_made:,}", phase, figure, target))

    try:
        with app.app_context():
            migrate_database()
            db.connect(reuse_if_open=True)
            began = time.perf_counter()
            people_made, entries = generate(db, counties, local_today(), rng)
            users, firms, trainings, reports, muted, reviewed, pending = furnish(
                db, now, rng, private_keys(KEY_PAIRS), service.origin, backlog_days)
            if is_postgres(db):
                db.execute_sql("VACUUM ANALYZE")
            else:
                db.execute_sql("ANALYZE")
            print(f"\n{engine}: {counties} counties, {people_made:,} practitioners "
                  f"({users:,} people with the administrators), {firms:,} firms, "
                  f"{entries:,} ledger entries, {trainings} trainings, {reports:,} firm reports, "
                  f"{pending:,} entries pending ({reviewed:,} older than "
                  f"{backlog_days} days marked reviewed), "
                  f"{muted} with pace reminders off, {users:,} push subscriptions; built in "
                  f"{time.perf_counter() - began:.0f} s")
            print(f"  now = {now:%Y-%m-%d %H:%M} UTC")
            db.close()

        statements = Statements(db)
        with app.test_request_context("/"):
            db.connect(reuse_if_open=True)
            samples, cpu = [], []
            for i in range(runs):
                statements.reset()
                began, began_cpu = time.perf_counter(), time.process_time()
                due = reminders.find_due(now)
                samples.append(time.perf_counter() - began)
                cpu.append(time.process_time() - began_cpu)
            kinds = collections.Counter(
                item.kind + (" (checked, on track)" if item.silent else "") for item in due)
            print(f"  find_due: {len(due):,} reminders due: "
                  + ", ".join(f"{k} {n:,}" for k, n in sorted(kinds.items())))
            print(f"    {statements.total()} SQL statements, {statements.seconds():.2f} s; "
                  "the slowest:")
            statements.show()
            median, _p95 = stats(f"find_due(now), {people_made:,} practitioners", samples, 5000)
            print(f"    this process's CPU time in find_due: {min(cpu):.2f} s (fastest run; the "
                  "rest of the wall time waits for the database or for the machine's cores)")
            row("find_due", f"{median:,.0f} ms median of {runs} (CPU {min(cpu):.1f} s); "
                f"{len(due):,} due "
                f"({', '.join(f'{k} {n:,}' for k, n in sorted(kinds.items()))})", "< 5 s")
            # For comparison: pace for the whole province in one run (no per-run batch).
            began = time.perf_counter()
            everyone = finders.pace_due(now, batch=people_made + 1000)
            seconds = time.perf_counter() - began
            print(f"  pace for everyone in one run: {len(everyone):,} checked in {seconds:.2f} s")
            row("pace, all at once", f"{seconds * 1000:,.0f} ms for {len(everyone):,} checked "
                f"(a run checks {finders.PACE_BATCH:,})")
            if profile:
                profiler = cProfile.Profile()
                profiler.enable()
                reminders.find_due(now)
                profiler.disable()
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(20)
                print("\n".join("    " + line for line in out.getvalue().splitlines()[:45]))

            statements.reset()
            began = time.perf_counter()
            profiler = cProfile.Profile() if profile else None
            try:
                if profiler:
                    profiler.enable()
                written = reminders.write(due)
            except Exception as exc:  # noqa: BLE001 - the app's bug to report, not the bench's
                written = None
                failure = f"{type(exc).__name__}: {exc}"[:300]
            finally:
                if profiler:
                    profiler.disable()
            seconds = time.perf_counter() - began
            queued = PushDelivery.select().where(PushDelivery.status == "pending").count()
            if written is None:
                print(f"  write: FAILED after {seconds:.2f} s ({queued:,} pushes queued by "
                      f"then): {failure}")
                row("write", f"FAILED: {failure[:80]}")
            else:
                print(f"  write: {written:,} reminders written, {queued:,} pushes queued, in "
                      f"{seconds:.2f} s ({written / seconds if seconds else 0:,.0f}/s, "
                      f"{statements.total():,} SQL statements)")
                row("write", f"{seconds:.2f} s for {written:,} ({queued:,} pushes queued)")
            print(f"    {statements.seconds():.2f} s of it in SQL statements "
                  "(commits not counted); the slowest:")
            statements.show()
            if profiler:
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
                print("\n".join("    " + line for line in out.getvalue().splitlines()[:50]))

            # Pace checks PACE_BATCH people a run: the next runs (cron, every few minutes)
            # check the rest of the province, then nothing is left for the month.
            passes, finding, writing = 1, [], []
            while True:
                began = time.perf_counter()
                again = reminders.find_due(now)
                finding.append(time.perf_counter() - began)
                if not again or passes > 10:
                    break
                began = time.perf_counter()
                reminders.write(again)
                writing.append(time.perf_counter() - began)
                passes += 1
                print(f"  run {passes}: find_due {finding[-1]:.2f} s found {len(again):,}, "
                      f"write {writing[-1]:.2f} s")
            print(f"  find_due after {passes} runs: {len(again):,} due (should be 0), "
                  f"{finding[-1]:.2f} s")
            row("later runs", f"{passes - 1} more to check everyone's pace: find_due "
                f"{max(finding[:-1] or [0]):.2f} s at most, write {max(writing or [0]):.2f} s "
                f"at most; then {finding[-1] * 1000:,.0f} ms, {len(again):,} due")
            print(f"  max RSS so far: {max_rss_mb():,.0f} MB")
        statements.close()
        statements = None

        with app.test_request_context("/"):
            db.connect(reuse_if_open=True)
            total = outbox_one_per_subscription(db, now)
            db.close()
        print(f"  outbox: {total:,} deliveries, one per subscription")

        spent = collections.defaultdict(float)

        def timed(name, function):
            def wrapper(*args, **kwargs):
                began = time.perf_counter()
                try:
                    return function(*args, **kwargs)
                finally:
                    spent[name] += time.perf_counter() - began
            return wrapper

        # Where a drain's time goes: its database steps (wrapped where they exist) and the rest.
        originals = {name: getattr(sender, name) for name in ("claim", "_jobs", "record")
                     if hasattr(sender, name)}
        for name, function in originals.items():
            setattr(sender, name, timed(name, function))
        rates = {}
        try:
            for workers, traced in [(w, False) for w in workers_list] + [(max(workers_list), True)]:
                with app.test_request_context("/"):
                    db.connect(reuse_if_open=True)
                    reset_outbox()
                    db.close()
                service.reset()
                spent.clear()
                with app.test_request_context("/"):
                    db.connect(reuse_if_open=True)
                    if traced:
                        tracemalloc.start()
                    began, began_cpu = time.perf_counter(), time.process_time()
                    report = sender.drain(now, workers=workers)
                    seconds = time.perf_counter() - began
                    cpu = time.process_time() - began_cpu
                    if traced:
                        _current, peak = tracemalloc.get_traced_memory()
                        tracemalloc.stop()
                    left = PushDelivery.select().where(PushDelivery.status == "pending").count()
                counts = service.counts()
                ok = (counts["received"] == report.sent == total and not counts["rejected"]
                      and left == 0)
                rate = report.sent / seconds
                database = spent["claim"] + spent["_jobs"] + spent["record"]
                label = "traced (tracemalloc on)" if traced else f"workers={workers}"
                print(f"  drain {label}: sent {report.sent:,} (retried {report.retried}, failed "
                      f"{report.failed}, gone {report.gone}) in {seconds:.1f} s = {rate:,.0f} "
                      f"pushes/s; service received {counts['received']:,}, decrypted and "
                      f"verified {counts['decrypted']} samples, rejected {counts['rejected']}"
                      f"{' ' + str(counts['errors']) if counts['errors'] else ''}; "
                      f"{'OK' if ok else 'MISMATCH'}")
                print(f"    in the database: claim {spent['claim']:.1f} s, build jobs "
                      f"{spent['_jobs']:.1f} s, record {spent['record']:.1f} s; sending "
                      f"{seconds - database:.1f} s; sender CPU {cpu:.1f} s "
                      f"({cpu / max(report.sent, 1) * 1000:.2f} ms a push); "
                      f"max RSS {max_rss_mb():,.0f} MB")
                if traced:
                    print(f"    peak Python memory (tracemalloc) {peak / 1e6:.0f} MB")
                    row(f"drain memory, workers={workers}",
                        f"tracemalloc peak {peak / 1e6:.0f} MB; max RSS {max_rss_mb():,.0f} MB")
                else:
                    rates[workers] = rate
                    row(f"drain workers={workers}",
                        f"{rate:,.0f} pushes/s, {seconds:.1f} s for {report.sent:,} (CPU "
                        f"{cpu:.0f} s); received "
                        f"{counts['received']:,} {'OK' if ok else 'MISMATCH'}")
        finally:
            for name, function in originals.items():
                setattr(sender, name, function)
        if len(rates) > 1:
            low, high = min(rates), max(rates)
            ratio = rates[high] / rates[low]
            print(f"  throughput workers={high} / workers={low}: {ratio:.2f}")
            row(f"drain ratio {high}/{low}", f"{ratio:.2f}")
    finally:
        if statements is not None:
            statements.close()
        if not db.is_closed():
            db.close()
        service.close()
        drop()
        if url.startswith("sqlite:///"):
            shutil.rmtree(os.path.dirname(url[len("sqlite:///"):]), ignore_errors=True)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("engines", nargs="*", default=["sqlite", "postgres"])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--small", action="store_true", help=f"{SMALL} people, to try quickly")
    parser.add_argument("--workers", default="8,32", help="comma-separated concurrencies")
    parser.add_argument("--runs", type=int, default=3, help="find_due runs (read only)")
    parser.add_argument("--sample", type=int, default=50,
                        help="the fake service decrypts one request in this many")
    parser.add_argument("--now", help="naive UTC ISO time (default: the next 27th, 02:00)")
    parser.add_argument("--profile", action="store_true", help="cProfile one find_due run")
    parser.add_argument("--backlog-days", type=int, default=90,
                        help="entries pending longer than this are marked reviewed first")
    parser.add_argument("--keep-backlog", action="store_true",
                        help="leave all of province.generate's pending entries pending")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)
    people = SMALL if args.small else args.people
    workers = [int(w) for w in args.workers.split(",") if w.strip()]
    now = bench_now(args.now)
    table = []
    for engine in args.engines:
        run(engine, people, workers, args.runs, now, args.sample, args.profile,
            None if args.keep_backlog else args.backlog_days, table)
    print(f"\nReminder run at {now:%Y-%m-%d %H:%M} UTC "
          f"(2 shared cores: figures taken under the machine's load)")
    widths = [max(len(str(r[i])) for r in table + [("engine", "people", "phase", "", "")])
              for i in range(3)]
    for engine, count, phase, figure, target in table:
        print(f"  {engine:<{widths[0]}}  {count:>{widths[1]}}  {phase:<{widths[2]}}  {figure}"
              f"{'  (target ' + target + ')' if target else ''}")


if __name__ == "__main__":
    main(sys.argv[1:])
