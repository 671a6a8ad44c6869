"""Complaints (投诉) about a firm or one of its practitioners, handled to the end: received,
investigated, concluded with a finding, a measure and the reply to the complainant."""
from peewee import Check, CharField, DateField, DateTimeField, ForeignKeyField, TextField

from ..accounts.models import Firm, Region, User
from ..db import BaseModel, utcnow

SOURCES = ("hotline_12348", "letter", "visit", "online", "referral")
STATES = ("received", "investigating", "concluded")
FINDINGS = ("upheld", "partly_upheld", "not_upheld")
# Findings that count against a firm or person (zero-complaint status): partly upheld is upheld.
UPHELD = ("upheld", "partly_upheld")


class Complaint(BaseModel):
    """One complaint: against a firm, or a practitioner of it; its state, deadline and outcome.

    Nothing about the complainant is kept beyond what the summary says: the reply is recorded
    as text and date, sent by the bureau by its usual means.
    """
    county = ForeignKeyField(Region, backref="complaints", on_delete="RESTRICT")
    firm = ForeignKeyField(Firm, backref="complaints", on_delete="RESTRICT")
    practitioner = ForeignKeyField(User, null=True, backref="complaints_against",
                                   on_delete="RESTRICT")
    source = CharField(max_length=20, constraints=[Check(
        "source IN ('hotline_12348', 'letter', 'visit', 'online', 'referral')")])
    received_on = DateField()
    summary = TextField()
    assignee = ForeignKeyField(User, backref="complaints_assigned", on_delete="RESTRICT")
    deadline = DateField()
    status = CharField(max_length=20, default="received", constraints=[Check(
        "status IN ('received', 'investigating', 'concluded')")])
    finding = CharField(max_length=20, null=True, constraints=[Check(
        "finding IS NULL OR finding IN ('upheld', 'partly_upheld', 'not_upheld')")])
    measure = TextField(default="")
    reply = TextField(default="")
    replied_on = DateField(null=True)
    concluded_on = DateField(null=True)
    created_by = ForeignKeyField(User, backref="complaints_recorded", on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    idempotency_key = CharField(max_length=64, null=True, unique=True)   # a form sent twice

    class Meta:
        table_name = "complaint"
        indexes = ((("county", "received_on"), False), (("firm", "received_on"), False),
                   (("status", "deadline"), False))
