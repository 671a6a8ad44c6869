"""The city's ten best cases: at a desktop's width the city administrator chooses a case the
county recommended; the firm's page shows the choice; the county's board fits 360 px.

Runs in Debian's chromium against the app under gunicorn (see conftest.py).
"""
import datetime
import re
from zoneinfo import ZoneInfo

from tests.browser.helpers import (NARROW, assert_clean, bound_to, check_layout, expect,
                                   screenshot, zh)
from webapp.accounts.models import Firm, Region, User
from webapp.db import utcnow
from webapp.reports.models import FirmReport
from webapp.reports.selection_models import CaseSelection

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1,
           "is_mobile": False, "has_touch": False}


def _recommended_cases(live_server):
    """Two accepted typical cases, one per county, each recommended by its county."""
    today = datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    with bound_to(live_server.database_url):
        director = User.get(User.phone == live_server.people["director"]["phone"])
        admin = User.get(User.phone == live_server.people["county_admin"]["phone"])
        other_firm = Firm.get(Firm.county != director.county_id)
        made = []
        for firm_id, title in ((director.firm_id, "一起拖欠农民工工资纠纷的调解"),
                               (other_firm.id, "一起宅基地界址纠纷的化解")):
            report = FirmReport.create(
                firm=firm_id, author=director.id, kind="case", month=today.replace(day=1),
                title=title, facts="十余名务工人员被拖欠工资近三个月。",
                handling="所里当天赶到现场，约见包工头和建设单位，依法讲明各方责任。",
                result="工资在一周内全部结清。", lesson="及早介入，抓住建设单位这一关键。",
                status="accepted", reviewed_by=admin.id, reviewed_at=utcnow())
            county = Region.get_by_id(Firm.get_by_id(firm_id).county_id)
            CaseSelection.create(report=report.id, county=county.id, city=county.parent_id,
                                 year=report.month.year, recommended_by=admin.id)
            made.append(report.id)
        return made


def _forget(live_server, ids):
    with bound_to(live_server.database_url):
        CaseSelection.delete().where(CaseSelection.report.in_(ids)).execute()
        FirmReport.delete().where(FirmReport.id.in_(ids)).execute()


def _state(live_server, report_id):
    with bound_to(live_server.database_url):
        return CaseSelection.get(CaseSelection.report == report_id).chosen_at is not None


def test_the_city_chooses_a_recommended_case(phone, live_server):
    mine, theirs = _recommended_cases(live_server)
    try:
        city = phone("city_admin", **DESKTOP)
        page = city.new_page()
        page.goto("/home/city")
        page.locator(".actions a[href$='/selection/']").click()
        page.wait_for_url("**/selection/")
        expect(page.locator(".selection-county")).to_have_count(2)
        expect(page.locator(".selection-count")).to_contain_text("0/10")
        card = page.locator(f"#c-{mine}")
        card.locator("details.report-text summary").click()
        expect(card.locator(".report-parts")).to_be_visible()
        card.locator("form[action$='/choose'] button").click()
        page.wait_for_url(re.compile(r"/selection/\?year=[0-9]{4}#c-[0-9]+$"))
        expect(page.locator(".selection-count")).to_contain_text("1/10")
        expect(card.locator(".selection-chip-chosen")).to_have_text(zh("Ten best"))
        expect(card.locator("form[action$='/unchoose'] button")).to_be_visible()
        expect(page.locator(f"#c-{theirs} .selection-chip-recommended")).to_have_text(
            zh("Recommended"))
        assert _state(live_server, mine) and not _state(live_server, theirs)
        screenshot(page, "selection-city-board")

        # The firm's page shows the choice; the county's board fits a phone.
        director = phone("director", **NARROW)
        firm_page = director.new_page()
        firm_page.goto("/reports/")
        expect(firm_page.locator(".report-link .selection-chip-chosen")).to_have_text(
            zh("Ten best"))
        check_layout(firm_page, "firm reports page with a chosen case")
        county = phone("county_admin", **NARROW)
        board = county.new_page()
        board.goto("/selection/")
        expect(board.locator(f"#c-{mine} .selection-chip-chosen")).to_be_visible()
        expect(board.locator(f"#c-{theirs}")).to_have_count(0)
        check_layout(board, "county's ten-best board")
        screenshot(board, "selection-county-board")
        assert_clean(city)
        assert_clean(director)
        assert_clean(county)
    finally:
        _forget(live_server, [mine, theirs])
