"""Two batch runs at once (two workers, or beat firing during a manual run) produce the
same purchase orders as one: no backorder pegged twice, no second draft."""

import pytest
from django.db.models import Sum

from orders.models import Backorder
from purchasing.batching import batch_backorders
from purchasing.models import PurchaseOrder, PurchaseOrderLine
from tests.factories import SupplierFactory, SupplierItemFactory, place
from tests.orders.test_races import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_batch_runs_make_the_same_purchase_orders_as_one():
    suppliers = [SupplierFactory() for _ in range(3)]
    items = [SupplierItemFactory(supplier=suppliers[i % 3], pack_size=3) for i in range(9)]
    for index, item in enumerate(items):
        for quantity in (1, 2, index + 1):
            place((item.product, quantity))
    waiting = Backorder.objects.aggregate(units=Sum("quantity"))["units"]

    outcomes = at_once(4, lambda index: batch_backorders(trigger=f"worker-{index}"))

    assert {kind for kind, _ in outcomes} == {"ok"}, outcomes
    created = [number for _, result in outcomes for number in result["created"]]
    assert len(created) == 3 and PurchaseOrder.objects.count() == 3
    assert sum(result["units_pegged"] for _, result in outcomes) == waiting
    assert not Backorder.objects.filter(status="open").exists()
    for line in PurchaseOrderLine.objects.all():
        pegged = line.backorders.aggregate(units=Sum("quantity"))["units"]
        assert line.quantity == -(-pegged // 3) * 3  # exactly what its backorders need, rounded to packs
