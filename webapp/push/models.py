"""Web Push subscriptions."""
from peewee import CharField, DateTimeField, ForeignKeyField, TextField

from ..accounts.models import User
from ..db import BaseModel, utcnow


class PushSubscription(BaseModel):
    """One browser's push endpoint for one person."""
    user = ForeignKeyField(User, backref="push_subscriptions", on_delete="CASCADE")
    endpoint = TextField(unique=True)
    p256dh = CharField(max_length=200)
    auth = CharField(max_length=100)
    user_agent = CharField(max_length=200, default="")
    created_at = DateTimeField(default=utcnow)
    last_error = CharField(max_length=200, default="")
