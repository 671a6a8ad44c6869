"""Oversight at province scale: county and city dashboards, a person's year, everyone's .xlsx.

Targets (issue 10), server time: county dashboard < 100 ms, city dashboard < 300 ms, a
person's year < 50 ms, the province-wide .xlsx of all practitioners' progress < 10 s (peak
memory reported).

The generator builds a province like the issue's: 14 cities, 100 counties, 20 firms and 200
practitioners a county (2,000 firms, 20,000 practitioners), five years of ledger entries
(30 a person a year: 3 million rows). `--counties` makes fewer counties of the same size, so
a county's and a city's dashboard measure the same work on a smaller disk; the .xlsx figure
then covers fewer people and the script says how many. Rows are written with executemany
(SQLite) or COPY (PostgreSQL), not through the app: the point is to read them.

Usage: .venv/bin/python bench/province.py [sqlite] [postgres] [--counties 100] [--runs 30]
"""
import argparse
import datetime
import os
import random
import sys
import tempfile
import time
import tracemalloc

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

from ledger_bench import Timed, stats  # noqa: E402  (bench/ is not a package)

CITIES = 14
FIRMS_PER_COUNTY = 20
PEOPLE_PER_FIRM = 10
YEARS = 5
ENTRIES_PER_PERSON_YEAR = 30
KINDS = (("training_credit", "system", "recorded"), ("party_activity", "system", "recorded"),
         ("education", "self", "approved"), ("public_service", "self", "approved"),
         ("public_service", "self", "pending"), ("legal_aid", "self", "approved"))


def is_postgres(db):
    """Say whether the app's database (a peewee proxy) is PostgreSQL."""
    return type(getattr(db, "obj", db)).__name__.startswith("Postgres")


def generate(db, counties, today, rng):
    """Write the regions, firms, people and entries; return (people, entries)."""
    from webapp.accounts.models import Firm, Region, RoleGrant, User

    with db.atomic():
        cities = [Region.create(name=f"市{c}", kind="city") for c in range(min(CITIES, counties))]
        county_rows = [Region.create(name=f"县{n}", kind="county", parent=cities[n % len(cities)],
                                     population=rng.randint(200_000, 900_000))
                       for n in range(counties)]
        firm_rows = []
        for county in county_rows:
            firm_rows += [{"name": f"{county.name}所{f}", "county": county.id}
                          for f in range(FIRMS_PER_COUNTY)]
        Firm.insert_many(firm_rows).execute()
    firms = list(Firm.select(Firm.id, Firm.county).tuples())
    people = []
    n = 0
    for firm_id, county_id in firms:
        for _ in range(PEOPLE_PER_FIRM):
            n += 1
            people.append({"name": f"人{n}", "phone": f"13{n:09d}", "password_hash": "x",
                           "firm": firm_id, "county": county_id,
                           "birth_year": rng.randint(1958, 1998),
                           "education": rng.choice(["college", "bachelor", "secondary", ""])})
    with db.atomic():
        for start in range(0, len(people), 1000):
            User.insert_many(people[start:start + 1000]).execute()
    users = list(User.select(User.id, User.firm).where(User.firm.is_null(False)).tuples())
    with db.atomic():
        for start in range(0, len(users), 1000):
            RoleGrant.insert_many([{"user": u, "role": "practitioner", "firm": f}
                                   for u, f in users[start:start + 1000]]).execute()
    columns = ("user_id", "kind", "date", "hours", "count", "category", "description", "place",
               "case_number", "case_type", "case_status", "provider", "source", "status",
               "review_note", "created_at", "updated_at")

    def rows():
        for user_id, _firm in users:
            for year in range(today.year - YEARS + 1, today.year + 1):
                last = (today - datetime.date(year, 1, 1)).days if year == today.year else 364
                for i in range(ENTRIES_PER_PERSON_YEAR):
                    kind, source, status = KINDS[i % len(KINDS)]
                    day = datetime.date(year, 1, 1) + datetime.timedelta(days=rng.randint(0, last))
                    stamp = datetime.datetime.combine(day, datetime.time(4))
                    yield (user_id, kind, day, 0 if kind == "legal_aid" else rng.choice((1, 2, 3)),
                           1 if kind == "legal_aid" else 0, "", "", "", "", "", "", "", source,
                           status, "", stamp, stamp)

    total = 0
    if is_postgres(db):
        conn = db.connection()
        with conn.cursor() as cursor:
            with cursor.copy(f'COPY "entry" ({", ".join(columns)}) FROM STDIN') as copy:
                for row in rows():
                    copy.write_row(row)
                    total += 1
        conn.commit()
        # What autovacuum does soon after a bulk load: statistics, and the visibility map
        # that lets the totals be read from the index alone.
        db.execute_sql('VACUUM ANALYZE')
    else:
        marks = ", ".join("?" * len(columns))
        sql = f'INSERT INTO "entry" ({", ".join(columns)}) VALUES ({marks})'
        batch = []
        with db.atomic():
            for row in rows():
                batch.append(tuple(v.isoformat(" ") if isinstance(v, datetime.datetime)
                                   else v.isoformat() if isinstance(v, datetime.date) else v
                                   for v in row))
                if len(batch) == 5000:
                    db.cursor().executemany(sql, batch)
                    total += len(batch)
                    batch = []
            if batch:
                db.cursor().executemany(sql, batch)
                total += len(batch)
        db.execute_sql("ANALYZE")
    return len(users), total


def explain(db, user_ids, year):
    """Print the plan of the per-person yearly totals query (the dashboards' one aggregate)."""
    from webapp.targets import services
    query = services.ledger_query(user_ids, year, datetime.date(year, 9, 1))
    sql, params = query.sql()
    prefix = "EXPLAIN " if is_postgres(db) else "EXPLAIN QUERY PLAN "
    for row in db.execute_sql(prefix + sql, params).fetchall():
        print("    plan:", " | ".join(str(v) for v in row))


def run(engine, counties, runs):
    import tests.helpers as helpers
    os.environ["TEST_ENGINE"] = engine
    helpers.ENGINE = engine
    from tests.helpers import english_client, make_database_url
    from webapp import create_app
    from webapp.accounts.models import Region, RoleGrant, User
    from webapp.accounts.services import start_session
    from webapp.cli import migrate_database
    from webapp.db import db
    from webapp.i18n import local_today
    from webapp.targets import city_views, services
    from webapp.web import xlsx_bytes

    url, drop = make_database_url("province")
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench",
                      "UPLOAD_DIR": tempfile.mkdtemp(prefix="gl-bench-"),
                      "PROPAGATE_EXCEPTIONS": True})
    timer = Timed(app.wsgi_app)
    app.wsgi_app = timer
    rng = random.Random(10)
    try:
        with app.app_context():
            migrate_database()
            db.connect(reuse_if_open=True)
            today = local_today()
            began = time.perf_counter()
            people, entries = generate(db, counties, today, rng)
            print(f"\n{engine}: {counties} counties, {people:,} practitioners, {entries:,} "
                  f"ledger entries, generated in {time.perf_counter() - began:.0f} s")
            county = Region.select().where(Region.kind == "county").order_by(Region.id).first()
            city = county.parent
            admin = User.create(name="县管理员", phone="10000000001", password_hash="x",
                                county=county)
            RoleGrant.create(user=admin, role="county_admin", region=county)
            city_admin = User.create(name="市管理员", phone="10000000002", password_hash="x")
            RoleGrant.create(user=city_admin, role="city_admin", region=city)
            person = User.select().where(User.county == county.id).order_by(User.id).first()
            tokens = {name: start_session(user, "bench") for name, user in
                      (("county", admin), ("city", city_admin), ("person", person))}
            in_county = [u.id for u in User.select(User.id).where(User.county == county.id)]
            explain(db, in_county, today.year)
            db.close()

        def client_for(token):
            client = english_client(app)
            with client.c.session_transaction() as sess:
                sess["token"] = token
            return client

        real_execute = db.obj.execute_sql
        executed = [0]

        def counting_execute(*args, **kwargs):
            executed[0] += 1
            return real_execute(*args, **kwargs)

        db.obj.execute_sql = counting_execute

        def measure(client, path):
            for _ in range(3):
                assert client.get(path).status_code == 200, path
            executed[0] = 0
            client.get(path)
            print(f"  {path}: {executed[0]} SQL statements a request")
            samples = []
            for _ in range(runs):
                response = client.get(path)
                assert response.status_code == 200, path
                samples.append(timer.last)
            return samples

        stats("GET county dashboard (/home/county)",
              measure(client_for(tokens["county"]), "/home/county"), 100)
        stats("GET city dashboard (/home/city, one city's counties)",
              measure(client_for(tokens["city"]), "/home/city"), 300)
        stats("GET a person's year (/ledger/year)",
              measure(client_for(tokens["person"]), "/ledger/year"), 50)

        def export():
            everyone, progress = services.people_progress(User.select(), today.year, today)
            return everyone, xlsx_bytes(city_views.progress_workbook(everyone, progress,
                                                                     today.year))

        with app.test_request_context("/"):
            db.connect(reuse_if_open=True)
            began = time.perf_counter()
            everyone, data = export()
            seconds = time.perf_counter() - began
            tracemalloc.start()      # a second run for memory: tracing slows Python down
            export()
            _now, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            db.close()
        verdict = "OK" if seconds < 10 else "SLOWER THAN TARGET"
        print(f"  everyone's progress .xlsx: {len(everyone):,} people, {len(data) / 1e6:.1f} MB, "
              f"{seconds:.2f} s (target < 10 s at 20,000) {verdict}; "
              f"peak Python memory {peak / 1e6:.0f} MB")
    finally:
        if not db.is_closed():
            db.close()
        drop()


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("engines", nargs="*", default=["sqlite", "postgres"])
    parser.add_argument("--counties", type=int, default=100)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    for engine in args.engines:
        run(engine, args.counties, args.runs)


if __name__ == "__main__":
    main(sys.argv[1:])
