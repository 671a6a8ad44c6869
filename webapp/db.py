"""The database handle, the base model, and the per-request connection."""
import contextlib
import datetime
import fcntl
import os
import threading
import time
from urllib.parse import urlparse

from peewee import DatabaseProxy, DateTimeField, Model, PostgresqlDatabase
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

db = DatabaseProxy()


def utcnow():
    """Return the current UTC time as a naive datetime (the storage convention)."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class PostgresPool(PooledPostgresqlDatabase):
    """peewee's PostgreSQL pool, without a round trip on every check-out.

    peewee checks a pooled connection with `SELECT 1` each time it hands it out: a round trip
    on every request. Here a connection handed back less than PING_AFTER seconds ago, and idle
    by its own local state, is taken as it is; one that sat longer is checked as before. A
    connection the server dropped within those seconds fails its first query (one error) and
    is then discarded by the pool.
    """
    PING_AFTER = 10.0

    def __init__(self, *args, **kwargs):
        self._returned = {}
        super().__init__(*args, **kwargs)

    def _is_closed(self, conn):
        returned = self._returned.pop(self.conn_key(conn), None)
        if (returned is not None and time.monotonic() - returned < self.PING_AFTER
                and not conn.closed
                and self._adapter.txn_status(conn) == self._adapter.txn_idle):
            return False
        return super()._is_closed(conn)

    def _close(self, conn, close_conn=False):
        if not close_conn:
            self._returned[self.conn_key(conn)] = time.monotonic()
        super()._close(conn, close_conn)

    def _close_raw(self, conn):
        self._returned.pop(self.conn_key(conn), None)
        super()._close_raw(conn)


def make_database(url):
    """Open a pooled peewee database for a sqlite:/// or postgresql:// URL.

    A request takes a connection at its first query and hands it back to the pool at its
    end. Reconnecting every request costs PostgreSQL a new backend, and makes SQLite
    checkpoint and delete its write-ahead log whenever the last connection closes.
    """
    parsed = urlparse(url)
    pool = {"max_connections": int(os.environ.get("DB_POOL_SIZE", "16")), "stale_timeout": 300}
    if parsed.scheme == "sqlite":
        path = url[len("sqlite:///"):] or ":memory:"
        database = PooledSqliteDatabase(
            path, **pool, check_same_thread=False,
            pragmas={
                "journal_mode": "wal",
                "foreign_keys": 1,
                "busy_timeout": 10000,
                "synchronous": "normal",
                "cache_size": -16000,
            },
        )
        if path != ":memory:":
            database.writer_queue = WriterQueue(path + "-writers.lock")
        return database
    if parsed.scheme in ("postgres", "postgresql"):
        return PostgresPool(
            parsed.path.lstrip("/"), **pool,
            user=parsed.username,
            password=parsed.password,
            host=parsed.hostname,
            port=parsed.port or 5432,
        )
    raise ValueError(f"unsupported DATABASE_URL scheme: {parsed.scheme}")


def init_app(app):
    """Bind the proxy to the configured database; a request connects at its first query.

    Requests that need no database (static files, /healthz, the service worker) never take
    a connection from the pool.
    """
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        os.makedirs(os.path.dirname(url[len("sqlite:///"):]) or ".", exist_ok=True)
    db.initialize(make_database(url))

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


def select_rows(key, build, params):
    """Run a hot-path SELECT built once per engine (see prepared); return its rows as tuples."""
    sql, _params = prepared(key, build)
    return db.execute_sql(sql, params).fetchall()


def _datetime(field):
    def convert(value):
        if isinstance(value, str):  # SQLite keeps text; peewee's parser tries format after format
            try:
                return datetime.datetime.fromisoformat(value)
            except ValueError:
                return field.python_value(value)
        return value
    return convert


_CONVERTERS = {}


def hydrate(model, values, start=0):
    """Build a model instance from a row's columns in the model's field order, from `start`.

    For rows read by select_rows: the model's own row reading works out its columns again for
    every query, which on the hot path costs more than the query.
    """
    converters = _CONVERTERS.get(model)
    if converters is None:
        converters = _CONVERTERS[model] = [
            (f.name, _datetime(f) if isinstance(f, DateTimeField) else f.python_value)
            for f in model._meta.sorted_fields]
    instance = model.__new__(model)
    instance.__data__ = {name: None if value is None else convert(value)
                         for (name, convert), value in zip(converters, values[start:])}
    instance._dirty = set()
    instance.__rel__ = {}
    return instance


def width(model):
    """How many columns a model's fields take in a row (for hydrate's `start`)."""
    return len(model._meta.sorted_fields)


def _insert_sql(model, conflict, update, source=None):
    """INSERT of every column but the id, with its ON CONFLICT clause, without RETURNING.

    The values are placeholders, or with `source` a SELECT of placeholders FROM that name.
    """
    fields = [f for f in model._meta.sorted_fields if not f.primary_key]
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    slots = ", ".join([db.obj.param] * len(fields))
    values = f"SELECT {slots} FROM {source}" if source else f"VALUES ({slots})"
    sql = f'INSERT INTO "{model._meta.table_name}" ({columns}) {values}'
    if conflict:
        target = ", ".join(f'"{model._meta.fields[name].column_name}"' for name in conflict)
        if update:
            sets = ", ".join(f'"{c}" = excluded."{c}"'
                             for c in (model._meta.fields[name].column_name for name in update))
            sql += f" ON CONFLICT ({target}) DO UPDATE SET {sets}"
        else:
            sql += f" ON CONFLICT ({target}) DO NOTHING"
    return sql, fields


def _returning(model):
    return f' RETURNING "{model._meta.primary_key.column_name}"'


def _params(fields, values):
    params = []
    for field in fields:
        if field.name in values:
            value = values[field.name]
        else:
            value = field.default() if callable(field.default) else field.default
        params.append(field.db_value(value))
    return params


def _cached(cache_key, build):
    hit = _PREPARED.get(cache_key)
    if hit is None:
        hit = _PREPARED[cache_key] = build()
    return hit


def insert_row(model, values, conflict=(), update=()):
    """Insert one row in one statement built once per engine; return its id, or None.

    `values` maps field names to Python values; other fields take their defaults, as peewee
    would give them. With `conflict` (the fields of a unique index), a clash inserts nothing
    and returns None, or with `update` sets those fields from the new row and returns the id
    of the row that was there. For the hot path (check-in), where building an INSERT in
    peewee costs more than running it.
    """
    conflict, update = tuple(conflict), tuple(update)

    def build():
        sql, fields = _insert_sql(model, conflict, update)
        return sql + _returning(model), fields

    sql, fields = _cached(("insert", model, conflict, update, type(db.obj)), build)
    row = db.execute_sql(sql, _params(fields, values)).fetchone()
    return row[0] if row else None


def insert_row_then(model, values, conflict, then_model, then_values, then_conflict,
                    then_update=()):
    """Insert a row and, only when it went in, a second row (see insert_row for the arguments).

    Return the first row's id, or None when it clashed and nothing was written. On PostgreSQL
    the two are one statement (a data-modifying WITH): one round trip and one commit, atomic by
    itself. On SQLite, where a statement costs no round trip, they are two inside a write
    transaction.
    """
    if not is_postgres():
        with write_transaction():
            row_id = insert_row(model, values, conflict)
            if row_id is not None:
                insert_row(then_model, then_values, then_conflict, then_update)
        return row_id
    conflict, then_conflict, then_update = tuple(conflict), tuple(then_conflict), tuple(then_update)

    def build():
        first, fields = _insert_sql(model, conflict, ())
        second, then_fields = _insert_sql(then_model, then_conflict, then_update, source="a")
        key = model._meta.primary_key.column_name
        return (f'WITH a AS ({first}{_returning(model)}), b AS ({second}) SELECT "{key}" FROM a',
                fields, then_fields)

    sql, fields, then_fields = _cached(
        ("insert_then", model, conflict, then_model, then_conflict, then_update), build)
    row = db.execute_sql(
        sql, _params(fields, values) + _params(then_fields, then_values)).fetchone()
    return row[0] if row else None


class WriterQueue:
    """Queue the write transactions of every worker process on one SQLite file, on a file lock.

    SQLite lets one writer in at a time; the others get "busy" and SQLite's busy handler
    sleeps 1, 2, 5, 10 ms ... before trying again, though the writer ahead of them is done
    in a fraction of a millisecond. Under a check-in storm the gunicorn workers spent a sixth
    of their time asleep that way. A blocking lock on a file next to the database wakes the
    next writer as soon as the lock is let go. SQLite's own locking still decides; this only
    orders the writers that use it (write_transaction), and nests.
    """

    def __init__(self, path):
        self.path = path
        self._thread_lock = threading.RLock()
        self._local = threading.local()
        self._fd = None
        self._pid = None

    def __enter__(self):
        self._thread_lock.acquire()
        depth = getattr(self._local, "depth", 0)
        if depth == 0:
            try:
                if self._pid != os.getpid():  # a forked worker opens its own
                    self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                    self._pid = os.getpid()
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            except BaseException:
                self._thread_lock.release()
                raise
        self._local.depth = depth + 1
        return self

    def __exit__(self, *exc):
        self._local.depth -= 1
        try:
            if self._local.depth == 0:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()
        return False


@contextlib.contextmanager
def write_transaction():
    """A write transaction that holds the write lock from its start, so checks stay true.

    PostgreSQL: a plain transaction (lock rows where a check needs it). SQLite: BEGIN
    IMMEDIATE, queued behind the WriterQueue.
    """
    if is_postgres():
        with db.atomic():
            yield
        return
    queue = getattr(db.obj, "writer_queue", None)
    with queue if queue is not None else contextlib.nullcontext(), db.atomic("IMMEDIATE"):
        yield


def is_postgres():
    """Say whether the bound database is PostgreSQL."""
    return isinstance(db.obj, PostgresqlDatabase)
