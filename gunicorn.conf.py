"""gunicorn's settings, from the environment, with defaults for a 2-core host."""

import multiprocessing
import os
import sys
import time
import traceback

# The app's settings, read in gunicorn's master before a worker is forked: a bad environment
# value stops the start with one line (not a worker failing to boot again and again), and the
# settings' TIME_ZONE becomes the process's local zone (Django sets TZ), so gunicorn's own
# log lines carry the same zone and offset as the app's.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from django.conf import settings as django_settings  # noqa: E402 (after the path is set)

from backoffice.environment import exit_on_bad_environment  # noqa: E402

with exit_on_bad_environment():
    django_settings.TIME_ZONE  # noqa: B018 (reading it loads the settings)


def _int(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"{name}={value!r}: expected a whole number") from None


bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{_int('PORT', 8000)}")
# Sync workers, one request at a time each, so that `timeout` bounds every request: a sync
# worker checks in with gunicorn's arbiter only between requests, so one stuck on a request
# longer than `timeout` is killed (SIGABRT, then SIGKILL), logged ("WORKER TIMEOUT", and which
# request by worker_abort below) and replaced. A gthread worker checks in from its main loop
# while a request hangs in one of its threads: there `timeout` never cuts a request. The
# database side is bounded sooner and answered with a 503 (REQUEST_STATEMENT_TIMEOUT_SECONDS,
# REQUEST_LOCK_TIMEOUT_SECONDS), the broker's by BROKER_TIMEOUT_SECONDS; slow clients are the
# reverse proxy's to buffer (deploy/systemd/backoffice-web.service).
worker_class = "sync"
if "GUNICORN_THREADS" in os.environ:
    raise SystemExit(
        "GUNICORN_THREADS is no longer read: each worker serves one request at a time, so that "
        "GUNICORN_TIMEOUT can cut a stuck one. Set WEB_CONCURRENCY (worker processes) instead."
    )
# Worker processes: 2 × cores + 1 is gunicorn's rule for a mostly waiting (database) app.
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
# A request that takes longer is stuck: it is cut and its worker replaced.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Replace workers now and then, so a slow leak never grows.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# The app writes one line per request itself (with its request id).
accesslog = None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def pre_request(worker, req):
    request_id = next((value for name, value in req.headers if name == "X-REQUEST-ID"), "-")
    worker.serving = (time.monotonic(), req.method, req.path, request_id)


def post_request(worker, req, environ, resp):
    worker.serving = None


def worker_abort(worker):
    """The arbiter cuts this worker (a request outlived `timeout`): say which request, and
    where it was stuck (this runs in the signal handler, on top of the stuck frames)."""
    serving = getattr(worker, "serving", None)
    if serving:
        started, method, path, request_id = serving
        worker.log.critical(
            "Request cut after %.1f s: %s %s (X-Request-ID %s), stuck at:\n%s",
            time.monotonic() - started,
            method,
            path,
            request_id,
            "".join(traceback.format_stack()),
        )
