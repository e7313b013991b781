"""Arriving stock goes to waiting orders: expedited first, then oldest order first."""

import datetime

import pytest
import time_machine

from inventory.stock import StockChange, change_stock
from orders.models import Backorder, Order
from tests.factories import ProductFactory, line_of, place, receive

pytestmark = pytest.mark.django_db

MONDAY = datetime.datetime(2026, 5, 4, 8, 0, tzinfo=datetime.UTC)


def placed_on(day, *lines, **kwargs):
    with time_machine.travel(MONDAY + datetime.timedelta(days=day), tick=False):
        return place(*lines, **kwargs)


def refreshed(*orders):
    return [Order.objects.get(pk=order.pk) for order in orders]


def test_arriving_units_fill_the_oldest_order_first():
    lamp = ProductFactory()
    newer = placed_on(2, (lamp, 2))
    older = placed_on(0, (lamp, 2))
    middle = placed_on(1, (lamp, 2))

    receive(lamp, 3)

    assert [line_of(order, lamp).allocated for order in (older, middle, newer)] == [2, 1, 0]
    older, middle, newer = refreshed(older, middle, newer)
    assert older.status == Order.Status.READY_TO_SHIP
    assert middle.status == Order.Status.READY_TO_SHIP  # ship_partial: one can go
    assert newer.status == Order.Status.AWAITING_STOCK


def test_expedited_orders_are_filled_ahead_of_older_ones():
    lamp = ProductFactory()
    old = placed_on(0, (lamp, 1))
    rush = placed_on(5, (lamp, 1), expedite=True)

    receive(lamp, 1)

    assert line_of(rush, lamp).allocated == 1
    assert line_of(old, lamp).allocated == 0


def test_a_filled_backorder_is_allocated_and_records_when():
    lamp = ProductFactory()
    order = placed_on(0, (lamp, 2))

    with time_machine.travel(MONDAY + datetime.timedelta(days=9), tick=False):
        receive(lamp, 2)

    [backorder] = order.backorders.all()
    assert (backorder.filled, backorder.status) == (2, Backorder.Status.ALLOCATED)
    assert backorder.filled_at == MONDAY + datetime.timedelta(days=9)


def test_partly_filled_backorders_keep_waiting_for_the_rest():
    lamp = ProductFactory()
    order = placed_on(0, (lamp, 5))

    receive(lamp, 2)

    [backorder] = order.backorders.all()
    assert (backorder.filled, backorder.waiting, backorder.status) == (2, 3, Backorder.Status.OPEN)
    line = line_of(order, lamp)
    assert (line.allocated, line.backordered) == (2, 3)


def test_a_ship_complete_order_becomes_ready_only_when_every_line_is_there():
    lamp, shade = ProductFactory(), ProductFactory()
    order = placed_on(0, (lamp, 1), (shade, 1), policy="ship_complete")

    receive(lamp, 1)
    assert refreshed(order)[0].status == Order.Status.AWAITING_STOCK

    receive(shade, 1)
    assert refreshed(order)[0].status == Order.Status.READY_TO_SHIP


def test_a_positive_adjustment_fills_backorders_like_a_receipt():
    lamp = ProductFactory()
    order = placed_on(0, (lamp, 1))

    change_stock([StockChange(lamp.sku, 1, "adjustment", "found behind the shelf")])

    assert line_of(order, lamp).allocated == 1


def test_surplus_stays_available():
    lamp = ProductFactory()
    placed_on(0, (lamp, 2))

    receive(lamp, 5)

    lamp.stock.refresh_from_db()
    assert (lamp.stock.on_hand, lamp.stock.allocated) == (5, 2)


def test_a_count_below_what_is_allocated_puts_the_youngest_orders_back_to_waiting():
    lamp = ProductFactory()
    receive(lamp, 4)
    old = placed_on(0, (lamp, 2))
    young = placed_on(3, (lamp, 2))

    change_stock([StockChange(lamp.sku, 3, "count", "two broken")])

    assert (line_of(old, lamp).allocated, line_of(old, lamp).backordered) == (2, 0)
    assert (line_of(young, lamp).allocated, line_of(young, lamp).backordered) == (1, 1)
    [backorder] = young.backorders.all()
    assert (backorder.quantity, backorder.status) == (1, Backorder.Status.OPEN)
    lamp.stock.refresh_from_db()
    assert (lamp.stock.on_hand, lamp.stock.allocated) == (3, 3)


def test_units_taken_back_reopen_the_backorder_they_filled():
    lamp = ProductFactory()
    order = placed_on(0, (lamp, 2))
    receive(lamp, 2)

    change_stock([StockChange(lamp.sku, 0, "count")])

    [backorder] = order.backorders.all()
    assert (backorder.filled, backorder.status, backorder.filled_at) == (0, Backorder.Status.OPEN, None)
    assert refreshed(order)[0].status == Order.Status.AWAITING_STOCK
