#!/bin/sh
# Restore a backup made by deploy/backup.sh into the EMPTY database DATABASE_URL names:
#   createdb anchor_restored && DATABASE_URL=postgres://anchor@db/anchor_restored deploy/restore.sh FILE
# Stop the web and the workers first; afterwards re-enqueue the jobs it lists as unfinished.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 BACKUP_FILE" >&2; exit 2; }
file=$(realpath "$1")
cd "$(dirname "$0")/.."
PY=.venv/bin/python
[ -x "$PY" ] || PY=python
exec "$PY" -m config.backup restore "$file"
