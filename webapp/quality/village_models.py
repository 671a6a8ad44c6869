"""Villages and communities of a county, each with its legal adviser (一村（社区）一法律顾问)."""
from peewee import BooleanField, Check, CharField, DateTimeField, ForeignKeyField

from ..accounts.models import Region, User
from ..db import BaseModel, utcnow

KINDS = ("village", "community")


class Village(BaseModel):
    """A village (村) or community (社区) of a county, in a township or street, and its adviser."""
    county = ForeignKeyField(Region, backref="villages", on_delete="RESTRICT")
    township = CharField(max_length=60, default="")     # 乡镇 or 街道, as text
    name = CharField(max_length=60)
    kind = CharField(max_length=10, default="village", constraints=[
        Check("kind IN ('village', 'community')")])
    adviser = ForeignKeyField(User, null=True, backref="advised_villages", on_delete="SET NULL")
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("county", "township", "name"), True),)

    @classmethod
    def of_county(cls, county_id):
        """The villages of one county (active or not)."""
        return cls.select().where(cls.county == county_id)

    @classmethod
    def advised_by(cls, user_id):
        """The active villages a person is the legal adviser of."""
        return cls.select().where(cls.adviser == user_id, cls.active == True)  # noqa: E712
