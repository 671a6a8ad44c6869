"""Party branches, their members, activities (三会一课, 主题党日) and attendance."""
from peewee import (
    BooleanField, Check, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField,
    TextField,
)

from ..accounts.models import Firm, Region, User
from ..db import BaseModel, utcnow

ACTIVITY_KINDS = ("theme_day", "members_meeting", "committee_meeting", "group_meeting",
                  "party_lecture", "other")


class Branch(BaseModel):
    """A party branch: independent (one firm) or joint (联合支部)."""
    name = CharField(max_length=120)
    county = ForeignKeyField(Region, backref="branches", on_delete="RESTRICT")
    kind = CharField(max_length=12, default="independent",
                     constraints=[Check("kind IN ('independent', 'joint')")])
    includes_justice_office = BooleanField(default=False)
    secretary = ForeignKeyField(User, null=True, on_delete="SET NULL")
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("county", "name"), True),)


class BranchFirm(BaseModel):
    """A firm covered by a branch."""
    branch = ForeignKeyField(Branch, backref="firm_links", on_delete="CASCADE")
    firm = ForeignKeyField(Firm, backref="branch_links", on_delete="CASCADE")

    class Meta:
        indexes = ((("branch", "firm"), True),)


class BranchMember(BaseModel):
    """A party member belonging to a branch."""
    branch = ForeignKeyField(Branch, backref="members", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="branch_memberships", on_delete="RESTRICT")
    standing = CharField(max_length=12, default="full",
                         constraints=[Check("standing IN ('full', 'probationary')")])
    joined_on = DateField(null=True)
    left_on = DateField(null=True)

    class Meta:
        indexes = ((("branch", "user"), True),)


# A person is a current member of one branch at most (the database says so, not a SELECT).
BranchMember.add_index(BranchMember.index(BranchMember.user, unique=True,
                                          where=BranchMember.left_on.is_null(),
                                          name="branch_member_one_current"))


class BranchActivity(BaseModel):
    """A branch meeting or theme party day, planned or held."""
    branch = ForeignKeyField(Branch, backref="activities", on_delete="RESTRICT")
    kind = CharField(max_length=20, constraints=[Check(
        "kind IN ('theme_day', 'members_meeting', 'committee_meeting', 'group_meeting', "
        "'party_lecture', 'other')")])
    start_at = DateTimeField()
    end_at = DateTimeField()
    place = CharField(max_length=120, default="")
    topic = CharField(max_length=200)
    summary = TextField(default="")
    status = CharField(max_length=10, default="held",
                       constraints=[Check("status IN ('planned', 'held', 'cancelled')")])
    secret = CharField(max_length=64, default="")
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    # QR check-in (webapp.checkin.codes) reads these as it reads a training's.
    rotation_seconds = 10

    class Meta:
        indexes = ((("branch", "start_at"), False),)


class ActivityAttendance(BaseModel):
    """One member's presence at one activity."""
    activity = ForeignKeyField(BranchActivity, backref="attendance", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="activity_attendance", on_delete="RESTRICT")
    status = CharField(max_length=10, constraints=[
        Check("status IN ('present', 'excused', 'absent')")])
    reason = CharField(max_length=200, default="")
    checked_in_at = DateTimeField(null=True)
    method = CharField(max_length=12, default="list")
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("activity", "user"), True),)


class ActivityPhoto(BaseModel):
    """A photo of an activity, stored outside the web root."""
    activity = ForeignKeyField(BranchActivity, backref="photos", on_delete="CASCADE")
    stored_name = CharField(max_length=80, unique=True)
    content_type = CharField(max_length=40)
    size = IntegerField(constraints=[Check("size > 0")])
    created_at = DateTimeField(default=utcnow)
