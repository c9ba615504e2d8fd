"""Back up and restore Anchor's database (deploy/backup.sh and deploy/restore.sh call this).

    python -m config.backup create DIR     # writes DIR/anchor-<UTC time>.pgdump or .sqlite3
    python -m config.backup restore FILE   # into the empty database DATABASE_URL names

The database is the one the settings name (``DATABASE_URL``). PostgreSQL is dumped with
``pg_dump --format=custom`` (one consistent snapshot while Anchor keeps running) and restored
with ``pg_restore`` in a single transaction; the embedded SQLite database is copied with SQLite's
online backup API, consistent while the web and the workers write. A restore refuses a database
that already has tables, so it never mixes two states.

The broker holds nothing the database does not: a queued task is (job, target), and a job's
missing results are re-enqueued with ``manage.py score STUDY --resume JOB``. After a restore,
the jobs left queued or running are printed with that command.
"""

import argparse
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import django
from django.conf import settings

PG_MAGIC, SQLITE_MAGIC = b"PGDMP", b"SQLite format 3\x00"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


def _database() -> dict:
    return settings.DATABASES["default"]


def _is_postgres(db: dict) -> bool:
    return db["ENGINE"].endswith("postgresql")


def _pg_args(db: dict) -> tuple[list[str], dict]:
    """libpq connection options for pg_dump/pg_restore; the password goes in the environment."""
    args = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        args += ["--host", db["HOST"]]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    env = dict(os.environ, PGPASSWORD=db["PASSWORD"]) if db.get("PASSWORD") else dict(os.environ)
    return args, env


def _run(command: list[str], env: dict) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")


def backup_create(directory: Path) -> Path:
    """Write a backup of the database into ``directory`` and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    db = _database()
    if _is_postgres(db):
        path = directory / f"anchor-{stamp}.pgdump"
        args, env = _pg_args(db)
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(path), *args], env)
        return path
    path = directory / f"anchor-{stamp}.sqlite3"
    with sqlite3.connect(db["NAME"]) as source, sqlite3.connect(path) as target:
        source.backup(target)
    return path


def _has_tables() -> bool:
    from django.db import connection

    return bool(connection.introspection.table_names())


def backup_restore(path: Path) -> None:
    """Restore ``path`` into the database of the settings, which must have no tables."""
    magic = path.read_bytes()[:16]
    db = _database()
    if _is_postgres(db) != magic.startswith(PG_MAGIC) or not (magic.startswith(PG_MAGIC) or magic == SQLITE_MAGIC):
        kind = "PostgreSQL" if _is_postgres(db) else "SQLite"
        raise BackupError(f"{path} is not a {kind} backup made by `python -m config.backup create`")
    if _has_tables():
        raise BackupError(f"the database {db['NAME']} already has tables: restore into an empty one "
                          "(PostgreSQL: createdb NAME; SQLite: a path that does not exist)")
    if _is_postgres(db):
        args, env = _pg_args(db)
        _run(["pg_restore", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
              str(path), *args], env)
        return
    from django.db import connection

    connection.close()
    with sqlite3.connect(path) as source, sqlite3.connect(db["NAME"]) as target:
        source.backup(target)


def unfinished_jobs() -> list[str]:
    """The command that re-enqueues each job left queued or running."""
    from ratings.models import ScoringJob

    jobs = ScoringJob.objects.filter(status__in=[ScoringJob.Status.QUEUED, ScoringJob.Status.RUNNING])
    return [f"python manage.py score {job.study.slug} --resume {job.pk}" for job in jobs.select_related("study")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Back up or restore Anchor's database.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("create", help="write a backup into DIR").add_argument("directory", type=Path)
    commands.add_parser("restore", help="restore FILE into an empty database").add_argument("file", type=Path)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    try:
        if args.command == "create":
            print(backup_create(args.directory))
            return 0
        backup_restore(args.file)
    except (BackupError, OSError, sqlite3.Error) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"restored {args.file} into {_database()['NAME']}")
    for command in unfinished_jobs():
        print(f"unfinished job; re-enqueue its missing targets with: {command}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
