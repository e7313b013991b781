"""Shipping takes exactly what the order's policy allows, completes that sale and captures it."""

from decimal import Decimal

import pytest

from kernel.errors import Conflict
from orders.fulfilment import ship_order
from orders.models import Backorder, Order
from tests.factories import ProductFactory, line_of, place, receive

pytestmark = pytest.mark.django_db


def test_ship_partial_ships_what_is_allocated_and_leaves_the_rest_waiting():
    mug, pot = ProductFactory(price=Decimal("8.00")), ProductFactory(price=Decimal("30.00"))
    receive(mug, 2)
    order = place((mug, 2), (pot, 1))

    shipment = ship_order(order.number)

    assert [(line.line.product, line.quantity) for line in shipment.lines.all()] == [(mug, 2)]
    assert shipment.amount_captured == Decimal("16.00")
    order.refresh_from_db()
    assert order.status == Order.Status.PARTIALLY_SHIPPED
    assert (order.amount_authorised, order.amount_captured) == (Decimal("46.00"), Decimal("16.00"))
    assert (line_of(order, mug).shipped, line_of(order, pot).backordered) == (2, 1)
    mug.stock.refresh_from_db()
    assert (mug.stock.on_hand, mug.stock.allocated) == (0, 0)


def test_ship_complete_ships_nothing_while_anything_waits():
    mug, pot = ProductFactory(), ProductFactory()
    receive(mug, 2)
    order = place((mug, 2), (pot, 1), policy="ship_complete")

    with pytest.raises(Conflict) as refused:
        ship_order(order.number)

    assert f"still waits for {pot.sku}: 1" in str(refused.value)
    assert not order.shipments.exists()
    mug.stock.refresh_from_db()
    assert (mug.stock.on_hand, mug.stock.allocated) == (2, 2)


def test_ship_complete_ships_everything_once_it_is_all_there():
    mug, pot = ProductFactory(), ProductFactory()
    receive(mug, 2)
    order = place((mug, 2), (pot, 1), policy="ship_complete")
    receive(pot, 1)

    shipment = ship_order(order.number)

    assert sorted(line.quantity for line in shipment.lines.all()) == [1, 2]
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert order.amount_captured == order.amount_authorised
    assert set(order.backorders.values_list("status", flat=True)) == {Backorder.Status.SHIPPED}


def test_an_order_without_stock_cannot_ship_and_says_why():
    pot = ProductFactory()
    order = place((pot, 1))

    with pytest.raises(Conflict, match="no units are in stock for it yet"):
        ship_order(order.number)


def test_a_shipped_order_cannot_ship_twice():
    mug = ProductFactory()
    receive(mug, 1)
    order = place((mug, 1))
    ship_order(order.number)

    with pytest.raises(Conflict, match="has shipped completely"):
        ship_order(order.number)
