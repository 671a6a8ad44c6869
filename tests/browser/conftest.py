"""Browser tests: the real app under gunicorn, driven by Debian's chromium through Playwright.

One live server and one browser per test process (tests/browser/server.py). The server gets
its own database on the current engine (TEST_ENGINE, like the rest of the suite), migrated
with the real `flask migrate` command and seeded through the models (tests/browser/seed.py).
Never run `playwright install`: the tests use /usr/bin/chromium.
"""
import os
import shutil
from pathlib import Path

import pytest

from tests.browser.helpers import (CHROMIUM, FAILURES, HERE, LAUNCH_ARGS, PHONE,
                                   SCREENSHOTS, WAIT_MS, expect, login)
from tests.browser.server import serve
from tests.helpers import ENGINE


# On the PostgreSQL run, only these browser tests run: they send through the offline queue
# and the sync endpoint, where the engine's locking and idempotent inserts decide what lands.
# The other pages and scripts are the same on both engines, and the HTTP tests run every
# route on PostgreSQL, so driving a browser through them again would only double the time.
BOTH_ENGINES = ("test_checkin_flow.py", "test_offline_flow.py", "test_queue_survival.py")


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real browser (tests/browser)")


def pytest_collection_modifyitems(config, items):
    once = pytest.mark.skip(reason="the page is the same on both engines: browser-tested on "
                                   "the SQLite run (see BOTH_ENGINES)")
    for item in items:
        path = Path(str(item.fspath))
        if HERE in path.parents:
            item.add_marker(pytest.mark.browser)
            if ENGINE == "postgres" and path.name not in BOTH_ENGINES:
                item.add_marker(once)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Mark a test whose body failed, so the phone fixture can keep what its pages showed."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        item.body_failed = True


def _keep_failure(node, contexts):
    """Save each open page's picture and HTML under tests/browser/failures/ (kept across runs,
    git-ignored), and print its address (CI shows the print)."""
    FAILURES.mkdir(exist_ok=True)
    n = 0
    for context in contexts:
        for page in context.pages:
            n += 1
            stem = FAILURES / f"{node.name}-{n}"
            try:
                print(f"page {n} at failure: {page.url}")
                page.screenshot(path=f"{stem}.png")
                stem.with_suffix(".html").write_text(page.content())
            except Exception as exc:  # noqa: BLE001 - a closed page must not hide the failure
                print(f"page {n}: could not keep it ({exc})")


@pytest.fixture(autouse=True)
def clean_db():
    """Browser tests use their own database (see live_server), not the `app` fixture's."""
    yield


@pytest.fixture(scope="session")
def chromium():
    """The path to Debian's chromium; skip (or fail in CI) when it is missing."""
    problem = None
    if not os.access(CHROMIUM, os.X_OK):
        problem = (f"Debian's chromium is not installed at {CHROMIUM}; run "
                   "`bash tests/browser/ensure_chromium.sh` (or `make browser`) as root")
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the Python package `playwright` is not installed (.[test] extras)"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run in CI: {problem}", pytrace=False)
        pytest.skip(f"browser tests skipped: {problem}")
    return CHROMIUM


@pytest.fixture(scope="session")
def live_server(chromium):
    """The app under gunicorn (2 workers) on a free local port, with seeded data, shared by
    the browser tests of this process (a module that must not see what other tests left
    uses tests/browser/server.py's `own_server`)."""
    with serve("browser") as server:
        yield server


@pytest.fixture(autouse=True)
def server_log_clean(live_server):
    """Fail a test that made the server log a traceback (a 500 the page may hide)."""
    before = len(live_server.log())
    yield
    new = live_server.log()[before:]
    assert "Traceback" not in new, "the server logged an error:\n" + new[-4000:]


@pytest.fixture(scope="session")
def browser(chromium):
    from playwright.sync_api import sync_playwright
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)  # only this run's pictures, none stale
    pw = sync_playwright().start()
    try:
        instance = pw.chromium.launch(executable_path=chromium, headless=True, args=LAUNCH_ARGS)
        expect.set_options(timeout=WAIT_MS)
        yield instance
        instance.close()
    finally:
        pw.stop()


def _watch(page, problems):
    page.on("console", lambda msg: problems.append(
        f"console.{msg.type} on {page.url}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"uncaught exception on {page.url}: {exc}"))


# Runs in every document before its own scripts; Playwright injects it outside the page's
# CSP, so it can report what the CSP blocks.
CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', function (e) {
  window.__glReportCsp(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') +
                       ' (' + (e.sourceFile || '') + ':' + (e.lineNumber || 0) + ')');
});
"""


@pytest.fixture(scope="session")
def role_states():
    """Signed-in browser state (cookies) per role, filled by the first login of each role."""
    return {}


@pytest.fixture
def phone(browser, live_server, role_states, request):
    """Factory: phone(role=None, **context options) -> a new context with .problems.

    A role's context starts signed in (the first time through the real login form)."""
    contexts = []

    def make(role=None, **options):
        settings = dict(PHONE, base_url=live_server.base_url, **options)
        if role and role in role_states:
            settings["storage_state"] = role_states[role]
        context = browser.new_context(**settings)
        context.set_default_timeout(WAIT_MS)
        problems = []  # console errors, uncaught exceptions, CSP violations
        context.problems = problems
        context.expose_binding("__glReportCsp",
                               lambda source, text: problems.append(f"CSP violation: {text}"))
        context.add_init_script(CSP_LISTENER)
        context.on("page", lambda page: _watch(page, problems))
        contexts.append(context)
        if role and role not in role_states:
            page = context.new_page()
            login(page, role, live_server.people)
            role_states[role] = context.storage_state()
            page.close()
        return context

    yield make
    if getattr(request.node, "body_failed", False):
        _keep_failure(request.node, contexts)
    for context in contexts:
        context.close()
