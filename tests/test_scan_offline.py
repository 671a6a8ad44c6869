"""Pages kept for use without network (the Scan tab, the Log tab and its three forms): what the
service worker may keep, and what signing out warns about.

The browser side (the page opening offline, a kept scan or entry sent once) is in
tests/browser/test_checkin_flow.py and tests/browser/test_ledger_flow.py.
"""
import json
import re
from urllib.parse import urlparse

import pytest

from tests.helpers import key, signed_in, soup
from webapp.i18n import local_today
from webapp.ledger.models import Entry

KEPT = ["/scan", "/ledger/", "/ledger/new/public_service", "/ledger/new/legal_aid",
        "/ledger/new/education"]


def _sw_value(body, name):
    return json.loads(re.search(r"var %s = (.*?);" % name, body).group(1))


def test_service_worker_knows_the_kept_pages_and_the_sign_in_and_out_urls(client):
    body = client.get("/sw.js").get_data(as_text=True)
    assert _sw_value(body, "KEEP_URLS") == KEPT
    assert _sw_value(body, "SIGN_URLS") == ["/login", "/logout"]
    assert "__KEEP__" not in body and "__SIGN__" not in body


def test_the_kept_pages_files_are_precached_and_no_page(client):
    body = client.get("/sw.js").get_data(as_text=True)
    paths = {urlparse(u).path for u in _sw_value(body, "PRECACHE")}
    assert {"/static/js/scanner.js", "/static/css/trainings.css", "/static/js/ledger.js",
            "/static/css/ledger.css"} <= paths
    # The QR decoder is fetched only by a phone without a working BarcodeDetector, then kept
    # by the service worker as it is fetched (tests/browser/test_weight_flow.py).
    assert "/static/vendor/jsqr/jsQR.js" not in paths
    assert not paths & set(KEPT)  # kept on visit, per person, never at install


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
    for path in ("/home/me", "/me", "/checkin/code", "/offline", "/ledger/year"):
        response = client.get(path)
        assert response.status_code == 200, path  # so the check below could fail
        assert "X-Keep-Offline" not in response.headers, path


# ---------------------------------------------------------------- the Log tab and its forms

def _entry(**over):
    return dict({"date": local_today().isoformat(), "hours": "2", "category": "mediation",
                 "idempotency_key": key()}, **over)


@pytest.fixture
def practitioner(app, make_user):
    user = make_user()
    return user, signed_in(app, user)


@pytest.mark.parametrize("path", KEPT[1:])
def test_log_tab_and_forms_may_be_kept_and_name_their_person(practitioner, path):
    user, client = practitioner
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["X-Keep-Offline"] == "1"
    forms = soup(response).select("form[data-ledger-form]")
    assert len(forms) == (0 if path == "/ledger/" else 1)
    for form in forms:
        # A kept form sends its person, and gets a fresh key and date from ledger.js.
        assert form.find("input", attrs={"name": "for_user"})["value"] == str(user.id)
        assert form.find("input", attrs={"data-idempotency": True})
        date = form.find("input", attrs={"name": "date"})
        assert date["value"] == date["max"] == local_today().isoformat()


def test_a_just_saved_entry_or_a_message_is_not_kept(practitioner):
    user, client = practitioner
    saved = client.post("/ledger/new/public_service", _entry())
    assert saved.status_code == 303
    entry = Entry.get(Entry.user == user.id)
    assert saved.headers["Location"].endswith(f"/ledger/?saved={entry.id}")
    response = client.get(f"/ledger/?saved={entry.id}")
    assert soup(response).select("[data-saved]")  # so the check below could fail
    assert "X-Keep-Offline" not in response.headers
    for path in (f"/ledger/entries/{entry.id}", f"/ledger/entries/{entry.id}/edit"):
        response = client.get(path)
        assert response.status_code == 200 and "X-Keep-Offline" not in response.headers, path
    # Withdrawing from the Log tab comes back to it with a message for this time only.
    withdrawn = client.post(f"/ledger/entries/{entry.id}/withdraw", {"back": "log"})
    assert withdrawn.status_code == 303 and withdrawn.headers["Location"].endswith("/ledger/")
    response = client.get("/ledger/")
    assert soup(response).select(".flash")
    assert "X-Keep-Offline" not in response.headers
    assert client.get("/ledger/").headers["X-Keep-Offline"] == "1"  # the message is gone


def test_refused_forms_fragments_and_other_roles_are_not_kept(practitioner, app, make_user):
    user, client = practitioner
    refused = client.post("/ledger/new/public_service", _entry(date=""))
    assert refused.status_code == 400
    assert "X-Keep-Offline" not in refused.headers
    fragment = client.htmx_get("/ledger/")
    assert fragment.status_code == 200 and "X-Keep-Offline" not in fragment.headers
    assert "X-Keep-Offline" not in client.get("/ledger/new/party_activity").headers
    admin = signed_in(app, make_user("county_admin"))
    response = admin.get("/ledger/new/public_service")
    assert response.status_code == 403 and "X-Keep-Offline" not in response.headers


def test_sign_out_warns_about_scans_waiting_to_send(client, make_user, fast_passwords):
    client.login(make_user())
    form = soup(client.get("/me")).find("form", action="/logout")
    assert form.has_attr("data-logout")
    assert "{n}" in form["data-scan-warning"]
