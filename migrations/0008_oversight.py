"""Oversight: average age as a target, a person's education and end date, a county's yearly
figures (residents, lawyers) and the annual assessment (frozen; never import webapp).

The target table's metric CHECK grows by one name: PostgreSQL swaps the constraint, SQLite
(which cannot alter a CHECK) copies the table under its new definition.
"""
from peewee import (
    Check, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField,
)

OLD_METRICS = ("'education_hours', 'public_service_hours', 'legal_aid_cases', "
               "'county_trainings', 'info_reports', 'typical_cases', 'theme_days', "
               "'practitioners_per_10k'")
NEW_METRICS = OLD_METRICS + ", 'average_age'"
EDUCATION_CHECK = "education IN ('', 'secondary', 'college', 'bachelor', 'master', 'doctor')"


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

    class RegionYear(Model):
        region = ForeignKeyField(Region, on_delete='CASCADE')
        year = IntegerField()
        population = IntegerField(null=True, constraints=[
            Check('population IS NULL OR population >= 0')])
        lawyers = IntegerField(null=True, constraints=[Check('lawyers IS NULL OR lawyers >= 0')])
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'region_year'
            indexes = ((('region', 'year'), True),)

    class Assessment(Model):
        year = IntegerField()
        county = ForeignKeyField(Region, on_delete='CASCADE')
        user = ForeignKeyField(User, null=True, on_delete='CASCADE')
        firm = ForeignKeyField(Firm, null=True, on_delete='CASCADE')
        result = CharField(max_length=20, constraints=[Check(
            "result IN ('competent', 'incompetent', 'qualified', 'unqualified')")])
        comment = TextField(default='')
        rectify_by = DateField(null=True)
        rectified_at = DateTimeField(null=True)
        rectify_note = TextField(default='')
        decided_by = ForeignKeyField(User, null=True, on_delete='SET NULL',
                                     backref='decided_assessments')
        decided_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'assessment'
            constraints = [Check('(user_id IS NULL) <> (firm_id IS NULL)')]

    return RegionYear, Assessment


def _swap_metric_check(db, old, new):
    if db.__class__.__name__.startswith('Postgres'):
        name = db.execute_sql(
            "SELECT conname FROM pg_constraint WHERE contype = 'c' "
            "AND conrelid = '\"target\"'::regclass AND pg_get_constraintdef(oid) LIKE '%%metric%%'"
        ).fetchone()[0]
        db.execute_sql(f'ALTER TABLE "target" DROP CONSTRAINT "{name}"')
        db.execute_sql(f'ALTER TABLE "target" ADD CHECK (metric IN ({new}))')
        return
    sql = db.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'target'").fetchone()[0]
    indexes = [row[0] for row in db.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'target' "
        "AND sql IS NOT NULL").fetchall()]
    assert old in sql, "the target table's metric check is not the one this migration knows"
    rebuilt = sql.replace(old, new).replace('"target"', '"target__new"', 1)
    db.execute_sql(rebuilt)
    db.execute_sql('INSERT INTO "target__new" SELECT * FROM "target"')
    db.execute_sql('DROP TABLE "target"')
    db.execute_sql('ALTER TABLE "target__new" RENAME TO "target"')
    for index in indexes:
        db.execute_sql(index)


def up(migrator, db):
    _swap_metric_check(db, OLD_METRICS, NEW_METRICS)
    db.execute_sql('ALTER TABLE "user" ADD COLUMN "deactivated_on" DATE')
    db.execute_sql('ALTER TABLE "user" ADD COLUMN "education" VARCHAR(20) NOT NULL DEFAULT \'\' '
                   f'CHECK ({EDUCATION_CHECK})')
    region_year, assessment = _frozen(db)
    db.create_tables([region_year, assessment])
    db.execute_sql('CREATE UNIQUE INDEX "assessment_subject_unique" ON "assessment" '
                   '("year", COALESCE("user_id", 0), COALESCE("firm_id", 0))')


def down(migrator, db):
    region_year, assessment = _frozen(db)
    db.drop_tables([assessment, region_year])
    migrator.migrate(migrator.drop_column('user', 'education'),
                     migrator.drop_column('user', 'deactivated_on'))
    db.execute_sql("DELETE FROM \"target\" WHERE metric = 'average_age'")
    _swap_metric_check(db, NEW_METRICS, OLD_METRICS)
