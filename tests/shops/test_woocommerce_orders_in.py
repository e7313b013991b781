"""WooCommerce's order webhooks, with the REST v3 order the docs publish (order 727; the
webhook body is that same object), signed as WooCommerce signs them."""

from decimal import Decimal

import pytest

from orders.models import Order
from shops.models import InboxEvent
from tests.factories import ProductFactory

from .conftest import body_of, woo_headers, woo_order

pytestmark = pytest.mark.django_db


def send(deliver, order, topic="order.created"):
    body = body_of(order)
    return deliver("WOO", body, woo_headers(body, topic=topic))


@pytest.fixture
def products(db):
    return ProductFactory(sku="WOO-SINGLE-1"), ProductFactory(sku="bar3")


def with_skus(order):
    order["line_items"][0]["sku"] = "woo-single-1"  # the published order leaves this line's SKU empty
    return order


def test_a_processing_order_is_placed_with_unit_prices_from_the_line_totals(deliver, woo, products):
    _single, _bar = products

    send(deliver, with_skus(woo_order()))

    order = Order.objects.get()
    assert (order.number, order.customer_number, order.currency) == ("WOO-727", "727", "USD")
    assert (order.customer.email, order.customer.name, order.customer.language) == (
        "john.doe@example.com",
        "John Doe",
        "de",
    )
    assert order.shipping_address["city"] == "San Francisco"
    assert sorted((line.product.sku, line.quantity, line.unit_price) for line in order.lines.all()) == [
        ("WOO-SINGLE-1", 2, Decimal("3.00")),
        ("bar3", 1, Decimal("12.00")),
    ]


def test_the_published_orders_line_without_a_sku_is_held_with_its_reason(deliver, woo, products):
    send(deliver, woo_order())

    event = InboxEvent.objects.get()
    assert (event.status, event.reason) == ("held", "Line 1 (Woo Single #1) has no SKU.")
    assert not Order.objects.exists()


@pytest.mark.parametrize("status", ["pending", "failed", "checkout-draft"])
def test_an_order_not_yet_processing_is_not_placed(deliver, woo, products, status):
    send(deliver, with_skus(woo_order(status=status)))

    assert not Order.objects.exists()
    assert InboxEvent.objects.get().status == "ignored"


def test_on_hold_places_and_a_later_refund_cancels_every_unshipped_unit(deliver, woo, products):
    send(deliver, with_skus(woo_order(status="on-hold")))

    send(
        deliver, with_skus(woo_order(status="refunded", date_modified_gmt="2017-03-23T08:00:00")), topic="order.updated"
    )

    order = Order.objects.get()
    assert order.status == Order.Status.CANCELLED
    assert InboxEvent.objects.count() == 2


def test_the_same_state_delivered_again_is_one_event(deliver, woo, products):
    # WooCommerce gives each attempt a new delivery id: the order id and its modification time are the key.
    send(deliver, with_skus(woo_order()))
    send(deliver, with_skus(woo_order()), topic="order.updated")

    assert InboxEvent.objects.count() == 1
    assert Order.objects.count() == 1
