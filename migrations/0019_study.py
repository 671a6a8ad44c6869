"""Party study: material, its questions, who is to study it and how far they got; a ledger
entry kind for political study and a target for it (frozen; never import webapp).

Widening a CHECK changes no stored row. On PostgreSQL the constraint is dropped and added
again; on SQLite the table's stored definition is rewritten in place, the procedure SQLite
documents for changes that leave the file's content as it is (ALTER TABLE, "Making Other
Kinds Of Table Schema Changes"), followed by an integrity check.
"""
from peewee import (
    Check, CharField, DateField, DateTimeField, DecimalField, ForeignKeyField, IntegerField,
    Model, TextField,
)

ENTRY_OLD = ("kind IN ('education', 'public_service', 'legal_aid', 'party_activity', "
             "'training_credit')")
ENTRY_NEW = ("kind IN ('education', 'public_service', 'legal_aid', 'party_activity', "
             "'training_credit', 'political_study')")
TARGET_OLD = ("metric IN ('education_hours', 'public_service_hours', 'legal_aid_cases', "
              "'county_trainings', 'info_reports', 'typical_cases', 'theme_days', "
              "'practitioners_per_10k', 'average_age')")
TARGET_NEW = ("metric IN ('education_hours', 'public_service_hours', 'legal_aid_cases', "
              "'county_trainings', 'info_reports', 'typical_cases', 'theme_days', "
              "'practitioners_per_10k', 'average_age', 'political_study_hours')")
CHECKS = (("entry", "kind", ENTRY_OLD, ENTRY_NEW), ("target", "metric", TARGET_OLD, TARGET_NEW))


def _frozen(db):
    class Region(Model):
        class Meta:
            database = db
            table_name = 'region'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Branch(Model):
        class Meta:
            database = db
            table_name = 'branch'

    class BranchActivity(Model):
        class Meta:
            database = db
            table_name = 'branch_activity'

    class StudyMaterial(Model):
        county = ForeignKeyField(Region, on_delete='RESTRICT')
        branch = ForeignKeyField(Branch, null=True, on_delete='RESTRICT')
        activity = ForeignKeyField(BranchActivity, null=True, on_delete='SET NULL')
        title = CharField(max_length=200)
        body = TextField(default='')
        body_html = TextField(default='')
        link = CharField(max_length=500, default='')
        stored_name = CharField(max_length=80, default='')
        original_name = CharField(max_length=200, default='')
        content_type = CharField(max_length=40, default='')
        size = IntegerField(default=0)
        due_on = DateField(null=True)
        hours = DecimalField(max_digits=4, decimal_places=2, constraints=[
            Check("hours > 0 AND hours <= 8")])
        min_seconds = IntegerField(constraints=[
            Check("min_seconds >= 0 AND min_seconds <= 3600")])
        status = CharField(max_length=10, default='published', constraints=[
            Check("status IN ('published', 'withdrawn')")])
        idempotency_key = CharField(max_length=64, null=True, unique=True)
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'study_material'
            indexes = ((('county', 'created_at'), False),)

    class StudyQuestion(Model):
        material = ForeignKeyField(StudyMaterial, on_delete='CASCADE')
        position = IntegerField()
        text = CharField(max_length=300)
        choices = TextField()
        answer = IntegerField()

        class Meta:
            database = db
            table_name = 'study_question'
            indexes = ((('material', 'position'), True),)

    class StudyAssignment(Model):
        material = ForeignKeyField(StudyMaterial, on_delete='CASCADE')
        user = ForeignKeyField(User, on_delete='CASCADE')
        opened_at = DateTimeField(null=True)
        completed_at = DateTimeField(null=True)
        answers = TextField(default='')
        score = IntegerField(null=True)
        reminded_at = DateTimeField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'study_assignment'
            indexes = ((('material', 'user'), True), (('user', 'completed_at'), False))

    return (StudyMaterial, StudyQuestion, StudyAssignment)


def _is_postgres(db):
    return db.__class__.__name__.startswith("Postgres")


def _swap_check(db, table, column, old, new):
    if _is_postgres(db):
        names = [row[0] for row in db.execute_sql(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'c' "
            "AND pg_get_constraintdef(oid) LIKE %s", (f'"{table}"', f"%{column}%")).fetchall()]
        for name in names:
            db.execute_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        db.execute_sql(f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_{column}_check" '
                       f"CHECK ({new})")
        return
    sql = db.execute_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                         (table,)).fetchone()[0]
    if new in sql:
        return
    if sql.count(old) != 1:
        raise RuntimeError(f"{table}: the CHECK on {column} is not the one expected")
    version = db.execute_sql("PRAGMA schema_version").fetchone()[0]
    db.execute_sql("PRAGMA writable_schema = ON")
    try:
        db.execute_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
                       (sql.replace(old, new), table))
        db.execute_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        db.execute_sql("PRAGMA writable_schema = OFF")
    problems = db.execute_sql("PRAGMA integrity_check").fetchall()
    if problems != [("ok",)]:
        raise RuntimeError(f"{table}: integrity check after the CHECK change: {problems}")


def up(migrator, db):
    for table, column, old, new in CHECKS:
        _swap_check(db, table, column, old, new)
    db.create_tables(list(_frozen(db)))


def down(migrator, db):
    # What was recorded as political study goes with it, so the narrower checks hold.
    db.execute_sql("DELETE FROM \"entry\" WHERE kind = 'political_study'")
    db.execute_sql("DELETE FROM \"target\" WHERE metric = 'political_study_hours'")
    db.drop_tables(list(reversed(_frozen(db))))
    for table, column, old, new in CHECKS:
        _swap_check(db, table, column, new, old)
