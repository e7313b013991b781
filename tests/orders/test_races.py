"""Races on PostgreSQL: many shops ordering the last units at once, each thread on its
own database connection, all released together by a barrier."""

import threading
from collections import Counter

import pytest
from django.db import connection, connections
from django.db.models import Sum

from kernel.errors import DomainError
from orders import cancellation, fulfilment, placement
from orders.models import Backorder, Customer, Order, OrderLine
from tests.factories import ProductFactory, receive

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def at_once(count, work):
    """Run work(i) in `count` threads released together; return each outcome."""
    barrier = threading.Barrier(count)
    outcomes = [None] * count

    def run(index):
        try:
            barrier.wait()
            outcomes[index] = ("ok", work(index))
        except DomainError as error:
            outcomes[index] = (type(error).__name__, str(error))
        except Exception as error:  # a deadlock or constraint violation would land here
            outcomes[index] = ("crash", repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung: lock wait or deadlock"
    return outcomes


def order_of(sku, quantity):
    def work(index):
        order, _ = placement.place_order(
            number=f"RACE-{sku}-{index}",
            customer=placement.CustomerDetails(f"c{index}@example.org", f"C{index}"),
            fulfilment_policy="ship_partial",
            lines=[placement.LineRequest(sku, quantity)],
        )
        return order.number

    return work


def test_twenty_shops_ordering_the_last_five_non_backorderable_units_sell_exactly_five():
    assert connection.vendor == "postgresql"
    scarce = ProductFactory(backorderable=False)
    receive(scarce, 5)

    outcomes = at_once(20, order_of(scarce.sku, 1))

    kinds = Counter(kind for kind, _ in outcomes)
    assert kinds == {"ok": 5, "Conflict": 15}, outcomes  # too little stock: a 409
    scarce.stock.refresh_from_db()
    assert (scarce.stock.on_hand, scarce.stock.allocated, scarce.stock.available) == (5, 5, 0)
    assert Order.objects.count() == 5
    assert not Backorder.objects.exists()


def test_twenty_shops_ordering_a_backorderable_sku_split_exactly_into_allocated_and_backordered():
    popular = ProductFactory()
    receive(popular, 5)

    outcomes = at_once(20, order_of(popular.sku, 2))

    assert Counter(kind for kind, _ in outcomes) == {"ok": 20}, outcomes
    totals = OrderLine.objects.aggregate(allocated=Sum("allocated"), backordered=Sum("backordered"))
    assert totals == {"allocated": 5, "backordered": 35}
    assert Backorder.objects.aggregate(units=Sum("quantity"))["units"] == 35
    popular.stock.refresh_from_db()
    assert (popular.stock.on_hand, popular.stock.allocated) == (5, 5)


def test_opposite_line_orders_over_shared_skus_do_not_deadlock():
    a, b, c = ProductFactory(), ProductFactory(), ProductFactory()
    for product in (a, b, c):
        receive(product, 10)
    orderings = [(a, b, c), (c, b, a), (b, c, a), (c, a, b)]

    def work(index):
        products = orderings[index % len(orderings)]
        order, _ = placement.place_order(
            number=f"MIX-{index}",
            customer=placement.CustomerDetails(f"m{index}@example.org", "M"),
            fulfilment_policy="ship_partial",
            lines=[placement.LineRequest(p.sku, 1) for p in products],
        )
        return order.number

    outcomes = at_once(16, work)

    assert Counter(kind for kind, _ in outcomes) == {"ok": 16}, outcomes
    for product in (a, b, c):
        product.stock.refresh_from_db()
        assert product.stock.allocated == 10
    assert OrderLine.objects.aggregate(units=Sum("backordered"))["units"] == 18


def test_a_shop_retrying_the_same_order_at_once_creates_it_once():
    popular = ProductFactory()
    receive(popular, 3)

    def work(index):
        order, created = placement.place_order(
            number="RETRY-1",
            customer=placement.CustomerDetails("r@example.org", "R"),
            fulfilment_policy="ship_partial",
            lines=[placement.LineRequest(popular.sku, 2)],
        )
        return created

    outcomes = at_once(8, work)

    assert sorted(result for _, result in outcomes) == [False] * 7 + [True], outcomes
    assert Order.objects.count() == 1
    popular.stock.refresh_from_db()
    assert popular.stock.allocated == 2


def test_a_new_customers_first_orders_placed_at_once_are_all_placed_for_one_customer():
    # Given a customer the shop has never seen, whose eight orders arrive at the same moment
    popular = ProductFactory()
    receive(popular, 3)

    def work(index):
        order, created = placement.place_order(
            number=f"NEW-{index}",
            customer=placement.CustomerDetails("new@example.org", "New Customer"),
            fulfilment_policy="ship_partial",
            lines=[placement.LineRequest(popular.sku, 1)],
        )
        return created

    # When they race to create the customer, then every order is placed, all for that one customer
    outcomes = at_once(8, work)

    assert outcomes == [("ok", True)] * 8, outcomes
    assert Customer.objects.count() == 1 and Order.objects.filter(customer__email="new@example.org").count() == 8
    popular.stock.refresh_from_db()
    assert (popular.stock.allocated, Backorder.objects.aggregate(units=Sum("quantity"))["units"]) == (3, 5)


def test_receipts_shipments_and_cancellations_at_once_keep_stock_exact():
    kettle = ProductFactory()
    numbers = [order_of(kettle.sku, 2)(i) for i in range(10)]  # 20 units waiting

    def work(index):
        if index % 3 == 0:
            return receive(kettle, 2).pk
        if index % 3 == 1:
            return fulfilment.ship_order(numbers[index % 10]).pk
        return cancellation.cancel_units(numbers[index % 10], [cancellation.CancelRequest(kettle.sku, 1)]).pk

    outcomes = at_once(15, work)

    assert "crash" not in {kind for kind, _ in outcomes}, outcomes
    kettle.stock.refresh_from_db()
    lines = OrderLine.objects.filter(product=kettle).aggregate(
        allocated=Sum("allocated"), shipped=Sum("shipped"), backordered=Sum("backordered"), cancelled=Sum("cancelled")
    )
    ledger = kettle.movements.aggregate(total=Sum("quantity"))["total"]
    assert kettle.stock.on_hand == ledger
    assert kettle.stock.allocated == lines["allocated"]
    assert sum(lines.values()) == 20
    assert kettle.stock.available == 0 or lines["backordered"] == 0
