"""Annual targets per scope (city, county, firm)."""
from peewee import Check, CharField, DecimalField, ForeignKeyField, IntegerField, fn

from ..accounts.models import Firm, Region
from ..db import BaseModel

METRICS = ("education_hours", "public_service_hours", "legal_aid_cases", "county_trainings",
           "info_reports", "typical_cases", "theme_days", "practitioners_per_10k")


class Target(BaseModel):
    """A target value for one metric, one year, one scope, with its source."""
    year = IntegerField()
    metric = CharField(max_length=30, constraints=[Check(
        "metric IN ('education_hours', 'public_service_hours', 'legal_aid_cases', "
        "'county_trainings', 'info_reports', 'typical_cases', 'theme_days', "
        "'practitioners_per_10k')")])
    region = ForeignKeyField(Region, null=True, on_delete="CASCADE")
    firm = ForeignKeyField(Firm, null=True, on_delete="CASCADE")
    value = DecimalField(max_digits=8, decimal_places=2, constraints=[Check("value >= 0")])
    source = CharField(max_length=200, default="")



Target.add_index(Target.index(
    Target.year, Target.metric, fn.COALESCE(Target.region, 0), fn.COALESCE(Target.firm, 0),
    unique=True, name="target_scope_unique"))
