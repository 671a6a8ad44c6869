"""Satisfaction ratings by the people served: signed single-use codes that expire, the desk
card, limits per address, nothing stored about the rater, scoping, hostile input, figures."""
import datetime
from decimal import Decimal

import pytest
from peewee import IntegrityError

from tests.helpers import TODAY, categories, log, signed_in, soup, text_of
from webapp.accounts.models import LoginAttempt, Notification
from webapp.db import db, utcnow
from webapp.ledger.models import Entry
from webapp.quality import ratings
from webapp.quality.rating_models import Rating

GOOD = {"score": "5", "useful": "yes", "comment": "解答很耐心"}
RATER = "203.0.113.77"


@pytest.fixture(autouse=True)
def request_context(app):
    """Messages are translated, so services run inside a request (English, like the client)."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def person(make_user):
    return make_user("practitioner", name="李秀英")


@pytest.fixture
def entry(person):
    return log(person, "public_service", today=TODAY)


@pytest.fixture
def visitor(make_client):
    """A phone without a session (the person served), at a known address."""
    client = make_client("en")
    client.c.environ_base["REMOTE_ADDR"] = RATER
    return client


def code_url(code):
    return f"/r/{code}"


def _rate(client, code, form=None, **kw):
    return client.post(code_url(code), dict(GOOD if form is None else form), **kw)


# ------------------------------------------------------------------ codes

def test_a_code_names_the_practitioner_and_entry_and_reads_back(person, entry):
    code = ratings.make_code(person, entry)
    assert len(code) == ratings.CODE_LENGTH
    ticket = ratings.read_code(code)
    assert (ticket.practitioner.id, ticket.entry.id) == (person.id, entry.id)
    assert len(ticket.key) == 16
    assert ratings.read_code(ratings.make_code(person, entry)).key != ticket.key


@pytest.mark.parametrize("spoil", [
    lambda c: c[:-1] + ("A" if c[-1] != "A" else "B"),       # MAC changed
    lambda c: ("B" if c[0] != "B" else "C") + c[1:],         # payload changed
    lambda c: c[:-1],                                        # too short
    lambda c: c + "A",                                       # too long
    lambda c: c[:20] + "+" + c[21:],                         # not base64url
    lambda c: "",
])
def test_a_spoilt_code_is_refused_as_forged(person, entry, spoil):
    with pytest.raises(ratings.CodeRefused) as refused:
        ratings.read_code(spoil(ratings.make_code(person, entry)))
    assert refused.value.reason == "forged" and refused.value.status == 404


def test_a_code_signed_with_another_secret_is_forged(app, person, entry):
    code = ratings.make_code(person, entry)
    secret = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "another-secret"
    try:
        with pytest.raises(ratings.CodeRefused) as refused:
            ratings.read_code(code)
    finally:
        app.config["SECRET_KEY"] = secret
    assert refused.value.reason == "forged"


def test_a_code_for_an_entry_of_someone_else_is_forged(person, entry, make_user):
    other = make_user("practitioner")
    # A code naming the other person with this person's entry (as if forged with the secret).
    fake = type("U", (), {"id": other.id})()
    with pytest.raises(ratings.CodeRefused) as refused:
        ratings.read_code(ratings.make_code(fake, entry))
    assert refused.value.reason == "forged"


def test_codes_expire_after_the_configured_days(app, person, entry, visitor, monkeypatch):
    now = utcnow()
    assert ratings.code_days() == 7
    fresh = ratings.make_code(person, entry, now - datetime.timedelta(days=6, hours=23))
    old = ratings.make_code(person, entry, now - datetime.timedelta(days=7, minutes=1))
    assert ratings.read_code(fresh)
    with pytest.raises(ratings.CodeRefused) as refused:
        ratings.read_code(old)
    assert refused.value.reason == "expired"
    response = visitor.get(code_url(old))
    assert response.status_code == 410
    assert soup(response).select_one("[data-refused=expired]") is not None
    assert _rate(visitor, old).status_code == 410
    monkeypatch.setitem(app.config, "RATING_CODE_DAYS", 2)
    with pytest.raises(ratings.CodeRefused):
        ratings.read_code(ratings.make_code(person, entry, now - datetime.timedelta(days=3)))
    assert Rating.select().count() == 0


def test_a_code_from_the_future_is_forged(person, entry):
    later = utcnow() + datetime.timedelta(hours=1)
    with pytest.raises(ratings.CodeRefused) as refused:
        ratings.read_code(ratings.make_code(person, entry, later))
    assert refused.value.reason == "forged"


def test_a_code_rates_once(person, entry, visitor):
    code = ratings.make_code(person, entry)
    page = visitor.get(code_url(code))
    assert page.status_code == 200
    assert person.name in text_of(soup(page).select_one("main"))
    response = _rate(visitor, code)
    assert response.status_code == 303 and response.headers["Location"].endswith("/ratings/thanks")
    assert visitor.get("/ratings/thanks").status_code == 200
    again = _rate(visitor, code, {"score": "1", "useful": "no"})
    assert again.status_code == 409
    assert soup(again).select_one("[data-refused=used]") is not None
    assert visitor.get(code_url(code)).status_code == 409
    (rating,) = Rating.select()
    assert (rating.score, rating.useful, rating.comment) == (5, "yes", "解答很耐心")
    assert (rating.entry_id, rating.practitioner_id, rating.firm_id) == (
        entry.id, person.id, person.firm_id)


def test_the_database_refuses_a_second_row_for_one_key(person, entry):
    ticket = ratings.read_code(ratings.make_code(person, entry))
    values = {"key": ticket.key, "practitioner": person.id, "firm": person.firm_id,
              "score": 4, "useful": "yes"}
    Rating.create(**values)
    with pytest.raises(IntegrityError), db.atomic():
        Rating.create(**values)


def test_a_forged_code_gets_a_clear_page(visitor):
    for path in ("/r/" + "A" * 43, "/r/short", "/r/" + "%E4%BD%A0" * 20, "/r/%00",
                 "/r/" + "x" * 3000, "/r/k/" + "A" * 19, "/r/k/nonsense", "/r/k/%00"):
        response = visitor.get(path)
        assert response.status_code == 404, path
        assert soup(response).select_one("[data-refused=forged]") is not None, path
        assert visitor.post(path, GOOD).status_code in (404, 405), path
    assert Rating.select().count() == 0


def test_the_rating_page_is_chinese_by_default_and_asks_nothing_personal(app, person, entry):
    client = app.test_client()
    page = soup(client.get(code_url(ratings.make_code(person, entry))))
    assert page.html["lang"] == "zh-CN"
    form = page.select_one("form[data-rating-form]")
    assert form["method"] == "post"
    names = {field["name"] for field in form.select("input, textarea, select")}
    assert names == {"csrf_token", "score", "useful", "comment"}
    assert sorted(i["value"] for i in form.select("input[name=score]")) == list("12345")
    assert sorted(i["value"] for i in form.select("input[name=useful]")) == ["no", "partly", "yes"]
    assert all(i.find_parent("label") is not None for i in form.select("input[type=radio]"))


def test_the_rating_needs_the_form_token(person, entry, visitor):
    code = ratings.make_code(person, entry)
    assert visitor.post(code_url(code), dict(GOOD), csrf=False).status_code == 400
    assert Rating.select().count() == 0


def test_the_practitioner_cannot_rate_their_own_code(app, person, entry):
    client = signed_in(app, person)
    code = ratings.make_code(person, entry)
    assert client.get(code_url(code)).status_code == 403
    assert _rate(client, code).status_code == 403
    assert Rating.select().count() == 0


# ------------------------------------------------------------------ hostile input

HOSTILE = ["", " ", "0", "6", "-1", "1.0", "五", "\uff15", "5\x01x", "<script>alert(1)</script>",
           "5' OR '1'='1", "y\u00e9s", "9" * 400, "yes; DROP TABLE rating", "%35", "𝟓"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_scores_and_answers_are_a_400_never_a_500(person, entry, visitor, value):
    for form in ({"score": value, "useful": "yes"}, {"score": "4", "useful": value}):
        response = _rate(visitor, ratings.make_code(person, entry), form)
        assert response.status_code == 400, (form, response.status_code)
        message = text_of(soup(response).select_one(".field-error"))
        assert message.startswith(("Choose how satisfied", "Say whether")), message
    assert Rating.select().count() == 0


def test_invisible_characters_around_a_choice_are_dropped(person, entry, visitor):
    form = {"score": "\u202e5\x00", "useful": " yes\u200b", "comment": ""}
    assert _rate(visitor, ratings.make_code(person, entry), form).status_code == 303
    assert (Rating.get().score, Rating.get().useful) == (5, "yes")


def test_missing_fields_are_a_400_with_a_message(person, entry, visitor):
    code = ratings.make_code(person, entry)
    for form in ({}, {"score": "3"}, {"useful": "partly"}, {"comment": "好"}):
        response = _rate(visitor, code, form)
        assert response.status_code == 400
        assert text_of(soup(response).select_one(".field-error"))
    assert Rating.select().count() == 0
    assert _rate(visitor, code).status_code == 303  # the code is still good


def test_comments_are_cleaned_and_limited(person, entry, visitor):
    too_long = _rate(visitor, ratings.make_code(person, entry), dict(GOOD, comment="很" * 501))
    assert too_long.status_code == 400
    assert "500" in text_of(soup(too_long).select_one(".field-error"))
    huge = _rate(visitor, ratings.make_code(person, entry), dict(GOOD, comment="x" * 200_000))
    assert huge.status_code in (400, 413)
    weird = "第一行\r\n第二行\x00\u202e<b>粗</b>\t" + "😀" * 3
    assert _rate(visitor, ratings.make_code(person, entry), dict(GOOD, comment=weird)) \
        .status_code == 303
    assert Rating.get().comment == "第一行\n第二行<b>粗</b> " + "😀" * 3
    assert Rating.select().count() == 1


def test_the_form_keeps_the_choices_after_an_error(person, entry, visitor):
    response = _rate(visitor, ratings.make_code(person, entry),
                     {"score": "2", "useful": "", "comment": "等了很久"})
    page = soup(response)
    assert page.select_one("input[name=score][value='2']").has_attr("checked")
    assert page.select_one("textarea[name=comment]").get_text() == "等了很久"


# ------------------------------------------------------------------ no personal data

RATING_COLUMNS = {"id", "key", "entry_id", "practitioner_id", "firm_id", "score", "useful",
                  "comment", "created_at"}


def test_the_rating_table_holds_nothing_about_the_rater(person, entry, visitor):
    assert {f.column_name for f in Rating._meta.sorted_fields} == RATING_COLUMNS
    assert {c.name for c in db.get_columns("rating")} == RATING_COLUMNS
    _rate(visitor, ratings.make_code(person, entry))
    row = db.execute_sql('SELECT * FROM "rating"').fetchone()
    assert RATER not in " ".join(str(value) for value in row)
    counted = [(a.account, a.address) for a in LoginAttempt.select()]
    assert counted and all(RATER not in account + address for account, address in counted)


# ------------------------------------------------------------------ limits

def test_ratings_are_limited_per_address(app, person, entry, visitor, make_client, monkeypatch):
    monkeypatch.setitem(app.config, "RATING_MAX_ADDRESS", 2)
    for _n in range(2):
        assert _rate(visitor, ratings.make_code(person, entry)).status_code == 303
    blocked = ratings.make_code(person, entry)
    response = _rate(visitor, blocked)
    assert response.status_code == 429
    assert soup(response).select_one("[data-refused=limit]") is not None
    other = make_client("en")
    other.c.environ_base["REMOTE_ADDR"] = "198.51.100.5"
    assert _rate(other, blocked).status_code == 303
    assert Rating.select().count() == 3


def test_counts_older_than_a_day_are_removed(person, entry):
    old = utcnow() - datetime.timedelta(days=2)
    LoginAttempt.create(account="rating sent", address="rating sent x", created_at=old)
    LoginAttempt.create(account="13900000001", address="192.0.2.1", created_at=old)
    ratings.rate(ratings.make_code(person, entry), GOOD, RATER)
    accounts = sorted(a.account for a in LoginAttempt.select())
    assert accounts == ["13900000001", "rating sent"]  # the sign-in's own rows stay


def test_the_desk_card_makes_a_fresh_code_per_scan(app, person, visitor, monkeypatch):
    token = ratings.card_token(person)
    first = visitor.get(f"/r/k/{token}")
    second = visitor.get(f"/r/k/{token}")
    assert first.status_code == second.status_code == 303
    codes = [first.headers["Location"].rsplit("/", 1)[1],
             second.headers["Location"].rsplit("/", 1)[1]]
    assert codes[0] != codes[1]
    tickets = [ratings.read_code(code) for code in codes]
    assert all(t.practitioner.id == person.id and t.entry is None for t in tickets)
    assert _rate(visitor, codes[0]).status_code == 303
    assert Rating.get().entry_id is None
    monkeypatch.setitem(app.config, "RATING_CARD_MAX_ADDRESS", 3)
    assert visitor.get(f"/r/k/{token}").status_code == 303
    assert visitor.get(f"/r/k/{token}").status_code == 429


def test_a_desk_card_makes_only_so_many_codes_a_day(app, person, make_client, monkeypatch):
    monkeypatch.setitem(app.config, "RATING_CARD_MAX_DAY", 2)
    token = ratings.card_token(person)
    answers = []
    for n in range(3):
        client = make_client("en")
        client.c.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 1}"
        answers.append(client.get(f"/r/k/{token}").status_code)
    assert answers == [303, 303, 429]


def test_a_card_or_code_of_a_person_who_left_is_refused(person, entry, visitor):
    token, code = ratings.card_token(person), ratings.make_code(person, entry)
    person.active = False
    person.save()
    assert visitor.get(f"/r/k/{token}").status_code == 410
    assert visitor.get(code_url(code)).status_code == 410


# ------------------------------------------------------------------ asking, scoping

def test_the_practitioner_shows_a_code_for_their_entry(app, person, entry, visitor):
    client = signed_in(app, person)
    button = soup(client.get(f"/ledger/entries/{entry.id}")).select_one(
        f"a[href='/ratings/entries/{entry.id}/ask']")
    page = client.get(f"/ratings/entries/{entry.id}/ask")
    assert page.status_code == 200
    html = soup(page)
    assert html.select_one(".rate-qr svg") is not None
    url = text_of(html.select_one("[data-rating-url]"))
    code = url.rsplit("/r/", 1)[1]
    assert ratings.read_code(code).entry.id == entry.id
    assert _rate(visitor, code).status_code == 303
    # The button sits on the entry page once the lead has put the snippet in (see the ask).
    assert button is None or button.get_text(strip=True)


@pytest.mark.parametrize("case", ["someone_else", "withdrawn", "declined", "education"])
def test_no_code_for_an_entry_that_is_not_askable(app, person, make_user, case):
    client = signed_in(app, person)
    if case == "someone_else":
        target = log(make_user("practitioner"), "public_service", today=TODAY)
        want = 404
    elif case == "education":
        categories()
        target = log(person, "education", today=TODAY)
        want = 403
    else:
        target = log(person, "legal_aid", today=TODAY)
        Entry.update(status=case).where(Entry.id == target.id).execute()
        want = 403
    response = client.get(f"/ratings/entries/{target.id}/ask")
    assert response.status_code == want
    assert soup(response).select_one(".rate-qr") is None


def test_only_practitioners_ask_and_print_cards(app, make_user, entry):
    admin = signed_in(app, make_user("county_admin"))
    for path in (f"/ratings/entries/{entry.id}/ask", "/ratings/card", "/ratings/mine"):
        assert admin.get(path).status_code == 403, path
    assert app.test_client().get("/ratings/mine").status_code == 302


def test_no_route_changes_a_rating(app):
    posting = {rule.endpoint for rule in app.url_map.iter_rules()
               if rule.endpoint.startswith("ratings.") and "POST" in rule.methods}
    assert posting == {"ratings.rate"}


def test_the_desk_card_page_prints_a_scan_link(app, person):
    page = soup(signed_in(app, person).get("/ratings/card"))
    assert page.select_one("[data-rating-card] svg") is not None
    assert person.name in text_of(page.select_one("[data-rating-card]"))


# ------------------------------------------------------------------ what the people rated see

def test_the_practitioner_sees_average_distribution_and_comments(app, person, entry, visitor):
    for score, useful, comment in ((5, "yes", "很好"), (4, "partly", ""), (1, "no", "没解决")):
        ratings.rate(ratings.make_code(person, entry),
                     {"score": str(score), "useful": useful, "comment": comment}, RATER)
    page = soup(signed_in(app, person).get("/ratings/mine"))
    assert text_of(page.select_one("[data-figure=ratings]")) == "3"
    assert text_of(page.select_one("[data-figure=average]")) == "3.33 of 5"
    assert text_of(page.select_one("[data-figure=adoption]")) == "66.7%"
    assert [text_of(n) for n in page.select(".rate-n")] == ["1", "1", "0", "0", "1"]
    comments = [text_of(c.select_one("p")) for c in page.select("[data-comment]")]
    assert comments == ["没解决", "很好"]


def test_a_low_rating_is_flagged_to_the_director(app, person, entry, make_user, world):
    director = make_user("director")
    make_user("director", firm=world["firm_b"])
    ratings.rate(ratings.make_code(person, entry), {"score": "4", "useful": "yes"}, RATER)
    assert Notification.select().count() == 0
    ratings.rate(ratings.make_code(person, entry),
                 {"score": "2", "useful": "no", "comment": "态度差"}, RATER)
    (note,) = Notification.select()
    assert (note.user_id, note.kind, note.link) == (director.id, "rating_low", "/ratings/firm")
    assert person.name in note.message and "态度差" in note.message
    page = soup(signed_in(app, director).get("/ratings/firm"))
    (low,) = page.select("[data-low-rating]")
    assert person.name in text_of(low) and "态度差" in text_of(low)
    rows = [[text_of(c) for c in tr.select("th, td")]
            for tr in page.select("[data-rating-people] tbody tr")]
    assert rows == [[person.name, "2", "3.00", "1"]]


def test_a_director_sees_only_the_firm_s_ratings(app, person, entry, make_user, world):
    stranger = make_user("practitioner", firm=world["firm_b"])
    ratings.rate(ratings.make_code(stranger), {"score": "1", "useful": "no",
                                                 "comment": "别所"}, RATER)
    director = make_user("director")
    page = soup(signed_in(app, director).get("/ratings/firm"))
    assert page.select("[data-low-rating]") == []
    assert "别所" not in text_of(page)


# ------------------------------------------------------------------ figures

def _at(day, hour=12):
    """Naive UTC for a local (Asia/Shanghai) hour of a day."""
    return datetime.datetime.combine(day, datetime.time(hour)) - datetime.timedelta(hours=8)


def test_figures_equal_the_rows(world, make_user):
    a, b = make_user("practitioner"), make_user("practitioner", firm=world["firm_b"])
    start, end = datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)
    rows = [(a, 5, "yes", start, 0), (a, 4, "partly", start, 12), (a, 2, "no", end, 23),
            (a, 3, "yes", end, 12), (b, 1, "no", end, 12),
            (a, 5, "yes", start - datetime.timedelta(days=1), 23),   # 2月28日 23:00: before
            (a, 1, "no", end + datetime.timedelta(days=1), 0)]       # 4月1日 00:00: after
    for n, (user, score, useful, day, hour) in enumerate(rows):
        Rating.create(key=f"k{n}", practitioner=user, firm=user.firm_id, score=score,
                      useful=useful, created_at=_at(day, hour))
    got = ratings.figures([world["a"].id], start, end)
    inside = [r for r in Rating.select().where(Rating.firm == world["firm_a"].id)
              if _at(start, 0) <= r.created_at < _at(end + datetime.timedelta(days=1), 0)]
    assert got["ratings"] == len(inside) == 4
    assert got["distribution"] == {s: sum(1 for r in inside if r.score == s) for s in range(1, 6)}
    assert got["average"] == (Decimal(sum(r.score for r in inside)) / len(inside)).quantize(
        Decimal("0.01"))
    assert got["adoption_rate"] == Decimal("75.0")
    both = ratings.figures([world["a"].id, world["b"].id], start, end)
    assert both["ratings"] == 5 and both["distribution"][1] == 1
    assert ratings.figures_where(Rating.practitioner == b.id, start, end)["average"] == 1
    assert ratings.figures_where(Rating.firm == world["firm_a"].id, start, end) == got
    assert ratings.figures([], start, end) == {
        "ratings": 0, "average": None, "distribution": {1: 0, 2: 0, 3: 0, 4: 0, 5: 0},
        "adoption_rate": None}
