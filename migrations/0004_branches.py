"""Branches: a person is a current member of one party branch at most.

A partial unique index (both SQLite and PostgreSQL have them): rows of members who left
(left_on set) stay as history and do not count.
"""


def up(migrator, db):
    db.execute_sql('CREATE UNIQUE INDEX "branch_member_one_current" ON "branch_member" '
                   '("user_id") WHERE "left_on" IS NULL')


def down(migrator, db):
    db.execute_sql('DROP INDEX IF EXISTS "branch_member_one_current"')
