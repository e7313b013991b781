"""The batch job turns waiting customers into supplier purchase orders, collected until
each supplier's quota is met, and pegs every backorder to the line that will fill it."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from orders.models import Backorder, EtaChange
from purchasing.batching import batch_backorders
from purchasing.models import BatchRun, PurchaseOrder
from tests.factories import ProductFactory, SupplierFactory, SupplierItemFactory, place

pytestmark = pytest.mark.django_db

MONDAY = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)


def at(hours):
    return time_machine.travel(MONDAY + datetime.timedelta(hours=hours), tick=False)


def test_a_supplier_below_quota_waits_and_orders_once_the_quota_is_met():
    supplier = SupplierFactory(min_order_value=Decimal("100.00"), max_wait_hours=72)
    item = SupplierItemFactory(supplier=supplier, unit_cost=Decimal("10.00"))
    with at(0):
        place((item.product, 4))
        result = batch_backorders()
    assert result["created"] == [] and result["waiting_for_quota"][0]["supplier"] == supplier.code
    assert not PurchaseOrder.objects.exists()

    with at(1):
        place((item.product, 6))
        result = batch_backorders()

    [po] = PurchaseOrder.objects.all()
    assert result["created"] == [po.number]
    assert [(line.quantity, line.unit_cost) for line in po.lines.all()] == [(10, Decimal("10.00"))]
    assert set(Backorder.objects.values_list("status", "po_line")) == {("on_order", po.lines.get().pk)}


def test_the_oldest_backorder_waiting_max_wait_hours_releases_the_order_below_quota():
    supplier = SupplierFactory(min_order_value=Decimal("1000.00"), max_wait_hours=48)
    item = SupplierItemFactory(supplier=supplier)
    with at(0):
        place((item.product, 1))
    with at(47):
        assert batch_backorders()["created"] == []
    with at(48):
        assert len(batch_backorders()["created"]) == 1


def test_quantities_round_up_to_the_minimum_order_quantity_then_to_whole_packs():
    small = SupplierItemFactory(min_order_quantity=10, pack_size=4)
    packed = SupplierItemFactory(supplier=small.supplier, min_order_quantity=1, pack_size=6)
    with at(0):
        place((small.product, 3), (packed.product, 7))
        batch_backorders()

    quantities = dict(PurchaseOrder.objects.get().lines.values_list("product", "quantity"))
    assert quantities == {small.product.pk: 12, packed.product.pk: 12}


def test_a_second_run_tops_up_the_draft_instead_of_opening_another():
    item = SupplierItemFactory(pack_size=5)
    other = SupplierItemFactory(supplier=item.supplier)
    with at(0):
        place((item.product, 3))
        first = batch_backorders()
    with at(1):
        place((item.product, 4), (other.product, 1))
        second = batch_backorders()

    [po] = PurchaseOrder.objects.all()
    assert second["topped_up"] == first["created"] == [po.number]
    assert dict(po.lines.values_list("product", "quantity")) == {item.product.pk: 10, other.product.pk: 1}


def test_running_twice_changes_nothing_the_second_time():
    item = SupplierItemFactory()
    with at(0):
        place((item.product, 3))
        batch_backorders()
        again = batch_backorders()

    assert (again["created"], again["units_pegged"]) == ([], 0)
    assert PurchaseOrder.objects.count() == 1
    assert BatchRun.objects.count() == 2


def test_backorders_of_products_without_a_supplier_stay_open_and_are_counted():
    orphan = ProductFactory()
    with at(0):
        place((orphan, 2))
        result = batch_backorders()

    assert result["without_supplier"] == 1
    assert Backorder.objects.get().status == "open"


def test_a_non_preferred_supplier_is_not_used():
    item = SupplierItemFactory(preferred=False)
    with at(0):
        place((item.product, 2))
        batch_backorders()

    assert not PurchaseOrder.objects.exists()


def test_dropship_products_get_one_purchase_order_per_customer_order_never_batched_with_stock():
    supplier = SupplierFactory(min_order_value=Decimal("5000.00"))
    direct = SupplierItemFactory(supplier=supplier, product=ProductFactory(dropship=True))
    stocked = SupplierItemFactory(supplier=supplier)
    with at(0):
        first = place((direct.product, 1), (stocked.product, 1))
        second = place((direct.product, 2))
        batch_backorders()

    pos = list(PurchaseOrder.objects.order_by("id"))
    assert [(po.dropship_order, po.lines.get().quantity) for po in pos] == [(first, 1), (second, 2)]
    assert first.backorders.get(product=stocked.product).status == "open"  # waits for quota


@time_machine.travel(MONDAY, tick=False)
def test_pegging_gives_the_date_the_customer_was_told_and_keeps_the_promised_date(settings):
    """Lead time 6 days, no wait, handling 2 days: told 2 + 0 + 6 + 2 = 10 March; the batch's
    line asks for 8 March, which gives 8 + 2 = 10 March: being ordered moves no date."""
    settings.PURCHASING_HANDLING_DAYS = 2
    supplier = SupplierFactory(lead_time_days=10, max_wait_hours=0)
    item = SupplierItemFactory(supplier=supplier, lead_time_days=6)
    order = place((item.product, 1))
    backorder = order.backorders.get()
    assert backorder.eta == backorder.promised_date == datetime.date(2026, 3, 10)

    batch_backorders()

    backorder.refresh_from_db()
    assert backorder.po_line.expected_date == datetime.date(2026, 3, 8)
    assert (backorder.status, backorder.eta, backorder.promised_date) == (
        "on_order",
        datetime.date(2026, 3, 10),
        datetime.date(2026, 3, 10),
    )
    assert not EtaChange.objects.exists()


def test_before_a_purchase_order_the_eta_includes_the_suppliers_wait_window():
    supplier = SupplierFactory(lead_time_days=10, max_wait_hours=49)
    item = SupplierItemFactory(supplier=supplier)
    with at(0):
        order = place((item.product, 1))

    # 2 March + 3 days' wait + 10 lead + 2 handling
    assert order.backorders.get().eta == datetime.date(2026, 3, 17)


def test_only_the_preferred_of_several_suppliers_gets_the_order_and_only_once():
    preferred = SupplierItemFactory(preferred=True)
    SupplierItemFactory(product=preferred.product, preferred=False)
    with at(0):
        place((preferred.product, 3))
        batch_backorders()

    [po] = PurchaseOrder.objects.all()
    assert po.supplier == preferred.supplier
    assert po.lines.get().quantity == 3


def test_a_line_orders_exactly_what_its_pegged_backorders_need():
    from django.db.models import Sum

    item = SupplierItemFactory(min_order_quantity=4, pack_size=4)
    with at(0):
        for quantity in (1, 2, 3):
            place((item.product, quantity))
        batch_backorders()

    line = PurchaseOrder.objects.get().lines.get()
    assert line.backorders.aggregate(units=Sum("quantity"))["units"] == 6
    assert line.quantity == 8
