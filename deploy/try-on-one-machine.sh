#!/bin/bash
# docs/deploy.md followed on one machine: a PostgreSQL primary and a streaming replica, two
# gunicorn servers, the task worker and nginx in front, then requests through nginx checked.
#
#   deploy/try-on-one-machine.sh [start]   # build what is missing, start everything, check
#   deploy/try-on-one-machine.sh check     # the checks again, everything running
#   deploy/try-on-one-machine.sh stop      # stop it all, keep it (start again: start)
#   deploy/try-on-one-machine.sh clean     # stop, drop both clusters, remove the files
#
# Run as root from the checkout (.venv installed), Redis on 127.0.0.1:6379 and nginx installed
# (apt-get install -y nginx-light; its system service is not needed). Environment:
#   EVENTS       events generate_kb makes in a new database (default 20000; 1000000 for the
#                load benchmark). A database already there is kept: `clean` first to change.
#   REDIS_URL    the shared cache (default redis://127.0.0.1:6379/7, flushed with a new database)
#   NGINX_CACHE  on (default) or off: off measures the app servers rather than nginx's cache.
# Everything listens on 127.0.0.1 only: primary 5441, replica 5442, gunicorn 8001 and 8002
# (2 processes each), nginx 8080. Files: /tmp/deploy-run (env, logs, pids), /tmp/deploy-nginx.
# Then, for the load benchmark through nginx:
#   DATABASE_URL=postgres://postgres@127.0.0.1:5441/relata_deploy \
#       .venv/bin/python bench/load.py --url http://127.0.0.1:8080 --duration 30
set -euo pipefail

EVENTS=${EVENTS:-20000}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/7}
NGINX_CACHE=${NGINX_CACHE:-on}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VERSION=15
PRIMARY=relata-deploy-primary PRIMARY_PORT=5441
REPLICA=relata-deploy-replica REPLICA_PORT=5442
DB=relata_deploy
WEB_PORTS="8001 8002"
WORK=/tmp/deploy-run
NGINX_PREFIX=/tmp/deploy-nginx/
NGINX_CONF=$ROOT/deploy/nginx-try.conf
PY=$ROOT/.venv/bin/python

say() { printf '\n== %s\n' "$*"; }
psql_at() { psql -X -U postgres -h 127.0.0.1 -p "$1" -d "${3:-$DB}" -Atc "$2"; }
cluster_exists() { pg_lsclusters -h | awk '{print $1"/"$2}' | grep -qx "$VERSION/$1"; }
cluster_online() { pg_lsclusters -h | awk -v c="$1" '$2 == c {print $4}' | grep -q online; }
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# The settings of deploy/postgresql.conf, scaled down for a shared 2-core trial machine.
trial_pg_conf() {
    mkdir -p "$WORK/wal"
    chown postgres: "$WORK/wal"
    {
        cat "$ROOT/deploy/postgresql.conf"
        cat <<EOF

# --- try-on-one-machine.sh: a shared trial machine, not a database server of its own ------
shared_buffers = 1GB
effective_cache_size = 4GB
maintenance_work_mem = 256MB
max_connections = 100
max_slot_wal_keep_size = 10GB
archive_command = 'test ! -f $WORK/wal/%f && cp %p $WORK/wal/%f'
EOF
    } >"$WORK/relata.conf"
}

env_file() {
    # What every web process and the task worker read (docs/deploy.md, "Environment"). Only
    # SECURE_SSL_REDIRECT=0 is for the trial: plain HTTP, no TLS in front.
    [ -f "$WORK/relata.env" ] && return
    # Quoted: an unquoted "&" ends the assignment in a shell (systemd's EnvironmentFile unquotes).
    cat >"$WORK/relata.env" <<EOF
DJANGO_SETTINGS_MODULE=config.settings.production
DATABASE_URL='postgres://postgres@127.0.0.1:$PRIMARY_PORT/$DB?connect_timeout=5&application_name=relata-web'
DATABASE_REPLICA_URL='postgres://postgres@127.0.0.1:$REPLICA_PORT/$DB?connect_timeout=2&application_name=relata-web'
REDIS_URL='$REDIS_URL'
SECRET_KEY='$(head -c 64 /dev/urandom | base64 -w0 | tr -d '+/=')'
ALLOWED_HOSTS='127.0.0.1,localhost'
SECURE_SSL_REDIRECT=0
TRUSTED_PROXY_COUNT=1
THROTTLE_ALLOW_IPS='127.0.0.1,::1'
EXCHANGE_UPLOAD_DIR='$WORK/uploads'
WEB_CONCURRENCY=1
EOF
}

load_env() {
    set -a
    . "$WORK/relata.env"
    set +a
    # Never migrate or load anything but the trial's database (unset, Django would use SQLite).
    [[ $DATABASE_URL == *"127.0.0.1:$PRIMARY_PORT/$DB?"* ]] ||
        { echo "DATABASE_URL is not the trial primary's: $WORK/relata.env" >&2; exit 1; }
}

start_primary() {
    if ! cluster_exists "$PRIMARY"; then
        say "primary: pg_createcluster $VERSION $PRIMARY -p $PRIMARY_PORT"
        pg_createcluster "$VERSION" "$PRIMARY" -p "$PRIMARY_PORT" -- --auth=trust
    fi
    local conf=/etc/postgresql/$VERSION/$PRIMARY/conf.d/relata.conf
    if ! cmp -s "$WORK/relata.conf" "$conf"; then
        cp "$WORK/relata.conf" "$conf"
        if cluster_online "$PRIMARY"; then  # shared_buffers, wal_level...: a restart
            pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$PRIMARY" restart
        fi
    fi
    cluster_online "$PRIMARY" || pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$PRIMARY" start
    psql_at "$PRIMARY_PORT" "SELECT 1" postgres >/dev/null
    # The replicas' role (trust here; scram-sha-256 and a password in production, pg_hba.conf).
    psql_at "$PRIMARY_PORT" "SELECT 1 FROM pg_roles WHERE rolname = 'relata_replication'" \
        postgres | grep -q 1 ||
        psql_at "$PRIMARY_PORT" "CREATE ROLE relata_replication REPLICATION LOGIN" postgres
}

build_database() {
    if psql_at "$PRIMARY_PORT" "SELECT 1 FROM pg_database WHERE datname = '$DB'" postgres |
        grep -q 1; then
        say "database $DB exists: kept ($(psql_at "$PRIMARY_PORT" \
            "SELECT count(*) FROM relations_event") events)"
        return
    fi
    say "database $DB: migrate, generate_kb --events $EVENTS --seed 1"
    createdb -U postgres -h 127.0.0.1 -p "$PRIMARY_PORT" "$DB"
    local lsn
    lsn=$(psql_at "$PRIMARY_PORT" "SELECT pg_current_wal_lsn()" postgres)
    (cd "$ROOT" && "$PY" manage.py migrate --no-input -v 0)
    (cd "$ROOT" && time "$PY" manage.py generate_kb --events "$EVENTS" --seed 1 --no-progress)
    # Which server ran which statements (deploy/postgresql.conf preloads it): the checks below.
    psql_at "$PRIMARY_PORT" "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
    echo "WAL written by migrate + generate_kb: $(psql_at "$PRIMARY_PORT" \
        "SELECT pg_size_pretty(pg_current_wal_lsn() - '$lsn')" postgres)"
    echo "database size: $(psql_at "$PRIMARY_PORT" \
        "SELECT pg_size_pretty(pg_database_size('$DB'))")"
    # A new database starts its version numbers again: pages cached for an older one would match.
    "$PY" -c "import redis, sys; redis.Redis.from_url(sys.argv[1]).flushdb()" "$REDIS_URL"
}

start_replica() {
    if ! cluster_exists "$REPLICA"; then
        say "replica: deploy/relata-replica.sh (pg_basebackup -R from the primary)"
        # A slot left by a replica dropped earlier would keep WAL for it forever.
        psql_at "$PRIMARY_PORT" "SELECT pg_drop_replication_slot(slot_name)
            FROM pg_replication_slots WHERE slot_name = 'relata_deploy_replica'" postgres
        RELATA_PG_CONF=$WORK/relata.conf \
            RELATA_PG_HBA=/etc/postgresql/$VERSION/$PRIMARY/pg_hba.conf \
            "$ROOT/deploy/relata-replica.sh" "$REPLICA" \
            "$REPLICA_PORT" "host=127.0.0.1 port=$PRIMARY_PORT user=relata_replication"
    fi
    cluster_online "$REPLICA" || pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$REPLICA" start
    say "replica: waiting until it has replayed the primary's WAL"
    local target
    target=$(psql_at "$PRIMARY_PORT" "SELECT pg_current_wal_lsn()" postgres)
    for _ in $(seq 600); do
        if [ "$(psql_at "$REPLICA_PORT" \
            "SELECT pg_last_wal_replay_lsn() >= '$target'" postgres)" = t ]; then
            break
        fi
        sleep 1
    done
    psql_at "$PRIMARY_PORT" "SELECT application_name, state, sync_state,
        pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)) AS behind
        FROM pg_stat_replication" postgres
}

start_web() {
    mkdir -p "$WORK/uploads"
    (cd "$ROOT" && "$PY" manage.py collectstatic --no-input -v 0)
    for port in $WEB_PORTS; do
        if pid_alive "$WORK/gunicorn-$port.pid"; then continue; fi
        say "gunicorn on 127.0.0.1:$port"
        (cd "$ROOT" && RELATA_BIND=127.0.0.1:$port .venv/bin/gunicorn \
            -c deploy/gunicorn.conf.py config.wsgi --daemon \
            --pid "$WORK/gunicorn-$port.pid" --error-logfile "$WORK/gunicorn-$port.log")
    done
    if ! pid_alive "$WORK/worker.pid"; then
        say "task worker: manage.py db_worker"
        (cd "$ROOT" && exec "$PY" manage.py db_worker --no-reload --interval 2) \
            </dev/null >>"$WORK/worker.log" 2>&1 &
        echo $! >"$WORK/worker.pid"
    fi
}

nginx_conf() {
    # NGINX_CACHE=off: the same files, copied beside the prefix, with the proxy cache off.
    if [ "$NGINX_CACHE" = off ]; then
        cp "$ROOT"/deploy/nginx-try.conf "$ROOT"/deploy/nginx-relata*.conf "$NGINX_PREFIX"
        sed -i 's/^proxy_cache relata;/proxy_cache off;/' "$NGINX_PREFIX/nginx-relata.conf"
        echo "$NGINX_PREFIX/nginx-try.conf"
    else
        echo "$NGINX_CONF"
    fi
}

start_nginx() {
    mkdir -p "$NGINX_PREFIX"
    local conf
    conf=$(nginx_conf)
    if pid_alive "$NGINX_PREFIX/nginx.pid"; then return; fi
    say "nginx -p $NGINX_PREFIX -c $conf (port 8080, proxy cache $NGINX_CACHE)"
    nginx -t -q -p "$NGINX_PREFIX" -c "$conf"
    nginx -p "$NGINX_PREFIX" -c "$conf"
}

wait_ready() {
    for port in $WEB_PORTS 8080; do
        for _ in $(seq 120); do
            code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz" || true)
            [ "$code" = 200 ] && break
            sleep 0.5
        done
        echo "127.0.0.1:$port/healthz: $code"
        [ "$code" = 200 ]
    done
}

# Statements run on a server in $DB, from pg_stat_statements (counted as they end; the
# pg_stat_database counters of a persistent connection are reported up to 10 s late), leaving
# out this script's own, the router's version probe (core_knowledgebaseversion) and the
# connection checks (SELECT 1: CONN_HEALTH_CHECKS before a persistent connection is reused).
statements() {
    psql_at "$1" "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s
        JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '$DB'
        AND s.query NOT LIKE '%pg_stat%' AND s.query NOT LIKE '%core_knowledgebaseversion%'
        AND s.query <> 'SELECT \$1'"
}
replica_commits() { statements "$REPLICA_PORT"; }
primary_commits() { statements "$PRIMARY_PORT"; }

commits_of() {  # statements run since "$1 $2" (replica, primary)
    echo "replica +$(($(replica_commits) - $1)), primary +$(($(primary_commits) - $2))"
}

# Ten event pages no cache has, after the worker's warm-up has finished (it reads the primary).
ten_pages() {
    for _ in $(seq 120); do
        [ "$(psql_at "$PRIMARY_PORT" "SELECT count(*) FROM django_tasks_database_dbtaskresult
            WHERE status IN ('READY', 'RUNNING')")" = 0 ] && break
        sleep 1
    done
    local r=$(replica_commits) p=$(primary_commits) slug
    for slug in $(psql_at "$PRIMARY_PORT" "SELECT slug FROM relations_event
            WHERE status = 'published' ORDER BY id DESC LIMIT 10"); do
        curl -s -o /dev/null "http://127.0.0.1:8080/events/$slug/?lag=$RANDOM$RANDOM"
    done
    commits_of "$r" "$p"
}

# A replica behind the announced version is not read: replay paused, a publish (a bump of the
# knowledge-base version) on the primary, pages read the primary; replay resumed, the replica.
lag_check() {
    say "a lagging replica is not read (core/replica.py)"
    psql_at "$REPLICA_PORT" "SELECT pg_wal_replay_pause()" >/dev/null
    (cd "$ROOT" && "$PY" manage.py shell -v 0 -c "from core import cache; cache.bump()" \
        >/dev/null 2>&1)
    echo "  replay paused, version bumped: primary $(psql_at "$PRIMARY_PORT" \
        "SELECT number FROM core_knowledgebaseversion"), replica $(psql_at "$REPLICA_PORT" \
        "SELECT number FROM core_knowledgebaseversion")"
    local behind caught_up
    behind=$(ten_pages)
    echo "  10 pages while behind: $behind"
    psql_at "$REPLICA_PORT" "SELECT pg_wal_replay_resume()" >/dev/null
    sleep 2
    caught_up=$(ten_pages)
    echo "  10 pages once caught up: $caught_up"
    # Behind, the replica runs nothing but the router's version probes (not counted).
    [ "$(echo "$behind" | sed 's/replica +\([0-9]*\).*/\1/')" = 0 ] &&
        [ "$(echo "$caught_up" | sed 's/replica +\([0-9]*\).*/\1/')" -gt 0 ]
}

check() {
    say "requests through nginx (127.0.0.1:8080)"
    local failed=0 urls slugs
    slugs=$(psql_at "$PRIMARY_PORT" "SELECT slug FROM relations_event
        WHERE status = 'published' ORDER BY id LIMIT 20")
    urls="/ /timeline/ /timeline/?domain=energy /relations/ /relations/by-ir/ /countries/
        /countries/by/ /api/events/?domain=energy /api/countries/ /timeline.atom /healthz"
    # Event pages with a query string no earlier run asked: neither cache has them, so their
    # reads reach a database (the replica, once it has caught up).
    for slug in $slugs; do urls="$urls /events/$slug/?try=$(date +%s)"; done
    local replica_before primary_before
    replica_before=$(replica_commits) primary_before=$(primary_commits)
    for url in $urls; do
        read -r code cache < <(curl -s -o /dev/null -H 'Accept-Encoding: gzip, br' \
            -D - "http://127.0.0.1:8080$url" |
            awk 'NR == 1 {c = $2} tolower($1) == "x-cache-status:" {s = $2}
                 END {print c, s}' | tr -d '\r')
        printf '  %s %-8s %s\n' "$code" "${cache:--}" "$url"
        [ "$code" = 200 ] || failed=1
    done
    say "the same URLs again: X-Cache-Status HIT where nginx's cache keeps them (NGINX_CACHE=on)"
    for url in $urls; do
        curl -s -o /dev/null -D - "http://127.0.0.1:8080$url" -H 'Accept-Encoding: gzip, br' |
            awk 'tolower($1) == "x-cache-status:" {printf "%s ", $2}'
    done
    echo
    say "round robin: answers by server (nginx's access log, this script's requests)"
    grep -o 'upstream=[0-9.:]*' "$NGINX_PREFIX/access.log" | sort | uniq -c | sed 's/^/  /'
    say "a signed-in looking request (session cookie) bypasses nginx's cache"
    curl -s -o /dev/null -D - -b sessionid=nothing "http://127.0.0.1:8080/timeline/" |
        grep -i -E '^(HTTP|x-cache-status|cache-control)' | tr -d '\r' | sed 's/^/  /'
    say "X-Forwarded-Proto: a client's 'https' is overwritten by nginx (HSTS only if secure)"
    local hsts=""
    for port in 8080 ${WEB_PORTS%% *}; do
        hsts="$hsts$(curl -s -o /dev/null -D - -H 'X-Forwarded-Proto: https' \
            "http://127.0.0.1:$port/countries/" | grep -ci '^strict-transport-security' || true)"
        echo "  via $port: Strict-Transport-Security headers: ${hsts: -1}"
    done
    # None through nginx; one straight from gunicorn, which believes the header.
    [ "$hsts" = 01 ] || failed=1
    say "where the reads went (statements run in $DB, pg_stat_statements)"
    echo "  primary: $primary_before -> $(primary_commits)"
    echo "  replica: $replica_before -> $(replica_commits)"
    if [ -f "$ROOT/core/replica.py" ]; then
        [ "$(replica_commits)" -gt "$replica_before" ] ||
            { echo "  the replica saw no reads: see DATABASE_REPLICA_URL, the router"; failed=1; }
    else
        echo "  core/replica.py is not there yet: no router, every read went to the primary"
    fi
    lag_check || failed=1
    [ "$failed" = 0 ] && say "all answered 200" || { say "FAILED: see above"; return 1; }
}

stop() {
    say "stopping nginx, gunicorn, the task worker, both clusters"
    if pid_alive "$NGINX_PREFIX/nginx.pid"; then
        nginx -p "$NGINX_PREFIX" -c "$NGINX_CONF" -s quit
    fi
    for file in "$WORK"/gunicorn-*.pid "$WORK/worker.pid"; do
        if pid_alive "$file"; then kill -TERM "$(cat "$file")"; fi
        rm -f "$file"
    done
    for cluster in "$REPLICA" "$PRIMARY"; do
        if cluster_exists "$cluster" && cluster_online "$cluster"; then
            pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$cluster" stop
        fi
    done
    pg_lsclusters | grep -E "^Ver|relata-deploy" || true
}

clean() {
    stop
    for cluster in "$REPLICA" "$PRIMARY"; do
        if cluster_exists "$cluster"; then pg_dropcluster "$VERSION" "$cluster"; fi
    done
    rm -rf "$WORK" "$NGINX_PREFIX"
}

case "${1:-start}" in
start)
    mkdir -p "$WORK"
    trial_pg_conf
    env_file
    start_primary
    load_env
    build_database
    start_replica
    start_web
    start_nginx
    wait_ready
    check
    say "running. Stop: $0 stop; start again: $0 start"
    ;;
check) load_env; check ;;
stop) stop ;;
clean) clean ;;
*) sed -n '2,20p' "$0"; exit 2 ;;
esac
