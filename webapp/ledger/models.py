"""Ledger entries (hours, cases, credits), their evidence, and county review rules."""
from peewee import (
    BooleanField, Check, CharField, DateField, DateTimeField, DecimalField, ForeignKeyField,
    IntegerField, TextField,
)

from ..accounts.models import Region, User
from ..branches.models import BranchActivity
from ..db import BaseModel, utcnow
from ..quality.village_models import Village
from ..trainings.models import Training

KINDS = ("education", "public_service", "legal_aid", "party_activity", "training_credit",
         "political_study")
STATUSES = ("pending", "approved", "declined", "withdrawn", "recorded")


class Entry(BaseModel):
    """One line of a person's ledger."""
    user = ForeignKeyField(User, backref="entries", on_delete="RESTRICT")
    kind = CharField(max_length=20, constraints=[Check(
        "kind IN ('education', 'public_service', 'legal_aid', 'party_activity', "
        "'training_credit', 'political_study')")])
    date = DateField(index=True)
    hours = DecimalField(max_digits=6, decimal_places=2, default=0, constraints=[
        Check("hours >= 0 AND hours <= 200")])
    count = IntegerField(default=0, constraints=[Check("count >= 0")])
    category = CharField(max_length=40, default="")
    description = TextField(default="")
    place = CharField(max_length=120, default="")
    people_served = IntegerField(null=True, constraints=[
        Check("people_served IS NULL OR people_served >= 0")])
    case_number = CharField(max_length=60, default="")
    case_type = CharField(max_length=20, default="")
    case_status = CharField(max_length=20, default="")
    closed_on = DateField(null=True)
    provider = CharField(max_length=120, default="")
    source = CharField(max_length=10, constraints=[Check("source IN ('system', 'self')")])
    training = ForeignKeyField(Training, null=True, on_delete="RESTRICT")
    activity = ForeignKeyField(BranchActivity, null=True, on_delete="RESTRICT")
    # The village or community of a legal adviser's duty (public service, village_adviser).
    village = ForeignKeyField(Village, null=True, backref="entries", on_delete="SET NULL")
    status = CharField(max_length=10, constraints=[Check(
        "status IN ('pending', 'approved', 'declined', 'withdrawn', 'recorded')")])
    reviewer = ForeignKeyField(User, null=True, on_delete="SET NULL")
    reviewed_at = DateTimeField(null=True)
    review_note = TextField(default="")
    idempotency_key = CharField(max_length=64, null=True, unique=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("user", "kind", "date"), False),
                   # The review queue's order, and every column the count of entries waiting
                   # for review reads (push.due.waiting_entries).
                   (("status", "created_at", "source", "user", "date"), False),
                   # Every column the yearly totals read (targets.services.ledger_query), so
                   # they come from the index alone, one year's range of it.
                   (("user", "date", "kind", "status", "source", "hours", "count"), False))


class Evidence(BaseModel):
    """A photo or PDF attached to an entry, stored outside the web root."""
    entry = ForeignKeyField(Entry, backref="evidence", on_delete="CASCADE")
    stored_name = CharField(max_length=80, unique=True)
    original_name = CharField(max_length=200, default="")
    content_type = CharField(max_length=40)
    size = IntegerField(constraints=[Check("size > 0")])
    created_at = DateTimeField(default=utcnow)


class ReviewRule(BaseModel):
    """A county's review rules for one year."""
    county = ForeignKeyField(Region, on_delete="CASCADE")
    year = IntegerField()
    max_public_hours_per_day = DecimalField(max_digits=4, decimal_places=2, default=8)
    education_needs_evidence = BooleanField(default=False)
    outside_education_cap = DecimalField(max_digits=5, decimal_places=2, default=20)
    director_reviews = BooleanField(default=False)

    class Meta:
        indexes = ((("county", "year"), True),)
