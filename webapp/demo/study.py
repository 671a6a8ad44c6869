"""Party study in the demo year: each branch's secretary hands out material every few months, the
county one piece for every branch, and most members read it (and answer its questions) within a
few days; the latest pieces are still being studied. Published and completed through the study
services, so each completion reaches the ledger from the one place that writes it."""
import datetime
import random

from werkzeug.datastructures import MultiDict

from ..access import Actor
from ..accounts.models import RoleGrant
from ..study.models import StudyAssignment, StudyMaterial
from ..study.forms import clean_material
from ..study.services import complete, get_assigned, publish

MATERIALS = [
    ("学习《中国共产党章程》总纲", "## 学习要点\n\n党章是党的根本大法，是全党必须共同遵守的根本行为规范。"
     "\n\n- 认真学习总纲的基本内容\n- 对照党员义务查找差距\n- 结合法律服务工作谈体会",
     [("党章是党的什么？", ["根本大法", "一般文件", "工作手册"], 1),
      ("党员应当如何对待党章？", ["共同遵守", "参考执行", "自愿学习"], 1)]),
    ("学习《中国共产党纪律处分条例》", "## 为什么学\n\n纪律是党的生命线。基层法律服务工作者中的党员"
     "要以案为鉴，严守廉洁从业底线。\n\n## 怎么学\n\n逐章阅读条例，重点学习廉洁纪律和群众纪律。",
     [("纪律是党的什么？", ["生命线", "参考线", "起跑线"], 1)]),
    ("学习贯彻《法律援助法》", "## 学习要点\n\n法律援助是国家建立的为经济困难公民和符合法定条件的其他当事人"
     "无偿提供法律咨询、代理、刑事辩护等法律服务的制度。\n\n党员法律服务工作者要带头办理法律援助案件。",
     []),
    ("学习“枫桥经验”与基层矛盾纠纷化解", "## 学习要点\n\n坚持和发展新时代“枫桥经验”，做到"
     "小事不出村、大事不出镇、矛盾不上交。\n\n结合本所人民调解工作，谈一谈如何把矛盾化解在基层。",
     [("“枫桥经验”强调矛盾在哪里化解？", ["基层", "上级机关", "法院"], 1),
      ("小事不出哪里？", ["村", "县", "市"], 1),
      ("党员在调解中应当怎样？", ["带头", "旁观", "回避"], 1)]),
]
COUNTY_MATERIAL = ("学习党的二十届四中全会精神", "## 学习要求\n\n各支部组织党员认真学习全会公报，"
                   "结合基层法律服务工作实际，交流学习体会。", [])
EVERY_MONTHS = 3
# Its own dice: the rest of the demo year comes out as it did before study was added.
SEED = 2027
HOUR = datetime.timedelta(hours=1)


def _actor(user, role):
    grants = list(RoleGrant.select().where(RoleGrant.user == user.id))
    return Actor(user=user, grant=next(g for g in grants if g.role == role), grants=grants)


def _form(title, body, questions, **more):
    data = MultiDict({"title": title, "body": body, "hours": "0.5", **more})
    for n, (text, choices, right) in enumerate(questions, start=1):
        data[f"q{n}_text"] = text
        for c, choice in enumerate(choices, start=1):
            data[f"q{n}_choice{c}"] = choice
        data[f"q{n}_answer"] = str(right)
    return data


def _hand_out(story, actor, data, published):
    clean, errors = clean_material(actor, data, MultiDict(), published.date())
    if errors:
        raise ValueError(f"demo study material refused: {errors}")
    with story.happened_at(published):
        material = publish(actor, clean, today=published.date())
    story.backdate(StudyMaterial, material.id, created_at=published, updated_at=published)
    (StudyAssignment.update(created_at=published)
     .where(StudyAssignment.material == material.id).execute())
    return material


def _later(story, rng, moment, low_hours, high_hours):
    """Some hours after a moment, and before the story's today."""
    later = moment + datetime.timedelta(hours=rng.randint(low_hours, high_hours))
    return min(later, story.cutoff - datetime.timedelta(minutes=rng.randint(20, 600)))


def _study(story, rng, material, published):
    """Most members read it within a week (fewer for the last piece, still open)."""
    recent = (story.cutoff - published).days < 14
    for assignment in StudyAssignment.select().where(StudyAssignment.material == material.id):
        if rng.random() > (0.45 if recent else 0.88):
            if rng.random() < 0.3:
                opened = _later(story, rng, published, 2, 48)
                story.backdate(StudyAssignment, assignment.id, opened_at=opened)
            continue
        opened = _later(story, rng, published, 2, 24 * 6)
        done = opened + datetime.timedelta(seconds=material.min_seconds + rng.randint(30, 600))
        if done >= story.cutoff:
            continue
        story.backdate(StudyAssignment, assignment.id, opened_at=opened)
        user = assignment.user
        material_, assignment = get_assigned(user, material.id)
        answers = MultiDict()
        for n in range(1, len(material_.questions) + 1):
            answers[f"a{n}"] = "1" if rng.random() < 0.85 else "2"
        with story.happened_at(done):
            complete(user, material_, assignment, answers, now=done)


def make_study(story):
    # The story's own dice (audit addresses) are put back afterwards.
    state = story.rng.getstate()
    try:
        _make_study(story, random.Random(SEED))
    finally:
        story.rng.setstate(state)


def _make_study(story, rng):
    for plan in story.branches:
        actor = _actor(plan["secretary"].user, "secretary")
        for n, months_back in enumerate(range(10, -1, -EVERY_MONTHS)):
            title, body, questions = MATERIALS[n % len(MATERIALS)]
            day = story.weekday_back(story.today - datetime.timedelta(days=30 * months_back + 3))
            if day < story.jan1:
                continue
            published = min(story.utc(day, 9, rng.randint(0, 50)), story.cutoff - HOUR)
            due = max(story.today, day + datetime.timedelta(days=14)).isoformat()
            material = _hand_out(story, actor, _form(title, body, questions, due_on=due,
                                                     minutes="1"), published)
            _study(story, rng, material, published)
    for county_key, admin in story.county_admin.items():
        actor = _actor(admin, "county_admin")
        if not actor.county_id:
            continue
        day = story.weekday_back(story.today - datetime.timedelta(days=20))
        if day < story.jan1:
            continue
        published = min(story.utc(day, 10), story.cutoff - HOUR)
        title, body, questions = COUNTY_MATERIAL
        try:
            material = _hand_out(story, actor, _form(title, body, questions, minutes="1",
                                                     due_on=story.today.isoformat()), published)
        except ValueError:
            continue  # a county without branches
        _study(story, rng, material, published)
