"""Satisfaction ratings by the people served: one row per used code, nothing about the rater
(frozen; never import webapp)."""
from peewee import (
    Check, CharField, DateTimeField, ForeignKeyField, Model, SmallIntegerField, TextField,
)


def _frozen(db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Firm(Model):
        class Meta:
            database = db
            table_name = 'firm'

    class Entry(Model):
        class Meta:
            database = db
            table_name = 'entry'

    class Rating(Model):
        key = CharField(max_length=32, unique=True)
        entry = ForeignKeyField(Entry, null=True, on_delete='SET NULL')
        practitioner = ForeignKeyField(User, on_delete='RESTRICT')
        firm = ForeignKeyField(Firm, on_delete='RESTRICT')
        score = SmallIntegerField(constraints=[Check("score >= 1 AND score <= 5")])
        useful = CharField(max_length=6, constraints=[
            Check("useful IN ('yes', 'partly', 'no')")])
        comment = TextField(default='')
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'rating'
            indexes = ((('practitioner', 'created_at'), False),
                       (('firm', 'created_at'), False))

    return (Rating,)


def up(migrator, db):
    db.create_tables(list(_frozen(db)))


def down(migrator, db):
    db.drop_tables(list(reversed(_frozen(db))))
