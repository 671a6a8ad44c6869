"""The city's ten best cases: the county recommends accepted cases, the city chooses ten."""
import datetime
import json
import threading
import time
import uuid

import pytest

from tests.helpers import actor_for, signed_in, soup, text_of
from webapp.accounts.models import AuditEvent, Firm, Region, RoleGrant, User
from webapp.errors import Conflict, DomainError, NotAllowed
from webapp.i18n import local_today
from webapp.reports import selection, services
from webapp.reports.models import FirmReport
from webapp.reports.selection_models import CaseSelection


@pytest.fixture(autouse=True)
def english(app):
    """Services run inside a request (messages in English, audit addresses)."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def people(world, make_user, fast_passwords):
    other_city = Region.create(name="外市", kind="city")
    stranger = User.create(name="外市管理员", phone="13811112222", password_hash="x")
    RoleGrant.create(user=stranger, role="city_admin", region=other_city)
    return {
        "director": make_user("director"),
        "director_b": make_user("director", county=world["b"]),
        "admin_a": make_user("county_admin"),
        "admin_b": make_user("county_admin", county=world["b"]),
        "city": make_user("city_admin"),
        "stranger": stranger,
    }


def admin(people, name="admin_a"):
    return actor_for(people[name], "county_admin")


def city(people, name="city"):
    return actor_for(people[name], "city_admin")


def this_month():
    return local_today().replace(day=1)


def case(people, name="director", status="accepted", kind="case", month=None, title=None):
    """A typical case of the director's firm, already decided (made without the form)."""
    user = people[name]
    return FirmReport.create(
        firm=user.firm_id, author=user.id, kind=kind, month=month or this_month(),
        title=title or f"典型案例{uuid.uuid4().hex[:6]}", facts="务工人员被拖欠工资。",
        handling="所里组织双方调解。", result="当场结清工资。", lesson="及早介入。",
        body="" if kind == "case" else "本月开展普法宣传。", status=status)


def recommended(people, n, name="director", county="admin_a"):
    reports = [case(people, name) for _ in range(n)]
    for report in reports:
        selection.recommend(admin(people, county), report)
    return reports


# ------------------------------------------------------------------ the county recommends

def test_a_county_recommends_only_accepted_cases_of_its_own_firms(world, people):
    accepted = case(people)
    selection.recommend(admin(people), accepted)
    row = CaseSelection.get()
    assert (row.report_id, row.county_id, row.city_id, row.year) == (
        accepted.id, world["a"].id, world["city"].id, accepted.month.year)
    assert selection.selection_state(accepted) == "recommended"
    with pytest.raises(Conflict):
        selection.recommend(admin(people), accepted)              # once
    for status in ("submitted", "returned"):
        with pytest.raises(Conflict):
            selection.recommend(admin(people), case(people, status=status))
    with pytest.raises(DomainError):
        selection.recommend(admin(people), case(people, kind="info"))
    with pytest.raises(NotAllowed):
        selection.recommend(admin(people, "admin_b"), case(people))      # another county's
    with pytest.raises(NotAllowed):
        selection.recommend(city(people), case(people))                  # the city chooses only
    with pytest.raises(NotAllowed):
        selection.recommend(actor_for(people["director"], "director"), case(people))
    assert CaseSelection.select().count() == 1


def test_a_case_from_december_takes_part_in_that_years_selection(world, people):
    december = case(people, month=datetime.date(local_today().year - 1, 12, 1))
    selection.recommend(admin(people), december)
    assert CaseSelection.get().year == local_today().year - 1


def test_withdraw_until_the_city_chose_it(world, people):
    first, second = recommended(people, 2)
    selection.withdraw(admin(people), first)
    assert selection.selection_state([first, second]) == {first.id: "none",
                                                          second.id: "recommended"}
    with pytest.raises(Conflict):
        selection.withdraw(admin(people), first)
    selection.choose(city(people), second)
    with pytest.raises(Conflict) as refused:
        selection.withdraw(admin(people), second)
    assert "can no longer be withdrawn" in refused.value.message
    with pytest.raises(NotAllowed):
        selection.withdraw(admin(people, "admin_b"), second)
    assert selection.selection_state(second.id) == "chosen"
    # Once taken out again, the county may withdraw it.
    selection.unchoose(city(people), second)
    selection.withdraw(admin(people), second)
    assert CaseSelection.select().count() == 0


# ------------------------------------------------------------------ the city chooses

def test_the_city_chooses_at_most_ten_a_year(world, people):
    cases = recommended(people, 8) + recommended(people, 3, "director_b", "admin_b")
    for report in cases[:10]:
        selection.choose(city(people), report)
    assert selection.chosen_count(world["city"].id, local_today().year) == 10
    with pytest.raises(Conflict) as refused:
        selection.choose(city(people), cases[10])
    assert "already chosen" in refused.value.message
    assert selection.selection_state(cases[10]) == "recommended"
    with pytest.raises(Conflict):
        selection.choose(city(people), cases[0])             # already chosen
    selection.unchoose(city(people), cases[0])
    assert selection.selection_state(cases[0]) == "recommended"
    selection.choose(city(people), cases[10])
    with pytest.raises(Conflict):
        selection.unchoose(city(people), cases[0])           # not among them now
    # Last year's ten best are another ten.
    old = case(people, month=datetime.date(local_today().year - 1, 11, 1))
    selection.recommend(admin(people), old)
    selection.choose(city(people), old)
    assert selection.chosen_count(world["city"].id, local_today().year - 1) == 1


def test_only_the_city_of_the_county_chooses(world, people):
    report, = recommended(people, 1)
    for actor in (admin(people), city(people, "stranger"),
                  actor_for(people["director"], "director")):
        with pytest.raises(NotAllowed):
            selection.choose(actor, report)
    with pytest.raises(Conflict):
        selection.choose(city(people), case(people))         # not recommended
    assert CaseSelection.get().chosen_at is None


def test_each_action_is_audited(world, people):
    report, = recommended(people, 1)
    selection.choose(city(people), report)
    selection.unchoose(city(people), report)
    selection.withdraw(admin(people), report)
    events = list(AuditEvent.select().order_by(AuditEvent.id))
    assert [e.action for e in events] == ["case.recommend", "case.choose", "case.unchoose",
                                          "case.withdraw"]
    assert [e.actor_id for e in events] == [people["admin_a"].id, people["city"].id,
                                            people["city"].id, people["admin_a"].id]
    assert {e.region_id for e in events} == {world["a"].id}
    detail = json.loads(events[1].detail)
    assert detail["title"] == report.title and detail["year"] == report.month.year


def run_together(calls):
    """Run the callables at the same moment in threads; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)
    errors = []

    def worker(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return results


def test_choosing_at_once_never_makes_eleven(app, world, people, monkeypatch):
    cases = recommended(people, 13)
    for report in cases[:8]:
        selection.choose(city(people), report)
    counted = selection.chosen_count

    def slow_count(city_id, year):
        # Widen the gap between counting and choosing, where a missing lock lets two in.
        result = counted(city_id, year)
        time.sleep(0.2)
        return result

    monkeypatch.setattr(selection, "chosen_count", slow_count)
    clients = [signed_in(app, people["city"]) for _ in range(5)]
    responses = run_together([lambda c=c, r=r: c.post(f"/selection/{r.id}/choose")
                              for c, r in zip(clients, cases[8:])])
    assert sorted(r.status_code for r in responses) == [303, 303, 409, 409, 409]
    assert counted(world["city"].id, local_today().year) == 10
    assert AuditEvent.select().where(AuditEvent.action == "case.choose").count() == 10


# ------------------------------------------------------------------ the screens

def test_the_city_board_groups_by_county_and_chooses(app, world, people):
    mine = recommended(people, 2)
    theirs, = recommended(people, 1, "director_b", "admin_b")
    client = signed_in(app, people["city"])
    page = soup(client.get("/selection/"))
    counties = [text_of(h).split()[0] for h in page.select(".selection-county h2")]
    assert sorted(counties) == sorted(["甲县", "乙县"])
    assert text_of(page.select_one(f"#c-{theirs.id}").find_parent("section").h2).startswith(
        "乙县")
    assert {li["id"] for li in page.select(".selection-case")} == {
        f"c-{r.id}" for r in mine + [theirs]}
    assert text_of(page.select_one(".selection-count")).startswith("0/10")
    assert page.select_one(f"#c-{mine[0].id} form input[name=csrf_token]")
    response = client.post(f"/selection/{mine[0].id}/choose")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(
        f"/selection/?year={mine[0].month.year}#c-{mine[0].id}")
    page = soup(client.get("/selection/"))
    assert text_of(page.select_one(".selection-count")).startswith("1/10")
    chip = page.select_one(f"#c-{mine[0].id} .selection-chip")
    assert "selection-chip-chosen" in chip["class"] and text_of(chip) == "Ten best"
    assert page.select_one(f"#c-{mine[0].id} form")["action"].endswith("/unchoose")
    # The year switch: last year has nothing yet; junk gives this year.
    year = local_today().year
    assert not soup(client.get(f"/selection/?year={year - 1}")).select(".selection-case")
    for junk in ("abc", "99999", "\x00", "２０２６"):
        assert client.get("/selection/", query_string={"year": junk}).status_code == 200
    fragment = soup(client.htmx_get("/selection/"))
    assert fragment.find("html") is None and fragment.select_one("#selection-board")


def test_the_eleventh_is_refused_on_the_board_with_a_message(app, world, people):
    cases = recommended(people, 11)
    for report in cases[:10]:
        selection.choose(city(people), report)
    client = signed_in(app, people["city"])
    page = soup(client.get("/selection/"))
    assert page.select_one(f"#c-{cases[10].id} button").has_attr("disabled")
    response = client.post(f"/selection/{cases[10].id}/choose")
    assert response.status_code == 409
    shown = soup(response).select_one(f"#c-{cases[10].id} .form-error")
    assert "already chosen" in text_of(shown)
    assert selection.selection_state(cases[10]) == "recommended"


def test_the_county_board_shows_its_own_and_what_it_can_recommend(app, world, people):
    mine, = recommended(people, 1)
    candidate = case(people)
    case(people, status="submitted")
    recommended(people, 1, "director_b", "admin_b")
    client = signed_in(app, people["admin_a"])
    page = soup(client.get("/selection/"))
    assert [li["id"] for li in page.select(".selection-case")] == [f"c-{mine.id}"]
    assert [li["id"] for li in page.select(".selection-candidate")] == [f"c-{candidate.id}"]
    assert client.post(f"/selection/{candidate.id}/recommend").status_code == 303
    assert client.post(f"/selection/{mine.id}/withdraw").status_code == 303
    assert selection.selection_state([mine, candidate]) == {mine.id: "none",
                                                            candidate.id: "recommended"}


def test_scoping_another_county_and_another_city_get_404(app, world, people):
    report, = recommended(people, 1)
    other = case(people)
    foreign = signed_in(app, people["admin_b"])
    assert foreign.post(f"/selection/{other.id}/recommend").status_code == 404
    assert foreign.post(f"/selection/{report.id}/withdraw").status_code == 404
    assert not soup(foreign.get("/selection/")).select(".selection-case")
    stranger = signed_in(app, people["stranger"])
    assert stranger.post(f"/selection/{report.id}/choose").status_code == 404
    assert stranger.post(f"/selection/{report.id}/unchoose").status_code == 404
    assert not soup(stranger.get("/selection/")).select(".selection-case")
    assert signed_in(app, people["director"]).get("/selection/").status_code == 403
    assert signed_in(app, people["city"]).post(
        f"/selection/{report.id}/recommend").status_code == 403
    assert CaseSelection.select().count() == 1 and CaseSelection.get().chosen_at is None


def test_a_post_without_the_csrf_token_is_refused(app, world, people):
    report = case(people)
    client = signed_in(app, people["admin_a"])
    response = client.post(f"/selection/{report.id}/recommend", csrf=False)
    assert response.status_code == 400
    assert CaseSelection.select().count() == 0
    assert AuditEvent.select().count() == 0


def test_the_chip_shows_on_the_case_page_and_the_firms_page(app, world, people):
    today = local_today()
    report, _created = services.submit(actor_for(people["director"], "director"), "case", {
        "month": today.strftime("%Y-%m"), "title": "一起劳动报酬纠纷的调解",
        "facts": "务工人员被拖欠工资。", "handling": "所里组织双方调解。", "result": "当场结清工资。"},
        key=uuid.uuid4().hex, today=today)
    county = signed_in(app, people["admin_a"])
    assert not soup(county.get(f"/reports/{report.id}")).select(".selection-on-case")
    services.accept(admin(people), report)
    page = soup(county.get(f"/reports/{report.id}"))
    form = page.select_one(".selection-on-case form")
    assert form["action"] == f"/selection/{report.id}/recommend"
    assert form.select_one("input[name=csrf_token]")
    response = county.post(form["action"], {"back": "report"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/reports/{report.id}")
    page = soup(county.get(f"/reports/{report.id}"))
    assert text_of(page.select_one(".selection-on-case .selection-chip")) == "Recommended"
    assert page.select_one(".selection-on-case form")["action"].endswith("/withdraw")

    director = signed_in(app, people["director"])
    seen = soup(director.get(f"/reports/{report.id}"))
    assert text_of(seen.select_one(".selection-chip")) == "Recommended"
    assert not seen.select(".selection-on-case form")
    selection.choose(city(people), report)
    seen = soup(director.get(f"/reports/{report.id}"))
    assert text_of(seen.select_one(".selection-chip")) == "Ten best"
    year_page = soup(director.get("/reports/"))
    chips = year_page.select(".report-link .selection-chip-chosen")
    assert len(chips) == 1 and text_of(chips[0]) == "Ten best"
    # The county can no longer withdraw it; the page says so by offering nothing.
    page = soup(county.get(f"/reports/{report.id}"))
    assert not page.select(".selection-on-case form")
    refused = county.post(f"/selection/{report.id}/withdraw", {"back": "report"})
    assert refused.status_code == 409
    assert "can no longer be withdrawn" in text_of(soup(refused).find("main"))


def test_information_reports_never_show_a_chip(app, world, people):
    info = case(people, kind="info")
    assert selection.selection_state(info) == "none"
    assert selection.selection_state([info, info.id]) == {info.id: "none"}
    page = soup(signed_in(app, people["admin_a"]).get(f"/reports/{info.id}"))
    assert not page.select(".selection-on-case")
    assert Firm.get_by_id(info.firm_id).county_id == world["a"].id
