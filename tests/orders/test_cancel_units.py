"""Customers may cancel what has not shipped; shipped units stay shipped."""

from decimal import Decimal

import pytest

from kernel.errors import Conflict, NotFound
from orders.cancellation import CancelRequest, cancel_units
from orders.fulfilment import ship_order
from orders.models import Backorder, Order
from tests.factories import ProductFactory, line_of, place, receive

pytestmark = pytest.mark.django_db


def test_cancelling_waiting_units_releases_them_and_voids_their_payment():
    clock_ = ProductFactory(price=Decimal("25.00"))
    order = place((clock_, 3))

    cancel_units(order.number, [CancelRequest(clock_.sku, 2)])

    line = line_of(order, clock_)
    assert (line.backordered, line.cancelled) == (1, 2)
    [backorder] = order.backorders.all()
    assert (backorder.cancelled, backorder.waiting, backorder.status) == (2, 1, Backorder.Status.OPEN)
    order.refresh_from_db()
    assert order.amount_voided == Decimal("50.00")


def test_cancelling_every_waiting_unit_cancels_the_backorder_and_the_order():
    clock_ = ProductFactory()
    order = place((clock_, 2))

    cancel_units(order.number, [CancelRequest(clock_.sku, 2)])

    assert order.backorders.get().status == Backorder.Status.CANCELLED
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED


def test_cancelling_allocated_units_hands_their_stock_to_the_next_waiting_order():
    clock_ = ProductFactory()
    receive(clock_, 1)
    first = place((clock_, 1))
    second = place((clock_, 1))

    cancel_units(first.number, [CancelRequest(clock_.sku, 1)])

    assert line_of(first, clock_).cancelled == 1
    assert line_of(second, clock_).allocated == 1
    second.refresh_from_db()
    assert second.status == Order.Status.READY_TO_SHIP
    clock_.stock.refresh_from_db()
    assert (clock_.stock.on_hand, clock_.stock.allocated) == (1, 1)


def test_waiting_units_are_cancelled_before_allocated_ones():
    clock_ = ProductFactory()
    receive(clock_, 1)
    order = place((clock_, 3))

    cancel_units(order.number, [CancelRequest(clock_.sku, 2)])

    line = line_of(order, clock_)
    assert (line.allocated, line.backordered, line.cancelled) == (1, 0, 2)


def test_shipped_units_cannot_be_cancelled_and_nothing_changes():
    clock_ = ProductFactory()
    receive(clock_, 2)
    order = place((clock_, 3))
    ship_order(order.number)

    with pytest.raises(Conflict) as refused:
        cancel_units(order.number, [CancelRequest(clock_.sku, 2)])

    [problem] = refused.value.problems
    assert (problem.line, problem.sku, problem.field) == (0, clock_.sku, "quantity")
    assert "only 1 unshipped units can be cancelled; 2 have shipped" in problem.message
    line = line_of(order, clock_)
    assert (line.shipped, line.backordered, line.cancelled) == (2, 1, 0)


def test_a_sku_not_on_the_order_is_named():
    clock_, other = ProductFactory(), ProductFactory()
    order = place((clock_, 1))

    with pytest.raises(NotFound, match=f"no line for SKU {other.sku}"):
        cancel_units(order.number, [CancelRequest(other.sku, 1)])


def test_cancelling_a_whole_order_leaves_shipped_units_and_captured_payment_alone():
    clock_, bell = ProductFactory(price=Decimal("10.00")), ProductFactory(price=Decimal("3.00"))
    receive(clock_, 1)
    order = place((clock_, 1), (bell, 4))
    ship_order(order.number)

    cancel_units(order.number, None)

    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED  # everything not cancelled has shipped
    assert (order.amount_captured, order.amount_voided) == (Decimal("10.00"), Decimal("12.00"))

    with pytest.raises(Conflict, match="nothing left to cancel"):
        cancel_units(order.number, None)
