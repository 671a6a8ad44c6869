"""The kinds of message each person switched off, and the inbox read by person and date
(frozen; never import webapp)."""
from peewee import CharField, DateTimeField, ForeignKeyField, Model


def _frozen(db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class NotificationMute(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        switch = CharField(max_length=20)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'notification_mute'
            indexes = ((('user', 'switch'), True),)

    return (NotificationMute,)


def up(migrator, db):
    db.create_tables(list(_frozen(db)))
    migrator.migrate(migrator.add_index('notification', ('user_id', 'created_at'), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('notification', 'notification_user_id_created_at'))
    db.drop_tables(list(reversed(_frozen(db))))
