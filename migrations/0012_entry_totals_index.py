"""Entry: the per-person yearly totals read from one index (frozen; never import webapp).

Every progress figure sums a person's entries of one year by kind and status. The index on
(user_id, date) let PostgreSQL prefer the plain user_id index and filter five years of rows
by date; an index on (user_id, date, kind, status, source, hours, count) holds every column
the totals read, so both engines answer them from the index alone, one year's range only.
"""
COLUMNS = ("user_id", "date", "kind", "status", "source", "hours", "count")


def up(migrator, db):
    migrator.migrate(migrator.add_index("entry", COLUMNS, False))
    migrator.migrate(migrator.drop_index("entry", "entry_user_id_date"))


def down(migrator, db):
    migrator.migrate(migrator.add_index("entry", ("user_id", "date"), False))
    migrator.migrate(migrator.drop_index("entry", "entry_" + "_".join(COLUMNS)))
