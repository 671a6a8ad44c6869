"""The Scan tab without network: what the service worker may keep, and what signing out warns about.

The browser side (the page opening offline, a kept scan sent once) is in
tests/browser/test_checkin_flow.py.
"""
import json
import re
from urllib.parse import urlparse

from tests.conftest import soup
from tests.test_permissions import fast_passwords  # noqa: F401  (fixture)


def _sw_value(body, name):
    return json.loads(re.search(r"var %s = (.*?);" % name, body).group(1))


def test_service_worker_knows_the_scan_tab_and_the_sign_in_and_out_urls(client):
    body = client.get("/sw.js").get_data(as_text=True)
    assert _sw_value(body, "SCAN_URL") == "/scan"
    assert _sw_value(body, "SIGN_URLS") == ["/login", "/logout"]
    assert "__SCAN__" not in body and "__SIGN__" not in body


def test_the_scan_tabs_files_are_precached_and_no_page(client):
    body = client.get("/sw.js").get_data(as_text=True)
    paths = {urlparse(u).path for u in _sw_value(body, "PRECACHE")}
    assert {"/static/js/scanner.js", "/static/vendor/jsqr/jsQR.js",
            "/static/css/trainings.css", "/static/js/ledger.js"} <= paths
    assert "/scan" not in paths  # kept on visit, per person, never at install


def test_scan_tab_may_be_kept_offline_and_names_its_person(client, make_user, fast_passwords):
    user = make_user()
    client.login(user)
    response = client.get("/scan")
    assert response.status_code == 200
    assert response.headers["X-Keep-Offline"] == "1"
    scanner = soup(response).find(id="scanner")
    assert scanner["data-user"] == str(user.id)
    assert scanner["data-msg-typed-offline"]


def test_scan_tab_with_a_one_off_message_or_a_training_is_not_kept(client, make_user,
                                                                   fast_passwords):
    client.login(make_user())
    assert "X-Keep-Offline" not in client.get("/scan?for=7").headers
    # An expired scan sends the person to the Scan tab with a message for this time only.
    redirected = client.get("/checkin")
    assert redirected.status_code == 302 and redirected.headers["Location"].endswith("/scan")
    response = client.get("/scan")
    assert soup(response).select(".flash")  # so the check below could fail
    assert "X-Keep-Offline" not in response.headers
    assert client.get("/scan").headers["X-Keep-Offline"] == "1"  # the message is gone


def test_other_pages_are_never_marked_for_keeping(client, make_user, fast_passwords):
    client.login(make_user())
    for path in ("/home/me", "/me", "/checkin/code", "/offline"):
        assert "X-Keep-Offline" not in client.get(path).headers, path


def test_sign_out_warns_about_scans_waiting_to_send(client, make_user, fast_passwords):
    client.login(make_user())
    form = soup(client.get("/me")).find("form", action="/logout")
    assert form.has_attr("data-logout")
    assert "{n}" in form["data-scan-warning"]
