"""The SQL of the append-only triggers (installed by migration 0002).

TRUNCATE is not covered: it skips row triggers, needs the table owner's privilege (the
application's database role should not own its tables in production), and test teardown
(``flush``) uses it on PostgreSQL.
"""

from contextlib import contextmanager

from django.db import connection

MESSAGE = "the audit log is append-only"

FORWARD = {
    "sqlite": [
        f"CREATE TRIGGER audit_auditevent_no_{event.lower()} BEFORE {event} ON audit_auditevent "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
        for event in ("UPDATE", "DELETE")
    ],
    "postgresql": [
        f"""CREATE FUNCTION audit_auditevent_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;""",
        """CREATE TRIGGER audit_auditevent_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
  FOR EACH ROW EXECUTE FUNCTION audit_auditevent_append_only();""",
    ],
}
BACKWARD = {
    "sqlite": [f"DROP TRIGGER IF EXISTS audit_auditevent_no_{event};" for event in ("update", "delete")],
    "postgresql": ["DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;",
                   "DROP FUNCTION IF EXISTS audit_auditevent_append_only();"],
}


def run(statements_by_vendor, schema_editor_or_cursor) -> None:
    vendor = connection.vendor
    if vendor not in statements_by_vendor:
        raise RuntimeError(f"no audit-log triggers for {vendor}")
    for statement in statements_by_vendor[vendor]:
        schema_editor_or_cursor.execute(statement)


@contextmanager
def triggers_suspended():
    """Drop the triggers for the block and put them back after: only for emptying a test
    database between transactional tests, never in application code."""
    with connection.cursor() as cursor:
        run(BACKWARD, cursor)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            run(FORWARD, cursor)
