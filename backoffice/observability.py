"""What operators see of the running back office: one log line per request and per job run,
each with its request or task id (JSON lines when LOG_FORMAT=json), database time per request,
and the Prometheus request metrics."""

import contextvars
import json
import logging
import re
import time
import uuid

from django.db import connection
from prometheus_client import Histogram

log = logging.getLogger("backoffice.requests")
jobs = logging.getLogger("backoffice.jobs")

# The request or task being served, for every log line written meanwhile.
CURRENT_ID = contextvars.ContextVar("current_id", default="-")
SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

DB_SECONDS = Histogram("backoffice_request_db_seconds", "Database time per request", ["method"])


class CurrentIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = CURRENT_ID.get()
        return True


class RefusalFilter(logging.Filter):
    """A refused or missing page (403, 404) is one warning line: the request was wrong, not
    the code, so no traceback."""

    def filter(self, record):
        if record.name == "django.request" and getattr(record, "status_code", None) in (403, 404):
            record.exc_info, record.exc_text = None, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request/task id and the
    fields a request or job line adds."""

    FIELDS = ("method", "path", "status", "duration_ms", "db_queries", "db_ms", "task", "state")

    def format(self, record):
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "id": getattr(record, "request_id", "-"),
            **{field: getattr(record, field) for field in self.FIELDS if hasattr(record, field)},
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class RequestLogMiddleware:
    """Outermost: gives each request an id (the proxy's X-Request-ID if it sent a sane one),
    times it and its database queries, and writes one line when it is answered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        asked = request.headers.get("X-Request-ID", "")
        request_id = asked if SAFE_ID.match(asked) else uuid.uuid4().hex
        token = CURRENT_ID.set(request_id)
        database = {"queries": 0, "seconds": 0.0}

        def timed(execute, sql, params, many, context):
            started = time.monotonic()
            try:
                return execute(sql, params, many, context)
            finally:
                database["queries"] += 1
                database["seconds"] += time.monotonic() - started

        started = time.monotonic()
        try:
            with connection.execute_wrapper(timed):
                response = self.get_response(request)
            response["X-Request-ID"] = request_id
            milliseconds = (time.monotonic() - started) * 1000
            DB_SECONDS.labels(request.method).observe(database["seconds"])
            log.info(
                "%s %s %s %.0f ms, %s queries %.0f ms",
                request.method,
                request.path,
                response.status_code,
                milliseconds,
                database["queries"],
                database["seconds"] * 1000,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round(milliseconds, 1),
                    "db_queries": database["queries"],
                    "db_ms": round(database["seconds"] * 1000, 1),
                },
            )
            return response
        finally:
            CURRENT_ID.reset(token)


_started = {}


def task_started(task_id=None, task=None, **kwargs):
    _started[task_id] = (time.monotonic(), CURRENT_ID.set(task_id or "-"))


def task_finished(task_id=None, task=None, state=None, **kwargs):
    began, token = _started.pop(task_id, (None, None))
    milliseconds = (time.monotonic() - began) * 1000 if began else 0
    jobs.info(
        "%s %s %.0f ms",
        task.name if task else "?",
        state,
        milliseconds,
        extra={"task": task.name if task else "?", "state": state, "duration_ms": round(milliseconds, 1)},
    )
    if token is not None:
        CURRENT_ID.reset(token)


def connect_task_logging():
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(task_started, weak=False, dispatch_uid="backoffice.task_started")
    task_postrun.connect(task_finished, weak=False, dispatch_uid="backoffice.task_finished")
