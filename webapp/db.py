"""The database handle, the base model, and the per-request connection."""
import datetime
from urllib.parse import urlparse

import os

from peewee import DatabaseProxy, Model, PostgresqlDatabase
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

db = DatabaseProxy()


def utcnow():
    """Return the current UTC time as a naive datetime (the storage convention)."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


def make_database(url):
    """Open a pooled peewee database for a sqlite:/// or postgresql:// URL.

    Request hooks still open and close a connection per request; closing hands it back to
    the pool. Reconnecting every request costs PostgreSQL a new backend, and makes SQLite
    checkpoint and delete its write-ahead log whenever the last connection closes.
    """
    parsed = urlparse(url)
    pool = {"max_connections": int(os.environ.get("DB_POOL_SIZE", "16")), "stale_timeout": 300}
    if parsed.scheme == "sqlite":
        path = url[len("sqlite:///"):] or ":memory:"
        return PooledSqliteDatabase(
            path, **pool, check_same_thread=False,
            pragmas={
                "journal_mode": "wal",
                "foreign_keys": 1,
                "busy_timeout": 10000,
                "synchronous": "normal",
                "cache_size": -16000,
            },
        )
    if parsed.scheme in ("postgres", "postgresql"):
        return PooledPostgresqlDatabase(
            parsed.path.lstrip("/"), **pool,
            user=parsed.username,
            password=parsed.password,
            host=parsed.hostname,
            port=parsed.port or 5432,
        )
    raise ValueError(f"unsupported DATABASE_URL scheme: {parsed.scheme}")


def init_app(app):
    """Bind the proxy to the configured database and open one connection per request."""
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        os.makedirs(os.path.dirname(url[len("sqlite:///"):]) or ".", exist_ok=True)
    db.initialize(make_database(url))

    @app.before_request
    def _connect():
        db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not db.is_closed():
            db.close()


_PREPARED = {}


def prepared(key, build):
    """Return (sql, params) of a hot-path query, built once per database.

    Building SQL is most of peewee's cost for small queries; the queries that run on
    every request (who is signed in, their roles) are built once and reused.
    """
    cache_key = (key, type(db.obj))
    hit = _PREPARED.get(cache_key)
    if hit is None:
        hit = _PREPARED[cache_key] = build().sql()
    return hit


def _insert_sql(model, conflict, update):
    fields = [f for f in model._meta.sorted_fields if not f.primary_key]
    table = model._meta.table_name
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    sql = f'INSERT INTO "{table}" ({columns}) VALUES ({", ".join([db.obj.param] * len(fields))})'
    if conflict:
        target = ", ".join(f'"{model._meta.fields[name].column_name}"' for name in conflict)
        if update:
            sets = ", ".join(f'"{c}" = excluded."{c}"'
                             for c in (model._meta.fields[name].column_name for name in update))
            sql += f" ON CONFLICT ({target}) DO UPDATE SET {sets}"
        else:
            sql += f" ON CONFLICT ({target}) DO NOTHING"
    return sql + f' RETURNING "{model._meta.primary_key.column_name}"', fields


def insert_row(model, values, conflict=(), update=()):
    """Insert one row in one statement built once per engine; return its id, or None.

    `values` maps field names to Python values; other fields take their defaults, as peewee
    would give them. With `conflict` (the fields of a unique index), a clash inserts nothing
    and returns None, or with `update` sets those fields from the new row and returns the id
    of the row that was there. For the hot path (check-in), where building an INSERT in
    peewee costs more than running it.
    """
    cache_key = ("insert", model, tuple(conflict), tuple(update), type(db.obj))
    hit = _PREPARED.get(cache_key)
    if hit is None:
        hit = _PREPARED[cache_key] = _insert_sql(model, conflict, update)
    sql, fields = hit
    params = []
    for field in fields:
        if field.name in values:
            value = values[field.name]
        else:
            value = field.default() if callable(field.default) else field.default
        params.append(field.db_value(value))
    row = db.execute_sql(sql, params).fetchone()
    return row[0] if row else None


def is_postgres():
    """Say whether the bound database is PostgreSQL."""
    return isinstance(db.obj, PostgresqlDatabase)
