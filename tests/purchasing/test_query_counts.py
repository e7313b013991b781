"""The batch job and receipts must not grow query by query with the backorders they handle."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Backorder
from purchasing.batching import batch_backorders
from purchasing.lifecycle import send_purchase_order
from purchasing.models import PurchaseOrder
from purchasing.receiving import receive_purchase_order
from tests.factories import SupplierFactory, SupplierItemFactory, place

pytestmark = pytest.mark.django_db


def book(backorders, suppliers=3, products=6):
    supplier_list = [SupplierFactory() for _ in range(suppliers)]
    items = [SupplierItemFactory(supplier=supplier_list[i % suppliers]) for i in range(products)]
    for index in range(backorders):
        place((items[index % products].product, 1))


def batch_queries():
    with CaptureQueriesContext(connection) as captured:
        batch_backorders()
    return len(captured)


def test_the_batch_job_costs_the_same_queries_for_10_as_for_1000_backorders():
    book(10)
    small = batch_queries()
    Backorder.objects.all().delete()
    PurchaseOrder.objects.all().delete()

    book(1000)
    large = batch_queries()

    assert Backorder.objects.filter(status="on_order").count() == 1000
    assert large == small


def test_a_receipt_filling_1000_pegged_backorders_stays_within_a_fixed_budget(django_assert_max_num_queries):
    book(1000, suppliers=1, products=1)
    batch_backorders()
    po = PurchaseOrder.objects.get()
    send_purchase_order(po.number)
    sku = po.lines.get().product.sku

    # One statement per step on PostgreSQL; SQLite's cap on query parameters splits each
    # bulk update of 1,000 rows into a handful of statements.
    # 19 on PostgreSQL: 18, and the one read of which shops are connected (shops.pushes, at most
    # every 10 s per process, however many rows; a slow setup here lets it expire).
    with django_assert_max_num_queries(19 if connection.vendor == "postgresql" else 32):
        receive_purchase_order(po.number, {sku: 1000})

    assert Backorder.objects.filter(status="allocated").count() == 1000
