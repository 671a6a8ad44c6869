"""Rules with one home each: text cleaning, workbooks, progress status, who is missing."""
import io
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from tests.helpers import log, make_activity, signed_in, soup
from webapp.accounts.models import Firm
from webapp.branches.activities import is_missing
from webapp.errors import DomainError
from webapp.i18n import local_today
from webapp.inputs import clean_text
from webapp.targets import services as targets

FORMULA = '=HYPERLINK("http://x","y")'


@pytest.fixture
def request_ctx(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield


# ------------------------------------------------------------------ text cleaning

@pytest.mark.parametrize("value,options,expected", [
    ("  王芳  ", {}, "王芳"),
    ("e\u0301", {}, "\u00e9"),                                   # NFC
    ("a\x00b\x07c\x1bd\x7f", {}, "abcd"),                       # NUL and control characters
    ("one\r\ntwo\tthree", {}, "one two three"),                 # one line: breaks become spaces
    ("one\r\ntwo\rthree\u2028four", {"multiline": True}, "one\ntwo\nthree\nfour"),
    ("\u202eevil\u200b\ufeff", {}, "evil"),                     # direction marks, zero width
    (None, {}, ""),
    (1975, {}, "1975"),
    ("   ", {"required": True}, "Fill in the name."),
    ("\x00\x01", {"required": True}, "Fill in the name."),
    ("甲" * 41, {}, "the name is too long (at most 40 characters)."),
    ("", {"required": True, "missing": "Write a name."}, "Write a name."),
    ("甲" * 41, {"too_long": "Shorter, please."}, "Shorter, please."),
])
def test_clean_text(request_ctx, value, options, expected):
    try:
        result = clean_text(value, "name", "the name", 40, **options)
    except DomainError as exc:
        assert (exc.message, exc.field) == (expected, "name")
    else:
        assert result == expected


# ------------------------------------------------------------------ workbooks

def _cells(response):
    assert response.status_code == 200
    assert response.mimetype == ("application/vnd.openxmlformats-officedocument"
                                 ".spreadsheetml.sheet")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    book = load_workbook(io.BytesIO(response.data))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


@pytest.mark.parametrize("export", ["summary", "training", "branches", "roster_template"])
def test_exports_write_typed_text_as_text_never_a_formula(app, world, make_user, make_training,
                                                          export):
    today = local_today()
    admin = make_user("county_admin")
    if export == "summary":
        person = make_user()
        with app.test_request_context("/"):
            log(person, today=today, date=today.isoformat(), description=FORMULA)
        client, url = signed_in(app, person), f"/ledger/year/{today.year}/summary.xlsx"
    elif export == "training":
        training = make_training(title=FORMULA, place="-1+1")
        client, url = signed_in(app, admin), f"/trainings/{training.id}/attendance.xlsx"
    elif export == "branches":
        make_activity(world["branch"], topic=FORMULA, place="@SUM(A1)")
        client, url = signed_in(app, admin), f"/branches/export.xlsx?year={today.year}"
    else:
        Firm.create(name=FORMULA, county=world["a"])
        client, url = signed_in(app, admin), "/admin/people/import/template.xlsx"
    cells = _cells(client.get(url))
    typed = [c for c in cells if c.value == FORMULA]
    assert typed, [c.value for c in cells]
    assert all(c.data_type == "s" and c.quotePrefix for c in typed)
    assert not [c for c in cells if c.data_type == "f"]


# ------------------------------------------------------------------ progress status

def _row(done, target, expected, recent, recent_days=90, remaining=100):
    return targets.Progress("public_service_hours", D(done), D(0), D(target), D(expected),
                            targets.status_for(D(done), D(target), D(expected), D(recent),
                                               recent_days, remaining),
                            "hours", recent=D(recent), recent_days=recent_days,
                            remaining_days=remaining)


@pytest.mark.parametrize("rows,status", [
    ([_row(36, 36, 20, 0), _row(40, 36, 20, 0)], "done"),
    ([_row(30, 36, 20, 0), _row(20, 36, 20, 0)], "on_track"),
    ([_row(10, 36, 20, 9), _row(10, 36, 20, 9)], "behind"),       # 10 + 0.1 × 100 = 20 < 36
    ([_row(10, 36, 20, 27), _row(10, 36, 20, 27)], "behind"),     # 10 + 0.3 × 100 = 40
    ([_row(0, 36, 20, 0), _row(10, 36, 20, 0)], "at_risk"),       # no pace: cannot reach 36
])
def test_a_firm_is_judged_by_the_same_status_as_a_person(rows, status):
    group = targets.group_progress(rows)
    assert group.done == sum(r.done for r in rows) / len(rows)
    assert group.status == targets.status_for(group.done, group.target, group.expected,
                                              group.recent, group.recent_days,
                                              group.remaining_days)
    assert group.status in targets.STATUS_LABELS
    assert targets.group_progress([]) is None


def test_the_county_home_shows_each_firm_with_status_for(app, world, make_user):
    people = [make_user(), make_user()]
    today = local_today()
    with app.test_request_context("/"):
        log(people[0], today=today, date=today.isoformat(), hours="4")
    progress = targets.progress_for(people, today.year, today)
    expected = targets.firm_progress(people, progress)[world["firm_a"].id]
    page = soup(signed_in(app, make_user("county_admin")).get("/home/county"))
    cells = page.select(".county-firms .firm-line td[class*=status-]")
    shown = [next(c for c in cell["class"] if c.startswith("status-"))[len("status-"):]
             for cell in cells]
    assert shown == [p.status for p in expected]


# ------------------------------------------------------------------ who is missing

@pytest.mark.parametrize("kind,state,on_roll,missing", [
    ("theme_day", "absent", True, True),
    ("theme_day", "unmarked", True, True),          # a whole-branch day: not marked is missing
    ("theme_day", "unmarked", False, False),        # not on the roll that day
    ("theme_day", "excused", True, False),
    ("theme_day", "present", True, False),
    ("committee_meeting", "unmarked", True, False),  # only those marked are expected
    ("committee_meeting", "absent", True, True),
    ("group_meeting", None, True, False),
    ("members_meeting", None, True, True),
])
def test_who_is_missing_from_an_activity(kind, state, on_roll, missing):
    assert is_missing(kind, state, on_roll) is missing
