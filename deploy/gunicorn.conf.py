"""Gunicorn settings for one NerveCare app process group (`gunicorn -c deploy/gunicorn.conf.py`).

Every value can be changed by the environment (the systemd unit's env file) or on the command line. The app
keeps no state in its processes (sessions and data in PostgreSQL, the cache and job queue in Redis), so any
number of these can run behind the proxy; see deploy/README.md.
"""

import os

wsgi_app = "nervecare.wsgi:application"
# One instance per systemd unit nervecare-web@<port>: the unit passes the port (see nervecare-web@.service).
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: nginx in front buffers slow clients, so a worker is only busy while the app works on a
# request, and processes do not share one GIL. On 2 cores (bench/load, 50 users, locust and PostgreSQL on the
# same cores): 4 sync workers served 94 req/s, 3 sync 89, gthread 2 workers x 4 threads 77. Sync workers close
# each connection after the answer, so nginx.conf keeps no upstream keepalive pool.
# GUNICORN_WORKER_CLASS=gthread with GUNICORN_THREADS for long-polling or slow-client set-ups without a proxy.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
# One worker per core for EACH instance: the layout runs two instances per machine (nervecare-web@8001 and
# @8002), so the machine runs two per core in all, the figure measured above.
workers = int(os.environ.get("GUNICORN_WORKERS", str(os.cpu_count() or 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# Each worker imports the app itself (no preload): a graceful reload (SIGHUP, `systemctl reload`) then starts
# workers on the new release while the master keeps the listening socket open. With preload_app the master
# would hold the old code and a reload would start old workers again. (The heavy libraries are imported on
# first use and the API's schemas built on first use, so a worker starts in about 120-130 MiB: bench/README.md.)
preload_app = False
backlog = 2048
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))  # a PDF report is the slowest request
graceful_timeout = 20
keepalive = 5  # behind nginx's upstream keepalive
# Recycle workers now and then (memory growth in long-lived processes); jitter so they do not all go at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None  # nginx keeps the access log
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "warning")
# The proxy on this host terminates TLS and sets X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER=1 in the env).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):  # noqa: ANN001, ANN201
    """Import the URL configuration (every view) before the worker takes its first request, then hand the
    memory the imports used only while running back to the system (issue 20: a worker's resident memory)."""
    import contextlib
    import ctypes
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - importing is the point
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc's malloc: nothing to hand back
        ctypes.CDLL("libc.so.6").malloc_trim(0)  # the heap's free pages back to the system
