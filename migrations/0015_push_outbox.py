"""Web Push: the delivery outbox, which session subscribed which endpoint, and the reminders
already written (frozen; never import webapp)."""
from peewee import Check, CharField, DateTimeField, ForeignKeyField, IntegerField, Model


def _frozen(db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class UserSession(Model):
        class Meta:
            database = db
            table_name = 'user_session'

    class Notification(Model):
        class Meta:
            database = db
            table_name = 'notification'

    class PushSubscription(Model):
        class Meta:
            database = db
            table_name = 'push_subscription'

    class PushDevice(Model):
        subscription = ForeignKeyField(PushSubscription, unique=True, on_delete='CASCADE')
        session = ForeignKeyField(UserSession, on_delete='CASCADE')

        class Meta:
            database = db
            table_name = 'push_device'

    class PushDelivery(Model):
        notification = ForeignKeyField(Notification, on_delete='CASCADE')
        subscription = ForeignKeyField(PushSubscription, on_delete='CASCADE')
        status = CharField(max_length=10, default='pending', constraints=[
            Check("status IN ('pending', 'sent', 'failed', 'gone')")])
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField()
        claim = CharField(max_length=32, default='')
        last_error = CharField(max_length=200, default='')
        sent_at = DateTimeField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'push_delivery'
            indexes = ((('notification', 'subscription'), True),
                       (('status', 'next_attempt_at'), False))

    class ReminderSent(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        kind = CharField(max_length=40)
        period = CharField(max_length=40)
        notification = ForeignKeyField(Notification, null=True, on_delete='SET NULL')
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'reminder_sent'
            indexes = ((('user', 'kind', 'period'), True),)

    return (PushDevice, PushDelivery, ReminderSent)


def up(migrator, db):
    db.create_tables(list(_frozen(db)))


def down(migrator, db):
    db.drop_tables(list(reversed(_frozen(db))))
