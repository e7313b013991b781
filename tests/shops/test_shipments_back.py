"""Shipments and cancellations go back to the shop's order, over real HTTP: a Shopify
fulfilment of the shipped fulfilment-order lines with the tracking number and a capture of an
authorised payment (a refused capture flagged for staff); a WooCommerce note and status."""

from decimal import Decimal

import pytest

from orders.cancellation import CancelRequest, cancel_units
from orders.fulfilment import ship_order
from orders.models import Order
from shops import pushes
from shops.models import OrderPush
from tests.factories import ProductFactory, receive

from .conftest import (
    SHOPIFY_GRAPHQL,
    body_of,
    on,
    shopify_headers,
    shopify_order,
    woo_headers,
    woo_order,
)
from .shopify_fake import FakeShopify

pytestmark = pytest.mark.django_db
BASIC = "Basic Y2tfa2V5OmNzX3NlY3JldA=="


def bodies(server, path=None):
    return [request.get_json() for request, _ in server.log if path is None or request.path.endswith(path)]


@pytest.fixture
def shopify_order_placed(deliver, shopify, httpserver):
    on(shopify, httpserver)
    for sku in ("SKU2006-001", "SKU2006-020", "SKU2006-035"):
        receive(ProductFactory(sku=sku, price=Decimal("10.00")), 5)
    body = body_of(shopify_order(financial_status="authorized"))
    deliver("SHOP", body, shopify_headers(body))
    return Order.objects.get()


def test_a_shipment_becomes_a_shopify_fulfilment_with_tracking_and_the_last_one_captures_what_is_owed(
    shopify_order_placed, shopify, httpserver
):
    shop = FakeShopify(httpserver)

    ship_order(shopify_order_placed.number, tracking_number="1Z999AA10123456784")  # all three lines
    pushes.push_orders(shopify)

    [fulfil] = shop.made("Fulfil")
    assert fulfil["fulfillment"] == {
        "lineItemsByFulfillmentOrder": [
            {
                "fulfillmentOrderId": "gid://shopify/FulfillmentOrder/9",
                "fulfillmentOrderLineItems": [
                    {"id": "gid://shopify/FulfillmentOrderLineItem/91", "quantity": 1},
                    {"id": "gid://shopify/FulfillmentOrderLineItem/92", "quantity": 1},
                    {"id": "gid://shopify/FulfillmentOrderLineItem/93", "quantity": 1},
                ],
            }
        ],
        "notifyCustomer": False,
        "trackingInfo": {"number": "1Z999AA10123456784"},
    }
    # nothing is left to ship: the lines and the shipping (10.00), and the authorisation is closed
    [capture] = shop.made("Capture")
    assert capture["input"] == {
        "id": "gid://shopify/Order/820982911946154508",
        "parentTransactionId": "gid://shopify/OrderTransaction/77",
        "amount": "379.97",
        "currency": "USD",
        "finalCapture": True,
    }
    assert OrderPush.objects.get().status == "done"


def test_a_refused_capture_is_flagged_for_staff_and_not_retried(shopify_order_placed, shopify, httpserver):
    shop = FakeShopify(httpserver, capture_errors=["The authorization has expired"])

    ship_order(shopify_order_placed.number)
    pushes.push_orders(shopify, force=True)
    pushes.push_orders(shopify, force=True)

    push = OrderPush.objects.get()
    assert push.status == "refused" and "authorization has expired" in push.last_error
    shopify_order_placed.refresh_from_db()
    assert "authorization has expired" in shopify_order_placed.payment_problem
    assert len(shop.made("Capture")) == 1


def test_a_shop_down_mid_push_gets_the_rest_once_it_is_up_and_no_step_twice(shopify_order_placed, shopify, httpserver):
    # The fulfilment goes through, then Shopify answers 503 to the capture's look-up
    shop = FakeShopify(httpserver)
    ship_order(shopify_order_placed.number)
    original = pushes.platforms.shopify.graphql

    def flaky(connection, query, variables):
        if "CaptureState" in query:
            from shops.http import ShopUnavailable

            raise ShopUnavailable(f"POST {SHOPIFY_GRAPHQL}: 503 Service Unavailable")
        return original(connection, query, variables)

    pushes.platforms.shopify.graphql = flaky
    try:
        pushes.push_orders(shopify)
    except Exception as error:
        assert "503" in str(error)
    finally:
        pushes.platforms.shopify.graphql = original
    push = OrderPush.objects.get()
    assert (push.status, push.steps_done, push.attempts) == ("pending", ["fulfilment"], 1)

    pushes.push_orders(shopify, force=True)  # the sync makes it up

    assert (len(shop.made("Fulfil")), len(shop.made("Capture"))) == (1, 1)
    assert OrderPush.objects.get().status == "done"


@pytest.fixture
def woo_order_placed(deliver, woo, httpserver):
    on(woo, httpserver)
    receive(ProductFactory(sku="WOO-SINGLE-1"), 5)
    ProductFactory(sku="BAR3")
    order = woo_order()
    order["line_items"][0]["sku"] = "WOO-SINGLE-1"
    body = body_of(order)
    deliver("WOO", body, woo_headers(body))
    httpserver.expect_request(
        "/wp-json/wc/v3/orders/727/notes", method="POST", headers={"Authorization": BASIC}
    ).respond_with_json({"id": 281, "note": "ok"}, status=201)
    httpserver.expect_request(
        "/wp-json/wc/v3/orders/727", method="PUT", headers={"Authorization": BASIC}
    ).respond_with_json({"id": 727, "status": "completed"})
    return Order.objects.get()


def test_woocommerce_gets_a_note_per_shipment_and_completed_when_nothing_is_left(woo_order_placed, woo, httpserver):
    ship_order(woo_order_placed.number, tracking_number="JJD0099")  # two of WOO-SINGLE-1; BAR3 still waits
    pushes.push_orders(woo)
    ship_ref = woo_order_placed.shipments.get().pk  # the marker a retry looks for

    assert bodies(httpserver, "/notes") == [
        {
            "note": f"Versandt aus dem Backoffice: 2 × WOO-SINGLE-1 ({woo_order_placed.lines.get(position=0).product.name}). Sendungsnummer: JJD0099. (ref. shipment:{ship_ref})",
            "customer_note": False,
        }
    ]
    assert bodies(httpserver, "/orders/727") == []  # BAR3 still waits

    receive(woo_order_placed.lines.get(position=1).product, 1)
    ship_order(woo_order_placed.number)
    pushes.push_orders(woo)

    assert bodies(httpserver, "/orders/727") == [{"status": "completed"}]


def test_a_cancellation_in_the_back_office_is_noted_and_cancels_the_shops_order_when_nothing_is_left(
    woo_order_placed, woo, httpserver
):
    cancel_units(woo_order_placed.number, [CancelRequest("BAR3", 1)], by_customer=True)
    pushes.push_orders(woo)
    assert "BAR3" in bodies(httpserver, "/notes")[0]["note"] and "12.00 USD" in bodies(httpserver, "/notes")[0]["note"]
    assert bodies(httpserver, "/orders/727") == []

    cancel_units(woo_order_placed.number)
    pushes.push_orders(woo)

    assert bodies(httpserver, "/orders/727") == [{"status": "cancelled"}]


def test_a_cancellation_the_shop_sent_is_not_written_back_to_it(woo_order_placed, deliver, woo):
    order = woo_order(status="cancelled", date_modified_gmt="2017-03-24T00:00:00")
    order["line_items"][0]["sku"] = "WOO-SINGLE-1"
    body = body_of(order)
    deliver("WOO", body, woo_headers(body, topic="order.updated"))

    assert Order.objects.get().status == Order.Status.CANCELLED
    assert not OrderPush.objects.exists()
