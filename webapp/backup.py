"""Backups: one archive of the database and the uploaded files, its restore, and retention.

An archive (`ledger-YYYYMMDDTHHMMSSZ.tar.gz`) holds the database (SQLite: a copy made through
SQLite's online backup API; PostgreSQL: `pg_dump --format=custom`), every file under
UPLOAD_DIR (evidence, branch photos, report attachments, pending roster imports) below
`files/`, and `manifest.json` (when, which engine, the migrations applied, the row count of
every table and the sha256 of every file in the archive). It is written under a hidden
temporary name and renamed when complete, so a half-written backup never looks like one.

Raw driver connections are used throughout (never the app's peewee pool), so a backup runs
beside a live server and a restore can target any database named by the app's config.
"""
import dataclasses
import datetime
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import tarfile
import tempfile
import zlib
from urllib.parse import unquote, urlparse, urlunparse
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

from .backup_retention import prune_backups

FORMAT = 1
MANIFEST = "manifest.json"
FILES_PREFIX = "files/"
DB_MEMBER = {"sqlite": "database/ledger.sqlite3", "postgresql": "database/ledger.pgdump"}
MIGRATION_TABLE = "schema_migration"
LOCK_NAME = ".backup.lock"
PARTIAL_PREFIX = ".ledger-"
PARTIAL_SUFFIX = ".partial"
STAGING_PREFIX = ".restore-"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why, for the operator."""


class BackupBusy(BackupError):
    """Another backup holds the lock of the target folder."""


@dataclasses.dataclass
class BackupResult:
    path: str
    manifest: dict
    pruned: list


@dataclasses.dataclass
class RestoreResult:
    manifest: dict
    tables: dict
    files: int
    extra_files: int
    safety_backup: str = None


# ------------------------------------------------------------------ the database, raw

def engine_of(url):
    """Say which engine a DATABASE_URL names: 'sqlite' or 'postgresql'."""
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        return "sqlite"
    if scheme in ("postgres", "postgresql"):
        return "postgresql"
    raise BackupError(f"unsupported DATABASE_URL scheme: {scheme}")


def sqlite_path(url):
    """The file a sqlite:/// URL names."""
    path = url[len("sqlite:///"):]
    if not path or path == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return path


def _pg_command_target(url):
    """Split a PostgreSQL URL into (URL without password, environment with PGPASSWORD).

    The password goes through the environment, not argv, where `ps` would show it."""
    parsed = urlparse(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = unquote(parsed.password)
        host = parsed.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = (parsed.username or "") + "@" + host + (f":{parsed.port}" if parsed.port else "")
        parsed = parsed._replace(netloc=netloc)
    return urlunparse(parsed._replace(scheme="postgresql")), env


def _tool(name):
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} was not found on PATH: install the PostgreSQL client tools "
                          f"(Debian: apt install postgresql-client, the server's major version)")
    return path


def _run(args, env):
    result = subprocess.run(args, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip()[-2000:]
        raise BackupError(f"{os.path.basename(args[0])} failed (exit {result.returncode}): {tail}")


def _sqlite_tables(conn):
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                        "AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall()
    return [r[0] for r in rows]


def _sqlite_counts(conn):
    return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
            for t in _sqlite_tables(conn)}


def _pg_tables(conn):
    rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                        "ORDER BY tablename").fetchall()
    return [r[0] for r in rows]


def _pg_counts(conn):
    return {t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t)))
            .fetchone()[0] for t in _pg_tables(conn)}


def _migrations(conn, tables):
    if MIGRATION_TABLE not in tables:
        return []
    rows = conn.execute(f'SELECT name FROM "{MIGRATION_TABLE}" ORDER BY name').fetchall()
    return [r[0] for r in rows]


def _dump_sqlite(url, dest):
    """Copy the live database to dest through SQLite's backup API; return (counts, migrations).

    The copy is one read transaction of the source: consistent while the app writes (WAL lets
    writers go on), and it includes what still sits in the write-ahead log."""
    path = sqlite_path(url)
    if not os.path.exists(path):
        raise BackupError(f"no database at {path} (run `flask --app webapp migrate` first)")
    source = sqlite3.connect(path, timeout=30)
    copy = sqlite3.connect(dest)
    try:
        source.backup(copy)
        copy.commit()
        check = copy.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the database copy failed its check: {check}")
        counts = _sqlite_counts(copy)
        return counts, _migrations(copy, counts)
    except sqlite3.Error as exc:
        raise BackupError(f"could not copy the database {path}: {exc}") from None
    finally:
        copy.close()
        source.close()


def _dump_postgres(url, dest):
    """Run pg_dump into dest; return (counts, migrations) of the very snapshot it dumped.

    A REPEATABLE READ transaction exports its snapshot; pg_dump reads through it, and the row
    counts are taken in that transaction, so the manifest describes exactly what was dumped."""
    pg_dump = _tool("pg_dump")
    target, env = _pg_command_target(url)
    try:
        with psycopg.connect(url) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            _run([pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}",
                  f"--file={dest}", f"--dbname={target}"], env)
            counts = _pg_counts(conn)
            migrations = _migrations(conn, counts)
            conn.rollback()
    except psycopg.Error as exc:
        raise BackupError(f"could not read the PostgreSQL database: {exc}") from None
    return counts, migrations


def database_counts(url):
    """Row counts of every table of the database a URL names ({} when it does not exist)."""
    if engine_of(url) == "sqlite":
        path = sqlite_path(url)
        if not os.path.exists(path) or os.path.getsize(path) == 0:
            return {}
        conn = sqlite3.connect(path, timeout=30)
        try:
            return _sqlite_counts(conn)
        except sqlite3.Error as exc:
            raise BackupError(f"could not read the database {path}: {exc}") from None
        finally:
            conn.close()
    try:
        with psycopg.connect(url) as conn:
            return _pg_counts(conn)
    except psycopg.Error as exc:
        raise BackupError(f"could not read the PostgreSQL database: {exc}") from None


# ------------------------------------------------------------------ files

def _upload_files(upload_dir, skip_dirs=()):
    """Yield (relative path, absolute path) of every regular file of the upload store.

    Left out: files being written (evidence is written as `name.<hex>.tmp`, then renamed),
    a restore's staging folder, and a backup folder placed inside the store."""
    if not os.path.isdir(upload_dir):
        return
    skip = {os.path.realpath(d) for d in skip_dirs}
    for root, dirs, names in os.walk(upload_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith(STAGING_PREFIX)
                         and os.path.realpath(os.path.join(root, d)) not in skip)
        for name in sorted(names):
            if name.endswith(".tmp"):
                continue
            full = os.path.join(root, name)
            try:
                if not stat.S_ISREG(os.lstat(full).st_mode):
                    continue
            except FileNotFoundError:
                continue
            yield os.path.relpath(full, upload_dir).replace(os.sep, "/"), full


class _HashingReader:
    def __init__(self, fh):
        self.fh = fh
        self.hash = hashlib.sha256()

    def read(self, size=-1):
        data = self.fh.read(size)
        self.hash.update(data)
        return data


def _add(tar, member, path):
    """Add one file to the archive, hashing it as it goes; return {sha256, size} or None."""
    try:
        fh = open(path, "rb")
    except FileNotFoundError:  # removed since it was listed (an attachment deleted)
        return None
    with fh:
        info = tar.gettarinfo(fileobj=fh, arcname=member)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        reader = _HashingReader(fh)
        tar.addfile(info, reader)
        return {"sha256": reader.hash.hexdigest(), "size": info.size}


def _add_files(tar, upload_dir, skip_dirs):
    entries = {}
    for rel, full in _upload_files(upload_dir, skip_dirs):
        entry = _add(tar, FILES_PREFIX + rel, full)
        if entry is not None:
            entries[FILES_PREFIX + rel] = entry
    return entries


def _fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ------------------------------------------------------------------ backup

class _FolderLock:
    """An exclusive flock on the target folder's lock file, taken without waiting."""

    def __init__(self, folder):
        self.path = os.path.join(folder, LOCK_NAME)
        self.fd = None

    def __enter__(self):
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise BackupBusy(f"another backup is running into {os.path.dirname(self.path)} "
                             f"(it holds {self.path}); nothing was done") from None
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        return False


def _settings(app, target_dir, keep_daily, keep_monthly):
    target_dir = target_dir or app.config["BACKUP_DIR"]
    keep_daily = app.config["BACKUP_KEEP_DAILY"] if keep_daily is None else keep_daily
    keep_monthly = app.config["BACKUP_KEEP_MONTHLY"] if keep_monthly is None else keep_monthly
    for label, value in (("daily", keep_daily), ("monthly", keep_monthly)):
        if not isinstance(value, int) or value < 0:
            raise BackupError(f"the number of {label} backups to keep must be a whole number "
                              f"of 0 or more, not {value!r}")
    return os.path.abspath(target_dir), keep_daily, keep_monthly


def _free_name(target_dir, stamp):
    name = f"ledger-{stamp}.tar.gz"
    n = 1
    while os.path.exists(os.path.join(target_dir, name)):
        n += 1
        name = f"ledger-{stamp}-{n}.tar.gz"
    return name


def make_backup(app, target_dir=None, keep_daily=None, keep_monthly=None, now=None, prune=True):
    """Write one backup archive into target_dir, then prune old ones; return a BackupResult.

    Raise BackupBusy when another backup holds the folder's lock, BackupError when the backup
    cannot be made (nothing is left behind then). `now` (an aware datetime) names the archive.
    """
    target_dir, keep_daily, keep_monthly = _settings(app, target_dir, keep_daily, keep_monthly)
    url = app.config["DATABASE_URL"]
    engine = engine_of(url)
    upload_dir = app.config["UPLOAD_DIR"]
    now = (now or datetime.datetime.now(datetime.UTC)).astimezone(datetime.UTC)
    os.makedirs(target_dir, mode=0o700, exist_ok=True)
    with _FolderLock(target_dir):
        _remove_stale_partials(target_dir)
        name = _free_name(target_dir, now.strftime("%Y%m%dT%H%M%SZ"))
        partial = os.path.join(target_dir, PARTIAL_PREFIX + name + PARTIAL_SUFFIX)
        work = tempfile.mkdtemp(prefix=".work-", dir=target_dir)
        try:
            dump = os.path.join(work, "db")
            if engine == "sqlite":
                counts, migrations = _dump_sqlite(url, dump)
            else:
                counts, migrations = _dump_postgres(url, dump)
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as raw:
                with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
                    entries = {DB_MEMBER[engine]: _add(tar, DB_MEMBER[engine], dump)}
                    entries.update(_add_files(tar, upload_dir, [target_dir]))
                    manifest = {
                        "format": FORMAT,
                        "app": "grassroots-ledger",
                        "created_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "engine": engine,
                        "database": DB_MEMBER[engine],
                        "migration_level": migrations[-1] if migrations else None,
                        "migrations": migrations,
                        "tables": counts,
                        "files": entries,
                    }
                    _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1, sort_keys=True)
                               .encode(), now)
                raw.flush()
                os.fsync(raw.fileno())
            final = os.path.join(target_dir, name)
            os.replace(partial, final)
            _fsync_dir(target_dir)
        except BaseException:
            if os.path.exists(partial):
                os.remove(partial)
            raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
        pruned = prune_backups(target_dir, keep_daily, keep_monthly, _zone(app),
                               protect=[name]) if prune else []
    return BackupResult(final, manifest, pruned)


def _add_bytes(tar, member, data, when):
    info = tarfile.TarInfo(member)
    info.size = len(data)
    info.mtime = int(when.timestamp())
    info.mode = 0o600
    tar.addfile(info, _BytesReader(data))


class _BytesReader:
    def __init__(self, data):
        self.data, self.at = data, 0

    def read(self, size=-1):
        end = len(self.data) if size is None or size < 0 else self.at + size
        chunk, self.at = self.data[self.at:end], min(end, len(self.data))
        return chunk


def _remove_stale_partials(target_dir):
    """Remove what a killed backup left (only called while holding the folder's lock)."""
    for name in os.listdir(target_dir):
        full = os.path.join(target_dir, name)
        if name.startswith(PARTIAL_PREFIX) and name.endswith(PARTIAL_SUFFIX):
            os.remove(full)
        elif name.startswith(".work-") and os.path.isdir(full):
            shutil.rmtree(full, ignore_errors=True)


def _zone(app):
    return ZoneInfo(app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")


# ------------------------------------------------------------------ restore

def _safe_member(name):
    """Say whether an archive member name is one a backup writes (no absolute path, no ..)."""
    if name in (MANIFEST, *DB_MEMBER.values()):
        return True
    if not name.startswith(FILES_PREFIX) or "\\" in name:
        return False
    parts = name[len(FILES_PREFIX):].split("/")
    return all(p not in ("", ".", "..") for p in parts)


def _unpack(file, staging):
    """Extract the archive into staging, checking every file against the manifest.

    Return the manifest. Raise BackupError, having written nothing outside staging, when the
    archive is not a backup, is damaged, or a file's checksum differs."""
    hashes = {}
    manifest_bytes = None
    try:
        with tarfile.open(file, mode="r:gz") as tar:
            for member in tar:
                if not member.isfile() or not _safe_member(member.name):
                    raise BackupError(f"{file} is not a backup of this app (it holds "
                                      f"{member.name!r}); nothing was changed")
                source = tar.extractfile(member)
                if member.name == MANIFEST:
                    manifest_bytes = source.read()
                    continue
                dest = os.path.join(staging, *member.name.split("/"))
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                digest = hashlib.sha256()
                with open(dest, "wb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                hashes[member.name] = digest.hexdigest()
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise BackupError(f"no such file: {file}") from None
        raise BackupError(f"{file} is damaged or not a backup ({exc}); nothing was changed") \
            from None
    if manifest_bytes is None:
        raise BackupError(f"{file} has no manifest.json: it is not a complete backup; "
                          f"nothing was changed")
    try:
        manifest = json.loads(manifest_bytes)
        listed = {name: entry["sha256"] for name, entry in manifest["files"].items()}
        engine = manifest["engine"]
        manifest["tables"].items()
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BackupError(f"the manifest of {file} is damaged; nothing was changed") from None
    if manifest.get("format") != FORMAT or engine not in DB_MEMBER:
        raise BackupError(f"{file} is a backup format this version cannot read; "
                          f"nothing was changed")
    bad = sorted(n for n in set(listed) | set(hashes) if listed.get(n) != hashes.get(n))
    if bad or manifest.get("database") not in hashes:
        shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise BackupError(f"{file} is damaged: {shown or 'no database'} does not match its "
                          f"manifest; nothing was changed")
    return manifest


def _restore_sqlite(url, dump):
    """Write the backup's database into the SQLite file through the backup API.

    The API writes under SQLite's own locks and handles the write-ahead log, so a stale -wal
    file can never be replayed over the restored data."""
    path = sqlite_path(url)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    source = sqlite3.connect(dump)
    target = sqlite3.connect(path, timeout=30)
    try:
        source.backup(target)
        target.commit()
        target.execute("PRAGMA journal_mode = wal")
    except sqlite3.Error as exc:
        raise BackupError(f"could not write the database {path}: {exc}") from None
    finally:
        target.close()
        source.close()


def _restore_postgres(url, dump):
    """pg_restore the dump into the database, in one transaction (all of it or nothing)."""
    pg_restore = _tool("pg_restore")
    target, env = _pg_command_target(url)
    _run([pg_restore, "--clean", "--if-exists", "--no-owner", "--no-acl", "--single-transaction",
          "--no-password", f"--dbname={target}", dump], env)


def holds_data(app):
    """Say whether the app's database has a row (other than migration history) or a file."""
    counts = database_counts(app.config["DATABASE_URL"])
    if any(n for table, n in counts.items() if table != MIGRATION_TABLE):
        return True
    return next(_upload_files(app.config["UPLOAD_DIR"]), None) is not None


def restore_backup(app, file, force=False):
    """Put a backup back into the app's database and upload folder; return a RestoreResult.

    The archive is checked against its manifest before anything changes. A database that
    already holds data is replaced only with force, and then a safety backup of it is taken
    first (into BACKUP_DIR). Stop the app while restoring: a request running meanwhile would
    mix old and restored data. Files of the upload folder that the backup does not hold are
    left where they are (counted in extra_files).
    """
    url = app.config["DATABASE_URL"]
    engine = engine_of(url)
    upload_dir = os.path.abspath(app.config["UPLOAD_DIR"])
    os.makedirs(upload_dir, exist_ok=True)
    # Staging inside the upload folder: restored files are moved into place by rename.
    staging = tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=upload_dir)
    try:
        manifest = _unpack(file, staging)
        if manifest["engine"] != engine:
            raise BackupError(f"this backup is of a {manifest['engine']} database; the app uses "
                              f"{engine}. Nothing was changed")
        safety = None
        if holds_data(app):
            if not force:
                raise BackupError("the database (or upload folder) already holds data; "
                                  "restore with --force to replace it (a backup of it is taken "
                                  "first). Nothing was changed")
            safety = make_backup(app, prune=False).path
        dump = os.path.join(staging, *manifest["database"].split("/"))
        if engine == "sqlite":
            _restore_sqlite(url, dump)
        else:
            _restore_postgres(url, dump)
        restored = 0
        for member in manifest["files"]:
            if not member.startswith(FILES_PREFIX):
                continue
            dest = os.path.join(upload_dir, *member[len(FILES_PREFIX):].split("/"))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            os.replace(os.path.join(staging, *member.split("/")), dest)
            restored += 1
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    counts = database_counts(url)
    wrong = {t: (n, counts.get(t)) for t, n in manifest["tables"].items() if counts.get(t) != n}
    if wrong:
        listed = ", ".join(f"{t}: {got} rows, expected {n}"
                           for t, (n, got) in sorted(wrong.items()))
        raise BackupError(f"restored, but the row counts differ from the manifest: {listed}")
    in_backup = {m[len(FILES_PREFIX):] for m in manifest["files"] if m.startswith(FILES_PREFIX)}
    extra = sum(1 for rel, _full in _upload_files(upload_dir) if rel not in in_backup)
    return RestoreResult(manifest, counts, restored, extra, safety)
