"""Check-in storm: 300 practitioners check in within 30 s against gunicorn (2 workers).

Runs on SQLite, then on PostgreSQL (skipped when no server answers), and prints for each:
- the storm: 300 people each scan (GET the code URL) and confirm (POST /checkin), arrivals
  spread evenly over 30 s; errors, attendance rows written, p50/p95/p99 of the confirm request;
- saturation: confirms (each with its own scan ticket, taken beforehand) sent by 8 connections as
  fast as the server answers, then /healthz the same way; their throughputs and the ratio (what
  the framework allows). Every confirm is a new check-in: the rows written are the answers plus
  the few requests still in flight when wrk stops.

The saturation client is wrk (Debian package `wrk`), a C load generator that takes little of the
two cores from the server. A Python client (requests, threads in one process) tops out near
1,000 requests a second here, so /healthz measures the client rather than the server and the
ratio comes out flattering; `--client python` shows it. Without wrk the Python client is used,
and the output says so.

    .venv/bin/python bench/checkin_storm.py [--people 300] [--seconds 30] [--engines sqlite,postgres]
        [--workers N] [--saturate-seconds 5] [--client wrk|python]
"""
import argparse
import datetime
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SECRET_KEY = "bench-" + secrets.token_hex(8)
# Saturation needs a new (person, training) pair for every confirm: each person checks in once per
# training. 40 extra trainings x 300 people = 12,000 confirms, more than 5 s at full speed needs.
SATURATION_TRAININGS = 40
WRK_SCRIPT = Path(__file__).resolve().parent / "storm.lua"
PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(url, people):
    """Migrate an empty database and create a county, a firm, people and two open trainings."""
    from webapp import create_app
    from webapp.accounts.models import Firm, Region, RoleGrant, User, UserSession
    from webapp.cli import migrate_database
    from webapp.db import db, utcnow
    from webapp.trainings.models import Training, TrainingCategory

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        migrate_database()
        db.connect(reuse_if_open=True)
        with db.atomic():
            city = Region.create(name="基准市", kind="city")
            county = Region.create(name="基准县", kind="county", parent=city, population=400000)
            firm = Firm.create(name="基准法律服务所", county=county)
            category = TrainingCategory.create(name="业务技能")
            start = utcnow() + datetime.timedelta(minutes=5)
            trainings = [Training.create(
                title=f"基准培训{i}", category=category, organiser=county, start_at=start,
                end_at=start + datetime.timedelta(hours=3), credit_hours=Decimal(3),
                secret=secrets.token_hex(32)) for i in range(1, 2 + SATURATION_TRAININGS)]
            users = []
            # Sessions are made directly: the benchmark is about check-in, not password hashing.
            for n in range(people):
                user = User.create(name=f"基准{n}", phone=f"1370000{n:04d}",
                                   password_hash="unused", firm=firm, county=county)
                RoleGrant.create(user=user, role="practitioner", firm=firm)
                token = secrets.token_urlsafe(32)
                UserSession.create(token=token, user=user)
                users.append(token)
        serializer = app.session_interface.get_signing_serializer(app)
        cookies = [serializer.dumps({"token": t, "csrf": f"csrf-{i}", "_permanent": True})
                   for i, t in enumerate(users)]
        ids = [(t.id, t.secret, t.rotation_seconds) for t in trainings]
        db.close()
    return app, users, cookies, ids


def ticket_cookies(app, tokens, trainings):
    """Session cookies that already hold a scan ticket: one per (person, training), made now."""
    from flask import session
    from webapp.checkin import codes as qr
    from webapp.checkin import tickets
    serializer = app.session_interface.get_signing_serializer(app)
    rows = []
    with app.test_request_context():
        for tid, secret, rotation in trainings:
            slice_no = qr.slice_of(qr.now_seconds(), rotation)
            tickets.write_ticket(qr.Code(tid, "in", slice_no, qr.mac(secret, "in", slice_no)))
            ticket = session.pop(tickets.SESSION_KEY)
            for i, token in enumerate(tokens):
                rows.append((serializer.dumps({"token": token, "csrf": f"csrf-{i}", "scan": ticket,
                                               "_permanent": True}), f"csrf-{i}", device_id(i)))
    return rows


def count_rows(url, training_id, flagged=False):
    """Count attendance rows, or those with a flag (the database proxy is still bound by prepare())."""
    from webapp.db import db
    from webapp.trainings.models import Attendance
    db.connect(reuse_if_open=True)
    try:
        query = Attendance.select().where(Attendance.training == training_id)
        if flagged:
            query = query.where(Attendance.flags != "")
        return query.count()
    finally:
        db.close()


def start_server(url, port, workers):
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=SECRET_KEY, PYTHONPATH=str(ROOT))
    log = open(os.path.join(tempfile.gettempdir(), f"gl-bench-gunicorn-{port}.log"), "w")
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
         "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "webapp:create_app()"],
        cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=log,
        stdin=subprocess.DEVNULL)
    for _ in range(300):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).ok:
                # Let both workers finish booting before measuring.
                for _ in range(10):
                    requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                return proc
        except requests.RequestException:
            time.sleep(0.2)
    stop_server(proc)
    raise SystemExit("gunicorn did not start")


def stop_server(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def code_path(training):
    from webapp.checkin import codes as qr
    tid, secret, rotation = training
    slice_no = qr.slice_of(time.time(), rotation)
    return f"/c/{tid}/in/{slice_no}/{qr.mac(secret, 'in', slice_no)}"


def device_id(index):
    """Each person's phone has its device cookie (set by the confirm page), so the shared-device
    check runs on every confirm, as it does for real phones."""
    return f"bench-device-{index:05d}"


def session_for(cookie, index):
    sess = requests.Session()
    sess.cookies.set("gl_session", cookie, domain="127.0.0.1", path="/")
    sess.cookies.set("gl_device", device_id(index), domain="127.0.0.1", path="/")
    return sess


def scan(sess, base, training):
    response = sess.get(base + code_path(training), allow_redirects=False, timeout=30)
    assert response.status_code == 303, response.status_code


def confirm(sess, base, index):
    t0 = time.perf_counter()
    response = sess.post(base + "/checkin", data={"csrf_token": f"csrf-{index}"},
                         allow_redirects=False, timeout=30)
    elapsed = time.perf_counter() - t0
    ok = response.status_code == 303 and response.headers["Location"].endswith("/checkin/result")
    return elapsed, ok


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def storm(base, cookies, training, seconds):
    """Open loop: person i arrives at i × seconds / n, scans, then confirms."""
    n = len(cookies)
    latencies, errors = [], []
    lock = threading.Lock()
    t_start = time.perf_counter() + 0.5

    def person(i):
        delay = t_start + i * seconds / n - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        sess = session_for(cookies[i], i)
        try:
            scan(sess, base, training)
            elapsed, ok = confirm(sess, base, i)
        except Exception as exc:  # noqa: BLE001 - counted and printed
            with lock:
                errors.append(repr(exc))
            return
        with lock:
            latencies.append(elapsed)
            if not ok:
                errors.append("bad answer")

    with ThreadPoolExecutor(max_workers=64) as pool:
        list(pool.map(person, range(n)))
    wall = time.perf_counter() - t_start
    return latencies, errors, wall


def saturate(base, cookies, training, clients=8):
    """Closed loop: tickets first, then every confirm as fast as the server answers."""
    sessions = [session_for(c, i) for i, c in enumerate(cookies)]
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(lambda s: scan(s, base, training), sessions))
    results = []
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(lambda i: confirm(sessions[i], base, i), range(len(sessions))))
    wall = time.perf_counter() - t0
    return len(results) / wall, sum(1 for _, ok in results if not ok), [r[0] for r in results]


def wrk(base, path, seconds, connections=8, cookie_file=None):
    """Run wrk against one path; return (answers per second, answers, bad answers, latencies).

    With a cookie file, each request is a confirm with its own ticket; without, GET /healthz.
    """
    threads = str(min(2, connections))
    args = ["wrk", "-t", threads, "-c", str(connections), "-d", f"{seconds}s", "--latency",
            "-s", str(WRK_SCRIPT), base + path, "--"]
    args += [cookie_file, threads] if cookie_file else ["healthz"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 60).stdout
    figures = dict(line.split(" ", 1) for line in out.splitlines() if line.startswith("GL_"))
    answers = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    # Every answer that was not the good one, and every connect/read/write error or timeout.
    bad = int(figures.get("GL_BAD", "0"))
    for line in re.findall(r"Socket errors: (.*)", out):
        bad += sum(int(n) for n in re.findall(r"\d+", line))
    latency = {p: figures.get(f"GL_P{p}", "?") for p in ("50", "99")}
    if figures.get("GL_EXHAUSTED", "0") != "0":
        raise SystemExit("wrk ran out of tickets: raise SATURATION_TRAININGS")
    return rps, answers, bad, latency


def healthz(base, requests_total, clients=8):
    local = threading.local()

    def hit(_):
        if not hasattr(local, "s"):
            local.s = requests.Session()
        return local.s.get(base + "/healthz", timeout=30).status_code == 200

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(hit, range(50)))  # warm up
        t0 = time.perf_counter()
        ok = list(pool.map(hit, range(requests_total)))
    return requests_total / (time.perf_counter() - t0), ok.count(False)


def run(engine, people, seconds, workers, saturate_seconds, client="wrk"):
    cleanup = None
    if engine == "sqlite":
        folder = tempfile.mkdtemp(prefix="gl-bench-")
        url = f"sqlite:///{folder}/bench.db"
        cleanup = lambda: shutil.rmtree(folder, ignore_errors=True)  # noqa: E731
    else:
        import psycopg
        name = f"gl_bench_{os.getpid()}"
        try:
            with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
                conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.OperationalError:
            print(f"[{engine}] skipped: no PostgreSQL at {PG_ADMIN}")
            return
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name

        def cleanup():
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    app, tokens, cookies, trainings = prepare(url, people)
    port = free_port()
    server = start_server(url, port, workers)
    base = f"http://127.0.0.1:{port}"
    use_wrk = client == "wrk" and shutil.which("wrk") is not None
    try:
        latencies, errors, wall = storm(base, cookies, trainings[0], seconds)
        rows = count_rows(url, trainings[0][0])
        flagged = count_rows(url, trainings[0][0], flagged=True)
        if use_wrk:
            folder = tempfile.mkdtemp(prefix="gl-bench-wrk-")
            cookie_file = os.path.join(folder, "cookies.txt")
            with open(cookie_file, "w") as fh:
                fh.writelines("\t".join(row) + "\n" for row in ticket_cookies(app, tokens, trainings[1:]))
            confirm_rps, answers, sat_errors, sat_lat = wrk(base, "/checkin", saturate_seconds,
                                                             cookie_file=cookie_file)
            shutil.rmtree(folder, ignore_errors=True)
            rows2 = sum(count_rows(url, training[0]) for training in trainings[1:])
            health_rps, _n, health_errors, _lat = wrk(base, "/healthz", saturate_seconds)
            label = "wrk, 8 connections"
        else:
            rounds = [saturate(base, cookies, training) for training in trainings[1:6]]
            confirm_rps = statistics.median(r[0] for r in rounds)
            sat_errors = sum(r[1] for r in rounds)
            lat = [v for r in rounds for v in r[2]]
            sat_lat = {"50": f"{statistics.median(lat) * 1000:.1f}ms",
                       "99": f"{pct(lat, 99) * 1000:.1f}ms"}
            answers = rows2 = sum(count_rows(url, training[0]) for training in trainings[1:])
            health_rps, health_errors = healthz(base, 3000)
            label = "Python requests, 8 threads" + ("" if client == "python" else " (wrk not installed)")
    finally:
        stop_server(server)
        cleanup()
    ms = lambda v: f"{v * 1000:.1f} ms"  # noqa: E731
    print(f"[{engine}] storm: {people} people over {seconds} s -> {len(latencies)} confirmed in "
          f"{wall:.1f} s ({len(latencies) / wall:.1f}/s offered load), errors {len(errors)}, "
          f"attendance rows {rows} (flagged for review: {flagged})")
    if latencies:
        print(f"[{engine}]   confirm latency p50 {ms(pct(latencies, 50))}  p95 {ms(pct(latencies, 95))}"
              f"  p99 {ms(pct(latencies, 99))}  max {ms(max(latencies))}")
    if errors:
        print(f"[{engine}]   first errors: {errors[:3]}")
    print(f"[{engine}] saturation ({label}, gunicorn -w {workers}): confirm {confirm_rps:.0f}/s "
          f"({answers} answers, errors {sat_errors}, attendance rows {rows2}, "
          f"p50 {sat_lat['50']}, p99 {sat_lat['99']}); /healthz {health_rps:.0f}/s "
          f"(errors {health_errors}); ratio {confirm_rps / health_rps:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--workers", type=int, default=2 * os.cpu_count(),
                        help="gunicorn sync workers (default: gunicorn.conf.py's two per core)")
    parser.add_argument("--saturate-seconds", type=int, default=5)
    parser.add_argument("--client", choices=("wrk", "python"), default="wrk",
                        help="saturation client; python is one process of threads, so it can be "
                             "the bottleneck rather than the server")
    args = parser.parse_args()
    for engine in args.engines.split(","):
        run(engine.strip(), args.people, args.seconds, args.workers, args.saturate_seconds,
            args.client)


if __name__ == "__main__":
    main()
