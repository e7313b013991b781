"""A real Celery worker process on a real Redis broker runs a task against the real
PostgreSQL test database. Runs where TEST_CELERY_BROKER_URL is set (the CI run)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from backoffice.celery import app
from inventory.models import StockLevel
from inventory.tasks import check_stock_ledger
from tests.factories import ProductFactory, place, receive

BROKER = os.environ.get("TEST_CELERY_BROKER_URL")
ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not BROKER, reason="set TEST_CELERY_BROKER_URL to a Redis URL (the CI run does)"),
]


@pytest.fixture
def worker():
    db = connection.settings_dict
    env = {
        **os.environ,
        "CELERY_BROKER_URL": BROKER,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}",
    }
    app.conf.broker_url = BROKER
    app.conf.result_backend = BROKER
    env["CELERY_RESULT_BACKEND"] = BROKER
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "backoffice", "worker", "--pool=solo", "--loglevel=warning",
         "--without-gossip", "--without-mingle", "-Q", "celery"],
        cwd=ROOT, env=env,
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_worker_process_runs_the_stock_audit_on_the_shared_database(worker):
    lamp = ProductFactory(sku="LAMP-W")
    receive(lamp, 3)
    place((lamp, 1))
    StockLevel.objects.filter(product=lamp).update(on_hand=9)  # drift the worker must see

    result = check_stock_ledger.delay().get(timeout=60)

    assert result["discrepancies"] == [
        {"sku": "LAMP-W", "on_hand": 9, "ledger": 3, "allocated": 1, "held_by_lines": 1}
    ]
