"""Ledger: an index for a person's entries by date ("My year", newest first)."""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_index('entry', ('user_id', 'date'), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('entry', 'entry_user_id_date'))
