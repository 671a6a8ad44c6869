"""Factory fixtures: regions, firms and people with scoped roles."""
import itertools

import pytest

from webapp.accounts.models import Firm, Region, RoleGrant, User
from webapp.accounts.services import hash_password
from webapp.branches.models import Branch, BranchFirm, BranchMember

_counter = itertools.count(1)
_HASH = {}


def password_hash():
    """Hash the test password once per process (argon2 is slow on purpose)."""
    if "h" not in _HASH:
        _HASH["h"] = hash_password("password123")
    return _HASH["h"]


@pytest.fixture
def world():
    """A city with two counties, a firm in each, and a branch in the first."""
    city = Region.create(name="测试市", kind="city")
    a = Region.create(name="甲县", kind="county", parent=city, population=500000)
    b = Region.create(name="乙县", kind="county", parent=city, population=300000)
    firm_a = Firm.create(name="甲县城关法律服务所", county=a)
    firm_b = Firm.create(name="乙县城关法律服务所", county=b)
    branch = Branch.create(name="甲县联合支部", county=a, kind="joint")
    BranchFirm.create(branch=branch, firm=firm_a)
    return {"city": city, "a": a, "b": b, "firm_a": firm_a, "firm_b": firm_b, "branch": branch}


@pytest.fixture
def make_user(world):
    """Create a person holding one role, scoped like DESIGN.md says."""
    def make(role="practitioner", firm=None, county=None, branch=None, name=None, **fields):
        n = next(_counter)
        county = county or world["a"]
        if role in ("practitioner", "director"):
            firm = firm or (world["firm_a"] if county == world["a"] else world["firm_b"])
            county = firm.county
        user = User.create(name=name or f"测试{n}", phone=f"139{n:08d}",
                           password_hash=password_hash(),
                           firm=firm if role in ("practitioner", "director", "secretary") else None,
                           county=county if role != "city_admin" else None, **fields)
        if role in ("practitioner", "director"):
            RoleGrant.create(user=user, role="practitioner", firm=firm)
        if role == "director":
            RoleGrant.create(user=user, role="director", firm=firm)
        if role == "secretary":
            branch = branch or world["branch"]
            user.firm = firm or world["firm_a"]
            user.party_member = True
            user.save()
            RoleGrant.create(user=user, role="practitioner", firm=user.firm)
            RoleGrant.create(user=user, role="secretary", branch=branch)
            BranchMember.create(branch=branch, user=user)
            branch.secretary = user
            branch.save()
        if role == "county_admin":
            RoleGrant.create(user=user, role="county_admin", region=county)
        if role == "city_admin":
            RoleGrant.create(user=user, role="city_admin", region=world["city"])
        return user
    return make


__all__ = ["world", "make_user", "password_hash"]
