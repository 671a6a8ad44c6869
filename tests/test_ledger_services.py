"""Ledger rules without HTTP: validation, the day's cap, idempotency, the review state machine."""
import datetime
from decimal import Decimal

import pytest

from tests.helpers import (TODAY, actor_for, categories, education_form, key, legal_aid_form, log,
                          public_form)
from webapp.accounts.models import AuditEvent, Notification
from webapp.errors import Conflict, DomainError, NotAllowed
from webapp.ledger import services
from webapp.ledger.models import Entry, ReviewRule


@pytest.fixture(autouse=True)
def request_ctx(app):
    """Services translate messages and build links, as they do inside a request."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def people(world, make_user):
    categories()
    return {
        "p": make_user("practitioner"),
        "q": make_user("practitioner"),
        "director": make_user("director"),
        "admin": make_user("county_admin"),
        "admin_b": make_user("county_admin", county=world["b"]),
        "p_b": make_user("practitioner", county=world["b"]),
    }


def refused(user, kind, form, field, today=TODAY):
    with pytest.raises(DomainError) as caught:
        services.create_entry(user, kind, form, key=key(), today=today)
    assert caught.value.field == field, caught.value.message
    assert caught.value.status == 400
    assert caught.value.message
    assert Entry.select().count() == 0
    return caught.value.message


# ------------------------------------------------------------------ logging and validation

def test_public_service_is_saved_pending_and_self_reported(people):
    entry = log(people["p"])
    assert (entry.kind, entry.status, entry.source) == ("public_service", "pending", "self")
    assert entry.hours == Decimal("2.00") and entry.people_served == 3
    assert entry.category == "consultation" and entry.place == "城关社区"


@pytest.mark.parametrize("value,why", [
    ("2026-06-16", "future"), ("2030-01-01", "future"), ("2023-12-31", "long ago"),
    ("1999-01-01", "long ago"), ("2026-02-30", "not a date"), ("yesterday", "not a date"),
    ("", "Fill in"),
])
def test_bad_dates_are_refused(people, value, why):
    message = refused(people["p"], "public_service", public_form(date=value), "date")
    assert why in message


def test_dates_back_to_january_of_the_year_before_last_are_allowed(people):
    assert log(people["p"], date="2024-01-01").date == datetime.date(2024, 1, 1)
    assert log(people["p"], date="2026年6月15日").date == TODAY
    assert log(people["p"], date="2026/6/1").date == datetime.date(2026, 6, 1)


@pytest.mark.parametrize("value", ["0", "-1", "-0.25", "12.25", "13", "100", "0.1", "1.3",
                                   "abc", "NaN", "Infinity", "", "1e3"])
def test_bad_hours_are_refused(people, value):
    refused(people["p"], "public_service", public_form(hours=value), "hours")


@pytest.mark.parametrize("value,stored", [("0.25", "0.25"), ("12", "12.00"), ("1,5", "1.50"),
                                          ("２.７５", "2.75")])
def test_quarter_hours_are_accepted(people, value, stored):
    assert log(people["p"], "education", hours=value).hours == Decimal(stored)


@pytest.mark.parametrize("field,value", [("category", "karaoke"), ("category", ""),
                                         ("people_served", "-3"), ("people_served", "many"),
                                         ("place", "x" * 121), ("description", "x" * 501)])
def test_other_public_service_fields_are_checked(people, field, value):
    refused(people["p"], "public_service", public_form(**{field: value}), field)


@pytest.mark.parametrize("text", [
    "当事人身份证号320102198001011234", "ID 32010219800101123X here", "32010219800101123x",
    "３２０１０２１９８００１０１１２３４", "3201 0219 8001 0112 34", "320102-19800101-1234",
])
def test_identity_numbers_are_refused_with_the_reason(people, text):
    message = refused(people["p"], "legal_aid", legal_aid_form(description=text), "description")
    assert "identity number" in message and "Personal information" in message


def test_identity_numbers_are_refused_in_every_free_text_field(people):
    idno = "320102198001011234"
    refused(people["p"], "legal_aid", legal_aid_form(case_number=idno), "case_number")
    refused(people["p"], "public_service", public_form(description=idno), "description")
    refused(people["p"], "public_service", public_form(place=idno), "place")
    refused(people["p"], "education", education_form(topic=idno), "topic")
    refused(people["p"], "education", education_form(provider=idno), "provider")


def test_numbers_that_are_not_identity_numbers_pass(people):
    entry = log(people["p"], "legal_aid", description="电话13900001111，案号（2026）苏0102民初1234号，"
                                                       "涉案金额1234567890123456789元")
    assert entry.status == "pending"


@pytest.mark.parametrize("over,field", [
    ({"case_number": ""}, "case_number"), ({"case_number": "x" * 61}, "case_number"),
    ({"case_type": "tax"}, "case_type"), ({"case_status": "lost"}, "case_status"),
    ({"case_status": "closed", "closed_on": ""}, "closed_on"),
    ({"case_status": "closed", "closed_on": "2026-06-01", "date": "2026-06-10"}, "closed_on"),
    ({"case_status": "closed", "closed_on": "2026-06-16"}, "closed_on"),
    ({"date": "2026-07-01"}, "date"),
])
def test_legal_aid_fields_are_checked(people, over, field):
    refused(people["p"], "legal_aid", legal_aid_form(**over), field)


def test_a_closed_case_keeps_its_closing_date_and_counts_one(people):
    entry = log(people["p"], "legal_aid", case_status="closed", date="2026-03-01",
                closed_on="2026-03-01")
    assert entry.closed_on == datetime.date(2026, 3, 1)
    assert (entry.count, entry.hours, entry.case_type) == (1, Decimal(0), "civil")
    open_case = log(people["p"], "legal_aid", closed_on="2026-05-01")
    assert open_case.closed_on is None   # only a closed case has a closing date


@pytest.mark.parametrize("over,field", [
    ({"category": "烹饪"}, "category"), ({"provider": ""}, "provider"), ({"topic": " "}, "topic"),
    ({"hours": "0"}, "hours"),
])
def test_outside_learning_fields_are_checked(people, over, field):
    refused(people["p"], "education", education_form(**over), field)


def test_outside_learning_needs_evidence_when_the_county_says_so(people, world):
    ReviewRule.create(county=world["a"], year=2026, education_needs_evidence=True)
    refused(people["p"], "education", education_form(), "evidence")
    # Another year's rule is another year's business.
    assert log(people["p"], "education", date="2025-12-30").status == "pending"


def test_unknown_kinds_cannot_be_self_reported(people):
    for kind in ("training_credit", "party_activity", "anything"):
        refused(people["p"], kind, public_form(), "kind")


# ------------------------------------------------------------------ the day's cap

def test_a_day_carries_at_most_the_county_cap(people):
    log(people["p"], hours="6")
    message = refused_after(people["p"], public_form(hours="2.25"))
    assert "at most 8" in message and "2" in message
    assert log(people["p"], hours="2").hours == Decimal(2)      # exactly 8 is fine
    assert log(people["p"], date="2026-06-14", hours="8").status == "pending"


def refused_after(user, form):
    before = Entry.select().count()
    with pytest.raises(DomainError) as caught:
        services.create_entry(user, "public_service", form, key=key(), today=TODAY)
    assert caught.value.field == "hours"
    assert Entry.select().count() == before
    return caught.value.message


def test_the_cap_comes_from_the_county_rule_and_ignores_withdrawn_and_declined(people, world):
    ReviewRule.create(county=world["a"], year=2026, max_public_hours_per_day=4)
    first = log(people["p"], hours="3")
    refused_after(people["p"], public_form(hours="1.25"))
    services.withdraw_entry(people["p"], first)
    second = log(people["p"], hours="4")
    services.decline(actor_for(people["admin"], "county_admin"), second, "不属于公益服务")
    assert log(people["p"], hours="4").status == "pending"
    # Another person's day and other kinds do not count.
    assert log(people["q"], hours="4").status == "pending"
    assert log(people["p"], "education", hours="8").status == "pending"


def test_editing_does_not_count_the_entry_twice(people):
    entry = log(people["p"], hours="6")
    edited, _ = services.edit_entry(people["p"], entry, public_form(hours="8"), today=TODAY)
    assert edited.hours == Decimal(8)
    with pytest.raises(DomainError):
        services.edit_entry(people["p"], edited, public_form(hours="8.25"), today=TODAY)


# ------------------------------------------------------------------ idempotency

def test_the_same_key_returns_the_first_entry(people):
    k = key()
    first, created = services.create_entry(people["p"], "public_service", public_form(), key=k,
                                           today=TODAY)
    again, created_again = services.create_entry(people["p"], "public_service",
                                                 public_form(hours="5"), key=k, today=TODAY)
    assert created and not created_again
    assert again.id == first.id and again.hours == Decimal(2)
    assert Entry.select().count() == 1


def test_a_key_used_by_someone_else_is_refused(people):
    k = key()
    services.create_entry(people["p"], "public_service", public_form(), key=k, today=TODAY)
    with pytest.raises(Conflict):
        services.create_entry(people["q"], "public_service", public_form(), key=k, today=TODAY)
    assert Entry.select().count() == 1


@pytest.mark.parametrize("bad", ["short", "has spaces in it", "x" * 65, "<script>alert</script>"])
def test_malformed_keys_are_refused(people, bad):
    with pytest.raises(DomainError):
        services.create_entry(people["p"], "public_service", public_form(), key=bad, today=TODAY)
    assert Entry.select().count() == 0


# ------------------------------------------------------------------ the state machine

def test_pending_entries_can_be_edited_and_withdrawn_by_their_author(people):
    entry = log(people["p"])
    edited, resubmitted = services.edit_entry(people["p"], entry, public_form(hours="3.5"),
                                              today=TODAY)
    assert edited.status == "pending" and not resubmitted and edited.hours == Decimal("3.5")
    with pytest.raises(NotAllowed):
        services.edit_entry(people["q"], edited, public_form(), today=TODAY)
    with pytest.raises(NotAllowed):
        services.withdraw_entry(people["q"], edited)
    withdrawn = services.withdraw_entry(people["p"], edited)
    assert withdrawn.status == "withdrawn"
    assert services.withdraw_entry(people["p"], withdrawn).status == "withdrawn"  # twice: no change
    with pytest.raises(Conflict):
        services.edit_entry(people["p"], withdrawn, public_form(), today=TODAY)
    with pytest.raises(Conflict):
        services.approve(actor_for(people["admin"], "county_admin"), withdrawn)
    assert Entry.select().count() == 1    # never deleted


def test_approval_locks_the_entry(people):
    entry = log(people["p"])
    admin = actor_for(people["admin"], "county_admin")
    approved = services.approve(admin, entry)
    assert approved.status == "approved" and approved.reviewer_id == people["admin"].id
    for change in (lambda: services.edit_entry(people["p"], approved, public_form(), today=TODAY),
                   lambda: services.withdraw_entry(people["p"], approved),
                   lambda: services.approve(admin, approved),
                   lambda: services.decline(admin, approved, "再看看")):
        with pytest.raises(Conflict):
            change()
    assert Entry.get_by_id(entry.id).hours == Decimal(2)
    assert not services.can_edit(people["p"], approved)


def test_declined_entries_show_the_reason_and_go_back_for_review_when_fixed(people):
    entry = log(people["p"])
    admin = actor_for(people["admin"], "county_admin")
    with pytest.raises(DomainError) as caught:
        services.decline(admin, entry, "   ")
    assert caught.value.field == "reason"
    assert Entry.get_by_id(entry.id).status == "pending"
    declined = services.decline(admin, entry, "缺少服务记录，请补充照片")
    assert declined.status == "declined" and declined.review_note == "缺少服务记录，请补充照片"
    with pytest.raises(Conflict):
        services.withdraw_entry(people["p"], declined)
    fixed, resubmitted = services.edit_entry(people["p"], declined, public_form(hours="1.5"),
                                             today=TODAY)
    assert resubmitted and fixed.status == "pending"
    assert fixed.reviewer_id is None and fixed.reviewed_at is None
    assert fixed.review_note == "缺少服务记录，请补充照片"   # the reviewer sees why it came back
    assert services.approve(admin, fixed).status == "approved"


def test_system_entries_are_never_editable(people):
    entry = Entry.create(user=people["p"], kind="training_credit", date=TODAY, hours=3,
                         source="system", status="recorded")
    with pytest.raises(NotAllowed):
        services.edit_entry(people["p"], entry, public_form(), today=TODAY)
    with pytest.raises(NotAllowed):
        services.withdraw_entry(people["p"], entry)
    with pytest.raises(NotAllowed):
        services.approve(actor_for(people["admin"], "county_admin"), entry)
    assert not services.can_edit(people["p"], entry)


def test_a_stale_version_is_not_decided(people):
    entry = log(people["p"])
    seen = services.version_of(entry)
    services.edit_entry(people["p"], entry, public_form(hours="7"), today=TODAY)
    with pytest.raises(Conflict):
        services.approve(actor_for(people["admin"], "county_admin"), entry, version=seen)
    fresh = Entry.get_by_id(entry.id)
    assert services.approve(actor_for(people["admin"], "county_admin"), fresh,
                            version=services.version_of(fresh)).status == "approved"


# ------------------------------------------------------------------ who reviews

def test_county_admins_review_only_their_county(people):
    mine, theirs = log(people["p"]), log(people["p_b"])
    admin = actor_for(people["admin"], "county_admin")
    assert services.can_review(admin, mine) and not services.can_review(admin, theirs)
    with pytest.raises(NotAllowed):
        services.approve(admin, theirs)
    assert [e.id for e in services.queue(admin)] == [mine.id]


def test_directors_review_their_firm_only_when_the_county_allows(people, world, make_user):
    entry = log(people["p"])
    director = actor_for(people["director"], "director")
    assert not services.can_review(director, entry)
    with pytest.raises(NotAllowed):
        services.approve(director, entry)
    assert list(services.queue(director)) == []
    ReviewRule.create(county=world["a"], year=2026, director_reviews=True)
    assert services.can_review(director, entry)
    assert services.approve(director, entry).status == "approved"
    # Another firm's entries stay out of reach.
    from webapp.accounts.models import Firm
    other_firm = Firm.create(name="甲县河口法律服务所", county=world["a"])
    other = log(make_user("practitioner", firm=other_firm))
    assert not services.can_review(director, other)
    # An entry dated in a year without the permission is the county's to review.
    old = log(people["p"], date="2025-12-31")
    assert not services.can_review(director, old)


def test_nobody_reviews_their_own_entries(people, world):
    ReviewRule.create(county=world["a"], year=2026, director_reviews=True)
    own = log(people["director"])
    with pytest.raises(NotAllowed):
        services.approve(actor_for(people["director"], "director"), own)
    assert own.id not in [e.id for e in services.queue(actor_for(people["director"], "director"))]


def test_every_decision_is_audited_and_tells_the_author(app, people):
    admin = actor_for(people["admin"], "county_admin")
    a, b = log(people["p"]), log(people["p"], "legal_aid")
    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.0.0.1"}):
        services.approve(admin, a)
    services.decline(admin, b, "未经法律援助机构指派")
    events = list(AuditEvent.select().order_by(AuditEvent.id))
    assert [(e.action, e.object_id, e.actor_id) for e in events] == [
        ("entry.approve", a.id, people["admin"].id), ("entry.decline", b.id, people["admin"].id)]
    assert events[0].address == "10.0.0.1" and "未经法律援助机构指派" in events[1].detail
    notes = list(Notification.select().order_by(Notification.id))
    assert [(n.user_id, n.kind) for n in notes] == [(people["p"].id, "entry_approved"),
                                                     (people["p"].id, "entry_declined")]
    assert notes[0].link == f"/ledger/entries/{a.id}"
    assert "未经法律援助机构指派" in notes[1].message


def test_the_notice_is_in_the_authors_language(people):
    people["p"].locale = "zh_Hans_CN"
    people["p"].save()
    services.decline(actor_for(people["admin"], "county_admin"), log(people["p"]), "请补充照片")
    message = Notification.get().message
    assert "请补充照片" in message and "Declined" not in message


def test_bulk_approval_skips_what_it_may_not_or_should_not_decide(people):
    admin = actor_for(people["admin"], "county_admin")
    a, b, c, foreign = log(people["p"]), log(people["q"]), log(people["p"]), log(people["p_b"])
    stale = services.version_of(c)
    services.edit_entry(people["p"], c, public_form(hours="1"), today=TODAY)
    approved, skipped = services.bulk_approve(admin, [
        (a.id, services.version_of(a)), (b.id, None), (c.id, stale), (foreign.id, None)])
    assert (approved, skipped) == (2, 2)
    assert {e.id: e.status for e in Entry.select()} == {
        a.id: "approved", b.id: "approved", c.id: "pending", foreign.id: "pending"}
    assert AuditEvent.select().count() == 2


# ------------------------------------------------------------------ county rules

def test_county_rules_are_validated_saved_and_audited(people, world):
    with pytest.raises(DomainError) as caught:
        services.clean_rule({"max_public_hours_per_day": "0", "outside_education_cap": "10"})
    assert caught.value.field == "max_public_hours_per_day"
    for bad in ("-1", "41", "x", "2.1"):
        with pytest.raises(DomainError):
            services.clean_rule({"max_public_hours_per_day": "8", "outside_education_cap": bad})
    clean = services.clean_rule({"max_public_hours_per_day": "6.5", "outside_education_cap": "12",
                                 "director_reviews": "1"})
    services.save_rule(people["admin"], world["a"], 2026, clean)
    services.save_rule(people["admin"], world["a"], 2026, dict(clean, outside_education_cap=10))
    rule = ReviewRule.get(ReviewRule.county == world["a"], ReviewRule.year == 2026)
    assert (rule.max_public_hours_per_day, rule.outside_education_cap, rule.director_reviews,
            rule.education_needs_evidence) == (Decimal("6.5"), Decimal(10), True, False)
    assert AuditEvent.select().where(AuditEvent.action == "review_rule.save").count() == 2
    assert services.rule_for(world["b"].id, 2026).max_public_hours_per_day == 8   # defaults
