"""Soak: a county's working day compressed into minutes, against gunicorn, on SQLite and PostgreSQL.

Targets (issue 14): no errors (answers of 500 or more, connection errors; unexpected 4xx are
counted apart), p99 per route, and every worker's memory flat over the run.

The county: 30 firms of 10 practitioners (the first of each its director; the county lets
directors review this year), two county administrators and the city's administrator, all
with a real argon2 password; two years of ledger entries (30 a person a year, as
bench/province.py writes them), the last 90 days' self-logged public service still waiting for
review; the city's targets; and a training running today (starting 20 minutes after the data
is made, so its check-in window is open for the whole run) for the whole county.

gunicorn (gunicorn.conf.py, `--workers` sync workers, 2 by default) serves it on a free port of
127.0.0.1. `--users` virtual users (threads of `requests`, one process) spend `--minutes` doing
what the day brings, by weights that move from morning (signing in, home, checking in by
scanning the projector's code or typing its 6 digits) through midday (logging public service
with the real form, My year and its htmx filter, the inbox) to afternoon (directors and county
administrators open the review queue and approve or decline, by htmx or the plain form; the
county dashboard, who is behind and its htmx filter, the live attendance sheet's poll, the
city dashboard). A share of the phones (`--signed-in`, 0.7) still hold a session from an
earlier day; the others sign in with the /login form the first time they act, and a few sign
out and in again. Forms are read from the page (CSRF token, idempotency key, choices) and
posted as a browser would. Between two requests a person thinks for `--think` seconds on
average (exponential).

Each request is filed under its route (the URL rule, `[htmx]` for a fragment request), with
two latencies: the client's (the wait for a free worker included, body read) and the
worker's own (gunicorn's access log, %(D)s). A 409 on a review decision (two reviewers on one
entry) is expected and counted apart, not as an error. Every 5 s the RSS of each gunicorn
worker is read from /proc (psutil is not installed); a sign-in's argon2 hash holds 64 MB for a
moment, so the floor (the least RSS of each 30 s) is what would show a leak. At the end the
database is asked what the client believes it did (entries saved, decisions, check-ins). The
client shares the two cores with the server (and the machine with whatever else runs): the
figures are under that load, which the output states.

Usage: .venv/bin/python bench/soak.py [--minutes 3] [--engine sqlite|postgres|both]
       [--users 16] [--think 0.3] [--workers 2] [--signed-in 0.7] [--seed 14]
(PostgreSQL: a database gl_soak_<random> on BENCH_PG_URL's server, by default
postgresql://postgres@127.0.0.1:5432, created and dropped; SQLite: a WAL file in a temporary
folder. A server log with errors is kept in the temporary directory and its tracebacks printed.)
"""
import argparse
import collections
import datetime
import html.parser
import os
import queue
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from checkin_storm import stop_server  # noqa: E402  (the same server stop as the storm)

PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
FIRMS = 30
PEOPLE_PER_FIRM = 10
YEARS = 2
ENTRIES_PER_PERSON_YEAR = 30
BACKLOG_DAYS = 90           # self-logged public service this recent still waits for review
PASSWORD = "soak-2026-day"
SAMPLE_SECONDS = 5          # worker memory is read this often
FLOOR_SECONDS = 30          # the memory floor: the least RSS of each such window
DAY_CAP_HOURS = 8           # the county's default daily public-service cap
ACCESS_FORMAT = "%(m)s %(U)s %(s)s %(D)s %({hx-request}i)s"
PHONE_AGENT = ("Mozilla/5.0 (Linux; Android 13; V2231A) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/116.0 Mobile Safari/537.36 MicroMessenger/8.0.47")
KINDS = (("training_credit", "system", "recorded"), ("party_activity", "system", "recorded"),
         ("education", "self", "approved"), ("public_service", "self", "approved"),
         ("public_service", "self", "pending"), ("legal_aid", "self", "approved"))
PLACES = ["城南社区", "十里铺村", "五星村", "柳林村", "石桥村", "河口村", "青阳社区", "龙潭村"]
WORDS = ["为群众解答婚姻家庭纠纷咨询", "调解邻里宅基地纠纷", "开展民法典进村宣讲",
         "值班接待来访群众", "解答劳动报酬争议问题", "协助处理涉法信访事项"]
REASONS = ["请补充服务对象人数和具体地点。", "同一天的服务时长超过实际，请核实后重新提交。"]


# ------------------------------------------------------------------ the county

def build_county(rng, today, signed_in_share):
    """Write the county (see the module's docstring); return what the load needs to know."""
    from webapp.accounts.models import Firm, Region, RoleGrant, User, UserSession
    from webapp.accounts.services import hash_password
    from webapp.db import db, utcnow
    from webapp.demo.data import NAMES, TARGETS
    from webapp.ledger.models import Entry, ReviewRule
    from webapp.targets.models import Target
    from webapp.trainings.models import Training, TrainingCategory

    password_hash = hash_password(PASSWORD)   # argon2 is slow on purpose: one hash for all
    with db.atomic():
        city = Region.create(name="江州市", kind="city", population=2_190_000)
        county = Region.create(name="清河县", kind="county", parent=city, population=618_000)
        Firm.insert_many([{"name": f"清河县第{f + 1}法律服务所", "county": county.id}
                          for f in range(FIRMS)]).execute()
        firms = [f for (f,) in Firm.select(Firm.id).where(Firm.county == county.id)
                 .order_by(Firm.id).tuples()]
        rows, n = [], 0
        for firm in firms:
            for _ in range(PEOPLE_PER_FIRM):
                n += 1
                rows.append({"name": f"{NAMES[n % len(NAMES)]}{n}", "phone": f"138{n:08d}",
                             "password_hash": password_hash, "firm": firm, "county": county.id,
                             "birth_year": rng.randint(1960, 1998),
                             "education": rng.choice(["college", "bachelor", "secondary"])})
        User.insert_many(rows).execute()
        staff = list(User.select(User.id, User.firm, User.phone).where(User.county == county.id)
                     .order_by(User.id).tuples())
        RoleGrant.insert_many([{"user": u, "role": "practitioner", "firm": f}
                               for u, f, _p in staff]).execute()
        directors = {}
        for user_id, firm, phone in staff:
            directors.setdefault(firm, (user_id, phone))
        RoleGrant.insert_many([{"user": u, "role": "director", "firm": f}
                               for f, (u, _p) in directors.items()]).execute()
        admins = []
        for k in range(2):
            admin = User.create(name=f"县管理员{k + 1}", phone=f"1390000{k + 1:04d}",
                                password_hash=password_hash, county=county)
            RoleGrant.create(user=admin, role="county_admin", region=county)
            admins.append((admin.id, admin.phone))
        city_admin = User.create(name="市管理员", phone="13900009999", password_hash=password_hash)
        RoleGrant.create(user=city_admin, role="city_admin", region=city)
        for year in (today.year - 1, today.year):
            ReviewRule.create(county=county, year=year, director_reviews=True)
            for metric, value, source in TARGETS:
                Target.create(year=year, metric=metric, region=city, firm=None,
                              value=Decimal(str(value)), source=source)
        category = TrainingCategory.create(name="业务技能", name_en="Professional skills")
        start = utcnow().replace(microsecond=0) + datetime.timedelta(minutes=20)
        training = Training.create(
            title="民事诉讼证据规则与庭审实务", category=category, organiser=county,
            start_at=start, end_at=start + datetime.timedelta(hours=3), credit_hours=Decimal(3),
            place="清河县司法局二楼会议室", secret=secrets.token_hex(32))

    backlog_from = today - datetime.timedelta(days=BACKLOG_DAYS)
    entries = []
    for user_id, _firm, _phone in staff:
        for year in range(today.year - YEARS + 1, today.year + 1):
            last = (today - datetime.date(year, 1, 1)).days if year == today.year else 364
            for i in range(ENTRIES_PER_PERSON_YEAR):
                kind, source, status = KINDS[i % len(KINDS)]
                day = datetime.date(year, 1, 1) + datetime.timedelta(days=rng.randint(0, last))
                if kind == "public_service" and source == "self":
                    status = "pending" if day >= backlog_from else "approved"
                stamp = datetime.datetime.combine(day, datetime.time(4, rng.randint(0, 59)))
                entries.append({
                    "user": user_id, "kind": kind, "date": day,
                    "hours": Decimal(0) if kind == "legal_aid" else Decimal(rng.choice((1, 2))),
                    "count": 1 if kind == "legal_aid" else 0,
                    "category": {"public_service": "consultation", "legal_aid": "civil",
                                 "party_activity": "theme_day"}.get(kind, "业务技能"),
                    "description": rng.choice(WORDS) if source == "self" else "",
                    "place": rng.choice(PLACES) if kind == "public_service" else "",
                    "case_number": f"清援{user_id}-{year}-{i}" if kind == "legal_aid" else "",
                    "case_type": "civil" if kind == "legal_aid" else "",
                    "case_status": "in_progress" if kind == "legal_aid" else "",
                    "source": source, "status": status, "created_at": stamp,
                    "updated_at": stamp})
    with db.atomic():
        for begin in range(0, len(entries), 500):
            Entry.insert_many(entries[begin:begin + 500]).execute()
    # Phones signed in on an earlier day (sessions last 60 days): they open the app signed in.
    everyone = [u for u, _f, _p in staff] + [a for a, _p in admins] + [city_admin.id]
    sessions = {}
    with db.atomic():
        for user_id in everyone:
            if rng.random() < signed_in_share:
                sessions[user_id] = secrets.token_urlsafe(32)
                UserSession.create(token=sessions[user_id], user=user_id, user_agent=PHONE_AGENT,
                                   created_at=utcnow() - datetime.timedelta(days=rng.randint(1, 50)))
    db.execute_sql("ANALYZE")
    pending = Entry.select().where(Entry.status == "pending").count()
    return {"county": county.id, "training": (training.id, training.secret,
                                              training.rotation_seconds),
            "practitioners": [(u, p) for u, _f, p in staff if (u, p) not in directors.values()],
            "directors": list(directors.values()), "admins": admins,
            "city_admin": [(city_admin.id, city_admin.phone)], "entries": len(entries),
            "pending": pending, "sessions": sessions}


def database_counts(training_id):
    """What the database says was done: self entries, decisions, attendance rows."""
    from webapp.db import db
    from webapp.ledger.models import Entry
    from webapp.trainings.models import Attendance
    db.connect(reuse_if_open=True)
    try:
        return {"self_entries": Entry.select().where(Entry.source == "self").count(),
                "reviewed": Entry.select().where(Entry.reviewer.is_null(False)).count(),
                "attendance": Attendance.select().where(Attendance.training == training_id)
                .count()}
    finally:
        db.close()


# ------------------------------------------------------------------ the server

def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(url, port, workers, folder, secret_key):
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=secret_key, PYTHONPATH=str(ROOT),
               UPLOAD_DIR=os.path.join(folder, "uploads"))
    log_path = os.path.join(folder, "gunicorn.log")
    log = open(log_path, "w")
    # The access log gives each request's time inside the worker (%(D)s, microseconds): the
    # client's time less the wait in the listen queue and the network.
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
         "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "--access-logfile", os.path.join(folder, "access.log"),
         "--access-logformat", ACCESS_FORMAT, "webapp:create_app()"],
        cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=log,
        stdin=subprocess.DEVNULL)
    log.close()
    for _ in range(300):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).ok:
                if len(worker_pids(proc.pid)) >= workers:
                    return proc, log_path
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    stop_server(proc)
    raise SystemExit(f"gunicorn did not start; see {log_path}")


def worker_pids(master):
    """gunicorn's workers: the master's children."""
    try:
        with open(f"/proc/{master}/task/{master}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as fh:
                        if int(fh.read().rsplit(")", 1)[1].split()[1]) == master:
                            pids.append(int(entry))
                except (OSError, IndexError, ValueError):
                    continue
        return pids


def cpu_seconds(pid):
    """User and system CPU a process has used, in seconds (None when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class MemorySampler(threading.Thread):
    """Read every worker's RSS every SAMPLE_SECONDS: samples[pid] = [(seconds, MB), ...]."""

    def __init__(self, master, began):
        super().__init__(daemon=True)
        self.master, self.began = master, began
        self.samples = collections.defaultdict(list)
        self.cpu = {}                 # pid -> (CPU seconds at its first sample, at its last)
        self.stopping = threading.Event()

    def sample(self):
        now = time.perf_counter() - self.began
        for pid in worker_pids(self.master):
            kb, cpu = rss_kb(pid), cpu_seconds(pid)
            if kb is not None:
                self.samples[pid].append((now, kb / 1024))
            if cpu is not None:
                self.cpu[pid] = (self.cpu.get(pid, (cpu,))[0], cpu)

    def run(self):
        self.sample()
        while not self.stopping.wait(SAMPLE_SECONDS):
            self.sample()

    def stop(self):
        self.stopping.set()
        self.join()
        self.sample()


def slope_mb_per_min(points):
    """Least-squares slope of (seconds, MB) in MB a minute; None with fewer than 2 points."""
    if len(points) < 2:
        return None
    xs = [t / 60 for t, _ in points]
    ys = [mb for _, mb in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else None


def server_times(folder, recorder):
    """Per route, the seconds each request spent in a worker (from gunicorn's access log)."""
    times = collections.defaultdict(list)
    try:
        lines = Path(folder, "access.log").read_text(errors="replace").splitlines()
    except OSError:
        return times
    for line in lines:
        parts = line.split()
        if len(parts) != 5 or not parts[3].isdigit():
            continue
        method, path, status, micros, hx = parts
        times[recorder.route(method, path, hx == "true")].append(int(micros) / 1e6)
        if status.isdigit() and int(status) >= 500:
            times["5xx"].append(line)
    return times


def tracebacks(log_path):
    """The tracebacks in the server's log, each once, with how many times it came."""
    try:
        text = Path(log_path).read_text(errors="replace")
    except OSError:
        return []
    found = collections.Counter()
    for block in re.findall(r"Traceback \(most recent call last\):\n(?:[ \t].*\n)+\S.*", text):
        found[block.strip()] += 1
    other = [line for line in text.splitlines() if "[CRITICAL]" in line or "WORKER TIMEOUT" in line
             or "[ERROR]" in line]
    return list(found.items()) + [(line, 1) for line in dict.fromkeys(other)]


# ------------------------------------------------------------------ pages and forms

class FormReader(html.parser.HTMLParser):
    """The forms of a page: action, method, the fields a browser would send, the choices."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.meta_csrf = [], None
        self._form = self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "meta" and a.get("name") == "csrf-token":
            self.meta_csrf = a.get("content")
        elif tag == "form":
            self._form = {"action": a.get("action", ""), "method": a.get("method", "get").lower(),
                          "hx": "hx-post" in a or "hx-get" in a, "fields": [],
                          "choices": collections.defaultdict(list)}
            self.forms.append(self._form)
        elif self._form is None or "form" in a:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("radio", "checkbox"):
                self._form["choices"][a["name"]].append(a.get("value", "on"))
                if "checked" in a:
                    self._form["fields"].append((a["name"], a.get("value", "on")))
            elif kind not in ("submit", "button", "file", "image", "reset"):
                self._form["fields"].append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form["fields"].append((a["name"], ""))
        elif tag == "option" and self._select:
            self._form["choices"][self._select].append(a.get("value", ""))
        elif tag == "textarea" and a.get("name"):
            self._form["fields"].append((a["name"], ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def read_page(text):
    reader = FormReader()
    reader.feed(text)
    return reader


def form_for(page, action_path):
    """The first form whose action's path is action_path (a regular expression)."""
    for form in page.forms:
        if re.fullmatch(action_path, urlsplit(form["action"]).path):
            return form
    return None


# ------------------------------------------------------------------ recording

class VisitFailed(Exception):
    """A request answered what the visit could not go on from (already recorded)."""


class Recorder:
    """Per route: latencies, errors (>= 500, connection), unexpected 4xx, expected 4xx."""

    def __init__(self, routes):
        self.routes = routes
        self.lock = threading.Lock()
        self.latency = collections.defaultdict(list)
        self.errors = collections.Counter()
        self.unexpected = collections.Counter()
        self.expected = collections.Counter()
        self.examples = collections.defaultdict(list)
        self.tally = collections.Counter()       # what the client believes it did
        self.machine = (0, 0, 0)                  # load average before, after; client CPU

    def route(self, method, path, htmx):
        try:
            rule, _args = self.routes.match(urlsplit(path).path, method=method, return_rule=True)
            name = f"{method} {rule.rule}"
        except Exception:  # noqa: BLE001 - a 404 or 405 is filed under its path
            name = f"{method} {urlsplit(path).path}"
        return name + (" [htmx]" if htmx else "")

    def add(self, route, seconds, problem=None, expected=False, example=None):
        """File one answer (seconds None: a check of the client's, not a request)."""
        with self.lock:
            if seconds is not None:
                self.latency[route].append(seconds)
            if problem == "error":
                self.errors[route] += 1
            elif problem == "unexpected":
                self.unexpected[route] += 1
            elif expected:
                self.expected[route] += 1
            if example and len(self.examples[route]) < 5:
                self.examples[route].append(example)

    def count(self, what, n=1):
        with self.lock:
            self.tally[what] += n


# ------------------------------------------------------------------ people

class Person:
    """One person's phone: a cookie jar, signed in or not, and what they did today."""

    def __init__(self, user_id, phone, role, base, recorder, rng, cookie=None):
        self.user_id, self.phone, self.role = user_id, phone, role
        self.base, self.recorder, self.rng = base, recorder, rng
        self.http = requests.Session()
        self.http.headers["User-Agent"] = PHONE_AGENT
        self.signed_in = cookie is not None     # signed in on this phone on an earlier day
        if cookie:
            self.http.cookies.set("gl_session", cookie, domain="127.0.0.1", path="/")
        self.checked_in = False
        self.csrf = None
        self.logged_hours = collections.Counter()   # day -> hours this run logged

    def call(self, method, path, data=None, files=None, htmx=False, expect=(), think=True,
             signing_out=False):
        """One request and the redirects after it, each filed under its route; the last answer."""
        headers = {}
        if htmx:
            headers = {"HX-Request": "true", "HX-Current-URL": self.base + path}
        for _hop in range(6):
            route = self.recorder.route(method, path, htmx)
            began = time.perf_counter()
            try:
                response = self.http.request(method, self.base + path, data=data, files=files,
                                             headers=headers, allow_redirects=False, timeout=60)
            except requests.RequestException as exc:
                self.recorder.add(route, time.perf_counter() - began, "error",
                                  example=f"{path}: {exc!r}"[:300])
                raise VisitFailed from exc
            seconds = time.perf_counter() - began
            status = response.status_code
            location = response.headers.get("Location", "")
            if status >= 500:
                self.recorder.add(route, seconds, "error",
                                  example=f"{status} {path}: {response.text[:200]!r}")
                raise VisitFailed
            if 400 <= status < 500:
                if status in expect:
                    self.recorder.add(route, seconds, expected=True)
                    return response
                self.recorder.add(route, seconds, "unexpected",
                                  example=f"{status} {path}: {form_error(response.text)}")
                raise VisitFailed
            if (self.signed_in and not signing_out and status in (301, 302, 303, 307)
                    and urlsplit(location).path == "/login"):
                self.recorder.add(route, seconds, "unexpected",
                                  example=f"{status} {path}: sent to sign in again")
                self.signed_in = False
                raise VisitFailed
            self.recorder.add(route, seconds)
            if "text/html" in response.headers.get("Content-Type", ""):
                match = re.search(r'<meta name="csrf-token" content="([^"]+)"', response.text)
                if match:
                    self.csrf = match.group(1)
            if status in (301, 302, 303, 307) and location:
                target = urlsplit(location)
                path = target.path + (f"?{target.query}" if target.query else "")
                method, data, files, htmx, headers = "GET", None, None, False, {}
                continue
            break
        if think:
            self.pause()
        return response

    def pause(self):
        if self.think > 0:
            time.sleep(min(self.rng.expovariate(1 / self.think), self.think * 6))

    think = 0.3

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def post_form(self, form, values, multipart=False, **kwargs):
        fields = dict(form["fields"])
        fields.update(values)
        if multipart:   # as the browser sends a form with a file input (no file chosen)
            return self.call("POST", form["action"], files={k: (None, str(v))
                                                            for k, v in fields.items()}, **kwargs)
        return self.call("POST", form["action"], data=fields, **kwargs)

    def sign_in(self):
        page = read_page(self.get("/login").text)
        form = form_for(page, "/login")
        if form is None:
            raise VisitFailed
        response = self.post_form(form, {"login": self.phone, "password": PASSWORD})
        if urlsplit(response.url).path == "/login":
            self.recorder.add("sign-in refused", None, "unexpected", example=self.phone)
            raise VisitFailed
        self.signed_in = True
        self.recorder.count("sign-ins")


def form_error(text):
    """The form's error message, if the page shows one (to explain an unexpected 4xx)."""
    match = re.search(r'class="form-error"[^>]*>([^<]{0,200})', text or "")
    return match.group(1).strip() if match else (text or "")[:120].replace("\n", " ")


# ------------------------------------------------------------------ what people do

def code_path(training, purpose="in"):
    from webapp.checkin import codes
    tid, secret, rotation = training
    slice_no = codes.slice_of(codes.now_seconds(), rotation)
    return f"/c/{tid}/{purpose}/{slice_no}/{codes.mac(secret, purpose, slice_no)}"


def typed_code(training):
    from webapp.checkin import codes
    _tid, secret, _rotation = training
    return codes.typed_code(secret, "in", codes.slice_of(codes.now_seconds(),
                                                         codes.TYPED_SLICE_SECONDS))


def home(p, ctx):
    p.get("/")


def checkin_scan(p, ctx):
    if p.checked_in:
        return home(p, ctx)
    page = read_page(p.get(code_path(ctx["training"])).text)     # -> the confirm page
    form = form_for(page, "/checkin")
    if form is None:
        raise VisitFailed
    p.post_form(form, {})                                        # -> the result page
    p.checked_in = True
    p.recorder.count("check-ins")


def checkin_typed(p, ctx):
    if p.checked_in:
        return home(p, ctx)
    page = read_page(p.get("/checkin/code").text)
    form = form_for(page, "/checkin/code")
    if form is None:
        raise VisitFailed
    p.post_form(form, {"code": typed_code(ctx["training"])})
    p.checked_in = True
    p.recorder.count("check-ins")


def log_service(p, ctx):
    page = read_page(p.get("/ledger/new/public_service").text)
    form = form_for(page, "/ledger/new/public_service")
    if form is None:
        raise VisitFailed
    today = datetime.date.fromisoformat(dict(form["fields"])["date"])
    hours = p.rng.choice((0.5, 1, 1.5, 2))
    for _ in range(20):   # a day this run has not filled (history leaves at most 4 h a day)
        day = today - datetime.timedelta(days=p.rng.choice([0] * 10 + list(range(1, 60))))
        if p.logged_hours[day] + hours <= DAY_CAP_HOURS - 4:
            break
    else:
        return home(p, ctx)
    values = {"date": day.isoformat(), "hours": f"{hours:g}",
              "category": p.rng.choice(form["choices"]["category"]),
              "place": p.rng.choice(PLACES), "people_served": str(p.rng.randint(1, 40)),
              "description": p.rng.choice(WORDS)}
    response = p.post_form(form, values, multipart=True)
    if urlsplit(response.url).path != "/ledger/" or "saved=" not in response.url:
        p.recorder.add("log: not saved", None, "unexpected", example=response.url)
        raise VisitFailed
    p.logged_hours[day] += hours
    p.recorder.count("entries saved")


def my_year(p, ctx):
    p.get("/ledger/year")
    if p.rng.random() < 0.5:
        kind = p.rng.choice(("public_service", "education", "legal_aid"))
        p.get("/ledger/year?" + urlencode({"kind": kind, "status": ""}), htmx=True)


def log_tab(p, ctx):
    p.get("/ledger/")


def inbox(p, ctx):
    p.get("/inbox/")


def trainings(p, ctx):
    p.get("/trainings/mine")


def sign_out_and_in(p, ctx):
    if p.csrf is None:
        p.get("/")
    p.call("POST", "/logout", data={"csrf_token": p.csrf}, signing_out=True)
    p.signed_in = False
    p.sign_in()


def director_home(p, ctx):
    p.get("/home/firm")


def review(p, ctx):
    """Open the queue (sometimes filtered by htmx) and decide on one to three entries."""
    response = p.get("/ledger/review")
    if p.rng.random() < 0.3:
        response = p.get("/ledger/review?" + urlencode({"kind": "public_service"}), htmx=True)
    page = read_page(response.text)
    decisions = [f for f in page.forms if re.fullmatch(r"/ledger/review/\d+/(approve|decline)",
                                                       urlsplit(f["action"]).path)]
    approvals = [f for f in decisions if f["action"].endswith("/approve")]
    if not approvals:
        p.recorder.count("queue empty")
        return
    # Reviewers work from the top of the queue: two of them may pick the same entry (409).
    for form in approvals[:p.rng.randint(1, 3)]:
        entry = form["action"].split("/")[3]
        roll = p.rng.random()
        if roll < 0.12:
            decline = next(f for f in decisions if f["action"].endswith(f"/{entry}/decline"))
            response = p.post_form(decline, {"reason": p.rng.choice(REASONS)}, htmx=True,
                                   expect=(409,))
        else:
            response = p.post_form(form, {}, htmx=roll < 0.85, expect=(409,))
        p.recorder.count("decisions" if response.status_code != 409 else "decision conflicts")


def county_dashboard(p, ctx):
    p.get("/home/county")
    roll = p.rng.random()
    if roll < 0.4:
        page = read_page(p.get("/home/county/behind").text)
        form = form_for(page, "/home/county/behind")
        firms = [f for f in (form["choices"]["firm"] if form else []) if f]
        if firms:
            p.get("/home/county/behind?" + urlencode({"firm": p.rng.choice(firms), "metric": "",
                                                      "status": ""}), htmx=True)
    elif roll < 0.7:
        p.get("/home/county/people")


def attendance_sheet(p, ctx):
    tid = ctx["training"][0]
    p.get(f"/trainings/{tid}/attendance", htmx=True)     # the sheet's poll (every 10 s)
    p.get(f"/trainings/{tid}/live")                      # the projector's


def city_dashboard(p, ctx):
    p.get("/home/city")


# (task, role, weight in the morning, at midday, in the afternoon)
TASKS = [
    (home, "practitioner", 20, 8, 8),
    (checkin_scan, "practitioner", 22, 3, 1),
    (checkin_typed, "practitioner", 8, 1, 0),
    (log_service, "practitioner", 5, 20, 14),
    (my_year, "practitioner", 5, 10, 10),
    (log_tab, "practitioner", 3, 5, 4),
    (inbox, "practitioner", 2, 3, 5),
    (trainings, "practitioner", 3, 2, 2),
    (sign_out_and_in, "practitioner", 1, 1, 2),
    (director_home, "director", 3, 4, 5),
    (review, "director", 1, 5, 8),
    (review, "county_admin", 1, 5, 8),
    (county_dashboard, "county_admin", 2, 3, 5),
    (attendance_sheet, "county_admin", 4, 1, 0.5),
    (city_dashboard, "city_admin", 0.5, 1, 1.5),
]


def phase_weights(fraction):
    """Weights at this point of the day: morning to midday to afternoon, linearly."""
    if fraction < 0.5:
        a, b, t = 2, 3, fraction / 0.5
    else:
        a, b, t = 3, 4, (fraction - 0.5) / 0.5
    return [row[a] * (1 - t) + row[b] * t for row in TASKS]


def load(base, ctx, minutes, users, think, seed, recorder):
    """Run `users` virtual users for `minutes`; return the wall time."""
    rng = random.Random(seed)
    idle = {}
    for role, key in (("practitioner", "practitioners"), ("director", "directors"),
                      ("county_admin", "admins"), ("city_admin", "city_admin")):
        people = [Person(u, phone, role, base, recorder, random.Random(rng.random()),
                         ctx["cookies"].get(u)) for u, phone in ctx[key]]
        rng.shuffle(people)
        idle[role] = queue.Queue()
        for person in people:
            person.think = think
            idle[role].put(person)
    began = time.perf_counter()
    deadline = began + minutes * 60
    visits = collections.Counter()

    def user(n):
        local = random.Random(seed * 1000 + n)
        while time.perf_counter() < deadline:
            fraction = (time.perf_counter() - began) / (deadline - began)
            task, role, *_w = local.choices(TASKS, weights=phase_weights(fraction))[0]
            try:
                person = idle[role].get_nowait()
            except queue.Empty:
                time.sleep(0.01)
                continue
            try:
                if not person.signed_in:
                    person.sign_in()
                task(person, ctx)
                with recorder.lock:
                    visits[task.__name__] += 1
            except VisitFailed:
                pass
            finally:
                idle[role].put(person)

    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, visits


# ------------------------------------------------------------------ one engine

def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run(engine, args):
    """Build, serve, load and report one engine; return its summary (or None if skipped)."""
    from webapp import create_app
    from webapp.cli import migrate_database
    from webapp.db import db
    from webapp.i18n import local_today

    folder = tempfile.mkdtemp(prefix=f"gl-soak-{engine}-")
    drop = None
    if engine == "sqlite":
        url = f"sqlite:///{folder}/soak.db"
    else:
        import psycopg
        name = f"gl_soak_{secrets.token_hex(4)}"
        try:
            with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.OperationalError as exc:
            print(f"[{engine}] skipped: no PostgreSQL at {PG_ADMIN} ({exc})")
            shutil.rmtree(folder, ignore_errors=True)
            return None
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name

        def drop():
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    secret_key = "soak-" + secrets.token_hex(16)
    server = log_path = None
    try:
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": secret_key,
                          "UPLOAD_DIR": os.path.join(folder, "uploads")})
        began = time.perf_counter()
        with app.app_context():
            migrate_database()
            db.connect(reuse_if_open=True)
            ctx = build_county(random.Random(args.seed), local_today(), args.signed_in)
            db.close()
            serializer = app.session_interface.get_signing_serializer(app)
            ctx["cookies"] = {u: serializer.dumps({"token": token, "_permanent": True})
                              for u, token in ctx["sessions"].items()}
            before = database_counts(ctx["training"][0])
        print(f"\n[{engine}] county: {FIRMS} firms, {FIRMS * PEOPLE_PER_FIRM} practitioners "
              f"({len(ctx['directors'])} directors), {len(ctx['admins'])} county administrators "
              f"and the city's; {ctx['entries']:,} ledger entries ({ctx['pending']:,} waiting "
              f"for review); a training running today; {len(ctx['sessions'])} phones still "
              f"signed in from earlier days; built in {time.perf_counter() - began:.0f} s")

        port = free_port()
        server, log_path = start_server(url, port, args.workers, folder, secret_key)
        base = f"http://127.0.0.1:{port}"
        recorder = Recorder(app.url_map.bind("127.0.0.1"))
        sampler = MemorySampler(server.pid, time.perf_counter())
        sampler.start()
        print(f"[{engine}] gunicorn -w {args.workers} on {base} (workers "
              f"{', '.join(map(str, worker_pids(server.pid)))}); {args.users} virtual users for "
              f"{args.minutes:g} min, think time {args.think:g} s on average")
        load_before, client_cpu = os.getloadavg()[0], time.process_time()
        wall, visits = load(base, ctx, args.minutes, args.users, args.think, args.seed, recorder)
        sampler.stop()
        recorder.machine = (load_before, os.getloadavg()[0], time.process_time() - client_cpu)
        stop_server(server)
        server = None
        with app.app_context():
            after = database_counts(ctx["training"][0])
        problems = tracebacks(log_path)
        served = server_times(folder, recorder)
        summary = report(engine, recorder, sampler, wall, visits, before, after, args, served)
        for line in served.get("5xx", [])[:10]:
            print(f"[{engine}] access log, 5xx: {line}")
        if problems:
            print(f"[{engine}] the server logged {len(problems)} distinct problems:")
            for text, count in problems[:8]:
                print(f"  ({count}x)\n    " + "\n    ".join(text.splitlines()[-14:]))
        if summary["errors"] or problems:
            kept = os.path.join(tempfile.gettempdir(), f"gl-soak-{engine}-{os.getpid()}.log")
            shutil.copy(log_path, kept)
            print(f"[{engine}] server log kept: {kept}")
        return summary
    finally:
        if server is not None:
            stop_server(server)
        if not db.is_closed():
            db.close()
        if drop:
            drop()
        shutil.rmtree(folder, ignore_errors=True)


def report(engine, recorder, sampler, wall, visits, before, after, args, served):
    total = sum(len(v) for v in recorder.latency.values())
    errors = sum(recorder.errors.values())
    unexpected = sum(recorder.unexpected.values())
    expected = sum(recorder.expected.values())
    print(f"\n[{engine}] {total:,} requests in {wall:.0f} s ({total / wall:.1f}/s); errors "
          f"{errors} (target 0); unexpected 4xx {unexpected}; expected 409s {expected}")
    width = max(len(r) for r in recorder.latency) if recorder.latency else 10
    print("  ms: as the client waited (the wait for a free worker included), and inside the "
          "worker (gunicorn's access log); err: 5xx or no answer; 4xx?: unexpected 4xx")
    print(f"  {'':<{width}}  {'':>6} {'':>4} {'':>4} {'':>4}  {'client':>7} {'':>7} {'':>7} "
          f"{'':>7}  {'worker':>7}")
    print(f"  {'route':<{width}}  {'count':>6} {'err':>4} {'4xx?':>4} {'409':>4}"
          f"  {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}  {'p50':>7} {'p99':>7}")
    rows = {}

    def line(label, ms, srv, err, unexp, exp):
        inside = (f"{pct(srv, 50):>7.1f} {pct(srv, 99):>7.1f}" if srv
                  else f"{'-':>7} {'-':>7}")
        print(f"  {label:<{width}}  {len(ms):>6} {err:>4} {unexp:>4} {exp:>4}  "
              f"{pct(ms, 50):>7.1f} {pct(ms, 95):>7.1f} {pct(ms, 99):>7.1f} {max(ms):>7.1f}  "
              f"{inside}")

    for route in sorted(recorder.latency, key=lambda r: (r.split(" ", 1)[1], r)):
        ms = [s * 1000 for s in recorder.latency[route]]
        srv = [s * 1000 for s in served.get(route, [])]
        rows[route] = (len(ms), pct(ms, 99), pct(srv, 99) if srv else None)
        line(route, ms, srv, recorder.errors[route], recorder.unexpected[route],
             recorder.expected[route])
    everything = [s * 1000 for v in recorder.latency.values() for s in v]
    inside_all = [s * 1000 for route in recorder.latency for s in served.get(route, [])]
    if everything:
        line("all routes", everything, inside_all, errors, unexpected, expected)
    for route, examples in recorder.examples.items():
        for example in examples[:3]:
            print(f"  ! {route}: {example}")
    print("  visits: " + ", ".join(f"{k} {v}" for k, v in visits.most_common()))
    server_cpu = sum(last - first for first, last in sampler.cpu.values())
    load_before, load_after, client_cpu = recorder.machine
    print(f"  CPU: gunicorn workers {server_cpu:.0f} s ({server_cpu / max(total, 1) * 1000:.1f} ms "
          f"a request), this client {client_cpu:.0f} s, in {wall:.0f} s on {os.cpu_count()} "
          f"cores; load average {load_before:.1f} before, {load_after:.1f} after (a shared "
          f"machine: latencies include waiting for a core)")
    tally = recorder.tally
    print(f"  the client did: {tally['sign-ins']} sign-ins, {tally['check-ins']} check-ins, "
          f"{tally['entries saved']} entries saved, {tally['decisions']} decisions "
          f"({tally['decision conflicts']} conflicts, queue empty {tally['queue empty']}x)")
    print(f"  the database: attendance rows {after['attendance']} (client "
          f"{tally['check-ins']}), self entries +{after['self_entries'] - before['self_entries']}"
          f" (client {tally['entries saved']}), decisions "
          f"+{after['reviewed'] - before['reviewed']} (client {tally['decisions']})")

    print(f"  worker memory (RSS from /proc, every {SAMPLE_SECONDS} s; a sign-in's argon2 hash "
          f"takes 64 MB for a moment, so the floor, the least of each {FLOOR_SECONDS} s, is "
          f"what shows a leak):")
    slopes, floors = [], []
    for pid, points in sorted(sampler.samples.items()):
        mbs = [mb for _, mb in points]
        slope = slope_mb_per_min(points)
        floor = floor_points(points)
        floor_slope = slope_mb_per_min(floor[1:])   # after the first window: warming up
        slopes.append(slope or 0)
        floors.append(floor_slope or 0)
        nan = float("nan")
        print(f"    pid {pid}: first {mbs[0]:.1f} MB, last {mbs[-1]:.1f}, max {max(mbs):.1f}; "
              f"slope {slope if slope is not None else nan:+.2f} MB/min; floor "
              f"{floor[0][1]:.1f} -> {floor[-1][1]:.1f} MB, slope after the first {FLOOR_SECONDS} s "
              f"{floor_slope if floor_slope is not None else nan:+.2f} MB/min")
        print(f"      floor every {FLOOR_SECONDS} s: " + " ".join(f"{mb:.0f}" for _t, mb in floor))
    if len(sampler.samples) > args.workers:
        print(f"    {len(sampler.samples) - args.workers} worker(s) were started again during "
              f"the run (a crash or a timeout)")
    return {"rows": rows, "total": total, "rate": total / wall, "errors": errors,
            "unexpected": unexpected, "expected": expected,
            "p99": pct(everything, 99) if everything else 0,
            "p99_worker": pct(inside_all, 99) if inside_all else 0,
            "slope": max(slopes, default=0), "floor_slope": max(floors, default=0),
            "rss": max((mb for pts in sampler.samples.values() for _, mb in pts), default=0),
            "floor_last": max((floor_points(pts)[-1][1] for pts in sampler.samples.values()),
                              default=0)}


def floor_points(points):
    """The least RSS of each FLOOR_SECONDS window: (window's middle, MB)."""
    windows = collections.defaultdict(list)
    for t, mb in points:
        windows[int(t // FLOOR_SECONDS)].append(mb)
    return [((w + 0.5) * FLOOR_SECONDS, min(mbs)) for w, mbs in sorted(windows.items())]


def side_by_side(results):
    lite, pg = results.get("sqlite"), results.get("postgres")
    if not (lite and pg):
        return
    print("\nSQLite vs PostgreSQL: p99 ms per route, as the client waited and inside the worker; "
          "ratio PostgreSQL / SQLite")
    routes = sorted(set(lite["rows"]) | set(pg["rows"]), key=lambda r: (r.split(" ", 1)[1], r))
    width = max(len(r) for r in routes)

    def ratio(a, b):
        return f"{b / a:5.2f}" if a and b else "    -"

    def ms(value):
        return f"{value:8.1f}" if value is not None else f"{'-':>8}"

    print(f"  {'route':<{width}}  {'n':>5} {'n':>5}  {'SQLite':>8} {'PG':>8} {'ratio':>5}  "
          f"{'SQLite':>8} {'PG':>8} {'ratio':>5}")
    print(f"  {'':<{width}}  {'SQL':>5} {'PG':>5}  {'client':>8} {'client':>8} {'':>5}  "
          f"{'worker':>8} {'worker':>8}")
    for route in routes:
        a = lite["rows"].get(route, (0, None, None))
        b = pg["rows"].get(route, (0, None, None))
        print(f"  {route:<{width}}  {a[0]:>5} {b[0]:>5}  {ms(a[1])} {ms(b[1])} "
              f"{ratio(a[1], b[1])}  {ms(a[2])} {ms(b[2])} {ratio(a[2], b[2])}")
    print()
    for label, key, fmt in (("requests", "total", "{:,}"), ("requests/s", "rate", "{:.1f}"),
                            ("errors (target 0)", "errors", "{}"),
                            ("unexpected 4xx", "unexpected", "{}"),
                            ("expected 409s (two reviewers, one entry)", "expected", "{}"),
                            ("p99 all routes, client ms", "p99", "{:.1f}"),
                            ("p99 all routes, in the worker ms", "p99_worker", "{:.1f}"),
                            ("steepest worker RSS slope, MB/min", "slope", "{:+.2f}"),
                            ("steepest floor slope after warm-up, MB/min", "floor_slope",
                             "{:+.2f}"),
                            ("largest worker RSS, MB", "rss", "{:.0f}"),
                            ("largest worker floor at the end, MB", "floor_last", "{:.0f}")):
        print(f"  {label:<44} {'SQLite':>7} {fmt.format(lite[key]):>9}   PostgreSQL "
              f"{fmt.format(pg[key]):>9}")
    print(f"  {'p99 all routes, PostgreSQL / SQLite':<44} client {ratio(lite['p99'], pg['p99'])}"
          f", in the worker {ratio(lite['p99_worker'], pg['p99_worker'])}")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3, help="load per engine")
    parser.add_argument("--engine", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--users", type=int, default=16, help="virtual users (threads)")
    parser.add_argument("--think", type=float, default=0.3,
                        help="mean seconds between a person's requests (exponential)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--signed-in", type=float, default=0.7,
                        help="share of people whose phone is still signed in from an earlier "
                             "day (the others sign in with the form)")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    results = {}
    for engine in engines:
        summary = run(engine, args)
        if summary:
            results[engine] = summary
    side_by_side(results)


if __name__ == "__main__":
    main(sys.argv[1:])
