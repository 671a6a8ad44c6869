"""Attendance: an index on (training, device) for the shared-device check (frozen; never import webapp).

Every check-in from a phone asks whether another person already checked in to the training from
the same device; without this index that reads every attendance row of the training.
"""


def up(migrator, db):
    migrator.migrate(migrator.add_index("attendance", ("training_id", "device"), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("attendance", "attendance_training_id_device"))
