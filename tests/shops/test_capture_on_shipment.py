"""Charge on shipment as Shopify's orderCapture means it (shops/platforms/shopify.py states the
rule): each shipment captures its lines' amount in the presentment currency, the last one what
is still owed (shipping, tax) with finalCapture; an authorisation that can be captured once is
captured once, at the end; units cancelled here are not charged. Against a fake Shopify order
over real HTTP (tests/shops/shopify_fake.py)."""

from decimal import Decimal

import pytest

from orders.cancellation import CancelRequest, cancel_units
from orders.fulfilment import ship_order
from orders.models import Order
from shops import pushes
from tests.factories import ProductFactory, receive

from .conftest import body_of, on, shopify_headers, shopify_order
from .shopify_fake import FakeShopify

pytestmark = pytest.mark.django_db


@pytest.fixture
def products():
    return {
        sku: ProductFactory(sku=sku, price=Decimal("10.00")) for sku in ("SKU2006-001", "SKU2006-020", "SKU2006-035")
    }


@pytest.fixture
def authorised_order(deliver, shopify, httpserver, products):
    """Shopify's sample order #9999, authorised; only SKU2006-001 is in stock, the others wait."""
    on(shopify, httpserver)
    receive(products["SKU2006-001"], 1)
    body = body_of(shopify_order(financial_status="authorized"))
    deliver("SHOP", body, shopify_headers(body))
    return Order.objects.get()


def ship_and_push(order, shopify):
    ship_order(order.number)
    pushes.push_orders(shopify)


def captures(shop):
    return [
        (c["input"]["amount"], c["input"]["currency"], c["input"].get("finalCapture")) for c in shop.made("Capture")
    ]


def test_each_shipment_captures_its_lines_and_the_last_one_the_shipping_too(
    authorised_order, shopify, httpserver, products
):
    # Given a multi-capturable authorisation of 379.97 (three lines and 10.00 shipping)
    shop = FakeShopify(httpserver)

    # When the first line ships, then the other two
    ship_and_push(authorised_order, shopify)
    receive(products["SKU2006-020"], 1)
    receive(products["SKU2006-035"], 1)
    ship_and_push(authorised_order, shopify)

    # Then the first capture is the line's price, the last all that is owed (lines and shipping)
    assert captures(shop) == [("89.99", "USD", False), ("289.98", "USD", True)]
    assert shop.captured == shop.total


def test_a_multi_currency_order_is_captured_in_the_currency_the_customer_paid_in(
    authorised_order, shopify, httpserver, products
):
    # Given a USD shop whose customer paid in euros, at the shop's euro prices
    shop = FakeShopify(
        httpserver,
        presentment="EUR",
        prices={"SKU2006-001": "82.50", "SKU2006-020": "147.00", "SKU2006-035": "110.00"},
        shipping="9.00",
    )

    ship_and_push(authorised_order, shopify)
    receive(products["SKU2006-020"], 1)
    receive(products["SKU2006-035"], 1)
    ship_and_push(authorised_order, shopify)

    assert captures(shop) == [("82.50", "EUR", False), ("266.00", "EUR", True)]


def test_an_authorisation_captured_only_once_waits_for_the_last_shipment(
    authorised_order, shopify, httpserver, products
):
    # Given a gateway whose authorisation is not multi-capturable: a partial capture voids the rest
    shop = FakeShopify(httpserver, multi_capturable=False)

    ship_and_push(authorised_order, shopify)
    assert captures(shop) == []  # capturing 89.99 now would lose the other 290

    receive(products["SKU2006-020"], 1)
    receive(products["SKU2006-035"], 1)
    ship_and_push(authorised_order, shopify)

    assert captures(shop) == [("379.97", "USD", True)]


def test_units_cancelled_here_are_not_charged_by_the_last_capture(authorised_order, shopify, httpserver, products):
    # Given the first line shipped and captured, and the customer cancelling SKU2006-035 here
    shop = FakeShopify(httpserver)
    ship_and_push(authorised_order, shopify)
    cancel_units(authorised_order.number, [CancelRequest("SKU2006-035", 1)], by_customer=True)
    pushes.push_orders(shopify)

    # When the last line ships
    receive(products["SKU2006-020"], 1)
    ship_and_push(authorised_order, shopify)

    # Then the last capture is the shipped line and the shipping, not the cancelled 119.99
    assert captures(shop) == [("89.99", "USD", False), ("169.99", "USD", True)]


def test_the_rest_cancelled_after_a_shipment_makes_the_last_capture(authorised_order, shopify, httpserver):
    # Given the first line shipped and captured
    shop = FakeShopify(httpserver)
    ship_and_push(authorised_order, shopify)

    # When the two lines still waiting are cancelled here
    cancel_units(authorised_order.number)
    pushes.push_orders(shopify)

    # Then the shipping is captured and the rest of the authorisation voided; the order is not cancelled
    assert captures(shop) == [("89.99", "USD", False), ("10.00", "USD", True)]
    assert shop.made("Cancel") == []
