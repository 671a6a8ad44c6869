"""Trainings, their categories and audiences, and attendance."""
from peewee import (
    BooleanField, Check, CharField, DateTimeField, DecimalField, FloatField, ForeignKeyField,
    IntegerField, TextField,
)

from ..accounts.models import Firm, Region, User
from ..db import BaseModel, utcnow


class TrainingCategory(BaseModel):
    """A training category (political theory, professional skills, ...), editable."""
    name = CharField(max_length=60)
    name_en = CharField(max_length=60, default="")
    region = ForeignKeyField(Region, null=True, on_delete="CASCADE")
    active = BooleanField(default=True)
    position = IntegerField(default=0)


class Training(BaseModel):
    """A training organised by a county or a city."""
    title = CharField(max_length=200)
    category = ForeignKeyField(TrainingCategory, on_delete="RESTRICT")
    organiser = ForeignKeyField(Region, backref="trainings", on_delete="RESTRICT")
    start_at = DateTimeField(index=True)
    end_at = DateTimeField()
    place = CharField(max_length=200, default="")
    latitude = FloatField(null=True)
    longitude = FloatField(null=True)
    credit_hours = DecimalField(max_digits=5, decimal_places=2, constraints=[
        Check("credit_hours >= 0 AND credit_hours <= 100")])
    audience = CharField(max_length=10, default="region", constraints=[
        Check("audience IN ('region', 'firms', 'people')")])
    checkout_required = BooleanField(default=False)
    checkin_opens_before = IntegerField(default=30)
    checkin_closes_after = IntegerField(default=30)
    late_after = IntegerField(default=10)
    checkout_opens_before = IntegerField(default=15)
    checkout_closes_after = IntegerField(default=60)
    rotation_seconds = IntegerField(default=10, constraints=[Check("rotation_seconds >= 5")])
    secret = CharField(max_length=64)
    status = CharField(max_length=10, default="scheduled", constraints=[
        Check("status IN ('scheduled', 'cancelled')")])
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        constraints = [Check("end_at > start_at")]


class TrainingFirm(BaseModel):
    """A firm in a training's chosen audience."""
    training = ForeignKeyField(Training, backref="audience_firms", on_delete="CASCADE")
    firm = ForeignKeyField(Firm, on_delete="CASCADE")

    class Meta:
        indexes = ((("training", "firm"), True),)


class TrainingPerson(BaseModel):
    """A person in a training's chosen audience."""
    training = ForeignKeyField(Training, backref="audience_people", on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE")

    class Meta:
        indexes = ((("training", "user"), True),)


class Attendance(BaseModel):
    """One person's presence at one training: in, out, method, credited hours, flags."""
    training = ForeignKeyField(Training, backref="attendance", on_delete="RESTRICT")
    user = ForeignKeyField(User, backref="attendance", on_delete="RESTRICT")
    status = CharField(max_length=10, default="present", constraints=[
        Check("status IN ('present', 'excused')")])
    checked_in_at = DateTimeField(null=True)
    checked_out_at = DateTimeField(null=True)
    method_in = CharField(max_length=12, default="qr", constraints=[
        Check("method_in IN ('qr', 'code', 'static', 'staff', 'offline')")])
    method_out = CharField(max_length=12, null=True)
    late = BooleanField(default=False)
    credited_hours = DecimalField(max_digits=5, decimal_places=2, default=0, constraints=[
        Check("credited_hours >= 0")])
    needs_review = BooleanField(default=False)
    flags = CharField(max_length=200, default="")
    # Metres from the venue, rounded to 10 m: kept only with the 'far' flag (never a position).
    distance_m = IntegerField(null=True, constraints=[Check("distance_m IS NULL OR distance_m >= 0")])
    device = CharField(max_length=64, default="")
    note = TextField(default="")
    marked_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("training", "user"), True), (("training", "device"), False))


class ScanReceipt(BaseModel):
    """A scan sent later from a phone that was offline, kept by its idempotency key."""
    key = CharField(max_length=64, unique=True)
    user = ForeignKeyField(User, on_delete="CASCADE")
    training = ForeignKeyField(Training, on_delete="CASCADE")
    purpose = CharField(max_length=6)
    scanned_at = DateTimeField()
    result = CharField(max_length=20)
    created_at = DateTimeField(default=utcnow)
