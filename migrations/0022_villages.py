"""Villages and communities with their legal adviser, and the village a ledger entry of
adviser duty attaches to (frozen; never import webapp).

The entry's new column is nullable and has no default, so adding it rewrites no row on
either engine.
"""
from peewee import BooleanField, Check, CharField, DateTimeField, ForeignKeyField, Model


def _frozen(db):
    class Region(Model):
        class Meta:
            database = db
            table_name = 'region'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Village(Model):
        county = ForeignKeyField(Region, on_delete='RESTRICT')
        township = CharField(max_length=60, default='')
        name = CharField(max_length=60)
        kind = CharField(max_length=10, default='village', constraints=[
            Check("kind IN ('village', 'community')")])
        adviser = ForeignKeyField(User, null=True, on_delete='SET NULL')
        active = BooleanField(default=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'village'
            indexes = ((('county', 'township', 'name'), True),)

    return Village


def up(migrator, db):
    village = _frozen(db)
    db.create_tables([village])
    field = ForeignKeyField(village, null=True, on_delete='SET NULL', field=village.id)
    migrator.migrate(migrator.add_column('entry', 'village_id', field))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('entry', 'village_id'))
    db.drop_tables([_frozen(db)])
