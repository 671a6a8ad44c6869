"""A firm report's attached photos and PDFs, and the practitioner a director names as the firm's
reporter (frozen; never import webapp)."""
from peewee import Check, CharField, DateTimeField, ForeignKeyField, IntegerField, Model


def _frozen(db):
    class Firm(Model):
        class Meta:
            database = db
            table_name = 'firm'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class FirmReport(Model):
        class Meta:
            database = db
            table_name = 'firm_report'

    class FirmReportAttachment(Model):
        report = ForeignKeyField(FirmReport, on_delete='CASCADE', backref='attachments')
        stored_name = CharField(max_length=80, unique=True)
        original_name = CharField(max_length=200, default='')
        content_type = CharField(max_length=40)
        size = IntegerField(constraints=[Check('size > 0')])
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'firm_report_attachment'

    class FirmReporter(Model):
        firm = ForeignKeyField(Firm, unique=True, on_delete='CASCADE', backref='reporter')
        user = ForeignKeyField(User, on_delete='CASCADE', backref='reporter_of')
        named_by = ForeignKeyField(User, null=True, on_delete='SET NULL',
                                   backref='reporters_named')
        named_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'firm_reporter'

    return (FirmReportAttachment, FirmReporter)


def up(migrator, db):
    db.create_tables(list(_frozen(db)))


def down(migrator, db):
    db.drop_tables(list(reversed(_frozen(db))))
