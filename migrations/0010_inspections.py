"""Quarterly inspections (季督查) of firms and the items to fix by a date (frozen; never import webapp)."""
from peewee import CharField, DateField, DateTimeField, ForeignKeyField, Model, TextField


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

    class Inspection(Model):
        firm = ForeignKeyField(Firm, on_delete='RESTRICT')
        county = ForeignKeyField(Region, on_delete='RESTRICT')
        held_on = DateField()
        inspectors = CharField(max_length=200)
        findings = TextField()
        created_by = ForeignKeyField(User, on_delete='RESTRICT')
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'inspection'
            indexes = ((('firm', 'held_on'), False),)

    class InspectionItem(Model):
        inspection = ForeignKeyField(Inspection, on_delete='CASCADE')
        text = CharField(max_length=500)
        due_on = DateField()
        closed_on = DateField(null=True)
        closed_by = ForeignKeyField(User, null=True, on_delete='SET NULL',
                                    backref='closed_inspection_items')
        close_note = CharField(max_length=500, default='')

        class Meta:
            database = db
            table_name = 'inspection_item'
            indexes = ((('inspection', 'closed_on'), False),)

    return Inspection, InspectionItem


def up(migrator, db):
    db.create_tables(list(_frozen(db)))


def down(migrator, db):
    db.drop_tables(list(reversed(_frozen(db))))
