"""Regions, firms, people, role grants, sessions, login attempts, audit events."""
from peewee import (
    BooleanField, Check, CharField, DateField, DateTimeField, DeferredForeignKey, ForeignKeyField,
    SQL, IntegerField, TextField, fn,
)

from ..db import BaseModel, utcnow

ROLES = ("practitioner", "director", "secretary", "county_admin", "city_admin")
# Highest education completed: '' (not recorded), 高中及以下, 大专, 本科, 硕士, 博士.
EDUCATION_LEVELS = ("secondary", "college", "bachelor", "master", "doctor")


class Region(BaseModel):
    """A city or a county; counties hang under a city and carry a population."""
    name = CharField(max_length=100)
    kind = CharField(max_length=10, constraints=[Check("kind IN ('city', 'county')")])
    parent = ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")
    population = IntegerField(null=True, constraints=[Check("population IS NULL OR population >= 0")])
    created_at = DateTimeField(default=utcnow)


# A NULL in a unique index never clashes, so scoped uniqueness goes through COALESCE.
Region.add_index(Region.index(fn.COALESCE(Region.parent, 0), Region.name, unique=True,
                              name="region_parent_name_unique"))


class Firm(BaseModel):
    """A grassroots legal-service firm (基层法律服务所) in one county."""
    name = CharField(max_length=120)
    county = ForeignKeyField(Region, backref="firms", on_delete="RESTRICT")
    setting = CharField(max_length=10, default="rural",
                        constraints=[Check("setting IN ('rural', 'urban')")])
    township = CharField(max_length=100, default="")
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("county", "name"), True),)


class User(BaseModel):
    """A person: practitioner, secretary or administrator (several roles possible)."""
    name = CharField(max_length=60)
    phone = CharField(max_length=20, null=True, unique=True)
    username = CharField(max_length=60, null=True, unique=True)
    password_hash = CharField(max_length=200)
    firm = ForeignKeyField(Firm, null=True, backref="people", on_delete="RESTRICT")
    county = ForeignKeyField(Region, null=True, backref="people", on_delete="RESTRICT")
    licence_no = CharField(max_length=40, default="")
    birth_year = IntegerField(null=True, constraints=[
        Check("birth_year IS NULL OR (birth_year >= 1900 AND birth_year <= 2100)")])
    party_member = BooleanField(default=False)
    licensed_on = DateTimeField(null=True)
    # The day a person stopped practising (set on deactivation): their year ends there.
    deactivated_on = DateField(null=True)
    education = CharField(max_length=20, default="", constraints=[Check(
        "education IN ('', 'secondary', 'college', 'bachelor', 'master', 'doctor')")])
    locale = CharField(max_length=20, null=True)
    active = BooleanField(default=True)
    must_change_password = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)


class RoleGrant(BaseModel):
    """One scoped role held by a user: the firm, branch, or region it applies to."""
    user = ForeignKeyField(User, backref="grants", on_delete="CASCADE")
    role = CharField(max_length=20, constraints=[Check(
        "role IN ('practitioner', 'director', 'secretary', 'county_admin', 'city_admin')")])
    firm = ForeignKeyField(Firm, null=True, on_delete="CASCADE")
    branch = DeferredForeignKey("Branch", null=True, on_delete="CASCADE")
    region = ForeignKeyField(Region, null=True, on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)


# branch is a deferred foreign key here, so its column is named directly.
RoleGrant.add_index(RoleGrant.index(
    RoleGrant.user, RoleGrant.role, fn.COALESCE(RoleGrant.firm, 0),
    fn.COALESCE(SQL('"branch_id"'), 0), fn.COALESCE(RoleGrant.region, 0),
    unique=True, name="role_grant_scope_unique"))


class RegionYear(BaseModel):
    """A county's figures for one year: residents and lawyers (for the per-10,000 ratio)."""
    region = ForeignKeyField(Region, backref="years", on_delete="CASCADE")
    year = IntegerField()
    population = IntegerField(null=True, constraints=[
        Check("population IS NULL OR population >= 0")])
    lawyers = IntegerField(null=True, constraints=[Check("lawyers IS NULL OR lawyers >= 0")])
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "region_year"
        indexes = ((("region", "year"), True),)


class UserSession(BaseModel):
    """A signed-in device; ending it signs that device out."""
    token = CharField(max_length=64, unique=True)
    user = ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    user_agent = CharField(max_length=200, default="")
    created_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(default=utcnow)
    ended_at = DateTimeField(null=True)


class LoginAttempt(BaseModel):
    """A failed login, counted per account and per address for rate limiting."""
    account = CharField(max_length=60, index=True)
    address = CharField(max_length=60, index=True)
    created_at = DateTimeField(default=utcnow, index=True)


class AuditEvent(BaseModel):
    """Who did what administrative action, to what, when, in which county."""
    actor = ForeignKeyField(User, null=True, backref="audit_events", on_delete="SET NULL")
    action = CharField(max_length=60)
    object_type = CharField(max_length=40)
    object_id = IntegerField(null=True)
    region = ForeignKeyField(Region, null=True, on_delete="SET NULL")
    detail = TextField(default="")
    address = CharField(max_length=60, default="")
    created_at = DateTimeField(default=utcnow, index=True)


class Notification(BaseModel):
    """An in-app message to one person (a review decision, a reminder)."""
    user = ForeignKeyField(User, backref="notifications", on_delete="CASCADE")
    kind = CharField(max_length=40)
    message = TextField()
    link = CharField(max_length=200, default="")
    created_at = DateTimeField(default=utcnow)
    read_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("user", "created_at"), False),)
