"""Party study end to end on a 360 × 740 phone: the branch secretary publishes material with one
question through the form; a member opens it from the 待学习 card on their home (the service
worker then keeps it, so it opens again without network), answers, sees the right answer and
the score; the secretary's list of who has studied it shows the member as studied.

Runs in Debian's chromium against the app under gunicorn (see conftest.py). Waits on
conditions only (an element, a response, a URL). The material and what it wrote are removed
afterwards, so no other test of the same server sees them.
"""
import re
from decimal import Decimal

import pytest

from tests.browser.helpers import (NARROW, activate_service_worker, assert_clean, bound_to,
                                   check_layout, expect, screenshot)
from tests.browser.helpers import zh as tr
from webapp.accounts.models import Notification, User
from webapp.ledger import system
from webapp.ledger.models import Entry
from webapp.study import services
from webapp.study.models import StudyAssignment, StudyMaterial, StudyQuestion

TITLE = "学习《中国共产党章程》总纲（浏览器测试）"
BODY = ("# 党章总纲\n\n"
        "中国共产党是中国工人阶级的先锋队，同时是中国人民和中华民族的先锋队。\n\n"
        "## 学习要求\n\n- 逐段通读总纲\n- 结合基层法律服务工作谈体会")
QUESTION = "中国共产党的最高理想和最终目标是什么？"
CHOICES = ("实现共产主义", "发展生产力", "建设法治社会")
OFFLINE_NOISE = ("ERR_INTERNET_DISCONNECTED", "Failed to load resource", "net::ERR_")

# Whether the service worker has kept a page (it writes it just after the response: wait for
# it, up to 10 s, on the condition itself).
KEPT = """async (path) => {
  for (let tries = 0; tries < 100; tries++) {
    for (const key of await caches.keys())
      if (key.startsWith('gl-pages'))
        if (await (await caches.open(key)).match(path)) return true;
    await new Promise(done => setTimeout(done, 100));
  }
  return false;
}"""


def person(live_server, role):
    with bound_to(live_server.database_url):
        return User.get(User.phone == live_server.people[role]["phone"])


def to_study(live_server, user):
    with bound_to(live_server.database_url):
        return services.to_study(user)


def study_entries(live_server, material_id):
    with bound_to(live_server.database_url):
        return list(Entry.select().where(Entry.kind == "political_study",
                                         Entry.idempotency_key.startswith(
                                             f"{system.SOURCES['political_study'][0]}:"
                                             f"{material_id}:")))


@pytest.fixture
def published(live_server):
    """Holds the id of the material the test publishes; removes it and what it wrote after."""
    made = {}
    yield made
    if "id" not in made:
        return
    with bound_to(live_server.database_url) as database:
        with database.atomic():
            material_id = made["id"]
            keys = [system.source_key("political_study", material_id, user_id)
                    for (user_id,) in StudyAssignment.select(StudyAssignment.user)
                    .where(StudyAssignment.material == material_id).tuples()]
            Entry.delete().where(Entry.idempotency_key.in_(keys or [""])).execute()
            Notification.delete().where(Notification.link == f"/study/{material_id}").execute()
            StudyAssignment.delete().where(StudyAssignment.material == material_id).execute()
            StudyQuestion.delete().where(StudyQuestion.material == material_id).execute()
            StudyMaterial.delete().where(StudyMaterial.id == material_id).execute()


def test_a_secretary_publishes_and_a_member_studies(phone, live_server, published):
    member = person(live_server, "practitioner")

    # The secretary publishes: one question, no minimum reading time (0 minutes).
    secretary = phone("secretary", **NARROW)
    desk = secretary.new_page()
    desk.goto("/home/branch")
    desk.locator("#study-manage").get_by_role(
        "link", name=tr("Publish study material"), exact=True).click()
    desk.wait_for_url("**/branch/study/new")
    check_layout(desk, "publishing form")
    desk.locator("#f-title").fill(TITLE)
    desk.locator("#f-body").fill(BODY)
    desk.locator("#f-hours").fill("0.5")
    desk.locator("#f-minutes").fill("0")
    expect(desk.locator("input[name=audience][value=all]")).to_be_checked()
    desk.locator("#questions > summary").click()
    desk.locator("#f-q1_text").fill(QUESTION)
    for n, choice in enumerate(CHOICES, start=1):
        desk.locator(f"#f-q1_choice{n}").fill(choice)
    desk.locator("#f-q1_answer").select_option("1")
    check_layout(desk, "publishing form with a question")
    screenshot(desk, "study-flow-publish")
    desk.get_by_role("button", name=tr("Publish"), exact=True).click()
    desk.wait_for_url(re.compile(r".*/branch/study/\d+$"))
    published["id"] = material_id = int(desk.url.rsplit("/", 1)[1])
    expect(desk.locator("main h1")).to_have_text(TITLE)
    row = desk.locator(f"#person-{member.id}")
    expect(row).to_have_attribute("data-state", "not_opened")
    expect(desk.locator("#counts [data-count=studied]")).to_have_text("0")
    check_layout(desk, "who has studied it, just published")
    with bound_to(live_server.database_url):
        material = StudyMaterial.get_by_id(material_id)
        assert (material.min_seconds, material.hours, material.status) == (
            0, Decimal("0.5"), "published")
        assert StudyQuestion.select().where(StudyQuestion.material == material_id).count() == 1

    # The member: the 待学习 card on the home leads to the list and the list to the material.
    waiting = to_study(live_server, member)
    assert waiting >= 1
    context = phone("practitioner", **NARROW)
    page = context.new_page()
    page.goto("/home/me")
    assert activate_service_worker(page) == live_server.base_url + "/sw.js"
    card = page.locator("#study-home")
    expect(card.locator("h2")).to_have_text(tr("To study (%(n)d)") % {"n": waiting})
    check_layout(page, "home with the study card")
    card.get_by_role("link", name=tr("Open my study"), exact=True).click()
    page.wait_for_url("**/study/")
    item = page.locator(f"#to-study li[data-material='{material_id}'] a")
    expect(item).to_contain_text(TITLE)
    check_layout(page, "my study")
    item.click()
    page.wait_for_url(f"**/study/{material_id}")
    expect(page.locator("main h1")).to_have_text(TITLE)
    expect(page.locator(".study-text h2")).to_have_text("党章总纲")  # headings one level down
    expect(page.locator(".study-text li")).to_have_count(2)
    expect(page.locator("button[data-study-done]")).to_be_enabled()
    check_layout(page, "reading page")
    screenshot(page, "study-flow-reading")
    assert page.evaluate(KEPT, f"/study/{material_id}")

    # Opened once online, it opens offline too (from the service worker's copy).
    context.set_offline(True)
    page.goto("/study/")
    page.locator(f"#to-study li[data-material='{material_id}'] a").click()
    page.wait_for_url(f"**/study/{material_id}")
    expect(page.locator("main h1")).to_have_text(TITLE)
    assert page.locator("[data-offline-page]").count() == 0
    expect(page.locator(".study-text h3")).to_have_text("学习要求")
    screenshot(page, "study-flow-offline")
    context.set_offline(False)

    # Online again: answer, mark it studied, see the right answer and the score at once.
    with page.expect_navigation():
        page.reload()
    page.locator("fieldset[data-question='1'] label.choice", has_text=CHOICES[0]).click()
    with page.expect_navigation():
        page.locator("button[data-study-done]").click()
    page.locator("[data-studied]").wait_for()
    expect(page.locator(".study-score")).to_have_text(
        tr("%(right)d of %(total)d right") % {"right": 1, "total": 1})
    result = page.locator("li[data-question='1']")
    expect(result.locator("[data-verdict]")).to_have_attribute("data-verdict", "right")
    expect(result.locator("[data-right]")).to_contain_text(CHOICES[0])
    check_layout(page, "the result")
    screenshot(page, "study-flow-result")
    [entry] = study_entries(live_server, material_id)
    assert (entry.user_id, entry.hours, entry.status) == (member.id, Decimal("0.5"), "recorded")
    assert to_study(live_server, member) == waiting - 1
    assert_clean(context, ignore=OFFLINE_NOISE)

    # The secretary's list now shows the member as studied, with the score.
    desk.reload()
    expect(row).to_have_attribute("data-state", "studied")
    expect(row.locator("td.num")).to_have_text("1/1")
    expect(desk.locator("#counts [data-count=studied]")).to_have_text("1")
    check_layout(desk, "who has studied it, after the member")
    screenshot(desk, "study-flow-completion")
    desk.goto("/branch/study/")
    expect(desk.locator("main")).to_contain_text(TITLE)
    check_layout(desk, "the secretary's study list")
    assert_clean(secretary)
