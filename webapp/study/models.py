"""Party study material (党员学习): what a secretary or the county hands out, who is to study it,
and each member's reading and quiz."""
from peewee import (
    Check, CharField, DateField, DateTimeField, DecimalField, ForeignKeyField, IntegerField,
    TextField,
)

from ..accounts.models import Region, User
from ..branches.models import Branch, BranchActivity
from ..db import BaseModel, utcnow


class StudyMaterial(BaseModel):
    """One piece of study material for a branch (or, from the county, for every branch)."""
    county = ForeignKeyField(Region, on_delete="RESTRICT")
    branch = ForeignKeyField(Branch, null=True, backref="study_materials", on_delete="RESTRICT")
    activity = ForeignKeyField(BranchActivity, null=True, on_delete="SET NULL")
    title = CharField(max_length=200)
    body = TextField(default="")          # the author's text (Markdown: headings, paragraphs, lists)
    body_html = TextField(default="")     # that text rendered and sanitised, as shown
    link = CharField(max_length=500, default="")
    stored_name = CharField(max_length=80, default="")   # an optional PDF or picture
    original_name = CharField(max_length=200, default="")
    content_type = CharField(max_length=40, default="")
    size = IntegerField(default=0)
    due_on = DateField(null=True)
    hours = DecimalField(max_digits=4, decimal_places=2, constraints=[
        Check("hours > 0 AND hours <= 8")])
    min_seconds = IntegerField(constraints=[Check("min_seconds >= 0 AND min_seconds <= 3600")])
    status = CharField(max_length=10, default="published", constraints=[
        Check("status IN ('published', 'withdrawn')")])
    idempotency_key = CharField(max_length=64, null=True, unique=True)   # a form sent twice
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("county", "created_at"), False),)


class StudyQuestion(BaseModel):
    """A multiple-choice question on a material: 2 to 5 choices, one right."""
    material = ForeignKeyField(StudyMaterial, backref="questions", on_delete="CASCADE")
    position = IntegerField()
    text = CharField(max_length=300)
    choices = TextField()                 # JSON list of 2 to 5 strings
    answer = IntegerField()               # index of the right choice, from 0

    class Meta:
        indexes = ((("material", "position"), True),)


class StudyAssignment(BaseModel):
    """A member a material is for, and how far they got: opened (by the server's clock),
    studied, the quiz's answers and score."""
    material = ForeignKeyField(StudyMaterial, backref="assignments", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="study_assignments", on_delete="CASCADE")
    opened_at = DateTimeField(null=True)
    completed_at = DateTimeField(null=True)
    answers = TextField(default="")       # JSON list of the chosen indexes
    score = IntegerField(null=True)       # right answers, when the material has questions
    reminded_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("material", "user"), True), (("user", "completed_at"), False))
