"""A member studies on a 360 × 740 phone: the list, the reading page (the button opens after the
minimum reading time), the page opened again without network (the service worker kept it once
opened), marking it studied refused offline with a word why, then sent online: the quiz's
result with the right answers, one political-study entry.

Runs in Debian's chromium against the app under gunicorn (see conftest.py). Waits on
conditions only (an element, a response, a URL).
"""
import datetime
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

from tests.browser.helpers import (NARROW, activate_service_worker, assert_clean, bound_to,
                                   check_layout, expect, screenshot)
from tests.browser.helpers import zh as tr
from webapp.accounts.models import User
from webapp.branches.models import BranchMember
from webapp.ledger.models import Entry
from webapp.study.models import StudyAssignment, StudyMaterial, StudyQuestion
from webapp.study.text import render

OFFLINE_NOISE = ("ERR_INTERNET_DISCONNECTED", "Failed to load resource", "net::ERR_")
BODY = ("# 学习贯彻党的二十大精神\n\n"
        "全面建设社会主义现代化国家，必须坚持中国共产党领导。基层法律服务工作者要把学习成果"
        "转化为为民服务的实际行动，依法调解矛盾纠纷，做好公共法律服务。\n\n"
        "## 学习要点\n\n- 坚持以人民为中心\n- 坚持全面依法治国\n- 坚持党建引领业务发展")
QUIZ = [("党的二十大报告提出，要坚持以什么为中心的发展思想？", ["以人民为中心", "以经济为中心"], 0),
        ("基层法律服务工作者应当怎样把学习成果转化为行动？",
         ["依法调解矛盾纠纷，做好公共法律服务", "只学习不实践", "等待上级安排"], 0)]

KEPT_STUDY = """async (path) => {
  for (let tries = 0; tries < 100; tries++) {
    for (const key of await caches.keys())
      if (key.startsWith('gl-pages'))
        if (await (await caches.open(key)).match(path)) return true;
    await new Promise(done => setTimeout(done, 100));
  }
  return false;
}"""


def publish_for(live_server, role="practitioner", seconds=3):
    """A material for the seeded member, written straight into the server's database."""
    with bound_to(live_server.database_url):
        user = User.get(User.phone == live_server.people[role]["phone"])
        branch = BranchMember.get(BranchMember.user == user.id).branch
        today = datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date()
        material = StudyMaterial.create(
            county=branch.county_id, branch=branch.id, title="学习贯彻党的二十大精神（第一讲）",
            body=BODY, body_html=render(BODY), link="https://www.12348.gov.cn/",
            due_on=today + datetime.timedelta(days=5), hours=Decimal("0.5"),
            min_seconds=seconds)
        for position, (text, choices, right) in enumerate(QUIZ):
            StudyQuestion.create(material=material, position=position, text=text,
                                 choices=json.dumps(choices, ensure_ascii=False), answer=right)
        StudyAssignment.create(material=material, user=user)
        return material.id, user.id


def study_entries(live_server, user_id):
    with bound_to(live_server.database_url):
        return list(Entry.select().where(Entry.user == user_id, Entry.kind == "political_study"))


def test_a_member_studies_on_the_phone_and_offline(phone, live_server):
    material_id, user_id = publish_for(live_server)
    unopened_id, _user_id = publish_for(live_server)
    context = phone("practitioner", **NARROW)
    page = context.new_page()
    page.goto("/home/me")  # the home's 待学习 card leads to the list
    card = page.locator("#study-home")
    expect(card.locator("h2")).to_contain_text(tr("To study (%(n)d)").split("(")[0].strip())
    card.locator("a[href='/study/']").click()
    page.wait_for_url("**/study/")
    activate_service_worker(page)
    assert page.evaluate(KEPT_STUDY, "/study/")
    row = page.locator(f"#to-study li[data-material='{material_id}'] a")
    expect(row).to_be_visible()
    check_layout(page, "my study")
    screenshot(page, "study-list")

    row.click()
    page.wait_for_url(f"**/study/{material_id}")
    button = page.locator("button[data-study-done]")
    expect(page.locator("main h1")).to_have_text("学习贯彻党的二十大精神（第一讲）")
    expect(page.locator(".study-text h2")).to_have_text("学习贯彻党的二十大精神")
    assert page.evaluate(KEPT_STUDY, f"/study/{material_id}")
    check_layout(page, "reading page")
    screenshot(page, "study-material")

    # Offline: the list and the material opened open again from the phone; one never opened
    # here gives the offline page. The button opens after the reading time.
    context.set_offline(True)
    page.goto("/study/")
    page.locator(f"#to-study li[data-material='{unopened_id}'] a").click()
    page.locator("[data-offline-page]").wait_for()
    page.goto("/study/")
    page.locator(f"#to-study li[data-material='{material_id}'] a").click()
    page.wait_for_url(f"**/study/{material_id}")
    expect(page.locator("main h1")).to_have_text("学习贯彻党的二十大精神（第一讲）")
    assert page.locator("[data-offline-page]").count() == 0
    expect(button).to_be_enabled()
    page.locator("fieldset[data-question='1'] label.choice").nth(0).click()
    page.locator("fieldset[data-question='2'] label.choice").nth(1).click()
    button.click()
    note = page.locator("[data-study-offline]")
    expect(note).to_be_visible()
    expect(note).to_have_text(tr("You are offline. Marking it studied needs the network: "
                                 "connect and tap the button again. Your answers stay on "
                                 "this page."))
    screenshot(page, "study-offline-refused")
    assert not study_entries(live_server, user_id)

    # Online again: the same tap sends it; the result shows the right answers.
    context.set_offline(False)
    with page.expect_navigation():
        button.click()
    page.locator("[data-studied]").wait_for()
    expect(page.locator(".study-score")).to_have_text(tr("%(right)d of %(total)d right")
                                                     % {"right": 1, "total": 2})
    verdicts = page.locator("li[data-question] [data-verdict]")
    assert verdicts.evaluate_all("els => els.map(e => e.dataset.verdict)") == ["right", "wrong"]
    expect(page.locator("li[data-question='2'] [data-right]")).to_contain_text(
        "依法调解矛盾纠纷，做好公共法律服务")
    check_layout(page, "result")
    screenshot(page, "study-result")
    [entry] = study_entries(live_server, user_id)
    assert entry.hours == Decimal("0.5") and entry.status == "recorded"
    assert_clean(context, ignore=OFFLINE_NOISE)


def test_the_button_waits_for_the_reading_time(phone, live_server):
    material_id, _user_id = publish_for(live_server, seconds=600)
    context = phone("practitioner", **NARROW)
    page = context.new_page()
    page.goto(f"/study/{material_id}")
    button = page.locator("button[data-study-done]")
    expect(button).to_be_disabled()
    countdown = page.locator("[data-study-countdown]")
    expect(countdown).to_be_visible()
    expect(countdown).to_contain_text("9:5")  # ticking down from 10:00
    # Sent anyway (by a script, past the button): the server refuses it and says why.
    page.locator("fieldset[data-question='1'] label.choice").nth(0).click()
    page.locator("fieldset[data-question='2'] label.choice").nth(0).click()
    with page.expect_navigation():
        page.evaluate("document.querySelector('form[data-study-form]').submit()")
    expect(page.locator(".form-error")).to_be_visible()
    expect(button).to_be_disabled()
    check_layout(page, "too early")
    screenshot(page, "study-too-early")
    assert_clean(context, ignore=("409",))
