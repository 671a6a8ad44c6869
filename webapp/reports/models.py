"""A firm's monthly reports (信息, 典型案例), the practitioners each one credits, its attached
files, and the practitioner a director names as the firm's reporter."""
from peewee import (Check, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField,
                    TextField)

from ..accounts.models import Firm, User
from ..db import BaseModel, utcnow

KINDS = ("info", "case")
STATUSES = ("submitted", "returned", "accepted")


class FirmReport(BaseModel):
    """One report a firm sends the county for a month: an information report or a typical case."""
    firm = ForeignKeyField(Firm, backref="reports", on_delete="RESTRICT")
    author = ForeignKeyField(User, backref="firm_reports", on_delete="RESTRICT")
    kind = CharField(max_length=10, constraints=[Check("kind IN ('info', 'case')")])
    # The first day of the month the report counts for.
    month = DateField()
    title = CharField(max_length=120)
    body = TextField(default="")
    facts = TextField(default="")
    handling = TextField(default="")
    result = TextField(default="")
    lesson = TextField(default="")
    status = CharField(max_length=12, constraints=[Check(
        "status IN ('submitted', 'returned', 'accepted')")])
    return_reason = TextField(default="")
    reviewed_by = ForeignKeyField(User, null=True, backref="reviewed_reports",
                                  on_delete="SET NULL")
    reviewed_at = DateTimeField(null=True)
    submitted_at = DateTimeField(default=utcnow)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    idempotency_key = CharField(max_length=64, null=True, unique=True)

    class Meta:
        table_name = "firm_report"
        indexes = ((("firm", "month"), False), (("status", "submitted_at"), False))


class FirmReportCredit(BaseModel):
    """A practitioner a report credits (who did the work it tells of)."""
    report = ForeignKeyField(FirmReport, backref="credits", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="report_credits", on_delete="CASCADE")

    class Meta:
        table_name = "firm_report_credit"
        indexes = ((("report", "user"), True),)


class FirmReportAttachment(BaseModel):
    """A photo or PDF attached to a report, stored outside the web root (the evidence store)."""
    report = ForeignKeyField(FirmReport, backref="attachments", on_delete="CASCADE")
    stored_name = CharField(max_length=80, unique=True)
    original_name = CharField(max_length=200, default="")
    content_type = CharField(max_length=40)
    size = IntegerField(constraints=[Check("size > 0")])
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "firm_report_attachment"


class FirmReporter(BaseModel):
    """The practitioner a firm's director names to write the firm's reports (at most one)."""
    firm = ForeignKeyField(Firm, unique=True, backref="reporter", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="reporter_of", on_delete="CASCADE")
    named_by = ForeignKeyField(User, null=True, backref="reporters_named", on_delete="SET NULL")
    named_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "firm_reporter"
