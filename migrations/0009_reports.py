"""Firm monthly reports (信息 and 典型案例) and whom each credits (frozen; never import webapp)."""
from peewee import Check, CharField, DateField, DateTimeField, ForeignKeyField, Model, TextField


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
        firm = ForeignKeyField(Firm, on_delete='RESTRICT')
        author = ForeignKeyField(User, on_delete='RESTRICT')
        kind = CharField(max_length=10, constraints=[Check("kind IN ('info', 'case')")])
        month = DateField()
        title = CharField(max_length=120)
        body = TextField(default='')
        facts = TextField(default='')
        handling = TextField(default='')
        result = TextField(default='')
        lesson = TextField(default='')
        status = CharField(max_length=12, constraints=[Check(
            "status IN ('submitted', 'returned', 'accepted')")])
        return_reason = TextField(default='')
        reviewed_by = ForeignKeyField(User, null=True, on_delete='SET NULL',
                                      backref='reviewed_reports')
        reviewed_at = DateTimeField(null=True)
        submitted_at = DateTimeField()
        created_at = DateTimeField()
        updated_at = DateTimeField()
        idempotency_key = CharField(max_length=64, null=True, unique=True)

        class Meta:
            database = db
            table_name = 'firm_report'
            indexes = ((('firm', 'month'), False), (('status', 'submitted_at'), False))

    class FirmReportCredit(Model):
        report = ForeignKeyField(FirmReport, on_delete='CASCADE')
        user = ForeignKeyField(User, on_delete='CASCADE')

        class Meta:
            database = db
            table_name = 'firm_report_credit'
            indexes = ((('report', 'user'), True),)

    return FirmReport, FirmReportCredit


def up(migrator, db):
    db.create_tables(list(_frozen(db)))


def down(migrator, db):
    db.drop_tables(list(reversed(_frozen(db))))
