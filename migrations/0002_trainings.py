"""Scan receipts: offline scans kept by their idempotency key (frozen; never import webapp)."""
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Training(Model):
        class Meta:
            database = db
            table_name = 'training'

    class ScanReceipt(Model):
        key = CharField(unique=True, max_length=64)
        user = ForeignKeyField(User, on_delete='CASCADE')
        training = ForeignKeyField(Training, on_delete='CASCADE')
        purpose = CharField(max_length=6)
        scanned_at = DateTimeField()
        result = CharField(max_length=20)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'scan_receipt'
    db.create_tables([ScanReceipt])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('scan_receipt'))
