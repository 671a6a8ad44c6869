"""The county's monthly bulletin (月通报): remarks and, once issued, the snapshot of its figures."""
from peewee import Check, CharField, DateField, DateTimeField, ForeignKeyField, TextField

from ..accounts.models import Region, User
from ..db import BaseModel, utcnow

STATUSES = ("draft", "issued")


class Bulletin(BaseModel):
    """One county's bulletin for one month; `data` is the JSON snapshot written at issue."""
    county = ForeignKeyField(Region, backref="bulletins", on_delete="RESTRICT")
    # The first day of the month the bulletin reports on.
    month = DateField()
    remarks = TextField(default="")
    status = CharField(max_length=10, constraints=[Check("status IN ('draft', 'issued')")])
    data = TextField(default="")
    issued_by = ForeignKeyField(User, null=True, backref="issued_bulletins", on_delete="SET NULL")
    issued_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "bulletin"
        indexes = ((("county", "month"), True),)
