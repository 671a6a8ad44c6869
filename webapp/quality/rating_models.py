"""Ratings of a service by the person served: nothing in a row identifies the rater."""
from peewee import Check, CharField, DateTimeField, ForeignKeyField, SmallIntegerField, TextField

from ..accounts.models import Firm, User
from ..db import BaseModel, utcnow
from ..ledger.models import Entry

USEFUL = ("yes", "partly", "no")
SCORES = (1, 2, 3, 4, 5)


class Rating(BaseModel):
    """One rating from a scanned code: score 1-5, whether the advice helped, a comment.

    `key` is the code's single-use key (unique: a second rating with the same code is refused
    by the database). No name, phone, address or client address is kept.
    """
    key = CharField(max_length=32, unique=True)
    entry = ForeignKeyField(Entry, null=True, backref="ratings", on_delete="SET NULL")
    practitioner = ForeignKeyField(User, backref="ratings", on_delete="RESTRICT")
    firm = ForeignKeyField(Firm, backref="ratings", on_delete="RESTRICT")
    score = SmallIntegerField(constraints=[Check("score >= 1 AND score <= 5")])
    useful = CharField(max_length=6, constraints=[Check("useful IN ('yes', 'partly', 'no')")])
    comment = TextField(default="")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "rating"
        indexes = ((("practitioner", "created_at"), False),
                   (("firm", "created_at"), False))
