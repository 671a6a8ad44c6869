"""The live server browser tests drive: gunicorn on a database of its own.

conftest.py's `live_server` is one such server per test process, shared by its browser tests.
A module whose pages must show only the seed and its own data, whatever other tests did
before it on the same process (Lighthouse's scores, the field walk's measures), declares

    live_server, role_states = own_server()

and gets a server of its own for the module (and sign-ins of its own: cookies of the shared
server's sessions mean nothing to it).
"""
import contextlib
import datetime
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.browser.helpers import ROOT, bound_to
from tests.browser.seed import seed
from tests.helpers import ENGINE, make_database_url


def _bin(name):
    """A console script of this virtualenv (where pytest runs from)."""
    candidate = Path(sys.executable).parent / name
    return str(candidate if candidate.exists() else ROOT / ".venv" / "bin" / name)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    def __init__(self, base_url, database_url, people, log_path):
        self.base_url = base_url
        self.database_url = database_url
        self.people = people
        self.log_path = log_path

    def log(self):
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def serve(label):
    """The app under gunicorn (2 workers) on a free local port, on a database of its own
    (named after `label`) migrated by `flask migrate` and seeded; stopped and dropped after."""
    url, drop = make_database_url(label)
    workdir = Path(tempfile.mkdtemp(prefix=f"gl-{label}-"))
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="browser-test-secret",
               UPLOAD_DIR=str(workdir / "uploads"), TIMEZONE="Asia/Shanghai")
    env.pop("FLASK_APP", None)
    log_path = workdir / "gunicorn.log"
    proc = None
    try:
        migrated = subprocess.run([_bin("flask"), "--app", "webapp", "migrate"], cwd=ROOT,
                                  env=env, capture_output=True, text=True, timeout=120)
        if migrated.returncode:
            pytest.fail(f"flask migrate failed ({ENGINE}):\n{migrated.stdout}\n{migrated.stderr}",
                        pytrace=False)
        with bound_to(url):
            people = seed(datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date())
        port = _free_port()
        with open(log_path, "w") as log:
            proc = subprocess.Popen(
                [_bin("gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--graceful-timeout",
                 "3", "webapp:create_app()"], cwd=ROOT, env=env, stdout=log,
                stderr=subprocess.STDOUT)
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60  # a busy machine starts it slowly
        while True:
            try:
                with urllib.request.urlopen(base_url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("gunicorn did not start:\n" + log_path.read_text(), pytrace=False)
            time.sleep(0.2)
        yield LiveServer(base_url, url, people, log_path)
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        drop()
        shutil.rmtree(workdir, ignore_errors=True)


def own_server():
    """Module-scoped `live_server` and `role_states` fixtures, to assign at module level."""

    @pytest.fixture(scope="module", name="live_server")
    def module_live_server(chromium, request):
        with serve(request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")) as server:
            yield server

    @pytest.fixture(scope="module", name="role_states")
    def module_role_states():
        return {}

    return module_live_server, module_role_states
