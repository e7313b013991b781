"""The batch job is killed in the middle of pegging. Its transaction dies with it: no
purchase order, line or peg of the half-done run is left, and the next run makes exactly
the purchase orders the waiting backorders call for."""

import subprocess
import sys

import psycopg
import pytest
from django.db import connection

from orders.models import Backorder
from purchasing import batching
from purchasing.models import BatchRun, PurchaseOrder, PurchaseOrderLine
from tests.factories import SupplierFactory, SupplierItemFactory, place
from tests.processes import ROOT, database_url, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.postgres]


def backends(application_name, waiting_on_a_lock=False):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s"
            + (" AND wait_event_type = 'Lock'" if waiting_on_a_lock else ""),
            [application_name],
        )
        return cursor.fetchone()[0]


def test_a_batch_killed_while_pegging_leaves_nothing_and_a_rerun_orders_exactly_what_waits(faults):
    # Given backorders for two suppliers
    teapots = SupplierItemFactory(supplier=SupplierFactory(code="pots"), pack_size=6)
    cups = SupplierItemFactory(supplier=SupplierFactory(code="cups"))
    place((teapots.product, 2), (cups.product, 1))
    place((teapots.product, 3))
    last = place((cups.product, 4)).backorders.get()
    # ...and another transaction holding one of them, so the batch stops in the middle of pegging
    blocker = psycopg.connect(database_url("faults-blocker").replace("postgres://", "postgresql://"))
    blocker.execute("SELECT id FROM orders_backorder WHERE id = %s FOR UPDATE", [last.pk])

    # When the batch runs and is killed there
    batch = subprocess.Popen(
        [sys.executable, "manage.py", "batch_backorders"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**faults.env("faults-batch")},
    )
    wait_for(lambda: backends("faults-batch", waiting_on_a_lock=True), "the batch to wait in its pegging UPDATE")
    assert PurchaseOrder.objects.count() == 0  # what it created is not committed
    batch.kill()
    batch.wait(timeout=30)
    blocker.rollback()
    blocker.close()
    wait_for(lambda: not backends("faults-batch"), "the killed batch's transaction to end")

    # Then nothing of the half-done run is left
    assert (
        not PurchaseOrder.objects.exists() and not PurchaseOrderLine.objects.exists() and not BatchRun.objects.exists()
    )
    assert set(Backorder.objects.values_list("status", "po_line")) == {("open", None)}

    # When the batch runs again
    result = batching.batch_backorders()

    # Then it makes exactly the right purchase orders: each waiting unit pegged, packs rounded
    assert len(result["created"]) == 2 and result["units_pegged"] == 10
    lines = {line.product_id: line.quantity for line in PurchaseOrderLine.objects.all()}
    assert lines == {teapots.product_id: 6, cups.product_id: 5}
    assert set(Backorder.objects.values_list("status", flat=True)) == {"on_order"}
