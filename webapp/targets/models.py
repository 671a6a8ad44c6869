"""Annual targets per scope (city, county, firm) and the county's yearly assessments."""
from peewee import (
    Check, CharField, DateField, DateTimeField, DecimalField, ForeignKeyField, IntegerField,
    TextField, fn,
)

from ..accounts.models import Firm, Region, User
from ..db import BaseModel, utcnow

METRICS = ("education_hours", "public_service_hours", "legal_aid_cases", "county_trainings",
           "info_reports", "typical_cases", "theme_days", "practitioners_per_10k",
           "average_age", "political_study_hours")


class Target(BaseModel):
    """A target value for one metric, one year, one scope, with its source."""
    year = IntegerField()
    metric = CharField(max_length=30, constraints=[Check(
        "metric IN ('education_hours', 'public_service_hours', 'legal_aid_cases', "
        "'county_trainings', 'info_reports', 'typical_cases', 'theme_days', "
        "'practitioners_per_10k', 'average_age', 'political_study_hours')")])
    region = ForeignKeyField(Region, null=True, on_delete="CASCADE")
    firm = ForeignKeyField(Firm, null=True, on_delete="CASCADE")
    value = DecimalField(max_digits=8, decimal_places=2, constraints=[Check("value >= 0")])
    source = CharField(max_length=200, default="")


Target.add_index(Target.index(
    Target.year, Target.metric, fn.COALESCE(Target.region, 0), fn.COALESCE(Target.firm, 0),
    unique=True, name="target_scope_unique"))


class Assessment(BaseModel):
    """The county's annual result (年度考核) for one person or one firm, with any rectification.

    A person is 称职 (competent) or 不称职 (incompetent); a firm 合格 (qualified) or 不合格
    (unqualified). A fail carries a deadline to rectify (限期整改) that stays open until closed.
    """
    year = IntegerField()
    county = ForeignKeyField(Region, on_delete="CASCADE")
    user = ForeignKeyField(User, null=True, backref="assessments", on_delete="CASCADE")
    firm = ForeignKeyField(Firm, null=True, backref="assessments", on_delete="CASCADE")
    result = CharField(max_length=20, constraints=[Check(
        "result IN ('competent', 'incompetent', 'qualified', 'unqualified')")])
    comment = TextField(default="")
    rectify_by = DateField(null=True)
    rectified_at = DateTimeField(null=True)
    rectify_note = TextField(default="")
    decided_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    decided_at = DateTimeField(default=utcnow)

    class Meta:
        constraints = [Check("(user_id IS NULL) <> (firm_id IS NULL)")]


Assessment.add_index(Assessment.index(
    Assessment.year, fn.COALESCE(Assessment.user, 0), fn.COALESCE(Assessment.firm, 0),
    unique=True, name="assessment_subject_unique"))
