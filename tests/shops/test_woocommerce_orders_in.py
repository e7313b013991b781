"""WooCommerce's order webhooks, with the REST v3 order the docs publish (order 727; the
webhook body is that same object), signed as WooCommerce signs them."""

import datetime
from decimal import Decimal

import pytest
import time_machine

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


def test_a_deleted_order_cancels_every_unshipped_unit_and_news_sent_before_changes_nothing(deliver, woo, products):
    send(deliver, with_skus(woo_order()))

    send(deliver, {"id": 727}, topic="order.deleted")  # all WooCommerce sends when an order is trashed or deleted
    send(deliver, with_skus(woo_order(date_modified_gmt="2017-03-23T08:00:00")), topic="order.updated")  # late

    order = Order.objects.get()
    assert order.status == Order.Status.CANCELLED
    assert [line.cancelled for line in order.lines.order_by("position")] == [2, 1]
    deleted, late = InboxEvent.objects.exclude(topic="order.created").order_by("id")
    assert (deleted.status, deleted.reason) == ("done", "cancelled 2 × WOO-SINGLE-1, 1 × bar3")
    assert late.reason.startswith("not newer than what was applied")


def test_a_deleted_order_the_back_office_never_placed_is_nothing_to_do(deliver, woo, products):
    send(deliver, {"id": 999}, topic="order.deleted")

    assert not Order.objects.exists()
    assert InboxEvent.objects.get().status == "ignored"


def test_the_same_state_delivered_again_is_one_event(deliver, woo, products):
    # WooCommerce gives each attempt a new delivery id: the order id and its modification time are the key.
    send(deliver, with_skus(woo_order()))
    send(deliver, with_skus(woo_order()), topic="order.updated")

    assert InboxEvent.objects.count() == 1
    assert Order.objects.count() == 1


def test_an_order_restored_from_the_bin_after_it_was_cancelled_here_is_held_with_the_reason(deliver, woo, products):
    # Given an order placed, then trashed in WooCommerce (cancelled here)
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False):
        send(deliver, with_skus(woo_order()))
        send(deliver, {"id": 727}, topic="order.deleted")

    # When the merchant restores it from the bin: WooCommerce sends order.restored with the order back in processing
    send(deliver, with_skus(woo_order(date_modified_gmt="2026-03-02T09:05:00")), topic="order.restored")

    # Then it is held, saying why and what to do; the cancelled order stays as it is
    restored = InboxEvent.objects.get(topic="order.restored")
    assert restored.status == "held"
    assert "open again" in restored.reason and "WOO-727 was cancelled here" in restored.reason
    assert Order.objects.get().status == Order.Status.CANCELLED


def test_orders_are_placed_with_the_shops_fulfilment_policy(deliver, woo, products):
    woo.ship_policy = Order.Policy.SHIP_COMPLETE
    woo.save()

    send(deliver, with_skus(woo_order()))

    assert Order.objects.get().fulfilment_policy == Order.Policy.SHIP_COMPLETE
