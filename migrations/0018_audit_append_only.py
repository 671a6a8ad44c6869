"""AuditEvent: the audit trail is append-only (frozen; never import webapp).

The database itself refuses to change or remove an audit row, whatever code asks: on SQLite
two triggers abort an UPDATE or DELETE on "audit_event"; on PostgreSQL one plpgsql function
raises for an UPDATE or DELETE of any row, and for a TRUNCATE of the table.
"""
MESSAGE = "audit events are append-only"
SQLITE_TRIGGERS = ("audit_event_no_update", "audit_event_no_delete")


def _is_postgres(db):
    return db.__class__.__name__.startswith("Postgres")


def up(migrator, db):
    if _is_postgres(db):
        db.execute_sql(
            "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            f"RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege'; "
            "END $$")
        db.execute_sql(
            'CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON "audit_event" '
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()")
        db.execute_sql(
            'CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON "audit_event" '
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()")
        return
    for name, event in zip(SQLITE_TRIGGERS, ("UPDATE", "DELETE")):
        db.execute_sql(f'CREATE TRIGGER "{name}" BEFORE {event} ON "audit_event" '
                       f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")


def down(migrator, db):
    if _is_postgres(db):
        db.execute_sql('DROP TRIGGER IF EXISTS audit_event_no_truncate ON "audit_event"')
        db.execute_sql('DROP TRIGGER IF EXISTS audit_event_no_change ON "audit_event"')
        db.execute_sql("DROP FUNCTION IF EXISTS audit_event_append_only()")
        return
    for name in SQLITE_TRIGGERS:
        db.execute_sql(f'DROP TRIGGER IF EXISTS "{name}"')
