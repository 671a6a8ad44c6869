"""Party branch rules: branches, members, secretaries and the three-member rule."""
import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import JOIN, IntegrityError, fn

from ..accounts.models import Firm, RoleGrant, User
from ..access import audit
from ..db import db
from ..errors import Conflict, DomainError
from ..i18n import local_today
from ..inputs import clean_text
from ..web import object_id
from .labels import BRANCH_KIND_LABELS, STANDING_LABELS
from .models import Branch, BranchFirm, BranchMember


MIN_FULL_MEMBERS = 3          # seeds 000 and 001: three full members make a branch


def _truthy(value):
    return str(value or "").strip().lower() in ("1", "on", "true", "yes")


def _getlist(data, name):
    return data.getlist(name) if hasattr(data, "getlist") else list(data.get(name) or [])


def _as_id(value):
    try:
        return object_id(value)
    except (TypeError, ValueError):
        return None


# ------------------------------------------------------------------ branches

def county_firms(county_id):
    """The county's active firms, which a branch may cover."""
    return list(Firm.select().where(Firm.county == county_id, Firm.active == True)  # noqa: E712
                .order_by(Firm.name))


def clean_branch(data, firms):
    """Validate the branch form against the county's firms; return clean values."""
    name = clean_text(data.get("name"), "name", "", 120, required=True,
                      missing=_l("Fill in the branch's name."),
                      too_long=_l("The name is too long (at most 120 characters)."))
    kind = data.get("kind") or ""
    if kind not in BRANCH_KIND_LABELS:
        raise DomainError(_("Choose whether the branch is independent or joint."), field="kind")
    wanted = {str(v).strip() for v in _getlist(data, "firm_ids") if str(v).strip()}
    chosen = [f for f in firms if str(f.id) in wanted]
    if len(chosen) != len(wanted):
        raise DomainError(_("Choose firms from the list."), field="firm_ids")
    office = _truthy(data.get("justice_office"))
    if kind == "independent":
        if len(chosen) != 1:
            raise DomainError(_("An independent branch covers exactly one firm."), field="firm_ids")
        if office:
            raise DomainError(_("Only a joint branch can include the township justice office."),
                              field="justice_office")
    elif not chosen or len(chosen) + (1 if office else 0) < 2:
        raise DomainError(_("A joint branch covers two or more firms, or firms and the township "
                            "justice office."), field="firm_ids")
    return {"name": name, "kind": kind, "firms": chosen, "includes_justice_office": office}


def _firm_taken(firms, branch):
    """Return (firm, other branch) when a firm already belongs to another active branch."""
    row = (BranchFirm.select(BranchFirm, Branch).join(Branch)
           .where(BranchFirm.firm.in_([f.id for f in firms] or [0]),
                  Branch.active == True,  # noqa: E712
                  Branch.id != (branch.id if branch else 0))
           .first())
    if row is None:
        return None
    return next(f for f in firms if f.id == row.firm_id), row.branch


def save_branch(actor, county_id, clean, branch=None):
    """Create or update a branch and the firms it covers."""
    taken = _firm_taken(clean["firms"], branch)
    if taken:
        raise Conflict(_("%(firm)s is already in the branch “%(branch)s”.",
                         firm=taken[0].name, branch=taken[1].name), field="firm_ids")
    fields = {k: clean[k] for k in ("name", "kind", "includes_justice_office")}
    with db.atomic():
        before = None
        try:
            with db.atomic():
                if branch is None:
                    branch = Branch.create(county=county_id, **fields)
                    action = "branch.create"
                else:
                    before = {"name": branch.name, "kind": branch.kind,
                              "justice_office": branch.includes_justice_office,
                              "firms": sorted(bf.firm_id for bf in branch.firm_links)}
                    # A fresh copy: a refused save leaves the caller's object as it was.
                    branch = Branch.get_by_id(branch.id)
                    for key, value in fields.items():
                        setattr(branch, key, value)
                    branch.save()
                    action = "branch.update"
        except IntegrityError:
            raise Conflict(_("There is already a branch called “%(name)s”.", name=clean["name"]),
                           field="name") from None
        BranchFirm.delete().where(BranchFirm.branch == branch).execute()
        for firm in clean["firms"]:
            BranchFirm.create(branch=branch, firm=firm)
        after = {"name": branch.name, "kind": branch.kind,
                 "justice_office": branch.includes_justice_office,
                 "firms": sorted(f.id for f in clean["firms"])}
        audit(actor, action, branch, branch.county_id,
              {"before": before, "after": after} if before else after)
    return branch


# ------------------------------------------------------------------ members

def active_members(branch):
    """The branch's current members (User rows with .membership), secretary first."""
    rows = (BranchMember.select(BranchMember, User, Firm)
            .join(User, on=(BranchMember.user == User.id))
            .join(Firm, JOIN.LEFT_OUTER, on=(User.firm == Firm.id))
            .where(BranchMember.branch == branch.id, BranchMember.left_on.is_null())
            .order_by(User.name, User.id))
    members = list(rows)
    members.sort(key=lambda m: (m.user_id != branch.secretary_id, m.standing != "full"))
    return members


def _in_a_branch():
    return BranchMember.select(BranchMember.user).where(BranchMember.left_on.is_null())


def county_practitioners(county_id):
    """Active practitioners of the county (the people a branch's members come from)."""
    return (User.select(User, Firm).join(Firm, on=(User.firm == Firm.id))
            .where(User.county == county_id, User.active == True,  # noqa: E712
                   User.id.in_(RoleGrant.select(RoleGrant.user)
                               .where(RoleGrant.role == "practitioner"))))


def candidates(branch):
    """Who may be added: the county's practitioners in no branch, the branch's own firms first."""
    own = {bf.firm_id for bf in branch.firm_links}
    people = list(county_practitioners(branch.county_id).where(User.id.not_in(_in_a_branch())))
    people.sort(key=lambda u: (u.firm_id not in own, not u.party_member, u.firm.name, u.name))
    return people


def _clean_standing(value):
    if value not in STANDING_LABELS:
        raise DomainError(_("Choose full or probationary member."), field="standing")
    return value


def _clean_joined(value, today):
    value = (value or "").strip()
    if not value:
        return None
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise DomainError(_("Enter the date they joined the branch, like 2024-07-01."),
                          field="joined_on") from None
    if day > today or day.year < 1921:
        raise DomainError(_("The date they joined cannot be in the future."), field="joined_on")
    return day


def add_member(actor, branch, data, today=None):
    """Add one of the county's practitioners to the branch (and flag them as a party member)."""
    today = today or local_today()
    user_id = _as_id(data.get("user_id"))
    person = county_practitioners(branch.county_id).where(User.id == (user_id or 0)).first()
    if person is None:
        raise DomainError(_("Choose a person from the list."), field="user_id")
    standing = _clean_standing(data.get("standing") or "full")
    joined = _clean_joined(data.get("joined_on"), today)
    elsewhere = (BranchMember.select(BranchMember, Branch).join(Branch)
                 .where(BranchMember.user == person.id, BranchMember.left_on.is_null()).first())
    if elsewhere is not None:
        if elsewhere.branch_id == branch.id:
            raise Conflict(_("%(name)s is already a member of this branch.", name=person.name),
                           field="user_id")
        raise Conflict(_("%(name)s is already a member of “%(branch)s”. Remove them there first.",
                         name=person.name, branch=elsewhere.branch.name), field="user_id")
    with db.atomic():
        try:
            # One current branch per person is a unique index: a concurrent add fails here.
            with db.atomic():
                revived = (BranchMember.update(left_on=None, standing=standing, joined_on=joined)
                           .where(BranchMember.branch == branch.id,
                                  BranchMember.user == person.id).execute())
                if not revived:
                    BranchMember.create(branch=branch, user=person, standing=standing,
                                        joined_on=joined)
        except IntegrityError:
            raise Conflict(_("%(name)s is already a member of this branch.",
                             name=person.name), field="user_id") from None
        if not person.party_member:
            User.update(party_member=True).where(User.id == person.id).execute()
        audit(actor, "branch.member_add", branch, branch.county_id,
              {"user": person.id, "name": person.name, "standing": standing, "joined_on": joined})
    return person


def change_standing(actor, branch, member, standing):
    """Change a member from probationary to full (or back)."""
    standing = _clean_standing(standing)
    if standing == member.standing:
        return member
    if member.user_id == branch.secretary_id and standing != "full":
        raise DomainError(_("The branch secretary must be a full member."), field="standing")
    with db.atomic():
        before = member.standing
        member.standing = standing
        member.save(only=[BranchMember.standing])
        audit(actor, "branch.member_standing", branch, branch.county_id,
              {"user": member.user_id, "before": before, "after": standing})
    return member


def remove_member(actor, branch, member, today=None):
    """Take a member off the branch (their past attendance stays in their record)."""
    if member.user_id == branch.secretary_id:
        raise DomainError(_("%(name)s is the branch secretary. Name another secretary first.",
                            name=member.user.name))
    today = today or local_today()
    with db.atomic():
        member.left_on = today
        member.save(only=[BranchMember.left_on])
        audit(actor, "branch.member_remove", branch, branch.county_id,
              {"user": member.user_id, "name": member.user.name})
    return member


def set_secretary(actor, branch, user_id):
    """Name a full member as secretary: they get the secretary role, the previous one loses it."""
    user_id = _as_id(user_id)
    member = (BranchMember.select(BranchMember, User).join(User)
              .where(BranchMember.branch == branch.id, BranchMember.user == (user_id or 0),
                     BranchMember.left_on.is_null()).first())
    if member is None:
        raise DomainError(_("Choose the secretary from the branch's members."), field="secretary")
    if member.standing != "full":
        raise DomainError(_("A probationary member cannot be the branch secretary."),
                          field="secretary")
    holders = {gr.user_id for gr in RoleGrant.select().where(RoleGrant.role == "secretary",
                                                             RoleGrant.branch == branch.id)}
    if branch.secretary_id == member.user_id and holders == {member.user_id}:
        return branch
    with db.atomic():
        before = branch.secretary_id
        RoleGrant.delete().where(RoleGrant.role == "secretary", RoleGrant.branch == branch.id,
                                 RoleGrant.user != member.user_id).execute()
        if member.user_id not in holders:
            RoleGrant.create(user=member.user_id, role="secretary", branch=branch)
        branch.secretary = member.user_id
        branch.save(only=[Branch.secretary])
        audit(actor, "branch.secretary", branch, branch.county_id,
              {"before": before, "after": member.user_id, "name": member.user.name})
    return branch


# ------------------------------------------------------------------ the three-member rule

def member_counts(branch_ids):
    """Return {branch_id: {"full": n, "probationary": m}} for current members."""
    counts = {bid: {"full": 0, "probationary": 0} for bid in branch_ids}
    rows = (BranchMember.select(BranchMember.branch, BranchMember.standing,
                                fn.COUNT(BranchMember.id))
            .where(BranchMember.branch.in_(list(branch_ids) or [0]), BranchMember.left_on.is_null())
            .group_by(BranchMember.branch, BranchMember.standing).tuples())
    for branch_id, standing, n in rows:
        counts[branch_id][standing] = n
    return counts


def too_few(counts):
    """Say whether a branch has fewer full members than the rule asks."""
    return counts["full"] < MIN_FULL_MEMBERS


def party_members_by_firm(county_id):
    """Return {firm_id: number of active party members} among the county's practitioners."""
    return dict(county_practitioners(county_id).where(User.party_member == True)  # noqa: E712
                .select(User.firm, fn.COUNT(User.id)).group_by(User.firm).tuples())


def firm_hints(county_id, branches):
    """Advice from seeds 000/001: a firm with 3+ party members has its own branch, others join one.

    Returns a list of (kind, firm, count, branch): 'own' (in a joint branch but big enough for
    its own), 'no_branch_own' (no branch, big enough), 'no_branch_joint' (no branch, too small).
    """
    by_firm = party_members_by_firm(county_id)
    firms = {f.id: f for f in county_firms(county_id)}
    placed = {}
    for branch in branches:
        if not branch.active:
            continue
        for link in branch.firm_links:
            placed[link.firm_id] = branch
    hints = []
    for firm_id, count in sorted(by_firm.items(), key=lambda kv: (-kv[1], kv[0] or 0)):
        firm = firms.get(firm_id)
        if firm is None or not count:
            continue
        branch = placed.get(firm_id)
        if branch is None:
            kind = "no_branch_own" if count >= MIN_FULL_MEMBERS else "no_branch_joint"
            hints.append((kind, firm, count, None))
        elif branch.kind == "joint" and count >= MIN_FULL_MEMBERS:
            hints.append(("own", firm, count, branch))
    return hints


def is_member(user):
    """Say whether the person is (or was) in a party branch."""
    return BranchMember.select().where(BranchMember.user == user.id).exists()
