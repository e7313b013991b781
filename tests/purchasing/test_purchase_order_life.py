"""A purchase order is sent, confirmed, re-dated, found late and received; every ETA of the
customers waiting on it follows, and the units go to the orders that waited for them."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from kernel.errors import Conflict, NotFound
from orders.cancellation import CancelRequest, cancel_units
from orders.models import Backorder, EtaChange, Order
from purchasing import batching, lifecycle, receiving
from purchasing.models import PurchaseOrder
from tests.factories import (
    SupplierFactory,
    SupplierItemFactory,
    line_of,
    place,
)

pytestmark = pytest.mark.django_db

MONDAY = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def ordered(item, *quantities, **kwargs):
    orders = [place((item.product, quantity), **kwargs) for quantity in quantities]
    batching.batch_backorders()
    return orders, PurchaseOrder.objects.get(dropship_order__isnull=True, status="draft")


def test_sending_emails_the_supplier_in_its_language_with_a_csv_and_only_once(clock):
    item = SupplierItemFactory(supplier=SupplierFactory(language="en", email="buy@acme.example"), supplier_sku="ACME-9")
    _, po = ordered(item, 3)

    lifecycle.send_purchase_order(po.number)

    [message] = mail.outbox
    assert message.to == ["buy@acme.example"]
    assert message.subject == f"Purchase order {po.number}"
    assert "3 × ACME-9" in message.body
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == (f"{po.number}.csv", "text/csv")
    assert content.splitlines()[1].startswith(f"ACME-9,{item.product.sku},")
    with pytest.raises(Conflict, match="already sent"):
        lifecycle.send_purchase_order(po.number)
    assert len(mail.outbox) == 1


def test_german_suppliers_get_german_mail(clock):
    item = SupplierItemFactory(supplier=SupplierFactory(language="de"))
    _, po = ordered(item, 1)

    lifecycle.send_purchase_order(po.number)

    assert mail.outbox[0].subject == f"Bestellung {po.number}"


def test_auto_send_suppliers_get_their_order_when_it_is_created(clock, django_capture_on_commit_callbacks, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from backoffice.celery import app

    app.conf.task_always_eager = True
    try:
        item = SupplierItemFactory(supplier=SupplierFactory(auto_send=True))
        place((item.product, 2))
        with django_capture_on_commit_callbacks(execute=True):
            batching.batch_backorders()
    finally:
        app.conf.task_always_eager = False

    assert PurchaseOrder.objects.get().status == "sent"
    assert len(mail.outbox) == 1


def test_confirming_a_later_date_moves_every_pegged_eta_and_keeps_history(clock, settings):
    settings.PURCHASING_HANDLING_DAYS = 1
    item = SupplierItemFactory()
    orders, po = ordered(item, 1, 2, 3)
    lifecycle.send_purchase_order(po.number)

    lifecycle.confirm_purchase_order(po.number, {item.product.sku: datetime.date(2026, 3, 30)})

    po.refresh_from_db()
    assert po.status == "confirmed"
    assert set(Backorder.objects.values_list("eta", flat=True)) == {datetime.date(2026, 3, 31)}
    assert EtaChange.objects.filter(cause="redated").count() == 3
    assert len({b.promised_date for b in Backorder.objects.all()}) == 1


def test_confirming_an_unknown_sku_is_refused_naming_it(clock):
    item = SupplierItemFactory()
    _, po = ordered(item, 1)
    lifecycle.send_purchase_order(po.number)

    with pytest.raises(NotFound, match="no line for SKU NOPE"):
        lifecycle.confirm_purchase_order(po.number, {"NOPE": datetime.date(2026, 4, 1)})


def test_late_lines_are_marked_and_their_etas_move_to_today_plus_grace_until_re_dated(clock, settings):
    settings.PURCHASING_LATE_GRACE_DAYS = 5
    item = SupplierItemFactory(supplier=SupplierFactory(lead_time_days=3))
    _, po = ordered(item, 2)
    lifecycle.send_purchase_order(po.number)

    clock.move_to(MONDAY + datetime.timedelta(days=4))
    first = lifecycle.mark_late_lines()
    again = lifecycle.mark_late_lines()

    assert (first["newly_late"], first["backorders_moved"]) == (1, 1)
    assert (again["newly_late"], again["backorders_moved"]) == (0, 0)
    assert po.lines.get().late
    assert Backorder.objects.get().eta == datetime.date(2026, 3, 11)

    lifecycle.confirm_purchase_order(po.number, {item.product.sku: datetime.date(2026, 3, 20)})
    assert not po.lines.get().late


def test_receiving_fills_the_pegged_backorders_first_then_other_waiting_orders_then_stock(clock):
    item = SupplierItemFactory(pack_size=10)
    product = item.product
    pegged_orders, po = ordered(item, 2, 3)  # 5 waiting, 10 ordered
    lifecycle.send_purchase_order(po.number)
    clock.move_to(MONDAY + datetime.timedelta(hours=1))
    later = place((product, 4))  # waits, not on this purchase order

    receiving.receive_purchase_order(po.number, {product.sku: 7})

    assert [line_of(order, product).allocated for order in pegged_orders] == [2, 3]
    assert line_of(later, product).allocated == 2
    po.refresh_from_db()
    assert po.status == "partially_received"

    receiving.receive_purchase_order(po.number, {product.sku: 3})
    assert line_of(later, product).allocated == 4
    product.stock.refresh_from_db()
    assert (product.stock.on_hand, product.stock.allocated) == (10, 9)
    po.refresh_from_db()
    assert po.status == "received"
    assert product.movements.filter(reference=po.number).count() == 2


def test_an_expedited_pegged_order_is_filled_before_older_pegged_ones(clock):
    item = SupplierItemFactory()
    old = place((item.product, 1))
    clock.move_to(MONDAY + datetime.timedelta(hours=2))
    rush = place((item.product, 1), expedite=True)
    batching.batch_backorders()
    po = PurchaseOrder.objects.get()
    lifecycle.send_purchase_order(po.number)

    receiving.receive_purchase_order(po.number, {item.product.sku: 1})

    assert (line_of(rush, item.product).allocated, line_of(old, item.product).allocated) == (1, 0)


def test_receiving_more_than_ordered_is_refused_unless_confirmed(clock):
    item = SupplierItemFactory()
    _, po = ordered(item, 2)
    lifecycle.send_purchase_order(po.number)

    with pytest.raises(Conflict, match="exceed the 2 still outstanding"):
        receiving.receive_purchase_order(po.number, {item.product.sku: 3})
    item.product.stock.refresh_from_db()
    assert item.product.stock.on_hand == 0

    receiving.receive_purchase_order(po.number, {item.product.sku: 3}, allow_over=True)
    item.product.stock.refresh_from_db()
    assert item.product.stock.on_hand == 3


def test_a_draft_cannot_be_received(clock):
    item = SupplierItemFactory()
    _, po = ordered(item, 2)
    with pytest.raises(Conflict, match="is draft"):
        receiving.receive_purchase_order(po.number, {item.product.sku: 1})


def test_cancelling_pegged_units_shrinks_a_draft_line_but_never_below_what_others_need(clock):
    item = SupplierItemFactory(min_order_quantity=1, pack_size=2)
    (first, second), po = ordered(item, 3, 2)  # 5 -> 6 ordered
    assert po.lines.get().quantity == 6

    cancel_units(first.number, [CancelRequest(item.product.sku, 3)])

    assert po.lines.get().quantity == 2
    assert first.backorders.get().po_line is None
    assert second.backorders.get().status == "on_order"

    cancel_units(second.number, [CancelRequest(item.product.sku, 2)])
    assert not PurchaseOrder.objects.exists()  # nobody needs the draft any more


def test_cancelling_on_a_sent_order_leaves_it_and_the_surplus_goes_to_stock(clock):
    item = SupplierItemFactory()
    (order,), po = ordered(item, 3)
    lifecycle.send_purchase_order(po.number)

    cancel_units(order.number, [CancelRequest(item.product.sku, 3)])
    receiving.receive_purchase_order(po.number, {item.product.sku: 3})

    assert po.lines.get().quantity == 3
    item.product.stock.refresh_from_db()
    assert (item.product.stock.on_hand, item.product.stock.allocated) == (3, 0)
    assert Order.objects.get(pk=order.pk).status == "cancelled"


def test_the_eta_signal_fires_once_per_change_set_inside_its_transaction(clock, settings):
    from django.db import connection

    from purchasing.signals import etas_changed

    settings.PURCHASING_HANDLING_DAYS = 5  # so pegging moves the ETA

    item = SupplierItemFactory()
    place((item.product, 1))
    place((item.product, 2))
    calls = []

    def receiver(sender, **kwargs):
        # Inside the change's transaction: a receiver's outbox rows commit with it.
        calls.append({**kwargs, "depth": len(connection.atomic_blocks)})

    etas_changed.connect(receiver, weak=False, dispatch_uid="test")
    depth = len(connection.atomic_blocks)
    try:
        batching.batch_backorders()
    finally:
        etas_changed.disconnect(dispatch_uid="test")

    assert len(calls) == 1
    assert calls[0]["depth"] > depth
    assert (len(calls[0]["backorder_ids"]), calls[0]["cause"]) == (2, "purchase_order")


def test_a_dropship_delivery_ships_the_customers_line_without_touching_stock(clock):

    from tests.factories import ProductFactory

    item = SupplierItemFactory(product=ProductFactory(dropship=True, price=Decimal("99.00")))
    order = place((item.product, 2))
    batching.batch_backorders()
    po = PurchaseOrder.objects.get(dropship_order=order)
    lifecycle.send_purchase_order(po.number)

    receiving.receive_purchase_order(po.number, {item.product.sku: 2})

    line = line_of(order, item.product)
    assert (line.backordered, line.shipped) == (0, 2)
    order.refresh_from_db()
    assert (order.status, order.amount_captured) == ("shipped", Decimal("198.00"))
    assert order.backorders.get().status == "shipped"
    item.product.stock.refresh_from_db()
    assert (item.product.stock.on_hand, item.product.movements.count()) == (0, 0)


def test_cancelling_a_purchase_order_sends_its_customers_back_to_the_batch_job(clock, settings):
    settings.PURCHASING_HANDLING_DAYS = 1
    item = SupplierItemFactory(supplier=SupplierFactory(lead_time_days=10, max_wait_hours=72))
    (order,), po = ordered(item, 2)
    backorder = order.backorders.get()
    assert backorder.eta == datetime.date(2026, 3, 13)  # expected 12 March + 1 handling day

    lifecycle.cancel_purchase_order(po.number)

    backorder.refresh_from_db()
    # 2 March + 3 days' window + 10 lead + 1 handling: the date a new purchase order gives
    assert (backorder.status, backorder.po_line, backorder.eta) == ("open", None, datetime.date(2026, 3, 16))
    assert backorder.eta_changes.last().cause == "unpegged"
    po.refresh_from_db()
    assert po.status == "cancelled"
    rerun = batching.batch_backorders()
    assert len(rerun["created"]) == 1 and rerun["units_pegged"] == 2


def test_a_purchase_order_with_goods_received_cannot_be_cancelled(clock):
    item = SupplierItemFactory()
    _, po = ordered(item, 2)
    lifecycle.send_purchase_order(po.number)
    receiving.receive_purchase_order(po.number, {item.product.sku: 1})

    with pytest.raises(Conflict, match="only orders with nothing received"):
        lifecycle.cancel_purchase_order(po.number)
