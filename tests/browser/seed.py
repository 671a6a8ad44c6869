"""Data for the browser tests: one small city with a person in every role.

Names are realistic and some are long on purpose, so the screenshots show how the
pages cope with real Chinese names of firms, branches and trainings at a phone's width.
"""
import datetime
import secrets
from decimal import Decimal

from webapp.accounts.models import Firm, Notification, Region, RoleGrant, User
from webapp.branches.models import (ActivityAttendance, Branch, BranchActivity, BranchFirm,
                                    BranchMember)
from webapp.db import db
from webapp.ledger.models import Entry
from webapp.trainings.models import Training, TrainingCategory

from tests.helpers import password_hash

CST = datetime.timedelta(hours=8)  # China has no daylight saving: a fixed offset is exact.

# role -> (name, phone); the password is tests.helpers.PASSWORD.
PEOPLE = {
    "practitioner": ("李秀英", "13800000001"),
    "director": ("王建国", "13800000002"),
    "secretary": ("陈红梅", "13800000003"),
    "county_admin": ("程晓峰", "13800000004"),
    "city_admin": ("周立新", "13800000005"),
}


def _utc(day, hour, minute=0):
    """A naive-UTC datetime for a local (Asia/Shanghai) wall-clock time on `day`."""
    return datetime.datetime.combine(day, datetime.time(hour, minute)) - CST


def seed(today):
    """Create the city and its people; return {role: {"name", "phone", "heading"}}."""
    with db.atomic():
        return _seed(today)


def _seed(today):
    hashed = password_hash()
    jan1 = datetime.date(today.year, 1, 1)

    def day(offset):
        """A date `offset` days before today, but never before 1 January."""
        return max(jan1, today - datetime.timedelta(days=offset))

    city = Region.create(name="江州市", kind="city", population=2190000)
    county = Region.create(name="江南区", kind="county", parent=city, population=862000)
    other = Region.create(name="清河县", kind="county", parent=city, population=618000)
    firm = Firm.create(name="江南区白沙镇法律服务所", county=county, township="白沙镇")
    firm2 = Firm.create(name="江南街道法律服务所", county=county, setting="urban",
                        township="江南街道")
    firm3 = Firm.create(name="清河县城关镇法律服务所", county=other, township="城关镇")
    branch = Branch.create(name="江南区基层法律服务行业联合党支部", county=county, kind="joint")
    BranchFirm.create(branch=branch, firm=firm)
    BranchFirm.create(branch=branch, firm=firm2)

    def person(name, phone, firm_=None, county_=None, party=False, licence=""):
        return User.create(name=name, phone=phone, password_hash=hashed, firm=firm_,
                           county=county_, party_member=party, licence_no=licence)

    people = {}
    name, phone = PEOPLE["practitioner"]
    people["practitioner"] = person(name, phone, firm, county, party=True,
                                    licence="36250220150123")
    name, phone = PEOPLE["director"]
    people["director"] = person(name, phone, firm, county, licence="36250220080007")
    name, phone = PEOPLE["secretary"]
    people["secretary"] = person(name, phone, firm2, county, party=True)
    name, phone = PEOPLE["county_admin"]
    people["county_admin"] = person(name, phone, county_=county)
    name, phone = PEOPLE["city_admin"]
    people["city_admin"] = person(name, phone)

    for role in ("practitioner", "director", "secretary"):
        user = people[role]
        RoleGrant.create(user=user, role="practitioner", firm=user.firm)
    RoleGrant.create(user=people["director"], role="director", firm=firm)
    RoleGrant.create(user=people["secretary"], role="secretary", branch=branch)
    RoleGrant.create(user=people["county_admin"], role="county_admin", region=county)
    RoleGrant.create(user=people["city_admin"], role="city_admin", region=city)
    branch.secretary = people["secretary"]
    branch.save()

    # More practitioners, so lists and tables have rows.
    extra = []
    for i, (nm, f, party) in enumerate([
            ("张伟", firm, True), ("欧阳晓明", firm, False), ("刘芳", firm2, True),
            ("赵建华", firm2, False), ("孙丽", firm3, False)]):
        user = person(nm, f"138000001{i:02d}", f, f.county, party=party)
        RoleGrant.create(user=user, role="practitioner", firm=f)
        extra.append(user)

    def entry(user, kind, status, offset, hours=0, count=0, **fields):
        Entry.create(user=user, kind=kind, date=day(offset), hours=Decimal(hours), count=count,
                     source="self", status=status, description=fields.pop("description", ""),
                     **fields)

    me = people["practitioner"]
    entry(me, "education", "approved", 40, hours="12.5", description="线上学习《民法典》")
    entry(me, "public_service", "approved", 30, hours=6, description="白沙村普法宣传",
          place="白沙村村委会")
    entry(me, "public_service", "approved", 12, hours="3.25", place="沙湾村")
    entry(me, "legal_aid", "approved", 20, count=1, case_number="(2026)江南援字第12号")
    entry(me, "public_service", "pending", 2, hours=4, place="大洲村")
    entry(me, "public_service", "pending", 1, hours=2, place="新塘村")
    entry(me, "education", "declined", 5, hours=8, review_note="请上传学习证明")
    for n, user in enumerate(extra + [people["director"], people["secretary"]]):
        entry(user, "public_service", "approved", 10 + n, hours=4 * (n % 4))
        entry(user, "education", "approved", 15 + n, hours=5 * (n % 5))
        if n % 2:
            entry(user, "legal_aid", "pending", n, count=1)

    Notification.create(user=me, kind="review", message="你 3 月 2 日的公益服务记录已通过审核。")

    category = TrainingCategory.create(name="业务技能", name_en="Professional skills")
    tomorrow = today + datetime.timedelta(days=1)
    Training.create(
        title="基层法律服务工作者《民法典》婚姻家庭编专题培训（第二期）",
        category=category, organiser=county, start_at=_utc(tomorrow, 9),
        end_at=_utc(tomorrow, 11, 30), place="江南区公共法律服务中心三楼会议室",
        credit_hours=Decimal(3), secret=secrets.token_hex(16), created_by=people["county_admin"])

    # Branch: members and a theme party day in earlier months of this year.
    members = [people["secretary"], me, extra[0], extra[2]]
    for member in members:
        BranchMember.create(branch=branch, user=member, joined_on=jan1)
    for month in range(1, today.month):
        if month == 2:
            continue  # one missing month shows a ✗ in the strip
        held = datetime.date(today.year, month, 15)
        activity = BranchActivity.create(
            branch=branch, kind="theme_day", start_at=_utc(held, 14), end_at=_utc(held, 16),
            topic=f"{month}月主题党日：学习贯彻党的二十届全会精神", status="held",
            created_by=people["secretary"])
        for i, member in enumerate(members):
            status = "absent" if (member == extra[2] and month > today.month - 4) else (
                "excused" if (i + month) % 5 == 0 else "present")
            ActivityAttendance.create(activity=activity, user=member, status=status)

    headings = {
        "practitioner": me.name,
        "director": firm.name,
        "secretary": branch.name,
        "county_admin": county.name,
        "city_admin": city.name,
    }
    return {role: {"name": people[role].name, "phone": people[role].phone,
                   "heading": headings[role]} for role in PEOPLE}
