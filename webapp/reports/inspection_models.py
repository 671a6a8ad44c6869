"""Quarterly inspections (季督查) of a firm and the items it must fix by a date."""
from peewee import CharField, DateField, DateTimeField, ForeignKeyField, TextField

from ..accounts.models import Firm, Region, User
from ..db import BaseModel, utcnow


class Inspection(BaseModel):
    """One inspection of a firm by its county: when, by whom, what was found."""
    firm = ForeignKeyField(Firm, backref="inspections", on_delete="RESTRICT")
    county = ForeignKeyField(Region, backref="inspections", on_delete="RESTRICT")
    held_on = DateField()
    inspectors = CharField(max_length=200)
    findings = TextField()
    created_by = ForeignKeyField(User, backref="inspections_recorded", on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "inspection"
        indexes = ((("firm", "held_on"), False),)


class InspectionItem(BaseModel):
    """Something an inspection asks the firm to fix by a date; open until closed."""
    inspection = ForeignKeyField(Inspection, backref="items", on_delete="CASCADE")
    text = CharField(max_length=500)
    due_on = DateField()
    closed_on = DateField(null=True)
    closed_by = ForeignKeyField(User, null=True, backref="closed_inspection_items",
                                on_delete="SET NULL")
    close_note = CharField(max_length=500, default="")

    class Meta:
        table_name = "inspection_item"
        indexes = ((("inspection", "closed_on"), False),)
