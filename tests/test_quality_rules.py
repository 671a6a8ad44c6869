"""Rules a review of service quality added: a service takes at most one rating per person it
served, a withdrawn service none; whoever a complaint is about never handles it; a passed
deadline is the county's to move; upheld counts are as of the period's end; a person's data
export shows ratings by month only and complaints once concluded, without the complainant's
words; behind a trusted proxy the client's address is the one the proxy appended."""
import datetime
import json

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from tests.helpers import TODAY, actor_for, log
from webapp.accounts import mydata
from webapp.errors import DomainError
from webapp.i18n import local_today
from webapp.ledger.models import Entry
from webapp.quality import complaint_figures, complaints, ratings
from webapp.quality.complaint_models import Complaint
from webapp.web import client_address

GOOD = MultiDict({"score": "5", "useful": "yes", "comment": ""})


@pytest.fixture(autouse=True)
def english(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield


def _rate(person, entry, address="203.0.113.8"):
    return ratings.rate(ratings.make_code(person, entry), GOOD, address)


def test_a_service_takes_one_rating_per_person_served(make_user):
    person = make_user("practitioner")
    entry = log(person, "public_service", today=TODAY)
    Entry.update(people_served=2).where(Entry.id == entry.id).execute()
    _rate(person, entry)
    _rate(person, entry, "203.0.113.9")
    with pytest.raises(ratings.CodeRefused) as full:
        _rate(person, entry, "203.0.113.10")
    assert full.value.reason == "used"
    case = log(person, "legal_aid", today=TODAY)
    _rate(person, case)
    with pytest.raises(ratings.CodeRefused):
        _rate(person, case, "203.0.113.11")     # one client, one rating


def test_a_withdrawn_service_takes_no_rating(make_user):
    person = make_user("practitioner")
    entry = log(person, "public_service", today=TODAY)
    code = ratings.make_code(person, entry)
    Entry.update(status="withdrawn").where(Entry.id == entry.id).execute()
    with pytest.raises(ratings.CodeRefused) as refused:
        ratings.rate(code, GOOD, "203.0.113.8")
    assert refused.value.reason == "retired"


@pytest.fixture
def people(world, make_user, fast_passwords):
    return {"director": make_user("director"), "admin": make_user("county_admin"),
            "p1": make_user("practitioner")}


def _complaint(people, about, assignee, received=-40, deadline=-10):
    today = local_today()
    return complaints.record(actor_for(people["admin"], "county_admin"), {
        "practitioner": str(about.id), "source": "letter",
        "received_on": (today + datetime.timedelta(days=received)).isoformat(),
        "summary": "来信反映", "assignee": str(assignee.id),
        "deadline": (today + datetime.timedelta(days=deadline)).isoformat()})


def test_whoever_a_complaint_is_about_never_handles_it(people):
    director = people["director"]
    with pytest.raises(DomainError) as refused:
        _complaint(people, director, director, deadline=10)
    assert refused.value.field == "assignee"
    assert Complaint.select().count() == 0


def test_a_passed_deadline_is_the_countys_to_move(people):
    complaint = _complaint(people, people["p1"], people["director"])
    later = (local_today() + datetime.timedelta(days=20)).isoformat()
    data = {"assignee": str(people["director"].id), "deadline": later}
    with pytest.raises(DomainError) as refused:
        complaints.update(actor_for(people["director"], "director"), complaint, data)
    assert refused.value.field == "deadline"
    assert complaints.is_overdue(Complaint.get_by_id(complaint.id))
    moved = complaints.update(actor_for(people["admin"], "county_admin"), complaint, data)
    assert str(moved.deadline) == later


def test_upheld_counts_are_as_of_the_periods_end(people, world):
    complaint = _complaint(people, people["p1"], people["admin"], received=-40, deadline=-10)
    admin = actor_for(people["admin"], "county_admin")
    complaints.investigate(admin, complaint, {})
    today = local_today()
    complaints.conclude(admin, Complaint.get_by_id(complaint.id), {
        "finding": "upheld", "measure": "批评教育", "reply": "已答复",
        "replied_on": today.isoformat()}, today=today)
    start = today - datetime.timedelta(days=60)
    before = complaint_figures.figures([world["a"].id], start, today - datetime.timedelta(days=1),
                                today=today)
    now = complaint_figures.figures([world["a"].id], start, today, today=today)
    assert (before["received"], before["upheld"]) == (1, 0)
    assert (now["received"], now["upheld"]) == (1, 1)


def test_the_data_export_shows_ratings_by_month_and_only_concluded_complaints(people):
    person = people["p1"]
    entry = log(person, "public_service", today=TODAY)
    _rate(person, entry)
    _complaint(people, person, people["admin"], deadline=10)
    data, _entries, _files = mydata.collect(person)
    assert [set(r) for r in data["ratings_of_my_service"]] == [
        {"score", "useful", "comment", "month"}]
    assert data["complaints_about_me"] == []        # still open: not shown
    assert "来信反映" not in json.dumps(data, ensure_ascii=False)


def test_behind_a_trusted_proxy_the_address_is_the_one_it_appended():
    app = Flask(__name__)
    app.config["TRUST_PROXY"] = True
    with app.test_request_context("/", headers={"X-Forwarded-For": "1.2.3.4, 198.51.100.7"},
                                  environ_base={"REMOTE_ADDR": "10.0.0.1"}):
        assert client_address() == "198.51.100.7"
    app.config["TRUST_PROXY"] = False
    with app.test_request_context("/", headers={"X-Forwarded-For": "1.2.3.4"},
                                  environ_base={"REMOTE_ADDR": "10.0.0.1"}):
        assert client_address() == "10.0.0.1"


def test_a_complaint_form_sent_twice_records_one_complaint(people):
    admin = actor_for(people["admin"], "county_admin")
    data = {"practitioner": str(people["p1"].id), "source": "visit",
            "received_on": local_today().isoformat(), "summary": "来访反映",
            "assignee": str(people["admin"].id), "idempotency_key": "c" * 32}
    first = complaints.record(admin, data)
    assert complaints.record(admin, dict(data)).id == first.id
    assert Complaint.select().count() == 1
    with pytest.raises(DomainError):
        complaints.record(admin, dict(data, idempotency_key="not a key!"))
