"""A stock count that finds units missing takes them back from orders they were given to. A
backorder filled from a purchase order line that has since delivered everything waits again
like any open backorder: off that line, with the date a new purchase order gives, told to
its customer, and ordered again by the next batch. One filled from elsewhere while its line
is still to come stays on that line."""

import datetime

import pytest
import time_machine

from inventory.stock import StockChange, change_stock
from notifications.models import CustomerMessage
from orders.models import Backorder, EtaChange
from purchasing import batching, lifecycle, receiving, review
from purchasing.models import PurchaseOrderLine
from tests.factories import SupplierItemFactory, line_of, place

pytestmark = pytest.mark.django_db

MONDAY = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def day(n):
    return MONDAY.date() + datetime.timedelta(days=n)


def count(product, units):
    change_stock([StockChange(sku=product.sku, quantity=units, reason="count", note="shelf count")])


def ordered_and_sent(item, units=1):
    order = place((item.product, units))
    batching.batch_backorders()
    line = PurchaseOrderLine.objects.get(product=item.product)
    lifecycle.send_purchase_order(line.purchase_order.number)
    return order, line


def test_units_a_count_takes_back_from_a_received_purchase_order_are_ordered_again(clock):
    # Given a customer's kettle, ordered from the supplier, received on time on day 5 and waiting to ship
    item = SupplierItemFactory(supplier__lead_time_days=5)
    order, first = ordered_and_sent(item)
    clock.move_to(MONDAY + datetime.timedelta(days=5))
    receiving.receive_purchase_order(first.purchase_order.number, {item.product.sku: 1})
    assert line_of(order, item.product).allocated == 1
    received = Backorder.objects.get(order=order)

    # When a count on day 13 finds the shelf empty
    clock.move_to(MONDAY + datetime.timedelta(days=13))
    count(item.product, 0)

    # Then the customer waits again, on no purchase order: the received one brings nothing more
    backorder = Backorder.objects.get(order=order)
    assert (backorder.status, backorder.waiting, backorder.po_line_id) == ("open", 1, None)
    assert line_of(order, item.product).backordered == 1
    # And the date they see is one a new purchase order can keep, not the day the kettle first came
    assert received.eta < day(13) < backorder.eta
    change = EtaChange.objects.filter(backorder=backorder).latest("changed_at")
    assert (change.old_eta, change.new_eta, change.cause) == (received.eta, backorder.eta, "unpegged")
    # And the customer is told the later date
    [queued] = CustomerMessage.objects.filter(order=order, status="queued")
    assert queued.kind in CustomerMessage.PROACTIVE and backorder.eta.isoformat() in str(queued.data)

    # When the next batch runs, then it orders the kettle again, for this customer
    batching.batch_backorders()
    again = PurchaseOrderLine.objects.exclude(pk=first.pk).get(product=item.product)
    backorder.refresh_from_db()
    assert (backorder.status, backorder.po_line_id) == ("on_order", again.pk)
    assert backorder.eta > day(13)

    # And once purchasing sends it, the next morning's review finds nothing to move
    lifecycle.send_purchase_order(again.purchase_order.number)
    clock.move_to(MONDAY + datetime.timedelta(days=14))
    before = EtaChange.objects.count()
    review.review_etas()
    assert EtaChange.objects.count() == before


def test_a_backorder_filled_from_other_stock_while_its_line_is_still_to_come_stays_on_it(clock):
    # Given a kettle on a sent purchase order, filled from a found unit before the order came
    item = SupplierItemFactory(supplier__lead_time_days=5)
    order, line = ordered_and_sent(item)
    told = Backorder.objects.get(order=order).eta
    change_stock([StockChange(sku=item.product.sku, quantity=1, reason="adjustment", note="found one")])
    assert Backorder.objects.get(order=order).status == "allocated"
    messages = list(CustomerMessage.objects.values_list("pk", "kind", "status"))

    # When a count the next day finds that unit gone
    clock.move_to(MONDAY + datetime.timedelta(days=1))
    count(item.product, 0)

    # Then the customer waits on the same line again, with its date: it still brings the kettle
    backorder = Backorder.objects.get(order=order)
    assert (backorder.status, backorder.po_line_id, backorder.eta) == ("on_order", line.pk, told)
    assert list(CustomerMessage.objects.values_list("pk", "kind", "status")) == messages  # nothing to tell
    # And the batch orders nothing more: the line's units are this customer's
    batching.batch_backorders()
    assert PurchaseOrderLine.objects.filter(product=item.product).count() == 1

    # When the purchase order arrives, the kettle goes to this customer
    receiving.receive_purchase_order(line.purchase_order.number, {item.product.sku: 1})
    assert line_of(order, item.product).allocated == 1
