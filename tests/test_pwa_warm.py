"""The service worker's warm-up of the kept pages (sw.js keeps the kept pages a kept page links
to): the server answers it like a visit, except that it never takes a one-off message meant for
the person's next page, and never for a page that is not a kept one.

The browser side is in tests/browser/test_offline_flow.py.
"""
import pytest

from tests.helpers import key, signed_in, soup
from webapp.i18n import local_today
from webapp.ledger.models import Entry

WARM = {"X-Keep-Warm": "1"}


@pytest.fixture
def practitioner(app, make_user):
    user = make_user()
    return user, signed_in(app, user)


@pytest.mark.parametrize("path", ["/ledger/", "/ledger/new/public_service", "/scan"])
def test_a_warm_up_gets_the_kept_page(practitioner, path):
    _user, client = practitioner
    response = client.get(path, headers=WARM)
    assert response.status_code == 200 and response.headers["X-Keep-Offline"] == "1"


def test_a_warm_up_leaves_a_waiting_message_for_the_next_page(practitioner):
    user, client = practitioner
    saved = client.post("/ledger/new/public_service", {
        "date": local_today().isoformat(), "hours": "2", "category": "mediation",
        "idempotency_key": key()})
    assert saved.status_code == 303
    entry = Entry.get(Entry.user == user.id)
    withdrawn = client.post(f"/ledger/entries/{entry.id}/withdraw", {"back": "log"})
    assert withdrawn.status_code == 303
    # The warm-up runs while the person goes to the page the message is for.
    for path in ("/ledger/new/legal_aid", "/scan"):
        response = client.get(path, headers=WARM)
        assert response.status_code == 204 and "X-Keep-Offline" not in response.headers
        assert response.get_data() == b""
    page = client.get("/ledger/")
    assert soup(page).select(".flash")  # still there for the person
    assert client.get("/ledger/new/legal_aid", headers=WARM).status_code == 200  # now it goes


@pytest.mark.parametrize("path", ["/home/me", "/ledger/year", "/scan?for=7", "/me"])
def test_a_warm_up_of_another_page_gets_nothing(practitioner, path):
    _user, client = practitioner
    response = client.get(path, headers=WARM)
    assert response.status_code == 204 and response.get_data() == b""
