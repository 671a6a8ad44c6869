"""Fixtures shared by the branches tests: a branch with a secretary and members, activities."""
import datetime
import secrets

import pytest

from webapp.accounts.models import Firm
from webapp.branches.models import Branch, BranchActivity, BranchFirm, BranchMember
from webapp.db import utcnow


def hours(n):
    return datetime.timedelta(hours=n)


@pytest.fixture
def party(world, make_user):
    """County A's joint branch: a secretary and three full members; an admin in each county;
    county B with its own branch and member."""
    secretary = make_user("secretary", name="书记")
    members = [make_user(name=name, party_member=True) for name in ("党员甲", "党员乙", "党员丙")]
    for member in members:
        BranchMember.create(branch=world["branch"], user=member,
                            joined_on=datetime.date(2020, 1, 1))
    branch_b = Branch.create(name="乙县支部", county=world["b"])
    BranchFirm.create(branch=branch_b, firm=world["firm_b"])
    member_b = make_user(county=world["b"], name="乙县党员", party_member=True)
    BranchMember.create(branch=branch_b, user=member_b)
    return {**world, "secretary": secretary, "members": members,
            "outsider": make_user(name="非党员"),
            "admin_a": make_user("county_admin"), "admin_b": make_user("county_admin",
                                                                     county=world["b"]),
            "branch_b": branch_b, "member_b": member_b,
            "firm_a2": Firm.create(name="甲县河口法律服务所", county=world["a"])}


def make_activity(branch, start=None, length=2, kind="theme_day", status="held", **fields):
    """An activity of the branch; by default it began three hours ago and lasted two hours."""
    start = start or utcnow().replace(microsecond=0) - hours(3)
    values = {"topic": "学习党章", "place": "所会议室", "secret": secrets.token_hex(32)}
    values.update(fields)
    return BranchActivity.create(branch=branch, kind=kind, start_at=start,
                                 end_at=start + hours(length), status=status, **values)
