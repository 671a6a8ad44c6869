"""Complaints (投诉) about a firm or one of its practitioners, from receipt to the reply
(frozen; never import webapp)."""
from peewee import Check, CharField, DateField, DateTimeField, ForeignKeyField, Model, TextField


def _frozen(db):
    class Region(Model):
        class Meta:
            database = db
            table_name = 'region'

    class Firm(Model):
        class Meta:
            database = db
            table_name = 'firm'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Complaint(Model):
        county = ForeignKeyField(Region, on_delete='RESTRICT')
        firm = ForeignKeyField(Firm, on_delete='RESTRICT')
        practitioner = ForeignKeyField(User, null=True, on_delete='RESTRICT',
                                       backref='complaints_against')
        source = CharField(max_length=20, constraints=[Check(
            "source IN ('hotline_12348', 'letter', 'visit', 'online', 'referral')")])
        received_on = DateField()
        summary = TextField()
        assignee = ForeignKeyField(User, on_delete='RESTRICT', backref='complaints_assigned')
        deadline = DateField()
        status = CharField(max_length=20, default='received', constraints=[Check(
            "status IN ('received', 'investigating', 'concluded')")])
        finding = CharField(max_length=20, null=True, constraints=[Check(
            "finding IS NULL OR finding IN ('upheld', 'partly_upheld', 'not_upheld')")])
        measure = TextField(default='')
        reply = TextField(default='')
        replied_on = DateField(null=True)
        concluded_on = DateField(null=True)
        created_by = ForeignKeyField(User, on_delete='RESTRICT', backref='complaints_recorded')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        idempotency_key = CharField(max_length=64, null=True, unique=True)

        class Meta:
            database = db
            table_name = 'complaint'
            indexes = ((('county', 'received_on'), False), (('firm', 'received_on'), False),
                       (('status', 'deadline'), False))

    return (Complaint,)


def up(migrator, db):
    db.create_tables(list(_frozen(db)))


def down(migrator, db):
    db.drop_tables(list(reversed(_frozen(db))))
