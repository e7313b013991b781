"""A real Celery worker process on a real Redis broker runs a task against the real
PostgreSQL test database. Runs where TEST_CELERY_BROKER_URL is set (the CI run)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from celery.backends.redis import RedisBackend
from celery.result import AsyncResult
from django.db import connection

from backoffice.celery import app
from inventory.models import StockLevel
from inventory.tasks import check_stock_ledger
from tests.factories import ProductFactory, place, receive


def _own_broker(url):
    """Each pytest-xdist worker gets its own Redis database, so a Celery worker started by
    one test process never takes a task meant for another's test database."""
    if not url:
        return url
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
    base, _, index = url.rpartition("/")
    return f"{base}/{int(index or 0) + worker}" if index.isdigit() else f"{url.rstrip('/')}/{worker}"


BROKER = _own_broker(os.environ.get("TEST_CELERY_BROKER_URL"))
ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not BROKER, reason="set TEST_CELERY_BROKER_URL to a Redis URL (the CI run does)"),
]


@pytest.fixture
def worker(tmp_path):
    db = connection.settings_dict
    env = {
        **os.environ,
        "CELERY_BROKER_URL": BROKER,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}",
    }
    env["CELERY_RESULT_BACKEND"] = BROKER
    # The worker's mail lands in files the test can read.
    env["EMAIL_BACKEND"] = "django.core.mail.backends.filebased.EmailBackend"
    env["EMAIL_FILE_PATH"] = str(tmp_path / "mail")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "backoffice",
            "worker",
            "--pool=solo",
            "--loglevel=warning",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            "celery",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        yield tmp_path / "mail"
    finally:
        process.terminate()
        process.wait(timeout=30)


def run_on_worker(task):
    """Send `task` through the real broker and wait for the worker's answer. Broker and
    result backend are named here, not in the app's (already configured) settings."""
    backend = RedisBackend(app=app, url=BROKER)
    with app.connection_for_write(BROKER) as connection:
        sent = task.apply_async(connection=connection)
    return AsyncResult(sent.id, backend=backend, app=app).get(timeout=60)


def test_a_worker_process_runs_the_stock_audit_on_the_shared_database(worker):
    lamp = ProductFactory(sku="LAMP-W")
    receive(lamp, 3)
    place((lamp, 1))
    StockLevel.objects.filter(product=lamp).update(on_hand=9)  # drift the worker must see

    result = run_on_worker(check_stock_ledger)

    assert result["discrepancies"] == [{"sku": "LAMP-W", "on_hand": 9, "ledger": 3, "allocated": 1, "held_by_lines": 1}]


def test_the_batch_task_on_a_worker_creates_and_auto_sends_a_purchase_order(worker):
    from purchasing.models import PurchaseOrder
    from purchasing.tasks import batch_backorders
    from tests.factories import SupplierFactory, SupplierItemFactory

    item = SupplierItemFactory(supplier=SupplierFactory(auto_send=True, email="po@acme.example"))
    place((item.product, 2))

    result = run_on_worker(batch_backorders)

    [number] = result["created"]
    # The send task was queued after the batch committed; the same worker sends it.
    mails = _wait_for_files(worker)
    assert number in mails[0] and "po@acme.example" in mails[0]
    assert PurchaseOrder.objects.get(number=number).status == "sent"


def _wait_for_files(folder):
    """Wait on the worker, not the clock: an inspect round-trip per try until it is idle."""
    for _ in range(60):
        inspector = app.control.inspect(timeout=1, connection=app.connection_for_write(BROKER))
        busy = any((inspector.active() or {}).values()) or any((inspector.reserved() or {}).values())
        files = sorted(folder.glob("*.log")) if folder.exists() else []
        if files and not busy:
            return [path.read_text() for path in files]
    raise AssertionError("the worker sent no mail")


def test_a_purchase_order_redated_ten_days_later_tells_each_waiting_customer_once_on_a_worker(worker):
    import datetime

    from notifications.models import CustomerMessage, MessagePolicy, Voucher
    from notifications.tasks import send_messages
    from purchasing import batching, lifecycle
    from purchasing.models import PurchaseOrder
    from tests.factories import CustomerFactory, SupplierFactory, SupplierItemFactory

    policy = MessagePolicy.current()
    policy.quiet_window_minutes, policy.backorder_notice_after_days = 0, 60
    policy.save()
    supplier = SupplierFactory(lead_time_days=10, max_wait_hours=48)
    item = SupplierItemFactory(supplier=supplier)
    # Promised today + 12 (lead time + the 2-day batching window)...
    early = [
        place((item.product, 1), customer=CustomerFactory.build(email=f"early{i}@example.org", language="de"))
        for i in range(3)
    ]
    supplier.max_wait_hours = 24 * 8
    supplier.save()
    # ...and today + 18 for the customers who ordered once the window was longer.
    later = [
        place((item.product, 2), customer=CustomerFactory.build(email=f"later{i}@example.org", language="en"))
        for i in range(3)
    ]
    batching.batch_backorders()
    po = PurchaseOrder.objects.get(supplier=supplier)
    PurchaseOrder.objects.filter(pk=po.pk).update(status="sent")
    line = po.lines.get()

    # The supplier slips ten days: ETAs become today + 22.
    lifecycle.confirm_purchase_order(po.number, {item.product.sku: line.expected_date + datetime.timedelta(days=10)})
    result = run_on_worker(send_messages)

    assert result["sent"] == 6
    mails = "\n".join(_wait_for_files(worker))
    for order in early + later:
        assert mails.count(f"To: {order.customer.email}") == 1
    # 22 days is 10 past the early customers' promised date: an apology with a voucher each.
    for order in early:
        [message] = CustomerMessage.objects.filter(order=order)
        voucher = Voucher.objects.get(order=order)
        assert (message.kind, message.status) == ("apology", "sent")
        assert voucher.code in message.text and voucher.code in mails
    # 4 days past the later customers' promised date: a delay notice, no voucher.
    for order in later:
        [message] = CustomerMessage.objects.filter(order=order)
        assert (message.kind, message.status) == ("delay_notice", "sent")
        assert not Voucher.objects.filter(order=order).exists()
    assert "Wir entschuldigen uns" in mails and "is delayed: new date" in mails
