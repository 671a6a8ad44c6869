"""Attendance: the distance from the venue of a scan flagged 'far' (frozen; never import webapp).

Only the distance, rounded to 10 m, is kept, and only with the flag; no position is stored.
"""
from peewee import Check, IntegerField


def up(migrator, db):
    field = IntegerField(null=True, constraints=[Check("distance_m IS NULL OR distance_m >= 0")])
    migrator.migrate(migrator.add_column("attendance", "distance_m", field))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("attendance", "distance_m"))
