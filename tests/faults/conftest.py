"""The fault suite: real processes started, stopped and killed by the tests themselves (a
redis-server, a Celery worker, the web app with DEBUG off) on the real PostgreSQL test
database. Runs where PostgreSQL and redis-server are available (the CI run)."""

import os
import secrets
import shutil
import sys
import time
from collections import Counter

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from tests.factories import UserFactory
from tests.processes import (
    Redis,
    Service,
    accepts,
    database_url,
    free_port,
    wait_for,
)


def pytest_collection_modifyitems(config, items):
    missing = []
    if connection.vendor != "postgresql":
        missing.append("PostgreSQL (set DATABASE_URL)")
    if not shutil.which("redis-server"):
        missing.append("redis-server")
    if not missing:
        return
    skip = pytest.mark.skip(reason=f"the fault suite needs {' and '.join(missing)} (the CI run has both)")
    for item in items:
        if "tests/faults/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture
def faults(tmp_path, migrated_roles):
    """Everything a fault test starts, stopped at the end whatever happened."""
    started = []
    redis = Redis(tmp_path)
    mail_log = tmp_path / "mail.log"
    mail_log.touch()

    def env(application_name, **extra):
        return {
            **os.environ,
            "DATABASE_URL": database_url(application_name),
            "CELERY_BROKER_URL": redis.url,
            "EMAIL_BACKEND": "tests.faults.mail_log.EmailBackend",
            "FAULTS_MAIL_LOG": str(mail_log),
            "BACKOFFICE_VAR_DIR": str(tmp_path / "var"),
            **extra,
        }

    class Faults:
        def __init__(self):
            self.redis, self.mail_log, self.env = redis, mail_log, env

        def worker(self, **extra):
            service = Service(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "backoffice",
                    "worker",
                    "--pool=solo",
                    "--loglevel=info",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-Q",
                    "celery",
                ],
                env("faults-worker", **extra),
                tmp_path / "worker.log",
            ).start()
            started.append(service)
            return service

        def web(self, gunicorn=False, **extra):
            """The web app with DEBUG off: Django's runserver, or gunicorn as in production (one worker)."""
            port = free_port()
            command = (
                [sys.executable, "-m", "gunicorn", "backoffice.wsgi:application", "--bind", f"127.0.0.1:{port}"]
                if gunicorn
                else [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
            )
            service = Service(
                command,
                env(
                    "faults-web",
                    **{
                        "DEBUG": "false",
                        "SECRET_KEY": secrets.token_urlsafe(50),
                        "ALLOWED_HOSTS": "127.0.0.1",
                        "SECURE_SSL_REDIRECT": "false",
                        "WEB_CONCURRENCY": "1",
                        **extra,
                    },
                ),
                tmp_path / "web.log",
            ).start()
            started.append(service)
            service.url = f"http://127.0.0.1:{port}"
            wait_for(lambda: accepts(port), "the web app to listen")
            return service

        def sent(self):
            """How often each message left, as the mail log says."""
            return Counter(line for line in mail_log.read_text().splitlines() if line)

        def worker_log(self):
            path = tmp_path / "worker.log"
            return path.read_text(errors="replace") if path.exists() else ""

    redis.start()
    try:
        yield Faults()
    finally:
        for service in started:
            service.stop()
        if redis.process and redis.process.poll() is None:
            redis.stop()
        # A killed process's session ends when PostgreSQL notices; the test database is
        # dropped after the run, so none may be left.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name LIKE 'faults-%%' AND pid <> pg_backend_pid()"
            )


@pytest.fixture
def shop_token(migrated_roles):
    return Token.objects.create(user=UserFactory(roles=["Shop"], is_staff=False)).key


def order_body(number, sku, quantity=1):
    return {
        "number": number,
        "customer": {"email": f"{number.lower()}@example.org", "name": number, "language": "de"},
        "fulfilment_policy": "ship_partial",
        "lines": [{"sku": sku, "quantity": quantity}],
    }


def post_order(session, web, token, number, sku, timeout=30):
    started = time.monotonic()
    response = session.post(
        f"{web.url}/api/v1/orders/",
        json=order_body(number, sku),
        headers={"Authorization": f"Token {token}"},
        timeout=timeout,
    )
    return response, time.monotonic() - started


def publish(broker_url, task, **options):
    """Put `task` on the test's own broker, as beat would (the app's own broker setting is
    the test run's, not this Redis)."""
    from backoffice.celery import app

    with app.connection_for_write(broker_url) as connection:
        return task.apply_async(connection=connection, **options)
