"""The production shape, started as an operator would: gunicorn with DEBUG off and hashed,
compressed static files, a Celery worker and beat on PostgreSQL and Redis. Beat's batch
schedule is shortened by configuration (BATCH_EVERY_SECONDS), not by code."""

import os
import re
import secrets
import shutil
import subprocess
import sys

import pytest
import requests
from django.db import connection
from rest_framework.authtoken.models import Token

from purchasing.models import PurchaseOrder
from tests.factories import ProductFactory, SupplierItemFactory, UserFactory
from tests.processes import (
    ROOT,
    Redis,
    Service,
    accepts,
    database_url,
    free_port,
    wait_for,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server (the CI run has it)"),
]


@pytest.fixture
def production(tmp_path, migrated_roles):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL (the CI run does)")
    redis = Redis(tmp_path)
    redis.start()
    port, token = free_port(), secrets.token_urlsafe(24)
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url("production-smoke"),
        "CELERY_BROKER_URL": redis.url,
        "STATIC_ROOT": str(tmp_path / "static"),
        "BACKOFFICE_VAR_DIR": str(tmp_path / "var"),
        "METRICS_TOKEN": token,
        "BATCH_EVERY_SECONDS": "2",
        "LOG_FORMAT": "json",
        "WEB_CONCURRENCY": "2",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    services = [
        Service(
            [sys.executable, "-m", "gunicorn", "backoffice.wsgi:application", "--bind", f"127.0.0.1:{port}"],
            env,
            tmp_path / "web.log",
        ).start(),
        Service(
            [sys.executable, "-m", "celery", "-A", "backoffice", "worker", "--pool=solo", "--loglevel=info"],
            env,
            tmp_path / "worker.log",
        ).start(),
        Service(
            [sys.executable, "-m", "celery", "-A", "backoffice", "beat", "--loglevel=info"], env, tmp_path / "beat.log"
        ).start(),
    ]
    wait_for(lambda: accepts(port), "gunicorn to listen")

    class Production:
        url, metrics_token, logs = f"http://127.0.0.1:{port}", token, tmp_path

        def get(self, path, **kwargs):
            return requests.get(f"{self.url}{path}", timeout=30, **kwargs)

    try:
        yield Production(), redis
    finally:
        for service in services:
            service.stop()
        if redis.process.poll() is None:
            redis.stop()


def ready(production):
    return production.get("/health/ready")


def test_the_production_shape_serves_static_files_batches_orders_and_reports_its_health(production):
    production, redis = production

    # The admin comes up styled: its CSS is served, hashed and compressed, cached for a year
    login = production.get("/admin/login/")
    assert login.status_code == 200
    css = re.search(r'href="(/static/admin/css/base\.[0-9a-f]+\.css)"', login.text).group(1)
    stylesheet = production.get(css, headers={"Accept-Encoding": "gzip"})
    assert stylesheet.status_code == 200 and "max-age=315360000" in stylesheet.headers["Cache-Control"]
    assert stylesheet.headers.get("Content-Encoding") == "gzip"

    # An order placed over HTTP becomes a purchase order through beat's batch job
    item = SupplierItemFactory(product=ProductFactory(sku="KETTLE-9"), supplier__max_wait_hours=0)
    token = Token.objects.create(user=UserFactory(roles=["Shop"], is_staff=False)).key
    placed = requests.post(
        f"{production.url}/api/v1/orders/",
        timeout=30,
        headers={"Authorization": f"Token {token}"},
        json={
            "number": "PROD-1",
            "customer": {"email": "p@example.org", "name": "P", "language": "de"},
            "fulfilment_policy": "ship_partial",
            "lines": [{"sku": "KETTLE-9", "quantity": 2}],
        },
    )
    assert placed.status_code == 201
    wait_for(lambda: PurchaseOrder.objects.filter(supplier=item.supplier).exists(), "beat's batch job to order it")
    assert PurchaseOrder.objects.get(supplier=item.supplier).lines.get().quantity == 2

    # Ready when database, broker, beat and the message queue are fine...
    wait_for(lambda: ready(production).status_code == 200, "the app to be ready")
    assert ready(production).json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "beat": "ok", "messages": "ok"},
    }
    assert production.get("/health/live").json() == {"status": "ok"}
    # ...not while Redis is down, naming the broker (and nothing secret)...
    redis.stop()
    down = ready(production)
    assert down.status_code == 503 and down.json()["checks"]["broker"] == "unreachable"
    assert "redis://" not in down.text
    # ...and again once it is back, without restarting anything
    redis.start()
    wait_for(lambda: ready(production).status_code == 200, "the app to be ready again")

    # Metrics: refused without the token, the gauges with it
    assert production.get("/metrics").status_code == 403
    assert production.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    metrics = production.get("/metrics", headers={"Authorization": f"Bearer {production.metrics_token}"})
    assert metrics.status_code == 200
    for gauge in (
        "backoffice_backorders_open 1.0",
        "backoffice_units_waiting 2.0",
        "backoffice_purchase_order_lines_late 0.0",
        "backoffice_batch_last_run_age_seconds",
        "backoffice_message_due_oldest_seconds",
        "django_http_requests_total",
    ):
        assert gauge in metrics.text

    # One JSON log line per request, with its id
    web_log = (production.logs / "web.log").read_text()
    assert '"path": "/api/v1/orders/", "status": 201' in web_log and '"id": "' in web_log
