"""Health for load balancers and supervisors, metrics for Prometheus.

/health/live: the process answers. /health/ready: the database is reachable and migrated,
the broker reachable, beat alive, and no customer message waits past its time to be sent;
200, or 503 naming what is wrong (never a secret), within CHECK_SECONDS whatever hangs: each
check runs in a thread of its own with that deadline. /metrics: request metrics and the
business gauges operators page on, for a bearer token (METRICS_TOKEN) or an allowed address only."""

import contextvars
import hmac
import threading
import time

from django.conf import settings
from django.db import DatabaseError, connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count, Min, Sum
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.core import GaugeMetricFamily

from backoffice.models import Heartbeat
from kernel import clock
from kernel.api import error_body
from kernel.ratelimit import client_address
from notifications.models import CustomerMessage
from orders.models import WAITING, WAITING_UNITS, Backorder
from purchasing.models import BatchRun, PurchaseOrderLine

_migrated = False
# A load balancer's probe is answered within this many seconds, whatever hangs.
CHECK_SECONDS = 2.5
# The broker is pinged with this bound on connecting and on the answer: a frozen one is
# unreachable well within CHECK_SECONDS.
BROKER_PING_SECONDS = 1


def _database():
    global _migrated
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    if not _migrated:  # once migrated, a running process stays so
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            return f"{len(pending)} migrations not applied"
        _migrated = True
    return "ok"


def _broker():
    from backoffice.celery import app

    bound = {"socket_connect_timeout": BROKER_PING_SECONDS, "socket_timeout": BROKER_PING_SECONDS}
    try:
        with app.connection_for_write(transport_options=bound) as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_PING_SECONDS)
    except Exception:  # kombu's OperationalError, a timeout: never the URL (it holds a password)
        return "unreachable"
    return "ok"


def _beat(now):
    beat = Heartbeat.objects.filter(name="beat").first()
    if beat is None:
        return "never seen"
    silent = (now - beat.at).total_seconds()
    return "ok" if silent <= settings.HEALTH_BEAT_MAX_SILENCE_SECONDS else f"silent for {silent:.0f} s"


def oldest_message_due(now):
    """Seconds the longest-waiting due customer message has waited, 0 for none. A claimed one
    waits too until it is sent (its worker may have died: the claim is taken back later)."""
    Status = CustomerMessage.Status
    due = CustomerMessage.objects.filter(status__in=[Status.QUEUED, Status.SENDING], send_after__lte=now)
    oldest = due.aggregate(oldest=Min("send_after"))["oldest"]
    return (now - oldest).total_seconds() if oldest else 0.0


def _messages(now):
    waited = oldest_message_due(now)
    return "ok" if waited <= settings.HEALTH_MESSAGE_MAX_WAIT_SECONDS else f"oldest due message waits {waited:.0f} s"


def live(request):
    return JsonResponse({"status": "ok"})


def _database_checks(now):
    try:
        state = _database()
        if state != "ok":
            return {"database": state}
        return {"database": "ok", "beat": _beat(now), "messages": _messages(now)}
    except DatabaseError:
        return {"database": "unreachable"}


def _within(seconds, **checks):
    """Run each check (returning {name: state}) in a thread of its own; one that has not
    answered after `seconds` is reported so. Its thread ends by itself (socket and statement
    timeouts bound it) and closes its own database connection."""
    answers = {}

    def run(name, check):
        try:
            answers[name] = check()
        finally:
            connections.close_all()  # this thread's connections only

    threads = [
        threading.Thread(target=contextvars.copy_context().run, args=(run, name, check), daemon=True)
        for name, check in checks.items()
    ]
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    states = {}
    for name in checks:
        states |= answers.get(name) or {name: f"no answer within {seconds} s"}
    return states


@never_cache
def ready(request):
    now = clock.now()
    checks = _within(CHECK_SECONDS, database=lambda: _database_checks(now), broker=lambda: {"broker": _broker()})
    healthy = all(state == "ok" for state in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks}, status=200 if healthy else 503
    )


class BusinessCollector:
    """The gauges operators page on, read from the database at each scrape."""

    def describe(self):
        return []  # registering must not query the database (it may not exist yet)

    def collect(self):
        now = clock.now()
        waiting = Backorder.objects.filter(status__in=WAITING).aggregate(
            backorders=Count("id"),
            units=Sum(WAITING_UNITS),
        )
        last = BatchRun.objects.order_by("-started_at").first()
        gauges = [
            ("backoffice_backorders_open", "Backorders with units waiting", waiting["backorders"] or 0),
            ("backoffice_units_waiting", "Units customers wait for", waiting["units"] or 0),
            (
                "backoffice_message_due_oldest_seconds",
                "How long the oldest due customer message has waited",
                oldest_message_due(now),
            ),
            (
                "backoffice_purchase_order_lines_late",
                "Purchase order lines past their date",
                PurchaseOrderLine.objects.filter(late=True).count(),
            ),
            (
                "backoffice_messages_failed",
                "Customer messages that failed for good",
                CustomerMessage.objects.filter(status=CustomerMessage.Status.FAILED).count(),
            ),
            (
                "backoffice_batch_last_run_age_seconds",
                "Seconds since the batch job last ran",
                (now - last.started_at).total_seconds() if last else float("nan"),
            ),
            (
                "backoffice_batch_last_run_duration_seconds",
                "How long the batch job's last run took",
                (last.finished_at - last.started_at).total_seconds() if last else float("nan"),
            ),
        ]
        for name, documentation, value in gauges:
            gauge = GaugeMetricFamily(name, documentation)
            gauge.add_metric([], value)
            yield gauge


REGISTRY.register(BusinessCollector())


def _allowed(request):
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    return client_address(request) in settings.METRICS_ALLOWED_ADDRESSES


@never_cache
def metrics(request):
    if not _allowed(request):
        return JsonResponse(error_body("Metrics need the bearer token or an allowed address.", "forbidden"), status=403)
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
