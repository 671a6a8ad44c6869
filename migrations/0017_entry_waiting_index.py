"""Entry: the entries waiting for review, read from one index (frozen; never import webapp).

The review queue reads pending entries oldest first (status, created_at); the reminder run
also counts each author's entries waiting for more than 7 days, by year. An index on
(status, created_at, source, user_id, date) keeps the queue's order and holds every column the
count reads, so a province's count comes from the index alone.
"""
COLUMNS = ("status", "created_at", "source", "user_id", "date")


def up(migrator, db):
    migrator.migrate(migrator.add_index("entry", COLUMNS, False))
    migrator.migrate(migrator.drop_index("entry", "entry_status_created_at"))


def down(migrator, db):
    migrator.migrate(migrator.add_index("entry", ("status", "created_at"), False))
    migrator.migrate(migrator.drop_index("entry", "entry_" + "_".join(COLUMNS)))
