#!/bin/sh
# Back up Anchor's database (the one DATABASE_URL names) into DIR, default /var/backups/anchor.
# Run from anywhere with the deployment's environment, e.g. by systemd/anchor-backup.timer.
# PostgreSQL: pg_dump custom format; SQLite: the online backup API. See config/backup.py.
set -eu
cd "$(dirname "$0")/.."
PY=.venv/bin/python
[ -x "$PY" ] || PY=python
exec "$PY" -m config.backup create "${1:-/var/backups/anchor}"
