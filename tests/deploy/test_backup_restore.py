"""deploy/backup.sh and deploy/restore.sh: a restore into an empty database finds every rating."""

import sqlite3
import subprocess

import pytest

from .stack import REPO, admin_execute, base_env, database_url, fresh_database, manage, query

pytestmark = pytest.mark.slow

RATINGS = ("SELECT t.external_id, ra.name, v.content_hash, v.version, i.code, s.score, r.status, r.source "
           "FROM ratings_itemscore s JOIN ratings_rating r ON r.id = s.rating_id "
           "JOIN ratings_target t ON t.id = r.target_id JOIN ratings_rater ra ON ra.id = r.rater_id "
           "JOIN instruments_instrumentversion v ON v.id = r.instrument_version_id "
           "JOIN instruments_item i ON i.id = s.item_id ORDER BY 1, 2, 3, 4, 5")


def script(name: str, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(REPO / "deploy" / name), *args], env=env, capture_output=True, text=True,
                          timeout=300)


def test_postgres_backup_restores_every_rating_into_an_empty_database(pg_template, tmp_path):
    with fresh_database(pg_template) as source_url:
        env = base_env(tmp_path / "var", DATABASE_URL=source_url)
        manage(env, "setup_demo")
        before = query(source_url, RATINGS)
        assert len(before) > 100
        made = script("backup.sh", env, str(tmp_path / "backups"))
        assert made.returncode == 0, made.stderr
        backup = made.stdout.strip()
        assert backup.endswith(".pgdump")

        admin_execute('CREATE DATABASE "anchor_restored_test"')
        try:
            restored_url = database_url("anchor_restored_test")
            restore_env = env | {"DATABASE_URL": restored_url}
            done = script("restore.sh", restore_env, backup)
            assert done.returncode == 0, done.stderr
            assert query(restored_url, RATINGS) == before
            # The restored database is Anchor's: nothing left to migrate, and a second restore
            # into it is refused rather than mixed in.
            assert "No migrations to apply" in manage(restore_env, "migrate", "--noinput")
            again = script("restore.sh", restore_env, backup)
            assert again.returncode == 1 and "already has tables" in again.stderr
            assert query(restored_url, "SELECT count(*) FROM ratings_itemscore") == [(len(before),)]
        finally:
            admin_execute('DROP DATABASE IF EXISTS "anchor_restored_test" WITH (FORCE)')


def test_sqlite_backup_restores_every_rating_into_a_new_file(tmp_path):
    env = base_env(tmp_path / "var")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "setup_demo")
    with sqlite3.connect(tmp_path / "var" / "anchor.sqlite3") as db:
        before = db.execute(RATINGS).fetchall()
    made = script("backup.sh", env, str(tmp_path / "backups"))
    assert made.returncode == 0, made.stderr
    restored = tmp_path / "restored.sqlite3"
    done = script("restore.sh", env | {"DATABASE_URL": f"sqlite:///{restored}"}, made.stdout.strip())
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(restored) as db:
        assert db.execute(RATINGS).fetchall() == before
    assert len(before) > 100


def test_a_backup_of_the_other_kind_is_refused(pg_template, tmp_path):
    env = base_env(tmp_path / "var")
    sqlite_backup = tmp_path / "anchor-20260101T000000Z.sqlite3"
    with sqlite3.connect(sqlite_backup) as db:
        db.execute("CREATE TABLE ratings_rating (id integer)")
    admin_execute('CREATE DATABASE "anchor_restored_kind"')
    try:
        done = script("restore.sh", env | {"DATABASE_URL": database_url("anchor_restored_kind")}, str(sqlite_backup))
        assert done.returncode == 1 and "is not a PostgreSQL backup" in done.stderr
    finally:
        admin_execute('DROP DATABASE IF EXISTS "anchor_restored_kind" WITH (FORCE)')
