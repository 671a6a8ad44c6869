"""Fixtures: one app per test session on SQLite or PostgreSQL, a clean database per test.

More fixtures live in tests/fixtures/ (loaded below as plugins); plain helpers in
tests/helpers.py; browser fixtures in tests/browser/conftest.py, their helpers in
tests/browser/helpers.py. Test modules import from those, never from each other.
"""
import contextvars
import tempfile

import pytest
from flask.testing import FlaskClient
from peewee import sort_models

from tests.helpers import ENGINE, english_client, make_database_url
from webapp import create_app
from webapp.cli import migrate_database
from webapp.db import db
from webapp.models import ALL_MODELS

pytest_plugins = ["tests.fixtures.accounts", "tests.fixtures.trainings",
                  "tests.fixtures.branches"]


class FreshContextClient(FlaskClient):
    """Run each request in its own app context, as a server would.

    clean_db keeps an app context open for the whole test; without this, every request of
    a test would share one `g` (and Flask-Babel's cached locale, and g.csrf_failed)."""

    def open(self, *args, **kwargs):
        if self.preserve_context:
            return super().open(*args, **kwargs)
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app():
    url, drop = make_database_url("app")
    upload_dir = tempfile.mkdtemp(prefix="gl-uploads-")
    application = create_app({
        "TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret",
        "UPLOAD_DIR": upload_dir, "PROPAGATE_EXCEPTIONS": False,
    })
    application.test_client_class = FreshContextClient
    with application.app_context():
        migrate_database()
    yield application
    if not db.is_closed():
        db.close()
    db.obj.close_all()
    drop()


def truncate_all():
    """Empty every table (fast, keeps the schema)."""
    db.connect(reuse_if_open=True)
    tables = [m._meta.table_name for m in ALL_MODELS]
    if ENGINE == "postgres":
        # DELETE (children first) and restarting the id sequences is many times faster than
        # TRUNCATE on tables this small, in one round trip.
        # The audit trail's triggers refuse deletes (migration 0018): off while emptying it.
        children_first = [m._meta.table_name for m in reversed(sort_models(ALL_MODELS))]
        db.execute_sql("; ".join(
            ['ALTER TABLE "audit_event" DISABLE TRIGGER USER']
            + [f'DELETE FROM "{t}"' for t in children_first]
            + [f"SELECT setval(pg_get_serial_sequence('\"{t}\"', 'id'), 1, false)" for t in tables]
            + ['ALTER TABLE "audit_event" ENABLE TRIGGER USER']))
    else:
        # The audit trail's triggers refuse deletes (migration 0018): dropped while emptying it.
        triggers = db.execute_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
        for name, _sql in triggers:
            db.execute_sql(f'DROP TRIGGER "{name}"')
        db.execute_sql("PRAGMA foreign_keys = OFF")
        for table in tables:
            db.execute_sql(f'DELETE FROM "{table}"')
        db.execute_sql("PRAGMA foreign_keys = ON")
        for _name, sql in triggers:
            db.execute_sql(sql)
    db.close()


@pytest.fixture(autouse=True)
def clean_db(app):
    """Give each test an empty database and an open connection for direct model use."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        yield
        if not db.is_closed():
            db.close()
        truncate_all()


@pytest.fixture
def client(app):
    return english_client(app)


@pytest.fixture
def make_client(app):
    return lambda language="en": english_client(app, language)
