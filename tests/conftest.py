"""Fixtures: one app per test session on SQLite or PostgreSQL, a clean database per test."""
import contextvars
import os
import re
import tempfile
from urllib.parse import urlparse, urlunparse

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from peewee import sort_models

from webapp import create_app
from webapp.cli import migrate_database
from webapp.db import db
from webapp.models import ALL_MODELS

ENGINE = os.environ.get("TEST_ENGINE", "sqlite")
PASSWORD = "password123"


def _pg_admin_url():
    return os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_exec(sql):
    import psycopg
    with psycopg.connect(_pg_admin_url(), autocommit=True) as conn:
        conn.execute(sql)


def make_database_url(label):
    """Create an empty database for this test process and return (url, drop)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    if ENGINE == "postgres":
        name = f"gl_test_{label}_{os.getpid()}_{worker}"
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}"')
        _pg_exec(f'CREATE DATABASE "{name}"')
        # Test data is thrown away: do not wait for the disk at every commit.
        _pg_exec(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        parsed = urlparse(_pg_admin_url())
        url = urlunparse(parsed._replace(path="/" + name))
        return url, lambda: _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    folder = tempfile.mkdtemp(prefix=f"gl-{label}-")
    return f"sqlite:///{folder}/test.db", lambda: None


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
        children_first = [m._meta.table_name for m in reversed(sort_models(ALL_MODELS))]
        db.execute_sql("; ".join(
            [f'DELETE FROM "{t}"' for t in children_first]
            + [f"SELECT setval(pg_get_serial_sequence('\"{t}\"', 'id'), 1, false)" for t in tables]))
    else:
        db.execute_sql("PRAGMA foreign_keys = OFF")
        for table in tables:
            db.execute_sql(f'DELETE FROM "{table}"')
        db.execute_sql("PRAGMA foreign_keys = ON")
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


class Client:
    """A test client that carries the CSRF token like a browser form would."""

    def __init__(self, flask_client):
        self.c = flask_client

    def csrf(self):
        with self.c.session_transaction() as sess:
            if "csrf" not in sess:
                sess["csrf"] = "test-csrf-token"
            return sess["csrf"]

    def get(self, url, **kw):
        return self.c.get(url, **kw)

    def post(self, url, data=None, csrf=True, htmx=False, **kw):
        data = dict(data or {})
        headers = kw.pop("headers", {})
        if csrf:
            data.setdefault("csrf_token", self.csrf())
        if htmx:
            headers["HX-Request"] = "true"
        return self.c.post(url, data=data, headers=headers, **kw)

    def htmx_get(self, url, **kw):
        return self.c.get(url, headers={"HX-Request": "true"}, **kw)

    def login(self, user, password=PASSWORD):
        response = self.post("/login", {"login": user.phone or user.username, "password": password})
        assert response.status_code == 303, response.data[:400]
        return response

    def logout(self):
        return self.post("/logout")


def english_client(app, language="en"):
    """A test client whose browser asks for English (tests assert English words)."""
    flask_client = app.test_client()
    flask_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    return Client(flask_client)


@pytest.fixture
def client(app):
    return english_client(app)


@pytest.fixture
def make_client(app):
    return lambda language="en": english_client(app, language)


def soup(response):
    """Parse a response's HTML."""
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text_of(node):
    return re.sub(r"\s+", " ", node.get_text(" ")).strip() if node is not None else ""


from tests.factories import *  # noqa: E402,F401,F403
