"""Triggers that make the audit log append-only: the database itself refuses UPDATE and DELETE
of an event, on SQLite and PostgreSQL (as ratings 0002 does for item scores)."""

from django.db import migrations

from audit.triggers import BACKWARD, FORWARD, run


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(lambda apps, editor: run(FORWARD, editor), lambda apps, editor: run(BACKWARD, editor)),
    ]
