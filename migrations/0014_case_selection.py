"""Typical cases recommended for the city's ten best (十佳), and the city's choice (frozen; never import webapp)."""
from peewee import DateTimeField, ForeignKeyField, IntegerField, Model


def _frozen(db):
    class Region(Model):
        class Meta:
            database = db
            table_name = 'region'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class FirmReport(Model):
        class Meta:
            database = db
            table_name = 'firm_report'

    class CaseSelection(Model):
        report = ForeignKeyField(FirmReport, unique=True, on_delete='CASCADE')
        county = ForeignKeyField(Region, on_delete='RESTRICT', backref='county_selections')
        city = ForeignKeyField(Region, on_delete='RESTRICT', backref='city_selections')
        year = IntegerField()
        recommended_by = ForeignKeyField(User, on_delete='RESTRICT',
                                         backref='recommended_cases')
        recommended_at = DateTimeField()
        chosen_by = ForeignKeyField(User, null=True, on_delete='SET NULL', backref='chosen_cases')
        chosen_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'case_selection'
            indexes = ((('city', 'year'), False), (('county', 'year'), False))

    return (CaseSelection,)


def up(migrator, db):
    db.create_tables(list(_frozen(db)))


def down(migrator, db):
    db.drop_tables(list(reversed(_frozen(db))))
