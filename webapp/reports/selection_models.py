"""A typical case recommended by its county, and the city's choice of it among the ten best."""
from peewee import DateTimeField, ForeignKeyField, IntegerField

from ..accounts.models import Region, User
from ..db import BaseModel, utcnow
from .models import FirmReport


class CaseSelection(BaseModel):
    """A county's recommendation of one accepted typical case for the city's yearly ten best
    (十佳优秀案例评选); `chosen_at` is set once the city chooses it."""
    report = ForeignKeyField(FirmReport, unique=True, backref="selections", on_delete="CASCADE")
    county = ForeignKeyField(Region, backref="case_selections", on_delete="RESTRICT")
    city = ForeignKeyField(Region, backref="city_case_selections", on_delete="RESTRICT")
    # The year of the month the case counts for: the selection it takes part in.
    year = IntegerField()
    recommended_by = ForeignKeyField(User, backref="recommended_cases", on_delete="RESTRICT")
    recommended_at = DateTimeField(default=utcnow)
    chosen_by = ForeignKeyField(User, null=True, backref="chosen_cases", on_delete="SET NULL")
    chosen_at = DateTimeField(null=True)

    class Meta:
        table_name = "case_selection"
        indexes = ((("city", "year"), False), (("county", "year"), False))
