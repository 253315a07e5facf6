"""gunicorn for Relata's web processes: `gunicorn -c deploy/gunicorn.conf.py config.wsgi`.

Every value can be overridden from the environment (docs/deploy.md, "Web: gunicorn"):
RELATA_BIND, WEB_CONCURRENCY (processes), WEB_THREADS, GUNICORN_TIMEOUT.
"""

import multiprocessing
import os

bind = os.environ.get("RELATA_BIND", "127.0.0.1:8000")

# Threads, not sync workers: a sync worker is killed `timeout` seconds into any one request,
# and the streamed exports (/timeline.csv, .json) of a whole knowledge base run for minutes
# (~4,000 events/s: 10^6 in ~4 min); a gthread worker's heartbeat runs beside its requests.
# One process per core (the GIL: one core of Python each), 4 threads to overlap the waits on
# PostgreSQL and Redis. Measured at 10^6 events on 2 cores (docs/deploy.md, "Web: gunicorn"):
# some 20 % more CPU per uncached page than sync workers, 2-6x the answers with the page cache.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", 4))

# What a worker may go without answering its master before it is killed (a wedged process;
# not a slow request, with threads). It must also exceed the longest request of a sync worker
# should you choose one: the events' CSV import preview in the admin (every row saved and
# rolled back, ~0.1 s a row; EXCHANGE_CSV_MAX_UPLOAD's 64 KiB is ~350 rows, ~35 s). Fixture
# imports are tasks (db_worker), never requests.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
# On SIGHUP/SIGTERM, the time a worker gets to finish what it is answering.
graceful_timeout = 30
# nginx keeps connections to the upstream open (its "keepalive 32"): longer than its wait.
keepalive = 75
# Recycle workers now and then (memory a long-lived process collects), not all at once.
max_requests = 5000
max_requests_jitter = 500
# The heartbeat file on tmpfs: a worker is never taken for dead because a disk stalled.
worker_tmp_dir = "/dev/shm"
# Only nginx talks to us; X-Forwarded-Proto is read by Django (SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None  # nginx logs requests already
errorlog = "-"
# Django logs to stderr (LOGGING): into the error log too, with --daemon as under systemd.
capture_output = True
loglevel = "warning"
proc_name = "relata-web"
