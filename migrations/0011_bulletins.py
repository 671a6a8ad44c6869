"""The county's monthly bulletin (月通报): remarks and, once issued, a snapshot (frozen; never import webapp)."""
from peewee import Check, CharField, DateField, DateTimeField, ForeignKeyField, Model, TextField


def _frozen(db):
    class Region(Model):
        class Meta:
            database = db
            table_name = 'region'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Bulletin(Model):
        county = ForeignKeyField(Region, on_delete='RESTRICT')
        month = DateField()
        remarks = TextField(default='')
        status = CharField(max_length=10, constraints=[Check("status IN ('draft', 'issued')")])
        data = TextField(default='')
        issued_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        issued_at = DateTimeField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'bulletin'
            indexes = ((('county', 'month'), True),)

    return (Bulletin,)


def up(migrator, db):
    db.create_tables(list(_frozen(db)))


def down(migrator, db):
    db.drop_tables(list(reversed(_frozen(db))))
