"""Ledger speed: saving the log form, and rendering "My year", on a large ledger.

Targets (issue 4): log form to saved entry under 100 ms server time on a ledger of 5,000
entries; "My year" under 50 ms for a practitioner with 5,000 entries across 10 years.

The practitioner measured has 5,000 entries over ten years; 60 colleagues in the county add
another 30,000, so the table holds 35,000 rows. Requests go through the Flask test client;
"server time" is measured around the WSGI app (routing, session, permission checks, queries,
templates, response body), without the test client's own overhead.

Usage: .venv/bin/python bench/ledger_bench.py [sqlite] [postgres] [--runs 200]
(PostgreSQL: a scratch database on TEST_DATABASE_URL's server is created and dropped.)
"""
import argparse
import datetime
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

PERSON_ENTRIES = 5000
YEARS = 10
COLLEAGUES = 60
COLLEAGUE_ENTRIES = 500


class Timed:
    """WSGI middleware that records how long the app took for each request."""

    def __init__(self, app):
        self.app = app
        self.last = None

    def __call__(self, environ, start_response):
        start = time.perf_counter()
        body = self.app(environ, start_response)
        try:
            chunks = list(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        self.last = time.perf_counter() - start
        return chunks


def entry_rows(user_id, count, years, today, rng):
    """Entries spread over the years, of every kind, source and status."""
    rows = []
    first = datetime.date(today.year - years + 1, 1, 1)
    span = (today - first).days
    kinds = [("training_credit", "system", "recorded"), ("party_activity", "system", "recorded"),
             ("education", "self", None), ("public_service", "self", None),
             ("legal_aid", "self", None)]
    for i in range(count):
        kind, source, status = kinds[i % len(kinds)]
        status = status or rng.choice(["approved"] * 6 + ["pending", "declined", "withdrawn"])
        day = first + datetime.timedelta(days=rng.randint(0, span))
        created = datetime.datetime.combine(day, datetime.time(12))
        rows.append({
            "user": user_id, "kind": kind, "date": day,
            "hours": Decimal(0) if kind == "legal_aid" else Decimal(rng.choice([1, 2, 3])),
            "count": 1 if kind == "legal_aid" else 0,
            "category": {"public_service": "consultation", "legal_aid": "civil",
                         "party_activity": "theme_day"}.get(kind, "业务技能"),
            "description": "基准记录", "place": "", "people_served": None, "case_number":
                f"法援{i}" if kind == "legal_aid" else "", "case_type": "civil" if kind == "legal_aid" else "",
            "case_status": "in_progress" if kind == "legal_aid" else "", "closed_on": None,
            "provider": "", "source": source, "training": None, "activity": None,
            "status": status, "reviewer": None, "reviewed_at": None, "review_note": "",
            "idempotency_key": None, "created_at": created, "updated_at": created})
    return rows


def prepare(app):
    """Create the county, the practitioner with 5,000 entries and the colleagues' entries."""
    from webapp.accounts.models import Firm, Region, RoleGrant, User
    from webapp.accounts.services import start_session
    from webapp.cli import migrate_database
    from webapp.db import db
    from webapp.i18n import local_today
    from webapp.ledger.models import Entry
    from webapp.trainings.models import TrainingCategory

    rng = random.Random(4)
    with app.app_context():
        migrate_database()
        db.connect(reuse_if_open=True)
        today = local_today()
        with db.atomic():
            city = Region.create(name="基准市", kind="city")
            county = Region.create(name="基准县", kind="county", parent=city, population=400000)
            firm = Firm.create(name="基准法律服务所", county=county)
            TrainingCategory.create(name="业务技能", name_en="Professional skills")
            people = []
            for n in range(COLLEAGUES + 1):
                user = User.create(name=f"人员{n}", phone=f"137{n:08d}", password_hash="x",
                                   firm=firm, county=county)
                RoleGrant.create(user=user, role="practitioner", firm=firm)
                people.append(user)
        person = people[0]
        rows = entry_rows(person.id, PERSON_ENTRIES, YEARS, today, rng)
        for colleague in people[1:]:
            rows += entry_rows(colleague.id, COLLEAGUE_ENTRIES, YEARS, today, rng)
        with db.atomic():
            for start in range(0, len(rows), 500):
                Entry.insert_many(rows[start:start + 500]).execute()
        total = Entry.select().count()
        mine = Entry.select().where(Entry.user == person.id).count()
        this_year = Entry.select().where(Entry.user == person.id,
                                         Entry.date >= datetime.date(today.year, 1, 1)).count()
        token = start_session(person, "bench")
        db.close()
    return token, total, mine, this_year, today


def stats(label, samples, target_ms=None):
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    median = statistics.median(ms)
    verdict = ""
    if target_ms is not None:
        verdict = "  OK" if p95 < target_ms else "  SLOWER THAN TARGET"
        verdict = f"  (target < {target_ms} ms){verdict}"
    print(f"  {label:<46} median {median:6.1f} ms   p95 {p95:6.1f} ms   n={len(ms)}{verdict}")
    return median, p95


def run(engine, runs):
    import tests.helpers as helpers
    os.environ["TEST_ENGINE"] = engine
    helpers.ENGINE = engine
    from tests.helpers import english_client, make_database_url
    from webapp import create_app

    url, drop = make_database_url("ledgerbench")
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench",
                      "UPLOAD_DIR": tempfile.mkdtemp(prefix="gl-bench-"),
                      "PROPAGATE_EXCEPTIONS": True})
    timer = Timed(app.wsgi_app)
    app.wsgi_app = timer
    try:
        token, total, mine, this_year, today = prepare(app)
        print(f"\n{engine}: {total} entries in the ledger; the practitioner has {mine} over "
              f"{YEARS} years ({this_year} this year)")
        client = english_client(app)
        with client.c.session_transaction() as sess:
            sess["token"] = token
            sess["csrf"] = "bench-csrf"

        def measure(call, check):
            for _ in range(10):      # warm up: templates compiled, connections open
                check(call())
            samples = []
            for _ in range(runs):
                check(call())
                samples.append(timer.last)
            return samples

        def post_entry():
            day = today - datetime.timedelta(days=random.randint(0, 600))
            return client.post("/ledger/new/public_service", {
                "csrf_token": "bench-csrf", "date": day.isoformat(), "hours": "0.25",
                "category": "mediation", "description": "基准登记",
                "idempotency_key": uuid.uuid4().hex})

        def saved(response):
            assert response.status_code == 303, response.status_code

        def ok(response):
            assert response.status_code == 200, response.status_code

        stats("POST log form -> saved entry (303)", measure(post_entry, saved), 100)
        stats("GET log form (public service)", measure(
            lambda: client.get("/ledger/new/public_service"), ok))
        stats("GET My year (this year, first page)", measure(
            lambda: client.get("/ledger/year"), ok), 50)
        stats("GET My year, filtered (htmx fragment)", measure(
            lambda: client.htmx_get("/ledger/year?kind=education&status=counted"), ok), 50)
        stats(f"GET My year {today.year - 5}", measure(
            lambda: client.get(f"/ledger/year?year={today.year - 5}"), ok), 50)
        stats("GET annual summary", measure(
            lambda: client.get(f"/ledger/year/{today.year}/summary"), ok))
        stats("GET annual summary .xlsx", measure(
            lambda: client.get(f"/ledger/year/{today.year}/summary.xlsx"), ok))
    finally:
        from webapp.db import db
        if not db.is_closed():
            db.close()
        drop()


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("engines", nargs="*", default=["sqlite", "postgres"])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args(argv)
    for engine in args.engines:
        if engine == "postgres":
            try:
                import psycopg
                from tests.helpers import _pg_admin_url
                psycopg.connect(_pg_admin_url(), connect_timeout=3).close()
            except Exception as exc:  # noqa: BLE001
                print(f"\npostgres: skipped ({exc})")
                continue
        run(engine, args.runs)


if __name__ == "__main__":
    main(sys.argv[1:])
