"""Demo data: a fictional prefecture-level city of three counties with a year of records."""
import calendar
import datetime
import math
import random
import secrets
from decimal import ROUND_FLOOR, Decimal

from peewee import chunked

from .accounts.models import AuditEvent, Firm, Notification, Region, RoleGrant, User
from .branches.models import (ActivityAttendance, Branch, BranchActivity, BranchFirm,
                              BranchMember)
from .db import db, utcnow
from .ledger.models import Entry, ReviewRule
from .targets.models import Target
from .trainings.models import Attendance, Training, TrainingCategory, TrainingFirm

DEMO_PASSWORD = "demo2026"

# China has had no daylight saving since 1991, so a fixed offset is exact.
CST = datetime.timedelta(hours=8)
DAY = datetime.timedelta(days=1)

CITY = {"name": "江州市", "population": 2_190_000}

# (name, setting, township, size, party members, villages or communities served)
COUNTIES = [
    {
        "key": "jiangnan", "name": "江南区", "en": "Jiangnan District", "population": 862_000,
        "code": "362502", "aid": "江南援",
        "admin": ("程晓峰", "admin_jiangnan", "13900000002"),
        "place": "江南区公共法律服务中心三楼会议室",
        "firms": [
            ("江南街道法律服务所", "urban", "江南街道", 11, 7,
             ["江南社区", "望江社区", "文昌社区", "府前社区", "新华社区"]),
            ("滨江街道法律服务所", "urban", "滨江街道", 9, 2,
             ["滨江社区", "金桥社区", "临江社区", "滨湖社区"]),
            ("城东街道法律服务所", "urban", "城东街道", 8, 2,
             ["东湖社区", "和平社区", "幸福里社区", "建设路社区"]),
            ("白沙镇法律服务所", "rural", "白沙镇", 5, 2,
             ["白沙村", "沙湾村", "大洲村", "新塘村", "罗家湾村"]),
        ],
    },
    {
        "key": "qinghe", "name": "清河县", "en": "Qinghe County", "population": 618_000,
        "code": "362521", "aid": "清援",
        "admin": ("钱卫民", "admin_qinghe", "13900000007"),
        "place": "清河县司法局二楼会议室",
        "firms": [
            ("城关镇法律服务所", "urban", "城关镇", 10, 5,
             ["城南社区", "城北社区", "清河社区", "十里铺村", "五星村"]),
            ("柳林镇法律服务所", "rural", "柳林镇", 6, 3,
             ["柳林村", "杨柳村", "大塘村", "新丰村", "黄土岭村"]),
            ("石桥镇法律服务所", "rural", "石桥镇", 5, 2,
             ["石桥村", "三里桥村", "河口村", "王家庄村"]),
            ("双河乡法律服务所", "rural", "双河乡", 3, 1,
             ["双河村", "龙泉村", "长岗村", "桃树湾村"]),
        ],
    },
    {
        "key": "qingshan", "name": "青山县", "en": "Qingshan County", "population": 407_000,
        "code": "362523", "aid": "青援",
        "admin": ("付婷婷", "admin_qingshan", "13900000008"),
        "place": "青山县公共法律服务中心培训室",
        "firms": [
            ("青阳镇法律服务所", "urban", "青阳镇", 8, 4,
             ["青阳社区", "北门社区", "花园社区", "青山村", "胜利村"]),
            ("龙潭镇法律服务所", "rural", "龙潭镇", 6, 1,
             ["龙潭村", "石门村", "金塘村", "红星村"]),
            ("马鞍乡法律服务所", "rural", "马鞍乡", 4, 1,
             ["马鞍村", "高岭村", "白果村", "双井村"]),
            ("桃源镇法律服务所", "rural", "桃源镇", 5, 1,
             ["桃源村", "东升村", "前进村", "梅花村", "栗树村"]),
        ],
    },
]

CITY_ADMIN = ("沈丽华", "admin_jiangzhou", "13900000001")

# The people the demo logins belong to, and where they sit.
DEMO_PEOPLE = {
    "multi": ("周建华", "江南街道法律服务所", 0, "13900000006"),
    "director": ("陈德明", "城关镇法律服务所", 0, "13900000003"),
    "secretary": ("刘淑华", "柳林镇法律服务所", 1, "13900000004"),
    "practitioner": ("王海燕", "滨江街道法律服务所", -1, "13900000005"),
}

# Licensed this year (partial-year targets); the last person of each of these firms.
NEW_LICENSEES = {"城东街道法律服务所": "陈思雨", "龙潭镇法律服务所": "李浩然",
                 "桃源镇法律服务所": "张欣怡"}

NAMES = [
    "王建国", "李卫东", "张志强", "刘国平", "杨立新", "赵永刚", "黄建华", "周海涛", "吴振华",
    "徐文斌", "孙宏伟", "胡志刚", "朱家明", "高俊峰", "林国栋", "何春生", "郭长青", "马学军",
    "罗继红", "梁思远", "宋德胜", "郑国庆", "谢晓东", "韩志勇", "唐建军", "冯世杰", "于长海",
    "董文华", "程立军", "曹广平", "袁明亮", "邓保国", "许正华", "傅开元", "沈永年", "曾庆华",
    "彭国富", "吕建设", "苏汉生", "卢启明", "蒋兴旺", "蔡志远", "贾新民", "丁德全", "魏长林",
    "薛国强", "叶春雷", "阎卫平", "余家富", "潘文杰", "杜鹏", "戴永军", "夏磊", "钟涛",
    "汪立群", "田勇", "任杰", "姜波", "范斌", "李秀兰", "王桂芳", "张红梅", "杨玉珍", "赵春梅",
    "黄晓燕", "周美玲", "吴海英", "徐静", "孙丽娟", "胡雪梅", "朱玉兰", "高秀英", "林晓丹",
    "何敏", "郭晓红", "马琳", "罗慧", "宋雅琴", "郑婷", "谢芳", "韩冬梅", "方桂英", "石莉",
    "姚红霞", "廖春燕", "邹小琴", "熊翠萍",
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯董程曹袁邓许沈曾彭吕苏蒋蔡"

CATEGORIES = [("政治理论", "Political theory"), ("业务技能", "Professional skills"),
              ("职业道德与执业纪律", "Ethics and discipline"), ("其他", "Other")]
POLITICS, SKILLS, ETHICS, OTHER = (c[0] for c in CATEGORIES)

# organiser, title, category, days ago, local start, local end, credit hours,
# checkout required, audience firms (None = whole region), cancelled
PAST_TRAININGS = [
    ("city", "习近平法治思想专题学习培训班", POLITICS, 320, (9, 0), (17, 0), 6, False, None, False),
    ("jiangnan", "职业道德与执业纪律警示教育培训", ETHICS, 290, (9, 0), (12, 0), 3, False, None,
     False),
    ("qinghe", "人民调解实务与技巧", SKILLS, 262, (14, 30), (17, 30), 3, False, None, False),
    ("qingshan", "基层法律服务执业规范与投诉处理", ETHICS, 231, (9, 0), (12, 0), 3, False, None,
     False),
    ("qingshan", "劳动争议调解仲裁实务", SKILLS, 199, (9, 0), (12, 0), 3, False, None, True),
    ("jiangnan", "民法典婚姻家庭编专题培训", SKILLS, 170, (14, 30), (17, 30), 3, True, None,
     False),
    ("qinghe", "农村土地承包经营纠纷调处实务", SKILLS, 141, (8, 30), (12, 30), 4, False,
     ["柳林镇法律服务所", "石桥镇法律服务所", "双河乡法律服务所"], False),
    ("city", "全市基层法律服务工作者执业能力提升培训", SKILLS, 101, (9, 0), (17, 0), 6, True, None,
     False),
    ("qingshan", "法律援助案件办理质量标准解读", SKILLS, 76, (14, 30), (17, 30), 3, True, None,
     False),
    ("qinghe", "党的创新理论与全面依法治国专题辅导", POLITICS, 48, (9, 0), (12, 0), 3, False, None,
     False),
    ("jiangnan", "合同纠纷代理实务与文书写作", SKILLS, 22, (8, 30), (12, 30), 4, True, None,
     False),
    ("qingshan", "信访工作法治化与矛盾纠纷多元化解", SKILLS, 9, (14, 30), (17, 30), 3, False, None,
     False),
]
# organiser, title, category, days ahead, local start, local end, credit hours, checkout
UPCOMING_TRAININGS = [
    ("jiangnan", "民事诉讼证据规则与庭审实务", SKILLS, 0, (14, 0), (17, 0), 3, True),
    ("city", "全市基层法律服务工作者法律援助实务培训", SKILLS, 5, (9, 0), (17, 0), 6, True),
    ("qinghe", "基层法律服务工作者职业道德与执业纪律教育", ETHICS, 9, (14, 30), (17, 30), 3,
     False),
    ("qingshan", "民法典侵权责任编与道路交通事故赔偿实务", SKILLS, 12, (9, 0), (12, 0), 3, False),
]
CITY_PLACES = ["江州市委党校报告厅", "江州市司法局六楼会议室"]

TARGETS = [
    ("education_hours", 40, "池州市司法局 2020, 五(一)"),
    ("public_service_hours", 36, "池州市司法局 2020, 五(三)"),
    ("legal_aid_cases", 5, "池州市司法局 2020, 五(三)"),
    ("county_trainings", 2, "池州市司法局 2020, 五(一)"),
    ("info_reports", 3, "池州市司法局 2020, 五(三)"),
    ("typical_cases", 1, "池州市司法局 2020, 五(三)"),
    ("theme_days", 12, "荆州市司法局 2020, 一、3"),
    ("practitioners_per_10k", "2.3", "重庆市司法局 2020, 二(二)、三"),
]

THEME_DAYS = {
    1: ("学党章、守党规，开展谈心谈话", "集体学习党章有关条款，支部书记与党员逐一谈心谈话，党员对照检查查摆问题", None),
    2: ("新春走访慰问，送法上门", "走访辖区困难群众和留守老人，解答赡养、低保等法律问题", "village"),
    3: ("学雷锋志愿服务：法律咨询进社区", "在村（社区）设立法律咨询点，现场解答群众咨询，发放宣传资料", "village"),
    4: ("清明祭英烈，传承红色基因", "瞻仰烈士纪念碑，敬献花篮，全体党员重温入党誓词", "江州市烈士陵园"),
    5: ("民法典宣传月：民法典进村入户", "深入村组开展民法典宣讲，结合身边案例讲解婚姻家庭、继承等规定", "village"),
    6: ("安全生产月普法宣传暨警示教育", "观看安全生产警示教育片，开展安全生产法律知识宣传", None),
    7: ("庆祝建党节：重温入党誓词", "全体党员重温入党誓词，交流入党初心和执业体会", None),
    8: ("学习《中国共产党纪律处分条例》", "逐章学习纪律处分条例，结合行业典型案例开展讨论", None),
    9: ("参观廉政教育基地，筑牢拒腐防变防线", "参观廉政教育展览，聆听讲解，党员撰写心得体会", "江州市廉政教育基地"),
    10: ("讲好身边的法治故事", "党员结合办理的案件讲述法治故事，交流服务群众经验", None),
    11: ("“我为群众办实事”：矛盾纠纷排查化解", "走村入户排查矛盾纠纷，现场调处邻里纠纷", "village"),
    12: ("宪法宣传周：弘扬宪法精神", "组织党员集体学习宪法，在村（社区）开展宪法宣传", "village"),
}
MEMBERS_MEETINGS = ["党员大会：通报支部季度工作，部署下阶段任务", "党员大会：民主评议党员",
                    "党员大会：学习上级文件精神，讨论支部工作计划", "党员大会：通报党费收缴和党员发展情况"]
PARTY_LECTURES = ["书记讲党课：坚持人民至上，做群众身边的法律服务员",
                  "党课：以严明纪律守护法律服务公信力", "党课：从“枫桥经验”看基层矛盾纠纷化解",
                  "党课：学习习近平法治思想的核心要义"]
COMMITTEE_MEETINGS = ["支委会：研究主题党日活动安排", "支委会：研究党员发展和党费收缴事项",
                      "支委会：研究支部年度工作计划", "支委会：分析党员思想状况"]
EXCUSES = ["出庭", "外出办案", "因病请假", "参加县局培训", "家中有事", "在村坐班值守"]
TRAINING_EXCUSES = ["因病请假", "当日出庭，已提前请假", "外出办案，已提前请假", "家中有事，已提前请假"]

# category, hours choices, people served range, description templates
PUBLIC_SERVICE = [
    ("village_adviser", [2, 2.5, 3, 3.5, 4], (2, 15), [
        "担任{v}法律顾问，坐班接待村民咨询",
        "为{v}审查村规民约修订稿，提出修改意见",
        "为{v}村（居）委会审查土地流转合同",
        "参加{v}村（居）民代表会议，解答征地补偿政策",
    ]),
    ("consultation", [1, 1.5, 2, 2.5, 3], (3, 20), [
        "在{v}接待群众法律咨询，涉及婚姻家庭、民间借贷问题",
        "在镇（街道）公共法律服务工作站解答群众咨询",
        "接待来访群众咨询劳动报酬、工伤赔偿问题",
    ]),
    ("mediation", [1.5, 2, 2.5, 3, 4], (2, 6), [
        "参与调解{v}{s1}某与{s2}某宅基地相邻纠纷，达成调解协议",
        "参与调解{v}{s1}某家庭赡养纠纷",
        "协助调解{s1}某与{s2}某劳务报酬纠纷，当场履行",
        "参与调解一起交通事故赔偿纠纷，双方达成和解",
        "参与调解{v}土地承包经营权纠纷",
    ]),
    ("publicity", [2, 2.5, 3, 4], (20, 200), [
        "在{v}开展民法典进村入户宣传，发放宣传资料",
        "在{v}开展防范电信网络诈骗普法讲座",
        "赶集日在{v}设摊开展普法宣传",
        "到辖区中学开展未成年人保护法宣讲",
    ]),
    ("petition", [2, 3, 3.5, 4], (2, 10), [
        "在镇（街道）综治中心参与信访接待，释法说理",
        "参与县信访局联合接访，为来访群众提供法律意见",
    ]),
    ("aid_consultation", [3, 3.5, 4], (4, 18), [
        "在县法律援助中心窗口值班，解答法律援助咨询",
        "在公共法律服务工作站值班，受理法律援助申请咨询",
    ]),
    ("other", [1, 1.5, 2, 3], (1, 30), [
        "为辖区企业开展“法治体检”，出具法律风险提示",
        "为“法律明白人”培训班授课",
        "参加县司法局组织的矛盾纠纷集中排查",
    ]),
]
PS_WEIGHTS = [25, 22, 20, 15, 6, 7, 5]

LEGAL_AID = [
    ("civil", ["代理受援人{s}某追索劳动报酬纠纷", "代理受援人{s}某赡养费纠纷",
               "代理受援人{s}某离婚纠纷", "代理受援人{s}某机动车交通事故责任纠纷",
               "代理受援人{s}某工伤保险待遇纠纷"]),
    ("criminal", ["为被告人{s}某（涉嫌盗窃罪）提供辩护", "为被告人{s}某（涉嫌危险驾驶罪）提供辩护",
                  "为未成年被告人{s}某（涉嫌故意伤害罪）提供辩护"]),
    ("administrative", ["代理受援人{s}某工伤认定行政诉讼", "代理受援人{s}某社会保险行政复议"]),
    ("non_litigation", ["代理受援人{s}某劳动争议仲裁", "为农民工{s}某等人追讨欠薪（非诉）",
                        "代理受援人{s}某人身损害赔偿调解"]),
]
LA_WEIGHTS = [55, 20, 5, 20]

EDUCATION = [
    ("中国法律服务网", "《民法典》合同编通则司法解释解读", SKILLS, True),
    ("省基层法律服务工作者协会", "基层法律服务工作者网络培训班", SKILLS, True),
    ("学习强国", "习近平法治思想学习纲要专题学习", POLITICS, True),
    ("江州市律师协会", "新《公司法》要点解读公开课", SKILLS, False),
    ("国家法官学院网络课程", "民间借贷案件审理实务", SKILLS, True),
    ("江州市委党校", "党纪学习教育专题网络课程", POLITICS, True),
    ("省司法厅", "法律职业伦理与执业风险防范", ETHICS, True),
    ("中国法律服务网", "人民调解员线上培训", SKILLS, True),
    ("省法律援助中心", "法律援助案件质量评估标准线上培训", SKILLS, True),
    ("江州市档案馆", "法律服务业务档案规范化管理讲座", OTHER, False),
    ("江州市总工会", "劳动法律监督员培训", OTHER, False),
]

DECLINE_NOTES = {
    "public_service": ["该服务属于有偿代理业务，不计入公益服务时长。",
                       "缺少服务记录或照片等证明材料，请补充后重新提交。"],
    "education": ["该课程已作为培训学时由系统记录，请勿重复填报。",
                  "所填课程不属于继续教育认可范围。"],
    "legal_aid": ["该案件未经法律援助机构指派，不计入法律援助案件。"],
}
KIND_ZH = {"public_service": "公益服务", "education": "继续教育", "legal_aid": "法律援助案件"}

PROFILES = ["done", "on_track", "behind", "at_risk"]
PROFILE_WEIGHTS = [15, 42, 30, 13]
ATTEND_PROB = {"done": 0.97, "on_track": 0.93, "behind": 0.78, "at_risk": 0.45}

OUTSIDE_EDUCATION_CAP = 20


def has_data():
    """Say whether the database already holds data (any region)."""
    return Region.select().exists()


def load_demo(today=None):
    """Fill an empty, migrated database with a demo city; return (role, phone, password) logins."""
    from .accounts.services import hash_password

    if today is None:
        today = (utcnow() + CST).date()
    elif isinstance(today, datetime.datetime):
        today = today.date()
    with db.atomic():
        return _Demo(today, hash_password(DEMO_PASSWORD)).run()


def _dec(value):
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _quarters(hours):
    """Round hours down to a quarter hour."""
    return (Decimal(str(hours)) * 4).to_integral_value(ROUND_FLOOR) / 4


class _Person:
    def __init__(self, user, firm, county, active_from, party):
        self.user = user
        self.firm = firm
        self.county = county
        self.active_from = active_from
        self.party = party
        self.profile = {}
        self.credits_this_year = Decimal(0)
        self.days_used = {}


class _Demo:
    def __init__(self, today, password_hash):
        self.rng = random.Random(2026)
        self.today = today
        self.year = today.year
        self.jan1 = datetime.date(self.year, 1, 1)
        self.dec31 = datetime.date(self.year, 12, 31)
        self.days_in_year = 366 if calendar.isleap(self.year) else 365
        self.elapsed = ((today - self.jan1).days + 1) / self.days_in_year
        # Everything generated happened before today began, so nothing lies in the future.
        self.cutoff = self._utc(today, 0, 0)
        self.since = today - datetime.timedelta(days=365)
        self.created = self._utc(self.since - datetime.timedelta(days=40), 10, 0)
        self.password_hash = password_hash
        self.phones = set()
        self.licence_seq = {}
        self.entries = []
        self.notifications = []
        self.audits = []
        self.upcoming = []

    # -- small helpers -------------------------------------------------------

    @staticmethod
    def _utc(day, hour, minute=0):
        return datetime.datetime.combine(day, datetime.time(hour, minute)) - CST

    def _before_cutoff(self, moment):
        if moment < self.cutoff:
            return moment
        return self.cutoff - datetime.timedelta(minutes=self.rng.randint(20, 600))

    def _weekday_back(self, day):
        while day.weekday() >= 5:
            day -= DAY
        return day

    def _weekday_forward(self, day):
        while day.weekday() >= 5:
            day += DAY
        return day

    def _random_day(self, first, last, weekend_ok=0.15):
        span = (last - first).days
        day = first
        for _ in range(4):
            day = first + datetime.timedelta(days=self.rng.randint(0, span))
            if day.weekday() < 5 or self.rng.random() < weekend_ok:
                break
        return day

    def _phone(self):
        prefixes = ["130", "131", "132", "133", "135", "136", "137", "138", "150", "151", "152",
                    "155", "157", "158", "159", "180", "181", "182", "183", "186", "187", "188",
                    "189"]
        while True:
            phone = self.rng.choice(prefixes) + f"{self.rng.randint(0, 99_999_999):08d}"
            if phone not in self.phones and not phone.startswith("1390000"):
                self.phones.add(phone)
                return phone

    def _licence(self, county, year):
        key = (county["code"], year)
        self.licence_seq[key] = self.licence_seq.get(key, self.rng.randint(3, 40)) + \
            self.rng.randint(1, 9)
        return f"{county['code']}{year}{self.licence_seq[key]:04d}"

    def _entry(self, person, kind, day, status, created_at, **fields):
        row = {
            "user": person.user.id, "kind": kind, "date": day, "hours": Decimal("0.00"),
            "count": 0, "category": "", "description": "", "place": "", "people_served": None,
            "case_number": "", "case_type": "", "case_status": "", "closed_on": None,
            "provider": "", "source": "self", "training": None, "activity": None,
            "status": status, "reviewer": None, "reviewed_at": None, "review_note": "",
            "idempotency_key": None, "created_at": created_at, "updated_at": created_at,
        }
        row.update(fields)
        if status in ("approved", "declined"):
            reviewed = self._before_cutoff(
                created_at + datetime.timedelta(hours=self.rng.randint(14, 170)))
            row["reviewer"] = self.county_admin[person.county["key"]].id
            row["reviewed_at"] = reviewed
            row["updated_at"] = reviewed
        self.entries.append(row)
        return row

    def _self_created(self, day):
        """When a person logs an entry: the evening of the day or within a few days."""
        moment = self._utc(day, self.rng.randint(17, 21), self.rng.choice([0, 10, 25, 40, 55]))
        moment += datetime.timedelta(days=self.rng.choice([0, 0, 0, 1, 1, 2, 3]))
        return self._before_cutoff(moment)

    # -- the steps ----------------------------------------------------------

    def run(self):
        self.make_regions()
        self.make_people()
        self.make_branches()
        self.make_categories()
        self.make_trainings()
        self.make_branch_activities()
        self.make_self_entries()
        self.make_rules_and_targets()
        self.save_entries()
        self.make_notifications_and_audit()
        return self.logins()

    def make_regions(self):
        self.city = Region.create(name=CITY["name"], kind="city", population=CITY["population"],
                                  created_at=self.created)
        self.regions = {}
        self.firms = {}
        self.firm_county = {}
        self.firm_places = {}
        for county in COUNTIES:
            region = Region.create(name=county["name"], kind="county", parent=self.city,
                                   population=county["population"], created_at=self.created)
            self.regions[county["key"]] = region
            for name, setting, township, _size, _party, places in county["firms"]:
                self.firms[name] = Firm.create(name=name, county=region, setting=setting,
                                               township=township, created_at=self.created)
                self.firm_county[name] = county
                self.firm_places[name] = places

    def _user(self, **fields):
        fields.setdefault("password_hash", self.password_hash)
        fields.setdefault("created_at", self.created)
        return User.create(**fields)

    def _grant(self, user, role, **scope):
        RoleGrant.create(user=user, role=role, created_at=user.created_at, **scope)

    def make_people(self):
        rng = self.rng
        self.phones.update(phone for _name, _firm, _idx, phone in DEMO_PEOPLE.values())
        demo_slots = {(firm, idx): (key, name, phone)
                      for key, (name, firm, idx, phone) in DEMO_PEOPLE.items()}
        reserved = {name for name, *_rest in DEMO_PEOPLE.values()} | set(NEW_LICENSEES.values())
        pool = [n for n in NAMES if n not in reserved]
        rng.shuffle(pool)

        self.county_admin = {}
        self.city_admin = self._user(name=CITY_ADMIN[0], username=CITY_ADMIN[1],
                                     phone=CITY_ADMIN[2])
        self._grant(self.city_admin, "city_admin", region=self.city)
        for county in COUNTIES:
            name, username, phone = county["admin"]
            self.phones.add(phone)
            admin = self._user(name=name, username=username, phone=phone,
                               county=self.regions[county["key"]])
            self._grant(admin, "county_admin", region=self.regions[county["key"]])
            self.county_admin[county["key"]] = admin

        self.people = []
        self.by_firm = {}
        self.demo = {}
        for county in COUNTIES:
            region = self.regions[county["key"]]
            for fname, _setting, _township, size, party_count, _places in county["firms"]:
                firm = self.firms[fname]
                members = []
                for idx in range(size):
                    slot = demo_slots.get((fname, idx)) or demo_slots.get((fname, idx - size))
                    new = fname in NEW_LICENSEES and idx == size - 1
                    if slot:
                        name, phone = slot[1], slot[2]
                    elif new:
                        name, phone = NEW_LICENSEES[fname], self._phone()
                    else:
                        name, phone = pool.pop(), self._phone()
                    if new:
                        age = rng.randint(27, 33)
                    elif idx == 0:
                        age = rng.randint(52, 60)
                    else:
                        roll = rng.random()
                        age = (rng.randint(48, 62) if roll < 0.72 else
                               rng.randint(36, 47) if roll < 0.95 else rng.randint(31, 35))
                    birth_year = self.year - age
                    if new:
                        frac = [0.35, 0.6, 0.8][list(NEW_LICENSEES).index(fname)]
                        licensed = self.jan1 + datetime.timedelta(
                            days=int((self.today - self.jan1).days * frac))
                    else:
                        lic_year = rng.randint(max(birth_year + 25, 1994), self.year - 2)
                        licensed = datetime.date(lic_year, rng.randint(1, 12), rng.randint(1, 28))
                    created = (self._before_cutoff(self._utc(licensed, 10, 0)) if new
                               else self.created)
                    party = idx < party_count
                    user = self._user(
                        name=name, phone=phone, firm=firm, county=region,
                        licence_no=self._licence(county, licensed.year), birth_year=birth_year,
                        party_member=party,
                        licensed_on=datetime.datetime.combine(licensed, datetime.time()),
                        locale=None, created_at=created)
                    self._grant(user, "practitioner", firm=firm)
                    person = _Person(user, firm, county, licensed if new else self.since, party)
                    person.new = new
                    person.firm_name = fname
                    members.append(person)
                    if slot:
                        self.demo[slot[0]] = person
                self.by_firm[fname] = members
                self.people.extend(members)
                self._grant(members[0].user, "director", firm=firm)

        for person in self.people:
            base = rng.choices(PROFILES, PROFILE_WEIGHTS)[0]
            for metric in ("education", "public_service", "legal_aid"):
                profile = base if rng.random() < 0.6 else rng.choices(PROFILES, PROFILE_WEIGHTS)[0]
                if person.new and profile == "done":
                    profile = "on_track"
                person.profile[metric] = profile
        fixed = {
            "multi": ("done", "on_track", "on_track"),
            "director": ("on_track", "on_track", "behind"),
            "secretary": ("on_track", "behind", "on_track"),
            "practitioner": ("on_track", "behind", "on_track"),
        }
        for key, profiles in fixed.items():
            self.demo[key].profile = dict(zip(("education", "public_service", "legal_aid"),
                                              profiles))

    def make_branches(self):
        rng = self.rng
        plans = [
            ("江南街道法律服务所党支部", "jiangnan", "independent", False, ["江南街道法律服务所"],
             ("江南街道法律服务所", 0)),
            ("城关镇法律服务所党支部", "qinghe", "independent", False, ["城关镇法律服务所"],
             ("城关镇法律服务所", 1)),
            ("青阳镇法律服务所党支部", "qingshan", "independent", False, ["青阳镇法律服务所"],
             ("青阳镇法律服务所", 0)),
            ("清河县柳林片区法律服务联合党支部", "qinghe", "joint", True,
             ["柳林镇法律服务所", "石桥镇法律服务所", "双河乡法律服务所"], ("柳林镇法律服务所", 1)),
        ]
        probationary = {("江南街道法律服务所", 6), ("石桥镇法律服务所", 1)}
        self.branches = []
        for name, ckey, kind, justice, firm_names, (sec_firm, sec_idx) in plans:
            secretary = self.by_firm[sec_firm][sec_idx]
            branch = Branch.create(name=name, county=self.regions[ckey], kind=kind,
                                   includes_justice_office=justice, secretary=secretary.user,
                                   created_at=self.created)
            members = []
            for fname in firm_names:
                BranchFirm.create(branch=branch, firm=self.firms[fname])
                for idx, person in enumerate(self.by_firm[fname]):
                    if not person.party:
                        continue
                    if (fname, idx) in probationary:
                        standing = "probationary"
                        joined = self.today - datetime.timedelta(days=rng.randint(120, 200))
                    else:
                        standing = "full"
                        joined = datetime.date(rng.randint(2012, self.year - 2), rng.randint(1, 12),
                                               rng.randint(1, 28))
                    BranchMember.create(branch=branch, user=person.user, standing=standing,
                                        joined_on=joined)
                    members.append((person, joined))
            self._grant(secretary.user, "secretary", branch=branch)
            self.branches.append({"branch": branch, "members": members, "secretary": secretary,
                                  "firm": firm_names[0], "joint": kind == "joint",
                                  "ckey": ckey})
        # A member of the joint branch who has missed the last three theme days.
        self.truant = self.by_firm["柳林镇法律服务所"][2]

    def make_categories(self):
        self.categories = {}
        for pos, (name, name_en) in enumerate(CATEGORIES, start=1):
            self.categories[name] = TrainingCategory.create(name=name, name_en=name_en,
                                                            position=pos)

    def _training(self, organiser, title, category, day, start, end, credit, checkout,
                  audience_firms=None, cancelled=False, place=None):
        if organiser == "city":
            region, admin = self.city, self.city_admin
            place = place or self.rng.choice(CITY_PLACES)
        else:
            county = next(c for c in COUNTIES if c["key"] == organiser)
            region, admin = self.regions[organiser], self.county_admin[organiser]
            place = place or county["place"]
        start_at = self._utc(day, *start)
        created = self._before_cutoff(start_at - datetime.timedelta(
            days=self.rng.randint(8, 20), hours=self.rng.randint(0, 6)))
        training = Training.create(
            title=title, category=self.categories[category], organiser=region, start_at=start_at,
            end_at=self._utc(day, *end), place=place, credit_hours=_dec(credit),
            audience="firms" if audience_firms else "region", checkout_required=checkout,
            secret=secrets.token_hex(32), status="cancelled" if cancelled else "scheduled",
            created_by=admin, created_at=created, updated_at=created)
        for fname in audience_firms or []:
            TrainingFirm.create(training=training, firm=self.firms[fname])
        self.audits.append({"actor": admin.id, "action": "training.create",
                            "object_type": "training", "object_id": training.id,
                            "region": region.id, "detail": title, "created_at": created})
        if cancelled:
            moment = self._before_cutoff(start_at - datetime.timedelta(days=2))
            self.audits.append({"actor": admin.id, "action": "training.cancel",
                                "object_type": "training", "object_id": training.id,
                                "region": region.id, "detail": f"{title}（因汛期防汛任务延期）",
                                "created_at": moment})
        return training

    def make_trainings(self):
        self.trainings = []
        for (org, title, cat, ago, start, end, credit, checkout, firms,
             cancelled) in PAST_TRAININGS:
            day = self._weekday_back(self.today - datetime.timedelta(days=ago))
            training = self._training(org, title, cat, day, start, end, credit, checkout, firms,
                                      cancelled, place="柳林镇司法所会议室" if firms else None)
            if not cancelled:
                self._attend(training, org, day, firms, cat)
        for org, title, cat, ahead, start, end, credit, checkout in UPCOMING_TRAININGS:
            day = self.today + datetime.timedelta(days=ahead)
            if ahead:
                day = self._weekday_forward(day)
            self.upcoming.append(
                self._training(org, title, cat, day, start, end, credit, checkout))

    def _attend(self, training, org, day, firms, category):
        rng = self.rng
        admin = training.created_by
        audience = [p for p in self.people
                    if (org == "city" or p.county["key"] == org)
                    and (not firms or p.firm_name in firms) and p.active_from <= day]
        duration = (training.end_at - training.start_at).total_seconds()
        credit = training.credit_hours
        rows = []
        staff_marked = 0
        for person in audience:
            prob = ATTEND_PROB[person.profile["education"]]
            if rng.random() >= prob:
                if rng.random() < 0.3:
                    rows.append(self._attendance_row(
                        training, person, status="excused", method_in="staff",
                        marked_by=admin.id, note=rng.choice(TRAINING_EXCUSES),
                        created_at=training.start_at))
                continue
            roll = rng.random()
            if roll < 0.08:
                offset = rng.randint(11, 45)
            else:
                offset = rng.randint(-28, 6)
            checked_in = training.start_at + datetime.timedelta(minutes=offset,
                                                                seconds=rng.randint(0, 59))
            method = rng.choices(["qr", "code", "offline"], [84, 13, 3])[0]
            note = ""
            marked_by = None
            if staff_marked < 2 and rng.random() < 0.05:
                method, staff_marked = "staff", staff_marked + 1
                note = rng.choice(["年龄较大无智能手机，由工作人员核实身份后代为签到",
                                   "手机没电，现场核实身份后补签"])
                marked_by = admin.id
                checked_in = training.start_at + datetime.timedelta(minutes=rng.randint(-10, 3))
            late = checked_in > training.start_at + datetime.timedelta(minutes=training.late_after)
            checked_out = None
            method_out = None
            needs_review = False
            flags = ""
            if training.checkout_required:
                out_roll = rng.random()
                if out_roll < 0.05:
                    needs_review, flags = True, "no_checkout"
                elif out_roll < 0.08:
                    checked_out = training.end_at - datetime.timedelta(minutes=rng.randint(50, 80))
                    flags = "left_early"
                else:
                    checked_out = training.end_at + datetime.timedelta(
                        minutes=rng.randint(-12, 25), seconds=rng.randint(0, 59))
                if checked_out:
                    method_out = "qr" if method != "staff" else "staff"
            if training.checkout_required and checked_out is None:
                credited = Decimal("0.00")
            else:
                begin = max(checked_in, training.start_at) if late else training.start_at
                finish = training.end_at
                if checked_out and flags == "left_early":
                    finish = checked_out
                share = (finish - begin).total_seconds() / duration
                credited = _dec(credit) if share >= 1 else _dec(_quarters(float(credit) * share))
            updated = checked_out or checked_in
            if method == "offline":
                updated = checked_in + datetime.timedelta(minutes=rng.randint(20, 180))
            rows.append(self._attendance_row(
                training, person, checked_in_at=checked_in, checked_out_at=checked_out,
                method_in=method, method_out=method_out, late=late, credited_hours=credited,
                needs_review=needs_review, flags=flags, note=note, marked_by=marked_by,
                created_at=checked_in, updated_at=updated))
            if credited > 0:
                self._entry(person, "training_credit", day, "recorded", updated,
                            source="system", hours=credited, training=training.id,
                            category=category, description=training.title)
                if day.year == self.year:
                    person.credits_this_year += credited
        for batch in chunked(rows, 100):
            Attendance.insert_many(batch).execute()

    @staticmethod
    def _attendance_row(training, person, **fields):
        row = {"training": training.id, "user": person.user.id, "status": "present",
               "checked_in_at": None, "checked_out_at": None, "method_in": "qr",
               "method_out": None, "late": False, "credited_hours": Decimal("0.00"),
               "needs_review": False, "flags": "", "device": "", "note": "",
               "marked_by": None}
        row.update(fields)
        row.setdefault("updated_at", row["created_at"])
        return row

    def make_branch_activities(self):
        rng = self.rng
        attendance_rows = []
        for plan in self.branches:
            branch, secretary = plan["branch"], plan["secretary"]
            skip = {2, 5} if plan["joint"] else set()
            schedule = []
            for offset in range(12):
                month_index = self.today.year * 12 + self.today.month - 1 - offset
                year, month = divmod(month_index, 12)
                month += 1
                last = calendar.monthrange(year, month)[1]
                if offset not in skip:
                    day = self._weekday_back(datetime.date(year, month, min(rng.randint(12, 26),
                                                                           last)))
                    schedule.append(("theme_day", day, THEME_DAYS[month]))
                if offset % 3 == 1:
                    day = self._weekday_back(datetime.date(year, month, rng.randint(3, 9)))
                    schedule.append(("members_meeting", day,
                                     (MEMBERS_MEETINGS[(offset // 3) % 4], "", None)))
                if offset % 3 == 2:
                    day = self._weekday_back(datetime.date(year, month, rng.randint(5, 11)))
                    schedule.append(("party_lecture", day,
                                     (PARTY_LECTURES[(offset // 3) % 4], "", None)))
                if offset % 3 == 0 and plan["firm"] == "江南街道法律服务所":
                    day = self._weekday_back(datetime.date(year, month, rng.randint(2, 7)))
                    schedule.append(("committee_meeting", day,
                                     (COMMITTEE_MEETINGS[(offset // 3) % 4], "", None)))
            schedule.sort(key=lambda item: item[1])
            theme_days = [d for kind, d, _ in schedule if kind == "theme_day" and d < self.today]
            truant_from = theme_days[-3] if plan["joint"] and len(theme_days) >= 3 else None
            firm_room = f"{plan['firm'].removesuffix('法律服务所')}法律服务所会议室"
            if plan["joint"]:
                firm_room = "柳林镇司法所会议室"
            for kind, day, (topic, content, place) in schedule:
                if day < self.since:
                    continue
                if kind == "theme_day":
                    hours = rng.choice([(14, 30, 17, 0), (9, 0, 11, 30), (14, 30, 17, 30)])
                elif kind == "party_lecture":
                    hours = (15, 0, 17, 0)
                elif kind == "members_meeting":
                    hours = (15, 0, 16, 30)
                else:
                    hours = (16, 0, 17, 0)
                if place == "village":
                    place = rng.choice(self.firm_places[plan["firm"]]) + "党群服务中心"
                start_at = self._utc(day, hours[0], hours[1])
                end_at = self._utc(day, hours[2], hours[3])
                planned = day >= self.today
                if planned and kind != "theme_day":
                    continue
                activity = BranchActivity.create(
                    branch=branch, kind=kind, start_at=start_at, end_at=end_at,
                    place=place or firm_room, topic=topic, summary="",
                    status="planned" if planned else "held", secret=secrets.token_hex(32),
                    created_by=secretary.user,
                    created_at=self._before_cutoff(start_at - datetime.timedelta(
                        days=rng.randint(3, 10))))
                if planned:
                    continue
                attendees = [(p, j) for p, j in plan["members"] if j <= day]
                if kind == "committee_meeting":
                    attendees = attendees[:3]
                duration = _dec((end_at - start_at).total_seconds() / 3600)
                present, excused = [], []
                for person, _joined in attendees:
                    reason = ""
                    if person is secretary:
                        status = "present"
                    elif person is self.truant and truant_from and day >= truant_from:
                        status = "absent"
                    else:
                        status = rng.choices(["present", "excused", "absent"], [86, 10, 4])[0]
                    if status == "excused":
                        reason = rng.choice(EXCUSES)
                        excused.append(person.user.name)
                    checked_in = None
                    if status == "present":
                        present.append(person)
                        checked_in = start_at + datetime.timedelta(minutes=rng.randint(-15, 5))
                    attendance_rows.append({
                        "activity": activity.id, "user": person.user.id, "status": status,
                        "reason": reason, "checked_in_at": checked_in,
                        "method": "qr" if checked_in and rng.random() < 0.25 else "list",
                        "updated_at": self._before_cutoff(end_at + datetime.timedelta(hours=1)),
                    })
                    if status == "present":
                        self._entry(person, "party_activity", day, "recorded",
                                    self._before_cutoff(end_at + datetime.timedelta(minutes=30)),
                                    source="system", hours=duration, activity=activity.id,
                                    category=kind, description=topic)
                summary = f"支部书记{secretary.user.name}主持。"
                if content:
                    summary += content + "。"
                summary += f"应到{len(attendees)}人，实到{len(present)}人"
                summary += f"，{'、'.join(excused)}请假。" if excused else "。"
                activity.summary = summary
                activity.save(only=[BranchActivity.summary])
        for batch in chunked(attendance_rows, 200):
            ActivityAttendance.insert_many(batch).execute()

    # -- self-reported entries ---------------------------------------------

    def _goal(self, profile, target, share_elapsed, share_year):
        """Return a year-to-date amount that puts a person in the given profile."""
        rng = self.rng
        full = target * share_year
        expected = target * share_elapsed
        if profile == "done" and self.elapsed >= 0.5:
            return full * rng.uniform(1.02, 1.2)
        if profile in ("done", "on_track"):
            return max(expected, min(expected * rng.uniform(1.0, 1.15), full * 0.97))
        if profile == "behind":
            return expected * rng.uniform(0.7, 0.92)
        return expected * rng.uniform(0.12, 0.4)

    def _public_service(self, person, first, last, hours, status="approved"):
        rng = self.rng
        remaining = Decimal(str(round(hours * 4) / 4))
        places = self.firm_places[person.firm_name]
        rows = []
        attempts = 0
        while remaining > 0 and first <= last and attempts < 200:
            attempts += 1
            cat, choices, served, templates = rng.choices(PUBLIC_SERVICE, PS_WEIGHTS)[0]
            amount = min(_dec(rng.choice(choices)), remaining)
            amount = max(amount, Decimal("1.00"))
            day = self._random_day(first, last, weekend_ok=0.3 if cat == "publicity" else 0.1)
            if person.days_used.get(day, 0) + amount > 8:
                continue
            person.days_used[day] = person.days_used.get(day, 0) + amount
            village = rng.choice(places)
            s1, s2 = rng.sample(SURNAMES, 2)
            template = rng.choice(templates)
            description = template.format(v=village, s1=s1, s2=s2)
            place = village if "{v}" in template else ""
            if not place:
                place = {"petition": "镇综治中心", "aid_consultation": "县法律援助中心"}.get(
                    cat, "公共法律服务工作站")
            rows.append(self._entry(
                person, "public_service", day, status, self._self_created(day), hours=amount,
                category=cat, description=description, place=place,
                people_served=rng.randint(*served)))
            remaining -= amount
        return rows

    def _legal_aid(self, person, first, last, count, status="approved"):
        rng = self.rng
        rows = []
        for _ in range(count if first <= last else 0):
            case_type, templates = rng.choices(LEGAL_AID, LA_WEIGHTS)[0]
            day = self._random_day(first, last, weekend_ok=0)
            age = (self.today - day).days
            span = rng.randint(15, 60) if case_type == "criminal" else rng.randint(25, 150)
            closed = day + datetime.timedelta(days=span)
            if closed < self.today and (age > 60 or rng.random() < 0.4):
                case_status, closed_on = "closed", closed
            else:
                case_status, closed_on = "in_progress", None
            rows.append(self._entry(
                person, "legal_aid", day, status, self._self_created(day), count=1,
                case_type=case_type, case_status=case_status, closed_on=closed_on,
                description=rng.choice(templates).format(s=rng.choice(SURNAMES)),
                category=case_type))
        return rows

    def _education(self, person, first, last, hours, status="approved"):
        rng = self.rng
        remaining = hours
        rows = []
        while remaining >= 1 and first <= last:
            provider, topic, cat, online = rng.choice(EDUCATION)
            amount = min(rng.choice([2, 3, 4, 4, 6, 8]), remaining)
            amount = _dec(max(1, round(amount * 2) / 2))
            day = self._random_day(first, last, weekend_ok=0.4)
            rows.append(self._entry(
                person, "education", day, status, self._self_created(day), hours=amount,
                category=cat, provider=provider, description=topic,
                place="线上" if online else "江州市"))
            remaining -= float(amount)
        return rows

    def make_self_entries(self):
        rng = self.rng
        # Recent weeks are still under review; early in January that would leave nothing.
        lag = 15 if (self.today - self.jan1).days > 45 else 2
        approved_end = self.today - datetime.timedelta(days=lag)
        prev_end = min(datetime.date(self.year - 1, 12, 31), self.today - DAY)
        for person in self.people:
            # The previous calendar year's part of the window: an ordinary year's pace.
            first = max(self.since, person.active_from)
            if first <= prev_end:
                share = ((prev_end - first).days + 1) / 365
                self._public_service(person, first, prev_end, 36 * share * rng.uniform(0.75, 1.25))
                self._legal_aid(person, first, prev_end, round(5 * share * rng.uniform(0.6, 1.3)))
                self._education(person, first, prev_end,
                                OUTSIDE_EDUCATION_CAP * share * rng.uniform(0.2, 0.9))

            # This year: aim each metric at the person's profile.
            start = max(self.jan1, person.active_from)
            share_elapsed = ((self.today - start).days + 1) / self.days_in_year
            share_year = ((self.dec31 - start).days + 1) / self.days_in_year
            if start <= approved_end:
                goal = self._goal(person.profile["public_service"], 36, share_elapsed, share_year)
                self._public_service(person, start, approved_end, goal)
                profile = person.profile["legal_aid"]
                goal = self._goal(profile, 5, share_elapsed, share_year)
                cases = math.ceil(goal) if profile in ("done", "on_track") else math.floor(goal)
                self._legal_aid(person, start, approved_end, cases)
                goal = self._goal(person.profile["education"], 40, share_elapsed, share_year)
                own = min(goal - float(person.credits_this_year), OUTSIDE_EDUCATION_CAP)
                self._education(person, start, approved_end, own)

            # Recent entries still waiting for review.
            recent = max(self.today - datetime.timedelta(days=14), person.active_from)
            if recent <= self.today - DAY and (rng.random() < 0.5 or person in self.demo.values()):
                for _ in range(rng.choice([1, 1, 2, 3])):
                    kind = rng.choices(["public_service", "education", "legal_aid"],
                                       [70, 15, 15])[0]
                    if kind == "public_service":
                        self._public_service(person, recent, self.today - DAY,
                                             rng.choice([2, 3, 4]), status="pending")
                    elif kind == "education":
                        self._education(person, recent, self.today - DAY, rng.choice([2, 3, 4]),
                                        status="pending")
                    else:
                        self._legal_aid(person, recent, self.today - DAY, 1, status="pending")

        # A few older items nobody has reviewed yet.
        older_first = max(self.since, self.today - datetime.timedelta(days=40))
        older_last = self.today - datetime.timedelta(days=20)
        if older_first <= older_last:
            for person in rng.sample(self.people, 5):
                self._public_service(person, older_first, older_last, rng.choice([2, 3]),
                                     status="pending")

        # Declined items, each with the reviewer's reason, and two withdrawn ones.
        window_first = max(self.since, self.today - datetime.timedelta(days=90))
        window_last = self.today - datetime.timedelta(days=3)
        declined_people = rng.sample([p for p in self.people if not p.new], 9)
        declined_people.append(self.demo["practitioner"])
        self.declined = []
        for person in declined_people:
            kind = rng.choices(["public_service", "education", "legal_aid"], [60, 25, 15])[0]
            maker = {"public_service": self._public_service, "education": self._education,
                     "legal_aid": self._legal_aid}[kind]
            amount = 1 if kind == "legal_aid" else rng.choice([2, 3, 4])
            for row in maker(person, window_first, window_last, amount, status="declined"):
                row["review_note"] = rng.choice(DECLINE_NOTES[kind])
                self.declined.append((person, row))
        for person in rng.sample([p for p in self.people if not p.new], 2):
            for row in self._public_service(person, window_first, window_last, 1,
                                            status="withdrawn"):
                row["updated_at"] = self._before_cutoff(row["created_at"] +
                                                        datetime.timedelta(hours=2))

    def _assign_case_numbers(self):
        by_key = {}
        for row in self.entries:
            if row["kind"] == "legal_aid":
                person_county = self.user_county[row["user"]]
                by_key.setdefault((person_county["aid"], row["date"].year), []).append(row)
        for (abbr, year), rows in by_key.items():
            number = self.rng.randint(8, 30)
            rows.sort(key=lambda r: (r["date"], r["user"]))
            for row in rows:
                number += self.rng.randint(1, 4)
                row["case_number"] = f"({year}){abbr}字第{number:04d}号"

    def save_entries(self):
        self.user_county = {p.user.id: p.county for p in self.people}
        self._assign_case_numbers()
        for batch in chunked(self.entries, 100):
            Entry.insert_many(batch).execute()

    def make_rules_and_targets(self):
        for county in COUNTIES:
            ReviewRule.create(county=self.regions[county["key"]], year=self.year,
                              director_reviews=county["key"] == "qinghe")
        for year in (self.year - 1, self.year):
            for metric, value, source in TARGETS:
                Target.create(year=year, metric=metric, region=self.city, firm=None,
                              value=_dec(value), source=source)

    def make_notifications_and_audit(self):
        rng = self.rng
        declined = (Entry.select().where(Entry.status == "declined").order_by(Entry.id))
        for entry in declined:
            admin = entry.reviewer
            day = entry.date
            amount = f"{entry.hours.normalize():f}小时" if entry.kind != "legal_aid" else "1件"
            self.notifications.append({
                "user": entry.user_id, "kind": "entry_declined",
                "message": (f"您填报的{KIND_ZH[entry.kind]}（{day.month}月{day.day}日，{amount}）"
                            f"未通过审核：{entry.review_note}"),
                "link": "", "created_at": entry.reviewed_at, "read_at": None})
            self.audits.append({
                "actor": admin.id, "action": "entry.decline", "object_type": "entry",
                "object_id": entry.id, "region": admin.county_id,
                "detail": entry.review_note, "created_at": entry.reviewed_at})
        staff = (Attendance.select().where(Attendance.method_in == "staff")
                 .order_by(Attendance.id))
        for att in staff:
            admin = att.marked_by
            self.audits.append({
                "actor": admin.id, "action": "attendance.mark", "object_type": "attendance",
                "object_id": att.id, "region": att.training.organiser_id,
                "detail": att.note or "请假登记", "created_at": att.created_at})
        for person in self.people:
            if person.new:
                admin = self.county_admin[person.county["key"]]
                self.audits.append({
                    "actor": admin.id, "action": "user.create", "object_type": "user",
                    "object_id": person.user.id, "region": admin.county_id,
                    "detail": f"新增执业人员 {person.user.name}（{person.firm_name}）",
                    "created_at": person.user.created_at})

        practitioner = self.demo["practitioner"]
        approved = (Entry.select().where((Entry.user == practitioner.user)
                                         & (Entry.status == "approved"))
                    .order_by(Entry.reviewed_at.desc()).first())
        if approved:
            day = approved.date
            self.notifications.append({
                "user": practitioner.user.id, "kind": "entry_approved",
                "message": f"您填报的{KIND_ZH[approved.kind]}（{day.month}月{day.day}日）已审核通过。",
                "link": "", "created_at": approved.reviewed_at,
                "read_at": approved.reviewed_at + datetime.timedelta(hours=3)})
        soon = self.upcoming[0]
        local = soon.start_at + CST
        for person in self.people:
            if person.county["key"] == "jiangnan" and person.active_from <= self.today:
                self.notifications.append({
                    "user": person.user.id, "kind": "training_reminder",
                    "message": (f"培训提醒：{local.month}月{local.day}日 {local:%H:%M}"
                                f"「{soon.title}」在{soon.place}举行，请提前到场扫码签到。"),
                    "link": "", "created_at": self._before_cutoff(self.cutoff),
                    "read_at": None})
        behind = [p for p in self.people if p.profile["public_service"] == "at_risk"][:4]
        for person in behind:
            self.notifications.append({
                "user": person.user.id, "kind": "behind_pace",
                "message": f"您{self.year}年的公益服务时长落后于进度，请及时登记已开展的服务。",
                "link": "", "created_at": self._before_cutoff(self.cutoff), "read_at": None})
        director = self.demo["director"]
        self.notifications.append({
            "user": director.user.id, "kind": "review_waiting",
            "message": f"{director.firm_name}有新的记录等待您审核。", "link": "",
            "created_at": self._before_cutoff(self.cutoff), "read_at": None})

        for row in self.audits:
            row.setdefault("address", f"10.36.{rng.randint(1, 8)}.{rng.randint(10, 250)}")
        self.audits.sort(key=lambda r: r["created_at"])
        for batch in chunked(self.audits, 100):
            AuditEvent.insert_many(batch).execute()
        for batch in chunked(self.notifications, 100):
            Notification.insert_many(batch).execute()

    def logins(self):
        logins = [("City administrator", CITY_ADMIN[2], DEMO_PASSWORD)]
        first = COUNTIES[0]
        logins.append((f"County administrator, {first['en']}", first["admin"][2], DEMO_PASSWORD))
        labels = [("director", "Firm director"), ("secretary", "Branch secretary"),
                  ("practitioner", "Practitioner"),
                  ("multi", "Practitioner, firm director and branch secretary")]
        for key, label in labels:
            logins.append((label, DEMO_PEOPLE[key][3], DEMO_PASSWORD))
        for county in COUNTIES[1:]:
            logins.append((f"County administrator, {county['en']}", county["admin"][2],
                           DEMO_PASSWORD))
        return logins


# The demo logins, printed by `make run` whether the data was just loaded or already there.
DEMO_LOGINS = _Demo.logins(None)
