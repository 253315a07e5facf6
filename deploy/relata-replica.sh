#!/bin/sh
# Add a streaming replica of Relata's primary as a new Debian/Ubuntu cluster on this machine.
#
#   deploy/relata-replica.sh NAME PORT 'host=PRIMARY port=5432 user=relata_replication'
#
# Run as root on the replica's host (PostgreSQL of the primary's major version installed).
# It creates the cluster NAME (pg_createcluster: config in /etc/postgresql/$PGVERSION/NAME),
# puts deploy/postgresql.conf in its conf.d, replaces its data directory by a base backup of
# the primary taken with pg_basebackup -R (standby.signal and primary_conninfo written for
# us) over a new replication slot named after NAME, and starts it. RELATA_PG_CONF: another
# settings file, or empty for none; RELATA_PG_HBA: a pg_hba.conf for it (else the
# distribution's: passwords over TCP). The primary needs a REPLICATION role and a pg_hba.conf
# "replication" line for this host (deploy/pg_hba.conf); a password goes in ~postgres/.pgpass,
# not here. Then point DATABASE_REPLICA_URL at it.
set -eu
[ $# -eq 3 ] || { sed -n '2,17p' "$0"; exit 2; }
NAME=$1 PORT=$2 PRIMARY=$3
VERSION=${PGVERSION:-15}
HERE=$(cd "$(dirname "$0")" && pwd)
SLOT=$(echo "$NAME" | tr -c 'a-z0-9_\n' '_')
DATA=/var/lib/postgresql/$VERSION/$NAME

if pg_lsclusters -h | awk '{print $1"/"$2}' | grep -qx "$VERSION/$NAME"; then
    echo "cluster $VERSION/$NAME exists already: drop it first (pg_dropcluster --stop)" >&2
    exit 1
fi
pg_createcluster "$VERSION" "$NAME" -p "$PORT"
CONF=${RELATA_PG_CONF-$HERE/postgresql.conf}  # RELATA_PG_CONF= (empty): none
[ -z "$CONF" ] || cp "$CONF" "/etc/postgresql/$VERSION/$NAME/conf.d/relata.conf"
[ -z "${RELATA_PG_HBA:-}" ] || cp "$RELATA_PG_HBA" "/etc/postgresql/$VERSION/$NAME/pg_hba.conf"
# The new cluster's own files go; the primary's come instead (its config stays in /etc).
find "$DATA" -mindepth 1 -delete
# -X stream: the WAL written during the copy comes with it; -C -S: a slot, so the primary
# keeps WAL until this replica has it; -c fast: checkpoint now rather than within 15 min.
su postgres -c "pg_basebackup -d '$PRIMARY' -D '$DATA' -R -X stream -C -S '$SLOT' -c fast"
pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$NAME" start
echo "replica $VERSION/$NAME on port $PORT, slot $SLOT: in recovery =" \
    "$(su postgres -c "psql -p $PORT -Atc 'SELECT pg_is_in_recovery()'")"
