"""The demo's data: a fictional prefecture-level city, its people and a year's worth of
what they do, as plain tables. webapp/demo/builder.py turns them into records."""
DEMO_PASSWORD = "demo2026"


CITY = {"name": "江州市", "population": 2_190_000}

# The three counties, each with its administrator (name, username, phone) and training room.
COUNTIES = [
    {"key": "jiangnan", "name": "江南区", "en": "Jiangnan District", "population": 862_000, "lawyers": 146,
     "code": "362502", "aid": "江南援", "admin": ("程晓峰", "admin_jiangnan", "13900000002"),
     "place": "江南区公共法律服务中心三楼会议室"},
    {"key": "qinghe", "name": "清河县", "en": "Qinghe County", "population": 618_000, "lawyers": 61,
     "code": "362521", "aid": "清援", "admin": ("钱卫民", "admin_qinghe", "13900000007"),
     "place": "清河县司法局二楼会议室"},
    {"key": "qingshan", "name": "青山县", "en": "Qingshan County", "population": 407_000, "lawyers": 33,
     "code": "362523", "aid": "青援", "admin": ("付婷婷", "admin_qingshan", "13900000008"),
     "place": "青山县公共法律服务中心培训室"},
]

# county, firm, setting, township, practitioners, of whom party members, villages or
# communities served
FIRMS = [
    ("jiangnan", "江南街道法律服务所", "urban", "江南街道", 11, 7, ["江南社区", "望江社区", "文昌社区", "府前社区", "新华社区"]),
    ("jiangnan", "滨江街道法律服务所", "urban", "滨江街道", 9, 2, ["滨江社区", "金桥社区", "临江社区", "滨湖社区"]),
    ("jiangnan", "城东街道法律服务所", "urban", "城东街道", 8, 2, ["东湖社区", "和平社区", "幸福里社区", "建设路社区"]),
    ("jiangnan", "白沙镇法律服务所", "rural", "白沙镇", 5, 2, ["白沙村", "沙湾村", "大洲村", "新塘村", "罗家湾村"]),
    ("qinghe", "城关镇法律服务所", "urban", "城关镇", 10, 5, ["城南社区", "城北社区", "清河社区", "十里铺村", "五星村"]),
    ("qinghe", "柳林镇法律服务所", "rural", "柳林镇", 6, 3, ["柳林村", "杨柳村", "大塘村", "新丰村", "黄土岭村"]),
    ("qinghe", "石桥镇法律服务所", "rural", "石桥镇", 5, 2, ["石桥村", "三里桥村", "河口村", "王家庄村"]),
    ("qinghe", "双河乡法律服务所", "rural", "双河乡", 3, 1, ["双河村", "龙泉村", "长岗村", "桃树湾村"]),
    ("qingshan", "青阳镇法律服务所", "urban", "青阳镇", 8, 4, ["青阳社区", "北门社区", "花园社区", "青山村", "胜利村"]),
    ("qingshan", "龙潭镇法律服务所", "rural", "龙潭镇", 6, 1, ["龙潭村", "石门村", "金塘村", "红星村"]),
    ("qingshan", "马鞍乡法律服务所", "rural", "马鞍乡", 4, 1, ["马鞍村", "高岭村", "白果村", "双井村"]),
    ("qingshan", "桃源镇法律服务所", "rural", "桃源镇", 5, 1, ["桃源村", "东升村", "前进村", "梅花村", "栗树村"]),
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

# The default training categories (trainings.services.ensure_categories creates them).
POLITICS, SKILLS, ETHICS, OTHER = "政治理论", "业务技能", "职业道德与执业纪律", "其他"

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

PROFILES = ["done", "on_track", "behind", "at_risk"]
PROFILE_WEIGHTS = [15, 42, 30, 13]
ATTEND_PROB = {"done": 0.97, "on_track": 0.93, "behind": 0.78, "at_risk": 0.45}

# Each metric of a person aims at one of the profiles; the demo logins have theirs fixed
# (education, public service, legal aid).
FIXED_PROFILES = {
    "multi": ("done", "on_track", "on_track"),
    "director": ("on_track", "on_track", "behind"),
    "secretary": ("on_track", "behind", "on_track"),
    "practitioner": ("on_track", "behind", "on_track"),
}
# Where in the year so far each new licensee was licensed (as a share of the days elapsed).
NEW_LICENSEE_SHARE = [0.35, 0.6, 0.8]

# The login table: label, and which demo person (or which county's admin) it signs in as.
LOGIN_LABELS = [("director", "Firm director"), ("secretary", "Branch secretary"),
                ("practitioner", "Practitioner"),
                ("multi", "Practitioner, firm director and branch secretary")]

PHONE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "150", "151", "152",
                  "155", "157", "158", "159", "180", "181", "182", "183", "186", "187", "188",
                  "189"]

# name, county, kind, includes the township justice office, firms, secretary (firm, index)
BRANCHES = [
    ("江南街道法律服务所党支部", "jiangnan", "independent", False, ["江南街道法律服务所"],
     ("江南街道法律服务所", 0)),
    ("城关镇法律服务所党支部", "qinghe", "independent", False, ["城关镇法律服务所"],
     ("城关镇法律服务所", 1)),
    ("青阳镇法律服务所党支部", "qingshan", "independent", False, ["青阳镇法律服务所"],
     ("青阳镇法律服务所", 0)),
    ("清河县柳林片区法律服务联合党支部", "qinghe", "joint", True,
     ["柳林镇法律服务所", "石桥镇法律服务所", "双河乡法律服务所"], ("柳林镇法律服务所", 1)),
]
PROBATIONARY = {("江南街道法律服务所", 6), ("石桥镇法律服务所", 1)}
# A member of the joint branch who has missed the last three theme days (firm, index).
TRUANT = ("柳林镇法律服务所", 2)
JOINT_ROOM = "柳林镇司法所会议室"
# Local (start hour, start minute, end hour, end minute) of each kind of activity.
ACTIVITY_HOURS = {
    "theme_day": [(14, 30, 17, 0), (9, 0, 11, 30), (14, 30, 17, 30)],
    "party_lecture": [(15, 0, 17, 0)],
    "members_meeting": [(15, 0, 16, 30)],
    "committee_meeting": [(16, 0, 17, 0)],
}

STAFF_MARK_REASONS = ["年龄较大无智能手机，由工作人员核实身份后代为签到",
                      "手机没电，现场核实身份后补签"]
LEFT_EARLY_REASON = "中途离场，未扫码签退，按实际离场时间核定"
# A place for a public-service entry whose description names no village.
PUBLIC_SERVICE_PLACES = {"petition": "镇综治中心", "aid_consultation": "县法律援助中心"}
DEFAULT_PUBLIC_SERVICE_PLACE = "公共法律服务工作站"

# ------------------------------------------------------------------ firm reports (信息, 典型案例)
# The firms that send monthly reports in the demo: every firm of Jiangnan (the first county
# login) and the demo director's firm. Each with how diligent it is: (share of months that
# reach 3 + 1, chance of a short month's case).
REPORT_FIRMS = {"江南街道法律服务所": 0.9, "滨江街道法律服务所": 0.7, "城东街道法律服务所": 0.55,
                "白沙镇法律服务所": 0.35, "城关镇法律服务所": 0.75}
# {place} is one of the firm's villages or communities, {township} its township.
INFO_REPORTS = [
    ("{place}开展“法律明白人”培训", "本月在{place}为村（居）“法律明白人”讲授民法典合同编、婚姻家庭编常识，"
     "结合身边案例讲解借款、赡养等常见纠纷的处理方法，发放宣传资料二百余份。"),
    ("{township}法律服务所参加平安建设集中宣传日活动", "所里派出两名法律服务工作者在{township}政府广场设点，"
     "现场解答群众关于土地承包、劳动报酬、交通事故赔偿等方面的咨询，并引导有需要的群众申请法律援助。"),
    ("所里在{place}坐班值守，化解邻里纠纷", "本月按照“一村（居）一法律顾问”安排，所里法律服务工作者在{place}"
     "坐班四次，接待咨询十余人次，现场调解邻里排水、宅基地界址纠纷两起，均当场达成和解。"),
    ("{place}开展防范电信网络诈骗宣传", "针对近期辖区老年人受骗情况，所里联合社区在{place}开展防诈骗宣传，"
     "用真实案例讲解冒充客服、虚假投资等常见骗局，提醒群众守好“钱袋子”。"),
    ("所里为辖区企业开展用工法律体检", "本月走访辖区小微企业三家，围绕劳动合同签订、工时与加班费、"
     "社会保险缴纳等事项开展“法律体检”，提出规范用工建议八条，企业负责人表示将逐项整改。"),
    ("参与{township}矛盾纠纷排查化解", "所里参加{township}综治中心组织的矛盾纠纷排查，梳理出山林权属、"
     "婚姻家庭、劳务费用等纠纷线索六条，已分工跟进，其中两起已调解结案。"),
    ("所里开展民法典进校园活动", "应{place}附近学校邀请，所里法律服务工作者为初中学生上法治课，"
     "讲解未成年人保护、校园欺凌防范等内容，并发放《青少年法治读本》。"),
    ("所里完成本月公益法律服务台账整理", "所里对本月开展的咨询、调解、代写文书等公益法律服务逐项登记，"
     "核对服务对象签字和照片，台账已报县司法局备查。"),
    ("{place}开展农民工讨薪法律援助宣传", "临近年底，所里在{place}建筑工地开展欠薪维权宣传，讲解劳动报酬"
     "支付规定和法律援助申请条件，现场登记农民工咨询线索三条。"),
    ("所里组织学习基层法律服务工作者执业规范", "本月所里集中学习执业规范和收费管理规定，逐条对照查找问题，"
     "重申不得违规收费、不得私自接案，所长就规范执业作了提醒。"),
    ("所里为{place}村（居）规民约修订提供法律意见", "应{place}村（居）委会邀请，所里对村（居）规民约修订稿"
     "进行合法性审查，提出删除违法罚款条款、完善红白喜事简办条款等修改意见五条。"),
    ("所里开展老年人赡养纠纷专项调解", "所里本月集中走访{place}有赡养纠纷苗头的家庭三户，讲解赡养义务，"
     "促成子女签订赡养协议两份，老人生活有了保障。"),
]
# title, what happened, how the firm handled it, the result, what others can learn
TYPICAL_CASES = [
    ("一起拖欠农民工工资纠纷的调解", "{place}附近一处工地的十余名务工人员被拖欠工资近三个月，多次讨要未果，"
     "情绪激动，准备集体上访。", "所里接到求助后当天赶到现场，一边稳定务工人员情绪，一边约见包工头和"
     "建设单位，依据保障农民工工资支付条例讲明各方责任，分头做工作。", "经三轮调解，建设单位同意先行垫付，"
     "工资在一周内全部结清，务工人员撤回上访打算。", "欠薪纠纷要抓住建设单位这一关键，及早介入、依法讲清责任，"
     "能把矛盾化解在萌芽状态。"),
    ("一起宅基地界址纠纷的化解", "{place}两户村民因新建房屋界址相差半米发生争执，双方多次推搡，关系紧张。",
     "所里会同村委会调取两户的宅基地审批资料和老地形图，邀请村里老党员到场，现场丈量、对图说明。",
     "双方认可以审批图为准，建房一方退让并赔偿对方围墙损失，双方签订调解协议。", "界址纠纷靠证据说话，"
     "把审批资料和现场丈量结合起来，再请有威望的人参与，调解更容易被接受。"),
    ("一起交通事故赔偿纠纷的调解", "一名外卖骑手在{township}与一位老人发生碰撞，老人骨折住院，"
     "双方对赔偿数额分歧较大。", "所里向双方讲解交通事故责任认定和赔偿项目的计算方法，协调保险公司到场，"
     "逐项核对医疗费、护理费和营养费。", "双方就赔偿达成一致，保险公司在责任限额内先行赔付，余款由骑手分期支付。",
     "人身损害赔偿要把每一项费用算清楚，让双方看得见依据，才能真正息诉罢访。"),
    ("一起赡养纠纷的调解", "{place}一位八十多岁的老人有三个子女，子女之间互相推诿，老人无人照料。",
     "所里法律服务工作者多次上门，分别与三个子女谈心，讲解赡养义务和不履行义务的法律后果，并请村委会见证。",
     "三个子女签订赡养协议，约定轮流照料并按月支付生活费，老人的生活得到保障。", "赡养纠纷既讲法也讲情，"
     "把协议落到纸面上，并由村委会跟踪回访，效果才能长久。"),
    ("一起土地承包经营权流转纠纷的调解", "{place}多户村民将承包地流转给种植大户，大户因经营困难拖欠流转费，"
     "村民要求收回土地。", "所里审查流转合同条款，向双方说明解除合同的条件和后果，协调镇农业部门提出分期付款方案。",
     "大户补签还款计划并先行支付一半流转费，村民同意继续履行合同。", "土地流转纠纷要兼顾农户收益和经营主体的困难，"
     "找到双方都能接受的方案，避免土地撂荒。"),
    ("一起劳动合同解除纠纷的调解", "辖区一家小型企业以经营困难为由辞退一名工作八年的员工，未支付经济补偿，"
     "员工准备申请劳动仲裁。", "所里向企业讲解劳动合同法关于经济补偿的规定，帮助员工整理考勤和工资记录，"
     "组织双方面对面协商。", "企业依法支付经济补偿，双方签订解除协议，员工放弃仲裁申请。", "劳动争议调解前"
     "把证据和计算标准准备充分，企业更容易认识到依法办事的成本更低。"),
]
RETURN_REASONS = ["请补充办理过程，写明所里做了哪些工作、调解了几次。",
                  "正文过于简单，请写明时间、地点和服务人次。",
                  "“结果”一栏请写明协议履行情况，并删去当事人的具体住址。"]
# The demo director's firm is inspected this quarter: findings and two items to fix
# (the first fixed already).
INSPECTION = {
    "inspectors": "县司法局基层科 钱卫民、县法律服务行业协会 刘振东",
    "findings": "所里能够按月报送信息和典型案例，公益法律服务台账基本齐全。存在的问题：部分台账缺少服务对象签字；"
                "收费公示栏内容未按新标准更新。",
    "items": [("补齐本季度公益法律服务台账中缺少的服务对象签字", "已补齐并由县局基层科复核。"),
              ("按新收费标准更新所内收费公示栏", None)],
}
