"""Placing an order allocates what is in stock and backorders the rest, in one go."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db.models import Sum

from kernel.errors import Conflict, InvalidInput
from orders import placement
from orders.models import Backorder, Customer, Order, OrderLine
from tests.factories import CustomerFactory, ProductFactory, line_of, place, receive

pytestmark = pytest.mark.django_db


def test_in_stock_lines_are_allocated_and_the_order_is_ready():
    tea = ProductFactory(price=Decimal("4.50"))
    receive(tea, 10)

    order = place((tea, 3))

    line = line_of(order, tea)
    assert (line.allocated, line.backordered) == (3, 0)
    assert order.status == Order.Status.READY_TO_SHIP
    tea.stock.refresh_from_db()
    assert (tea.stock.on_hand, tea.stock.allocated, tea.stock.available) == (10, 3, 7)
    assert not order.backorders.exists()


@time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_the_unmet_part_becomes_a_backorder_with_an_eta_from_the_default_lead_time(settings):
    settings.BACKORDER_DEFAULT_LEAD_TIME_DAYS = 10
    kettle = ProductFactory()
    receive(kettle, 2)

    order = place((kettle, 5))

    line = line_of(order, kettle)
    assert (line.allocated, line.backordered) == (2, 3)
    [backorder] = order.backorders.all()
    assert backorder.quantity == 3
    assert backorder.status == Backorder.Status.OPEN
    assert backorder.eta == datetime.date(2026, 3, 12)
    assert backorder.promised_date == backorder.eta
    assert backorder.created_at == datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    assert order.status == Order.Status.READY_TO_SHIP  # ship_partial: the 2 may go now


def test_ship_complete_order_with_a_backorder_waits():
    kettle = ProductFactory()
    receive(kettle, 2)

    order = place((kettle, 5), policy="ship_complete")

    assert order.status == Order.Status.AWAITING_STOCK


def test_a_short_non_backorderable_line_rejects_the_whole_order_and_writes_nothing():
    fine, scarce = ProductFactory(), ProductFactory(backorderable=False)
    receive(fine, 10)
    receive(scarce, 1)

    with pytest.raises(Conflict) as raised:
        place((fine, 2), (scarce, 2), customer=CustomerFactory.build(email="new@example.org"))

    [problem] = raised.value.problems
    assert (problem.line, problem.sku, problem.code) == (1, scarce.sku, "insufficient_stock")
    assert "only 1 of 2 are available" in problem.message
    assert not Order.objects.exists()
    assert not Customer.objects.filter(email="new@example.org").exists()
    fine.stock.refresh_from_db()
    assert fine.stock.allocated == 0


def test_unknown_and_duplicate_skus_are_each_named_by_line():
    known = ProductFactory()

    with pytest.raises(InvalidInput) as raised:
        placement.place_order(
            number="X1",
            customer=placement.CustomerDetails("a@example.org", "A"),
            fulfilment_policy="ship_partial",
            lines=[
                placement.LineRequest(known.sku, 1),
                placement.LineRequest("GHOST", 1),
                placement.LineRequest(known.sku, 2),
            ],
        )

    assert [(p.line, p.sku, p.code) for p in raised.value.problems] == [
        (1, "GHOST", "unknown_sku"),
        (2, known.sku, "duplicate"),
    ]
    assert not Order.objects.exists()


@pytest.mark.parametrize("quantity", [0, -2, 1.5, True])
def test_quantities_must_be_positive_whole_numbers(quantity):
    product = ProductFactory()

    with pytest.raises(InvalidInput) as raised:
        placement.place_order(
            number="X2",
            customer=placement.CustomerDetails("a@example.org", "A"),
            fulfilment_policy="ship_partial",
            lines=[placement.LineRequest(product.sku, quantity)],
        )

    assert raised.value.problems[0].field == "quantity"
    assert not Order.objects.exists()


def test_a_bad_policy_is_refused():
    product = ProductFactory()
    with pytest.raises(InvalidInput, match="ship_partial, ship_complete"):
        place((product, 1), policy="whenever")


def test_placing_the_same_number_again_returns_the_order_and_changes_nothing():
    product = ProductFactory()
    receive(product, 1)
    first = place((product, 3), number="SHOP-77")

    again, created = placement.place_order(
        number="SHOP-77",
        customer=placement.CustomerDetails("x@example.org", "X"),
        fulfilment_policy="ship_partial",
        lines=[placement.LineRequest(product.sku, 3)],
    )

    assert (again.pk, created) == (first.pk, False)
    assert OrderLine.objects.count() == 1
    assert Backorder.objects.aggregate(units=Sum("quantity"))["units"] == 2
    product.stock.refresh_from_db()
    assert product.stock.allocated == 1


def test_the_same_number_with_other_lines_is_a_conflict():
    product = ProductFactory()
    place((product, 3), number="SHOP-78")

    with pytest.raises(Conflict, match="already exists with different lines"):
        place((product, 4), number="SHOP-78")


def test_dropship_lines_are_never_allocated_from_stock():
    direct = ProductFactory(dropship=True)

    order = place((direct, 2))

    line = line_of(order, direct)
    assert (line.allocated, line.backordered) == (0, 2)


def test_payment_is_authorised_for_the_whole_order_and_nothing_captured():
    a, b = ProductFactory(price=Decimal("19.99")), ProductFactory(price=Decimal("5.00"))

    order, _ = placement.place_order(
        number="PAY-1",
        customer=placement.CustomerDetails("p@example.org", "P"),
        fulfilment_policy="ship_partial",
        lines=[placement.LineRequest(a.sku, 3), placement.LineRequest(b.sku, 1, Decimal("4.25"))],
    )

    assert order.amount_authorised == Decimal("64.22")
    assert order.amount_captured == Decimal("0")


def test_a_returning_customer_is_recognised_by_email_and_keeps_their_latest_details():
    product = ProductFactory()
    place((product, 1), customer=CustomerFactory.build(email="Anna@Example.org", name="Anna", language="de"))

    place((product, 1), customer=CustomerFactory.build(email="anna@example.org", name="Anna Berg", language="en"))

    [customer] = Customer.objects.all()
    assert (customer.email, customer.name, customer.language) == ("anna@example.org", "Anna Berg", "en")
    assert customer.orders.count() == 2
