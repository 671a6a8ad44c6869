"""The field walk: every page of every role at 360 x 740, in Chinese and in English.

Each role's pages are found by following its links breadth-first from its home (same origin,
GET only; never signing out, downloads or a scan link), plus the pages with ids the seed makes
(attendance sheet, sign-in sheet, projector, an entry, a report, the forms). On every page one
probe reports what a person on an older phone would stumble on:
- the page is wider than the screen (document.documentElement.scrollWidth > 360);
- text under 16 px (tab-bar labels under 14 px);
- a touch target (a link, button, field, summary, or the label of a tick box) under 44 x 44 px;
  a link inside a paragraph with other text (an inline link in running text) is excepted;
- text with too little contrast against what is behind it (WCAG AA: 4.5 to 1, large text 3);
- a box sticking out of the page's column (a tile past its card), the projector's 6-digit code
  broken over two lines.
Hidden things (display:none, zero size, visibility:hidden, inside a closed <details>) and text
for screen readers only do not count. One run lists every problem of its role and language.
"""
import collections
import datetime
import re
import secrets
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.helpers import HOME_PATHS, ROLES, bound_to
from tests.browser.server import own_server
from tests.helpers import ENGINE
from tests.browser.seed import PEOPLE
from webapp.accounts.models import Region, User
from webapp.branches.models import Branch, BranchActivity
from webapp.ledger.models import Entry
from webapp.reports.models import FirmReport
from webapp.quality.complaint_models import Complaint
from webapp.quality.rating_models import Rating
from webapp.quality.village_models import Village
from webapp.study.models import StudyAssignment, StudyMaterial, StudyQuestion
from webapp.study.text import render as study_render
from webapp.trainings.models import Attendance, Training, TrainingCategory


# A server of this module's own: what it measures depends only on the seed and this
# module's data, never on what the browser tests before it on this process left.
live_server, role_states = own_server()


pytestmark = pytest.mark.skipif(ENGINE != "sqlite", reason="the layout does not depend on "
                                "the database: the walk runs on the SQLite run only")

WALK = {"viewport": {"width": 360, "height": 740}}
LOCALES = {"zh_Hans_CN": "zh-CN", "en": "en-US"}  # the browser's language picks the app's
PICTURES = Path("/tmp/walk")
MAX_PAGES = 200  # a role's walk, at most (a walk that reaches it fails: pages were left out)
PER_SHAPE = 1  # pages of one shape (/ledger/entries/<n>, a list under another filter) visited
SKIP = re.compile(r"(\.xlsx|\.zip|\.ics|\.webmanifest|/files/|/evidence/|/photos/|^/c/|^/static/|"
                  r"^/logout|^/sw\.js|^/push/|^/healthz|/live$)")

# Pages kept as pictures (besides the home and the first few with problems), to look at.
PICTURED = re.compile(r"(/attendance$|/sign-in-sheet$|/projector$|/summary$|/ledger/new/|"
                      r"^/admin/people$|^/bulletins/\d)")

PROBE = """() => {
  const vw = document.documentElement.clientWidth;
  const shown = el => el.checkVisibility({visibilityProperty: true}) &&
    !el.closest('.sr-only, .skip, [aria-hidden=true]');
  const snippet = el => (el.innerText || el.value || el.getAttribute('aria-label') ||
    el.getAttribute('title') || '').trim().replace(/\\s+/g, ' ').slice(0, 30);
  const size = box => Math.round(box.width) + 'x' + Math.round(box.height);
  const found = [];
  // Touch targets.
  const targets = 'a[href], button, input:not([type=hidden]), select, textarea, summary, label';
  for (const el of document.querySelectorAll(targets)) {
    if (!shown(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const tag = el.tagName.toLowerCase();
    if (tag === 'label') {
      // A label is a target when it is how one ticks a box (its control is a tick box).
      const control = el.control;
      if (!control || !['checkbox', 'radio'].includes(control.type)) continue;
    }
    if (el.type === 'checkbox' || el.type === 'radio') {
      const label = el.closest('label') || (el.labels && el.labels[0]);
      if (label && shown(label)) continue;  // measured as its label
    }
    if (tag === 'a') {
      const p = el.closest('p');
      if (p && p.innerText.replace(/\\s/g, '').length > el.innerText.replace(/\\s/g, '').length) continue;
    }
    if (box.width < 43.5 || box.height < 43.5) {
      found.push({kind: 'target', tag: tag + (el.className ? '.' + String(el.className).trim().split(/\\s+/).join('.') : ''),
                  text: snippet(el), size: size(box)});
    }
  }
  // Contrast of text against what is behind it (WCAG AA: 4.5, large text 3): the colour with
  // the opacity of every box it sits in, over the nearest background colour (a picture or a
  // gradient behind it: not measured).
  const rgba = value => {
    const m = /^rgba?\\(([\\d.]+),\\s*([\\d.]+),\\s*([\\d.]+)(?:,\\s*([\\d.]+))?\\)$/.exec(value);
    return m ? [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]] : null;
  };
  const over = (top, below) => top.slice(0, 3).map((c, i) => c * top[3] + below[i] * (1 - top[3]));
  const luminance = rgb => {
    const [r, g, b] = rgb.map(c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (el, style) => {
    const ink = rgba(style.color);
    if (!ink) return null;
    let alpha = ink[3];
    const layers = [];
    for (let p = el; p; p = p.parentElement) {
      const s = getComputedStyle(p);
      alpha *= parseFloat(s.opacity);
      if (s.backgroundImage !== 'none') return null;
      const bg = rgba(s.backgroundColor);
      if (bg === null) return null;
      if (bg[3] > 0) { layers.push(bg); if (bg[3] >= 1) break; }
    }
    let behind = [255, 255, 255];
    for (const layer of layers.reverse()) behind = over(layer, behind);
    const front = over([ink[0], ink[1], ink[2], alpha], behind);
    const [a, b] = [luminance(front), luminance(behind)].sort((x, y) => y - x);
    return (a + 0.05) / (b + 0.05);
  };
  // Text sizes.
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el || seen.has(el)) continue;
    seen.add(el);
    if (el.closest('svg') || !shown(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const style = getComputedStyle(el);
    const px = parseFloat(style.fontSize);
    const least = el.closest('.tabbar') ? 14 : 16;
    const ratio = contrast(el, style);
    const large = px >= 23.95 || (px >= 18.6 && parseInt(style.fontWeight, 10) >= 700);
    if (ratio !== null && ratio < (large ? 3 : 4.5) - 0.005 && !el.closest(':disabled')) {
      found.push({kind: 'contrast', tag: el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).trim().split(/\\s+/).join('.') : ''),
                  text: node.textContent.trim().replace(/\\s+/g, ' ').slice(0, 30), size: ratio.toFixed(2)});
    }
    if (px < least - 0.05) {
      found.push({kind: 'text', tag: el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).trim().split(/\\s+/).join('.') : ''),
                  text: node.textContent.trim().replace(/\\s+/g, ' ').slice(0, 30), size: px + 'px'});
    }
  }
  // Width: the page, and the outermost things that stick out.
  const width = document.documentElement.scrollWidth;
  if (width > vw) {
    const wide = [];
    for (const el of document.body.querySelectorAll('*')) {
      const box = el.getBoundingClientRect();
      if (box.width && box.right > vw + 0.5 && el.checkVisibility() &&
          !(el.parentElement && el.parentElement.getBoundingClientRect().right > vw + 0.5)) {
        wide.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).trim().split(/\\s+/).join('.') : '') +
                  ' "' + snippet(el) + '" ' + size(box));
      }
    }
    found.push({kind: 'width', tag: 'html', text: wide.slice(0, 4).join(' | '), size: width + 'px'});
  }
  // Things that stick out of the page's column (past main's padding) without widening the
  // page: a tile beyond its card. Content that scrolls in its own box is left alone.
  const main = document.querySelector('main');
  if (main && width <= vw) {
    const edge = main.getBoundingClientRect().right - parseFloat(getComputedStyle(main).paddingRight);
    const scrolls = el => { for (let p = el.parentElement; p && p !== main; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return true; } return false; };
    for (const el of main.querySelectorAll('*')) {
      const box = el.getBoundingClientRect();
      if (!box.width || box.right <= edge + 1 || !shown(el) || el.closest('svg')) continue;
      const parent = el.parentElement;
      if (parent !== main && parent.getBoundingClientRect().right > edge + 1) continue;
      if (scrolls(el)) continue;
      found.push({kind: 'sticks', tag: el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).trim().split(/\\s+/).join('.') : ''),
                  text: snippet(el), size: Math.round(box.right) + 'px'});
    }
  }
  // What must stay on one line: the projector's 6-digit code, a code shown to type.
  for (const el of document.querySelectorAll('.typed-code strong, .code-display')) {
    if (!shown(el)) continue;
    const rects = [...el.getClientRects()];
    const tops = new Set(rects.map(r => Math.round(r.top)));
    const line = parseFloat(getComputedStyle(el).fontSize) * 1.6;
    if (tops.size > 1 || el.getBoundingClientRect().height > line) {
      found.push({kind: 'wraps', tag: el.tagName.toLowerCase(), text: snippet(el),
                  size: size(el.getBoundingClientRect())});
    }
  }
  const links = [...document.querySelectorAll('a[href]')].map(a => a.href);
  return {found, links, viewport: vw};
}"""


def shape(target):
    """A page's shape: its path with numbers as #, and its query's names without their values
    (two entries, or one list under two filters, are one shape)."""
    path, _, query = target.partition("?")
    names = sorted({pair.partition("=")[0] for pair in query.split("&") if pair})
    return re.sub(r"\d+", "#", path) + "?" + "&".join(names)


@pytest.fixture(scope="module")
def walk_data(live_server):
    """Rows the seed lacks for a full sheet: a training that ended yesterday, attended by three
    of the extra practitioners (late, staff-marked with a note, excused), a firm report, and
    study material of the branch with a question, for the practitioner (still to study: the
    countdown and the quiz) and the secretary (studied: the result). Removed after the walk,
    so no other test sees them."""
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None, microsecond=0)
    with bound_to(live_server.database_url) as database:
        with database.atomic():
            county = Region.get(Region.name == "江南区")
            admin = User.get(User.phone == PEOPLE["county_admin"][1])
            start = now - datetime.timedelta(days=1, hours=2)
            training = Training.create(
                title="基层法律服务工作者《民法典》合同编与侵权责任编实务专题培训班（第三期）",
                category=TrainingCategory.select().order_by(TrainingCategory.id).first(),
                organiser=county, start_at=start, end_at=start + datetime.timedelta(hours=3),
                place="江南区公共法律服务中心三楼会议室", credit_hours=Decimal(3),
                secret=secrets.token_hex(16), created_by=admin)
            extra = list(User.select().where(User.phone.startswith("138000001"))
                         .order_by(User.phone).limit(3))
            Attendance.create(training=training, user=extra[0], checked_in_at=start +
                              datetime.timedelta(minutes=17), late=True, method_in="qr",
                              checked_out_at=start + datetime.timedelta(hours=3),
                              method_out="qr", credited_hours=Decimal("2.75"))
            Attendance.create(training=training, user=extra[1], checked_in_at=start,
                              method_in="staff", marked_by=admin, needs_review=True,
                              note="手机没电，由工作人员代为签到（所主任电话确认）",
                              credited_hours=Decimal(0))
            Attendance.create(training=training, user=extra[2], status="excused",
                              note="参加县法院庭审", marked_by=admin)
            director = User.get(User.phone == PEOPLE["director"][1])
            month = datetime.date.today().replace(day=1)
            report = FirmReport.create(
                firm=director.firm, author=director, kind="case", month=month,
                title="白沙镇法律服务所成功调解一起宅基地边界纠纷", status="submitted",
                facts="村民因宅基地边界发生争执。", handling="所里两次到现场勘查，组织双方协商。",
                result="双方签订调解协议。", lesson="现场勘查有助于化解边界纠纷。")
            practitioner = User.get(User.phone == PEOPLE["practitioner"][1])
            withdrawn = Entry.create(user=practitioner, kind="public_service", date=now.date(),
                                     hours=Decimal(2), source="self", status="withdrawn",
                                     place="白沙村", description="重复记录，已撤回")
            branch = Branch.select().order_by(Branch.id).first()
            secretary = User.get(User.phone == PEOPLE["secretary"][1])
            body = ("# 学习《中国共产党章程》\n\n党章是党的根本大法，是全党必须共同遵守的根本"
                    "行为规范。\n\n## 学习要点\n\n- 党员的义务和权利\n- 党的纪律")
            material = StudyMaterial.create(
                county=county, branch=branch, title="学习《中国共产党章程》第一章党员（第二讲）",
                body=body, body_html=study_render(body),
                # A real link is long and has no place to break: it must not widen the page.
                link="https://www.12371.cn/2023/02/28/ARTI1677567290786123.shtml",
                due_on=now.date() + datetime.timedelta(days=7), hours=Decimal("0.5"),
                min_seconds=600, created_by=secretary)
            StudyQuestion.create(material=material, position=0,
                                 text="党员必须履行的义务中，第一条是什么？",
                                 choices='["认真学习马克思列宁主义、毛泽东思想", "按时交纳党费"]',
                                 answer=0)
            StudyAssignment.create(material=material, user=practitioner)
            StudyAssignment.create(material=material, user=secretary, opened_at=now,
                                   completed_at=now, answers="[1]", score=0)
            # Service quality: a village with its adviser, an overdue complaint, two ratings.
            village = Village.create(county=county, township="白沙镇", name="白沙镇大洲村委会",
                                     kind="village", adviser=practitioner)
            complaint = Complaint.create(
                county=county, firm=director.firm, practitioner=practitioner,
                source="hotline_12348", received_on=now.date() - datetime.timedelta(days=40),
                summary="群众来电反映调解时工作人员态度生硬，希望改进。", assignee=admin,
                deadline=now.date() - datetime.timedelta(days=10), created_by=admin,
                status="investigating")
            ratings = [Rating.create(key=secrets.token_hex(16), practitioner=practitioner,
                                     firm=practitioner.firm_id, score=score, useful=useful,
                                     comment=comment)
                       for score, useful, comment in ((5, "yes", "解答很耐心，讲得清楚。"),
                                                      (2, "no", "说得太快了，没听明白。"))]
            served = Entry.select().where(Entry.user == practitioner.id,
                                          Entry.kind == "public_service",
                                          Entry.status == "approved").first()
        ids = {
            "village": village.id,
            "complaint": complaint.id,
            "ratings": [r.id for r in ratings],
            "served": served.id,
            "material": material.id,
            "training": training.id,
            "withdrawn": withdrawn.id,
            "upcoming": Training.select().where(Training.id != training.id)
                                .order_by(Training.id).first().id,
            "extra": extra[0].id,
            "report": report.id,
            "firm": director.firm_id,
            "branch": Branch.select().first().id,
            "activity": BranchActivity.select().order_by(BranchActivity.id.desc()).first().id,
            "practitioner": User.get(User.phone == PEOPLE["practitioner"][1]).id,
            "entries": sorted({e.status: e.id for e in Entry.select().where(  # one a status
                Entry.user == User.get(User.phone == PEOPLE["practitioner"][1]))}.values()),
            "year": datetime.date.today().year,
            "month": (month - datetime.timedelta(days=1)).strftime("%Y-%m"),
        }
    yield ids
    with bound_to(live_server.database_url) as database:
        with database.atomic():
            Attendance.delete().where(Attendance.training == ids["training"]).execute()
            Training.delete().where(Training.id == ids["training"]).execute()
            FirmReport.delete().where(FirmReport.id == ids["report"]).execute()
            Entry.delete().where(Entry.id == ids["withdrawn"]).execute()
            Rating.delete().where(Rating.id.in_(ids["ratings"])).execute()
            Complaint.delete().where(Complaint.id == ids["complaint"]).execute()
            Village.delete().where(Village.id == ids["village"]).execute()
            StudyAssignment.delete().where(StudyAssignment.material == ids["material"]).execute()
            StudyQuestion.delete().where(StudyQuestion.material == ids["material"]).execute()
            StudyMaterial.delete().where(StudyMaterial.id == ids["material"]).execute()


def known_pages(ids):
    """Pages with ids from the seed that links alone may not reach (a role skips the ones it
    may not open)."""
    t, u = ids["training"], ids["upcoming"]
    entries = [f"/ledger/entries/{e}" for e in ids["entries"]]
    return [
        # practitioner
        "/ledger/new/public_service", "/ledger/new/legal_aid", "/ledger/new/education",
        "/ledger/year", f"/ledger/year/{ids['year']}/summary", *entries,
        *[f"{e}/edit" for e in entries], "/scan", "/checkin/code", "/trainings/mine",
        f"/trainings/{u}", "/party/record", "/me", "/me/password",
        # trainings (county, city)
        f"/trainings/{t}", f"/trainings/{t}/attendance", f"/trainings/{t}/sign-in-sheet",
        f"/trainings/{t}/projector", f"/trainings/{u}/projector", f"/trainings/{t}/poster",
        f"/trainings/{t}/attendance/{ids['extra']}", f"/trainings/{t}/edit", "/trainings/new",
        "/trainings/categories", "/trainings",
        # ledger review, reports
        "/ledger/review", "/ledger/rules", f"/reports/{ids['report']}", "/reports/",
        "/reports/new", "/reports/queue", "/selection/",
        # county and city
        "/home/county/people", "/home/county/behind", "/home/figures",
        f"/home/assessment/person/{ids['practitioner']}", f"/home/assessment/firm/{ids['firm']}",
        f"/home/assessment/firm/{ids['firm']}/print", f"/inspections/firm/{ids['firm']}",
        f"/inspections/firm/{ids['firm']}/new", "/bulletins/", f"/bulletins/{ids['month']}",
        "/admin/people", f"/admin/people/{ids['extra']}", "/admin/people/new", "/admin/firms",
        f"/admin/firms/{ids['firm']}", "/admin/firms/new", "/admin/targets", "/admin/audit",
        "/admin/people/import", "/branches", f"/branches/{ids['branch']}",
        f"/branches/{ids['branch']}/edit", "/branches/new",
        # branch secretary
        "/branch/activities", f"/branch/activities/{ids['activity']}",
        f"/branch/activities/{ids['activity']}/attendance",
        f"/branch/activities/{ids['activity']}/projector",
        f"/branch/activities/{ids['activity']}/edit", "/branch/activities/new",
        # party study (members; the secretary and the county)
        "/study/", f"/study/{ids['material']}", "/branch/study/", "/branch/study/new",
        f"/branch/study/{ids['material']}", f"/branch/study/{ids['material']}/edit",
        "/home/county/study",
        # service quality (the practitioner, the director, the county)
        f"/ratings/entries/{ids['served']}/ask", "/ratings/mine", "/ratings/card",
        "/ratings/firm", "/complaints/", "/complaints/new", f"/complaints/{ids['complaint']}",
        f"/complaints/{ids['complaint']}/conclude", "/villages/", "/villages/new",
        f"/villages/{ids['village']}", "/villages/import", "/villages/coverage",
    ]


def walk(context, base_url, home, extra_pages):
    """Visit the role's pages; return ({path: [problems]}, the pages measured, the pages left
    unmeasured because the walk reached MAX_PAGES)."""
    page = context.new_page()
    origin = urlsplit(base_url).netloc
    queue = collections.deque([home, *extra_pages])
    queued, shapes, problems, measured = set(queue), collections.Counter(), {}, []
    while queue and len(measured) < MAX_PAGES:
        path = queue.popleft()
        if path not in extra_pages and shapes[shape(path)] >= PER_SHAPE:
            continue  # the seed's pages are all measured; of the links, one page per shape
        response = page.goto(path)
        landed = urlsplit(page.url)
        where = landed.path + (f"?{landed.query}" if landed.query else "")
        if response is None or response.status != 200 or where in measured or (
                where != path and path in extra_pages):
            continue  # a page this role may not open (it sends the person elsewhere)
        shapes[shape(path)] += 1
        measured.append(where)
        got = page.evaluate(PROBE)
        assert got["viewport"] == 360, where
        if got["found"]:
            problems[where] = got["found"]
        if len(measured) == 1 or PICTURED.search(where) or (got["found"] and len(problems) <= 6):
            PICTURES.mkdir(exist_ok=True)
            name = re.sub(r"[^\w-]+", "-", where.strip("/")) or "root"
            page.screenshot(path=str(PICTURES / f"{context.walk_name}-{name}.png"),
                            full_page=True)
        for href in got["links"]:
            link = urlsplit(href)
            if link.netloc != origin or link.scheme not in ("http", "https"):
                continue
            target = link.path + (f"?{link.query}" if link.query else "")
            if SKIP.search(link.path) or target in queued:
                continue
            queued.add(target)
            queue.append(target)
    page.close()
    left = [path for path in queue if path in extra_pages or shapes[shape(path)] < PER_SHAPE]
    return problems, measured, left


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_a_small_phone(phone, live_server, walk_data, role, locale):
    started = time.monotonic()
    # No service worker: it would precache the shell in every context, and layout is the same.
    context = phone(role, locale=LOCALES[locale], service_workers="block", **WALK)
    context.walk_name = f"{role}-{locale}"
    problems, measured, left = walk(context, live_server.base_url, HOME_PATHS[role],
                                    known_pages(walk_data))
    lines = [f"{role} in {locale}: {len(measured)} pages in {time.monotonic() - started:.0f} s"]
    count = collections.Counter()
    for where, found in problems.items():
        lines.append(f"  {where}")
        for f in found:
            count[f["kind"]] += 1
            lines.append(f"    {f['kind']:6} {f['size']:>8}  {f['tag']} \"{f['text']}\"")
    lines.insert(1, "  problems: " + ", ".join(f"{k} {v}" for k, v in sorted(count.items())))
    assert len(measured) >= 5, measured
    assert not left, f"the walk stopped at {MAX_PAGES} pages; not measured: {left[:10]}"
    if problems:
        pytest.fail("\n".join(lines), pytrace=False)
    print(lines[0])  # shown with -rP: the pages measured and the time taken


def test_the_probe_sees_each_kind_of_problem(phone):
    """The walk's probe does report a wide page, small text, a small target, a code broken
    over two lines and a box sticking out of the column (so the walk above can fail)."""
    page = phone("practitioner", **WALK).new_page()
    page.goto(HOME_PATHS["practitioner"])
    assert page.evaluate(PROBE)["found"] == []
    # Through the CSSOM: the page's CSP rightly refuses style attributes and sheets.
    page.evaluate("""() => {
      const main = document.querySelector('main');
      const add = (tag, text, css) => {
        const el = document.createElement(tag);
        el.textContent = text;
        Object.assign(el.style, css);
        main.append(el);
        return el;
      };
      add('button', 'small', {minHeight: '0', height: '30px', padding: '0'});
      add('p', 'tiny', {fontSize: '14px'});
      add('p', 'faint', {color: '#8c9493'});  // the grey of a faded row: 3.1 to 1 on white
      add('p', 'faded', {opacity: '0.5'});
      add('div', 'sticks', {width: '338px'});  // past the padding, inside the screen
      const code = add('p', '', {width: '60px'});
      code.className = 'typed-code';
      code.append(Object.assign(document.createElement('strong'), {textContent: '123 456'}));
      code.firstChild.style.whiteSpace = 'normal';
    }""")
    found = {(f["kind"], f["text"]) for f in page.evaluate(PROBE)["found"]}
    assert {("target", "small"), ("text", "tiny"), ("sticks", "sticks"),
            ("contrast", "faint"), ("contrast", "faded"),
            ("wraps", "123 456")} <= found, found
    page.evaluate("() => { document.querySelector('main').append(Object.assign("
                  "document.createElement('div'), {textContent: 'wide'})); "
                  "document.querySelector('main').lastChild.style.width = '500px'; }")
    assert any(f["kind"] == "width" for f in page.evaluate(PROBE)["found"])
