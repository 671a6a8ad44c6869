"""A scan far from the venue: optional, with consent, a review flag and never a refusal; only
the flag and the distance (rounded to 10 m) are kept."""
import datetime
import io

import pytest
from openpyxl import load_workbook

from tests.helpers import soup, text_of
from webapp.db import utcnow
from webapp.errors import DomainError
from webapp.checkin import codes as qr
from webapp.checkin import outcomes, pipeline
from webapp.trainings import geo
from webapp.trainings import services as s
from webapp.trainings.models import Attendance, Training

# The venue: a county justice bureau. One thousandth of a degree of latitude is about 111 m.
VENUE = (31.230400, 121.473700)


def north(metres, accuracy=0.0):
    """A position `metres` due north of the venue."""
    return geo.Position(VENUE[0] + metres / 111195.0, VENUE[1], accuracy)


@pytest.fixture
def english(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def live(make_training):
    """A training with a venue location whose check-in is open now."""
    def make(start_in=5, **fields):
        start = utcnow().replace(microsecond=0) + datetime.timedelta(minutes=start_in)
        values = {"latitude": VENUE[0], "longitude": VENUE[1]}
        values.update(fields)
        return make_training(start_at=start, end_at=start + datetime.timedelta(hours=3), **values)
    return make


@pytest.fixture
def person(make_user):
    return make_user("practitioner")


def scan_now(person, training, purpose="in", **kw):
    return pipeline.scan(person, qr.current_code(training, purpose), utcnow(), **kw)


# ------------------------------------------------------------------ distance

def test_haversine_against_known_distances():
    assert geo.distance_m(*VENUE, *VENUE) == 0
    assert geo.distance_m(0, 0, 1, 0) == pytest.approx(111195, abs=1)     # one degree of a meridian
    assert geo.distance_m(0, 179.5, 0, -179.5) == pytest.approx(111195, abs=1)  # across 180°
    # Beijing (Tiananmen) to Shanghai (People's Square): about 1,067 km.
    assert geo.distance_m(39.9087, 116.3975, 31.2304, 121.4737) == pytest.approx(1_067_000, rel=0.01)


def test_far_only_beyond_the_geofence_rounded_to_ten_metres(make_training):
    t = make_training(latitude=VENUE[0], longitude=VENUE[1])
    assert geo.far_from_venue(t, north(499)) is None
    assert geo.far_from_venue(t, north(504)) == 500
    assert geo.far_from_venue(t, north(1234)) == 1230
    assert geo.far_from_venue(t, north(1234), geofence=2000) is None
    # The phone's own accuracy counts in the person's favour, at most 1 km of it.
    assert geo.far_from_venue(t, north(1234, accuracy=800)) is None
    assert geo.far_from_venue(t, north(3000, accuracy=50000)) == 3000
    assert geo.far_from_venue(t, None) is None
    assert geo.far_from_venue(make_training(), north(5000)) is None  # no venue location


@pytest.mark.parametrize("lat,lng,acc,expected", [
    ("31.2304", "121.4737", "25", geo.Position(31.2304, 121.4737, 25.0)),
    ("31.2304", "121.4737", "", geo.Position(31.2304, 121.4737, 0.0)),
    ("31.2304", "121.4737", "-5", geo.Position(31.2304, 121.4737, 0.0)),
    ("", "121.4737", "", None), ("91", "0", "", None), ("0", "181", "", None),
    ("nan", "0", "", None), ("inf", "0", "", None), ("北纬", "东经", "", None),
])
def test_parse_position(lat, lng, acc, expected):
    assert geo.parse_position(lat, lng, acc) == expected


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize("lat,lng,expected", [
    ("", "", (None, None)),
    ("31.23041234", "121.4737", (31.230412, 121.4737)),
    ("31.2304, 121.4737", "", (31.2304, 121.4737)),     # a pair pasted into one box
    ("31.2304，121.4737", "", (31.2304, 121.4737)),     # with a Chinese comma
])
def test_clean_venue(lat, lng, expected):
    assert s.clean_venue(lat, lng) == expected


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize("lat,lng,field,message", [
    ("31.2", "", "longitude", "Enter both the latitude and the longitude, or leave both empty."),
    ("", "121.4", "latitude", "Enter both the latitude and the longitude, or leave both empty."),
    ("95", "121.4", "latitude", "The latitude must be a number from -90 to 90, like 31.2304."),
    ("abc", "121.4", "latitude", "The latitude must be a number from -90 to 90, like 31.2304."),
    ("31.2", "200", "longitude",
     "The longitude must be a number from -180 to 180, like 121.4737."),
])
def test_clean_venue_refuses(lat, lng, field, message):
    with pytest.raises(DomainError) as caught:
        s.clean_venue(lat, lng)
    assert (caught.value.field, caught.value.message) == (field, message)


# ------------------------------------------------------------------ scans

@pytest.mark.usefixtures("english")
def test_far_scan_checks_in_with_a_flag_and_the_distance(live, person):
    t = live()
    outcome = scan_now(person, t, position=north(2456))
    assert outcome.code == outcomes.CHECKED_IN  # a signal for review, never a refusal
    row = Attendance.get()
    assert (row.flags, row.distance_m) == ("far", 2460)


@pytest.mark.usefixtures("english")
def test_near_scan_keeps_nothing(live, person):
    scan_now(person, live(), position=north(120))
    row = Attendance.get()
    assert (row.flags, row.distance_m) == ("", None)


@pytest.mark.usefixtures("english")
def test_no_venue_or_no_position_means_no_check(live, person, make_user):
    scan_now(person, live(latitude=None, longitude=None), position=north(9000))
    other = make_user("practitioner")
    scan_now(other, live(), position=None)
    assert [(r.flags, r.distance_m) for r in Attendance.select()] == [("", None), ("", None)]


@pytest.mark.usefixtures("english")
def test_geofence_is_a_parameter(live, person):
    scan_now(person, live(), position=north(800), geofence=1000)
    assert Attendance.get().flags == ""


@pytest.mark.usefixtures("english")
def test_far_checkout_flags_and_keeps_the_larger_distance(live, person, make_user):
    t = live(start_in=-175)  # check-out is open now
    pipeline.check_in(t, person, t.start_at)
    assert scan_now(person, t, "out", position=north(5000)).code == outcomes.CHECKED_OUT
    row = Attendance.get()
    assert (row.flags, row.distance_m) == ("far", 5000)
    # A second person: far at check-in (3 km), nearer but still far at check-out (1 km).
    other = make_user("practitioner")
    pipeline.check_in(t, other, t.start_at, flags="far", distance=3000)
    scan_now(other, t, "out", position=north(1000))
    assert Attendance.get(Attendance.user == other.id).distance_m == 3000


@pytest.mark.usefixtures("english")
def test_a_repeated_scan_changes_nothing(live, person):
    t = live()
    scan_now(person, t, position=north(100))
    again = scan_now(person, t, position=north(9000))
    assert again.code == outcomes.ALREADY_IN
    row = Attendance.get()
    assert (row.flags, row.distance_m) == ("", None)


# ------------------------------------------------------------------ the confirm page

def scan(client, training, purpose="in"):
    response = client.get(qr.path_of(qr.current_code(training, purpose)))
    assert response.status_code == 303
    return client.get("/checkin")


def test_confirm_offers_an_unticked_box_only_with_a_venue(client, live, person):
    client.login(person)
    page = soup(scan(client, live()))
    form = page.find("form", action="/checkin")
    box = form.find("input", {"name": "share_location"})
    assert box["type"] == "checkbox" and not box.has_attr("checked")
    assert text_of(box.parent) == "Share my location to confirm I am at the venue"
    assert {i["name"] for i in form.find_all("input", type="hidden")} >= {"lat", "lng", "accuracy"}
    assert all(i["value"] == "" for i in form.find_all("input", type="hidden")
               if i["name"] in ("lat", "lng", "accuracy"))
    assert page.find("script", src=lambda src: src and "js/geo.js" in src)
    assert not page.find("script", src=None)  # no inline script (CSP)
    plain = soup(scan(client, live(latitude=None, longitude=None, title="无地点培训")))
    assert plain.find("input", {"name": "share_location"}) is None
    assert not plain.find("script", src=lambda src: src and "js/geo.js" in src)


def test_signed_out_confirm_page_has_no_location_box(client, live):
    page = soup(scan(client, live()))
    assert page.find("input", {"name": "share_location"}) is None


def confirm(client, **data):
    posted = client.post("/checkin", data)
    assert posted.status_code == 303
    node = soup(client.get("/checkin/result")).find(class_="result")
    return node["data-outcome"]


def test_ticked_far_scan_is_flagged(client, live, person):
    client.login(person)
    scan(client, live())
    far = north(1500)
    assert confirm(client, share_location="1", lat=f"{far.latitude:.6f}",
                   lng=f"{far.longitude:.6f}", accuracy="20") == "checked_in"
    row = Attendance.get()
    assert (row.flags, row.distance_m) == ("far", 1500)


@pytest.mark.parametrize("data", [
    {"lat": "31.2439", "lng": "121.4737"},                       # not ticked: not used
    {"share_location": "1", "lat": "", "lng": ""},               # ticked, no position came
    {"share_location": "1", "lat": "x", "lng": "121.4737"},      # damaged: ignored, not refused
])
def test_without_a_usable_consented_position_nothing_is_flagged(client, live, person, data):
    client.login(person)
    scan(client, live())
    assert confirm(client, **data) == "checked_in"
    assert (Attendance.get().flags, Attendance.get().distance_m) == ("", None)


def test_the_threshold_comes_from_the_config(app, client, live, person, monkeypatch):
    monkeypatch.setitem(app.config, "TRAINING_GEOFENCE_METRES", 2000)
    client.login(person)
    scan(client, live())
    far = north(1500)
    confirm(client, share_location="1", lat=str(far.latitude), lng=str(far.longitude))
    assert Attendance.get().flags == ""


# ------------------------------------------------------------------ admin pages

def test_sheet_and_export_show_the_flag_with_the_distance(make_client, make_user, live, person):
    t = live()
    scan_now(person, t, position=north(2456))
    admin = make_user("county_admin")
    for language, label in (("en", "far from the venue: 2.5 km"), ("zh-CN", "离培训地点较远：2.5 公里")):
        reader = make_client(language)
        reader.login(admin)
        chip = soup(reader.get(f"/trainings/{t.id}/attendance")).select_one(
            f"tr[data-user='{person.id}'] [data-flag=far]")
        assert text_of(chip) == label
    reader = make_client("en")
    reader.login(admin)
    sheet = load_workbook(io.BytesIO(reader.get(f"/trainings/{t.id}/attendance.xlsx").get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[3][0] == person.name and rows[3][7] == "far from the venue: 2.5 km"
    flagged = soup(reader.get(f"/trainings/{t.id}/attendance?state=flagged"))
    assert [r["data-user"] for r in flagged.select("#sheet tbody tr")] == [str(person.id)]


def test_distance_under_a_kilometre_is_in_metres(make_client, make_user, live, person):
    t = live()
    scan_now(person, t, position=north(734))
    reader = make_client("en")
    reader.login(make_user("county_admin"))
    chip = soup(reader.get(f"/trainings/{t.id}/attendance")).select_one("[data-flag=far]")
    assert text_of(chip) == "far from the venue: 730 m"


def training_form(cat_id, **over):
    data = {"title": "人民调解实务培训", "category_id": cat_id, "date": "2026-06-02",
            "start": "09:00", "end": "11:30", "place": "县司法局", "credit_hours": "2.5",
            "audience": "region"}
    data.update(over)
    return data


def test_training_form_saves_and_shows_the_venue_location(client, make_user, category):
    client.login(make_user("county_admin"))
    form = soup(client.get("/trainings/new"))
    assert form.find("button", attrs={"data-geo-button": True})["type"] == "button"
    assert form.find("script", src=lambda src: src and "js/geo.js" in src)
    response = client.post("/trainings/new", training_form(category.id, latitude="31.2304",
                                                           longitude="121.4737"))
    assert response.status_code == 303
    t = Training.get()
    assert (t.latitude, t.longitude) == (31.2304, 121.4737)
    edit = soup(client.get(f"/trainings/{t.id}/edit"))
    assert edit.find("input", {"name": "latitude"})["value"] == "31.230400"
    assert edit.find("details", class_="venue-location").has_attr("open")
    client.post(f"/trainings/{t.id}/edit", training_form(category.id))
    assert (Training.get().latitude, Training.get().longitude) == (None, None)


@pytest.mark.parametrize("over,field,message", [
    ({"latitude": "31.2304"}, "longitude",
     "Enter both the latitude and the longitude, or leave both empty."),
    ({"latitude": "131", "longitude": "121"}, "latitude",
     "The latitude must be a number from -90 to 90, like 31.2304."),
])
def test_training_form_refuses_a_bad_location(client, make_user, category, over, field, message):
    client.login(make_user("county_admin"))
    response = client.post("/trainings/new", training_form(category.id, **over))
    assert response.status_code == 400
    page = soup(response)
    assert page.find("input", {"name": field})["aria-invalid"] == "true"
    assert text_of(page.find(class_="field-error")) == message
    assert page.find("details", class_="venue-location").has_attr("open")
    assert Training.select().count() == 0
