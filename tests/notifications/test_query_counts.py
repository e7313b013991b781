"""Queuing the messages of a re-date costs the same statements for 5 orders as for 500."""

import datetime
import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import CustomerMessage, Voucher
from orders.models import Backorder
from purchasing import batching, lifecycle
from purchasing.models import PurchaseOrder
from tests.factories import SupplierFactory, SupplierItemFactory, place

pytestmark = pytest.mark.django_db


def orders_waiting_on_one_purchase_order(count):
    supplier = SupplierFactory()
    kettle, teapot = SupplierItemFactory(supplier=supplier), SupplierItemFactory(supplier=supplier)
    for _ in range(count):
        place((kettle.product, 1), (teapot.product, 2))
    batching.batch_backorders()
    po = PurchaseOrder.objects.get(supplier=supplier)
    PurchaseOrder.objects.filter(pk=po.pk).update(status="sent")
    CustomerMessage.objects.all().delete()  # backorder notices are not this story
    return po, {
        item.product.sku: po.lines.get(product=item.product).expected_date + datetime.timedelta(days=10)
        for item in (kettle, teapot)
    }


def queries_to_redate(count):
    po, dates = orders_waiting_on_one_purchase_order(count)
    with CaptureQueriesContext(connection) as captured:
        lifecycle.confirm_purchase_order(po.number, dates)
    return len(captured)


def extra_insert_statements(model, rows):
    """SQLite's driver caps parameters per statement (999), so Django splits a bulk insert
    of `rows` there; PostgreSQL takes it in one."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    return math.ceil(rows / connection.ops.bulk_batch_size(fields, range(rows))) - 1


def test_a_redate_of_1000_backorders_across_500_orders_queues_its_messages_in_bounded_queries(
    clock, django_assert_max_num_queries
):
    few = queries_to_redate(5)
    po, dates = orders_waiting_on_one_purchase_order(500)
    assert Backorder.objects.filter(po_line__purchase_order=po).count() == 1000
    split = extra_insert_statements(CustomerMessage, 500) + extra_insert_statements(Voucher, 500)

    with django_assert_max_num_queries(few + split):
        lifecycle.confirm_purchase_order(po.number, dates)

    assert (
        CustomerMessage.objects.filter(order__lines__backorders__po_line__purchase_order=po).distinct().count() == 500
    )
    assert few <= 30
