#!/bin/sh
# Relata's backups (docs/deploy.md, section 9; restore steps in docs/operations.md).
#
#   deploy/backup.sh dump DATABASE_URL   # nightly: pg_dump -Fc and export_kb (a replica will do)
#   deploy/backup.sh base CONNINFO       # weekly: a base backup, for WAL point-in-time recovery
#
# Run from the checkout as a user that can read the database (dump) or a REPLICATION role
# (base). Files go to $BACKUP_DIR (default /var/backups/relata); keep a copy off the machine.
# WAL segments are archived continuously by archive_command (deploy/postgresql.conf).
set -eu
BACKUP_DIR=${BACKUP_DIR:-/var/backups/relata}
DAY=$(date +%F)
[ $# -eq 2 ] || { sed -n '2,10p' "$0"; exit 2; }
mkdir -p "$BACKUP_DIR"
case $1 in
dump)
    # The whole database: history, users, change log, tasks. pg_restore into a new database.
    pg_dump -Fc -d "$2" -f "$BACKUP_DIR/relata-$DAY.dump.part"
    mv "$BACKUP_DIR/relata-$DAY.dump.part" "$BACKUP_DIR/relata-$DAY.dump"
    # The knowledge base as a portable fixture: import_kb loads it into any install.
    DATABASE_URL=$2 .venv/bin/python manage.py export_kb --include-drafts --no-progress \
        -o "$BACKUP_DIR/relata-$DAY.json.part"
    mv "$BACKUP_DIR/relata-$DAY.json.part" "$BACKUP_DIR/relata-$DAY.json"
    ;;
base)
    # Tar, compressed, with the WAL needed to make it consistent; archived WAL goes further.
    pg_basebackup -d "$2" -D "$BACKUP_DIR/base-$DAY" -Ft -z -X stream -c fast
    ;;
*) sed -n '2,10p' "$0"; exit 2 ;;
esac
ls -l "$BACKUP_DIR" | tail -n 4
