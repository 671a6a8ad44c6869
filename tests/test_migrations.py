"""Migrating an empty database gives exactly the models' schema, and the database enforces it.

Each test here creates its own empty database (SQLite file or PostgreSQL database), binds
the models to it for the test only, and drops it: the session app's database is untouched.
"""
import datetime
import re
from decimal import Decimal

import pytest
from peewee import ForeignKeyField, IntegrityError, PostgresqlDatabase
from playhouse.migrations import Migration, Runner
from playhouse.schema_diff import diff_models

from tests.helpers import make_database_url
from webapp.accounts.models import Firm, Region, RoleGrant, User
from webapp.config import ROOT
from webapp.db import make_database
from webapp.ledger.models import Entry
from webapp.models import ALL_MODELS
from webapp.targets.models import Target
from webapp.trainings.models import Attendance, Training, TrainingCategory

MIGRATIONS = str(ROOT / "migrations")


@pytest.fixture
def fresh_database():
    """Open new empty databases; drop them all afterwards."""
    opened = []

    def make(label):
        url, drop = make_database_url(label)
        database = make_database(url)
        database.connect()
        opened.append((database, drop))
        return database

    yield make
    for database, drop in opened:
        if not database.is_closed():
            database.close()
        database.close_all()
        drop()


@pytest.fixture
def migrated(fresh_database):
    database = fresh_database("mig")
    applied = Runner(database, MIGRATIONS).up()
    assert applied == [m.name for m in Migration.load_directory(MIGRATIONS)]
    return database


def test_every_migration_file_is_numbered_once():
    names = [m.name for m in Migration.load_directory(MIGRATIONS)]
    numbers = [m.idx for m in Migration.load_directory(MIGRATIONS)]
    assert names and names[0] == "0001_initial"
    assert len(set(numbers)) == len(numbers), f"two migrations share a number: {names}"
    assert numbers == list(range(1, len(numbers) + 1)), f"a gap in the numbering: {names}"


def test_migrations_never_import_the_app():
    for path in sorted((ROOT / "migrations").glob("[0-9]*.py")):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+webapp", source, re.M), path.name


def test_migrating_an_empty_database_gives_the_models_schema(migrated):
    diff = diff_models(migrated, ALL_MODELS)
    assert not diff, f"migrations and models differ (write a migration):\n{diff}"


def test_migrating_twice_changes_nothing(migrated):
    before = describe(migrated)
    assert Runner(migrated, MIGRATIONS).up() == []
    assert describe(migrated) == before
    assert not diff_models(migrated, ALL_MODELS)


def test_migrated_columns_and_constraints_match_the_models(migrated, fresh_database):
    reference = fresh_database("ref")
    # Deferred foreign keys (RoleGrant.branch) get their constraint inline here, as the
    # migration gives them; create_tables would otherwise leave it out.
    deferred = [f for m in ALL_MODELS for f in m._meta.sorted_fields
                if isinstance(f, ForeignKeyField) and f.deferred]
    try:
        for field in deferred:
            field.deferred = False
        with reference.bind_ctx(ALL_MODELS):
            reference.create_tables(ALL_MODELS)
    finally:
        for field in deferred:
            field.deferred = True
    want, got = describe(reference), describe(migrated)
    assert set(got["tables"]) >= set(want["tables"])
    problems = []
    for table in want["tables"]:
        for part in ("columns", "checks", "foreign_keys", "unique"):
            missing = want[part].get(table, set()) - got[part].get(table, set())
            extra = got[part].get(table, set()) - want[part].get(table, set())
            if missing or extra:
                problems.append(f"{table} {part}: models have {sorted(missing)}, "
                                f"migrations give {sorted(extra)}")
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------ the database says no

@pytest.fixture
def bound(migrated):
    """The models bound to the migrated database, with a little data."""
    with migrated.bind_ctx(ALL_MODELS):
        city = Region.create(name="市", kind="city")
        county = Region.create(name="县", kind="county", parent=city)
        firm = Firm.create(name="所", county=county)
        user = User.create(name="人", phone="13900000000", password_hash="x", firm=firm,
                           county=county)
        category = TrainingCategory.create(name="业务")
        start = datetime.datetime(2026, 3, 1, 1, 0)
        training = Training.create(title="培训", category=category, organiser=county,
                                   start_at=start, end_at=start + datetime.timedelta(hours=2),
                                   credit_hours=2, secret="s" * 32)
        yield {"db": migrated, "city": city, "county": county, "firm": firm, "user": user,
               "training": training, "start": start}


def refused(database, make):
    with pytest.raises(IntegrityError):
        with database.atomic():
            make()


def entry(user, **fields):
    values = dict(user=user, kind="public_service", date=datetime.date(2026, 3, 1),
                  hours=Decimal(2), source="self", status="pending")
    values.update(fields)
    return Entry.create(**values)


def test_unique_indexes_are_enforced(bound):
    db, user, training = bound["db"], bound["user"], bound["training"]
    Attendance.create(training=training, user=user, checked_in_at=bound["start"])
    refused(db, lambda: Attendance.create(training=training, user=user))
    refused(db, lambda: User.create(name="重号", phone="13900000000", password_hash="x"))
    refused(db, lambda: Firm.create(name="所", county=bound["county"]))
    entry(user, idempotency_key="k1")
    refused(db, lambda: entry(user, idempotency_key="k1"))
    assert Attendance.select().count() == 1 and User.select().count() == 1


@pytest.mark.parametrize("model", ["role_grant", "target"])
def test_scoped_rows_are_unique(bound, model):
    db, user = bound["db"], bound["user"]
    if model == "role_grant":
        RoleGrant.create(user=user, role="practitioner", firm=bound["firm"])
        refused(db, lambda: RoleGrant.create(user=user, role="practitioner", firm=bound["firm"]))
    else:
        Target.create(year=2026, metric="education_hours", region=bound["county"], value=40)
        refused(db, lambda: Target.create(year=2026, metric="education_hours",
                                          region=bound["county"], value=41))


@pytest.mark.parametrize("fields", [
    {"hours": Decimal(-1)}, {"hours": Decimal(201)}, {"count": -1}, {"kind": "holiday"},
    {"status": "maybe"}, {"source": "friend"}, {"people_served": -3},
])
def test_entry_check_constraints_are_enforced(bound, fields):
    refused(bound["db"], lambda: entry(bound["user"], **fields))
    assert Entry.select().count() == 0
    entry(bound["user"], hours=Decimal(200))   # the edge is allowed


def test_other_check_constraints_are_enforced(bound):
    db, start = bound["db"], bound["start"]
    refused(db, lambda: Region.create(name="省", kind="province"))
    refused(db, lambda: Region.create(name="负", kind="county", population=-1))
    refused(db, lambda: Firm.create(name="郊", county=bound["county"], setting="suburban"))
    refused(db, lambda: User.create(name="老", password_hash="x", birth_year=1800))
    refused(db, lambda: RoleGrant.create(user=bound["user"], role="king"))
    refused(db, lambda: Target.create(year=2026, metric="happiness", value=1))
    refused(db, lambda: Target.create(year=2026, metric="education_hours", value=-1))
    refused(db, lambda: Training.create(
        title="倒流", category=bound["training"].category, organiser=bound["county"],
        start_at=start, end_at=start, credit_hours=1, secret="s"))
    refused(db, lambda: Training.create(
        title="太长", category=bound["training"].category, organiser=bound["county"],
        start_at=start, end_at=start + datetime.timedelta(hours=1), credit_hours=101,
        secret="s"))
    refused(db, lambda: Attendance.create(training=bound["training"], user=bound["user"],
                                          method_in="telepathy"))


def test_foreign_keys_are_enforced(bound):
    db = bound["db"]
    refused(db, lambda: Firm.create(name="无县", county=987654))
    # A person with records cannot be deleted (records are never lost).
    entry(bound["user"])
    refused(db, lambda: User.delete().where(User.id == bound["user"].id).execute())
    # Deleting a person's grants goes with the person (cascade) where nothing else holds them.
    lone = User.create(name="无记录", password_hash="x")
    RoleGrant.create(user=lone, role="city_admin", region=bound["city"])
    User.delete().where(User.id == lone.id).execute()
    assert not RoleGrant.select().where(RoleGrant.user == lone.id).exists()


# ------------------------------------------------------------------ schema description

def describe(database):
    """Tables, columns (type, null), CHECK constraints, foreign keys and unique indexes."""
    tables = sorted(t for t in database.get_tables() if t != "schema_migration")
    info = {"tables": tables, "columns": {}, "checks": {}, "foreign_keys": {}, "unique": {}}
    postgres = isinstance(database, PostgresqlDatabase)
    for table in tables:
        info["columns"][table] = _columns(database, table, postgres)
        info["checks"][table] = _checks(database, table, postgres)
        info["foreign_keys"][table] = _foreign_keys(database, table, postgres)
        info["unique"][table] = {tuple(ix.columns) for ix in database.get_indexes(table)
                                 if ix.unique}
    return info


def _columns(database, table, postgres):
    if postgres:
        rows = database.execute_sql(
            "SELECT column_name, data_type, character_maximum_length, numeric_precision, "
            "numeric_scale, is_nullable FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = %s", (table,)).fetchall()
        return {tuple(row) for row in rows}
    return {(c.name, c.data_type.upper().replace(" ", ""), c.null, c.primary_key)
            for c in database.get_columns(table)}


def _normalise(sql):
    sql = sql.replace('"', "").replace("`", "")
    return re.sub(r"\s+", " ", sql).strip()


def _checks(database, table, postgres):
    if postgres:
        rows = database.execute_sql(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'c' AND conrelid = %s::regclass", (f'"{table}"',)).fetchall()
        return {_normalise(row[0]) for row in rows}
    sql = database.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()[0]
    checks = set()
    for match in re.finditer(r"CHECK\s*\(", sql, re.I):
        depth, i = 1, match.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(sql[i], 0)
            i += 1
        checks.add(_normalise(sql[match.end():i - 1]))
    return checks


def _foreign_keys(database, table, postgres):
    if postgres:
        rows = database.execute_sql(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = %s::regclass", (f'"{table}"',)).fetchall()
        return {_normalise(row[0]) for row in rows}
    rows = database.execute_sql(f'PRAGMA foreign_key_list("{table}")').fetchall()
    return {(row[3], row[2], row[4], row[6]) for row in rows}
