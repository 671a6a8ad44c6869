"""Web Push subscriptions, the delivery outbox, and the reminders already sent."""
from peewee import (Check, CharField, DateTimeField, ForeignKeyField, IntegerField,
                    TextField)

from ..accounts.models import Notification, User, UserSession
from ..db import BaseModel, utcnow

DELIVERY_STATUSES = ("pending", "sent", "failed", "gone")


class PushSubscription(BaseModel):
    """One browser's push endpoint for one person."""
    user = ForeignKeyField(User, backref="push_subscriptions", on_delete="CASCADE")
    endpoint = TextField(unique=True)
    p256dh = CharField(max_length=200)
    auth = CharField(max_length=100)
    user_agent = CharField(max_length=200, default="")
    created_at = DateTimeField(default=utcnow)
    last_error = CharField(max_length=200, default="")


class PushDevice(BaseModel):
    """Which signed-in session subscribed which endpoint (signing out removes the endpoint)."""
    subscription = ForeignKeyField(PushSubscription, unique=True, backref="devices",
                                   on_delete="CASCADE")
    session = ForeignKeyField(UserSession, backref="push_devices", on_delete="CASCADE")

    class Meta:
        table_name = "push_device"


class PushDelivery(BaseModel):
    """One notification to be pushed to one subscription: the outbox row the sender drains."""
    notification = ForeignKeyField(Notification, backref="deliveries", on_delete="CASCADE")
    subscription = ForeignKeyField(PushSubscription, backref="deliveries", on_delete="CASCADE")
    status = CharField(max_length=10, default="pending", constraints=[
        Check("status IN ('pending', 'sent', 'failed', 'gone')")])
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow)
    # A sender's token while it holds the row (until next_attempt_at, its lease).
    claim = CharField(max_length=32, default="")
    last_error = CharField(max_length=200, default="")
    sent_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "push_delivery"
        indexes = ((("notification", "subscription"), True),
                   (("status", "next_attempt_at"), False))


class ReminderSent(BaseModel):
    """A time-based reminder written once per person, kind and period (e.g. a training)."""
    user = ForeignKeyField(User, on_delete="CASCADE")
    kind = CharField(max_length=40)
    period = CharField(max_length=40)
    notification = ForeignKeyField(Notification, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "reminder_sent"
        indexes = ((("user", "kind", "period"), True),)


class NotificationMute(BaseModel):
    """A kind of message a person switched off (a row means off; none means on)."""
    user = ForeignKeyField(User, backref="notification_mutes", on_delete="CASCADE")
    switch = CharField(max_length=20)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "notification_mute"
        indexes = ((("user", "switch"), True),)
