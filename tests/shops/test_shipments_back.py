"""Shipments and cancellations go back to the shop's order, over real HTTP: a Shopify
fulfilment of the shipped fulfilment-order lines with the tracking number and a capture of an
authorised payment (a refused capture flagged for staff); a WooCommerce note and status."""

import json
from decimal import Decimal

import pytest
from werkzeug import Response

from orders.cancellation import CancelRequest, cancel_units
from orders.fulfilment import ship_order
from orders.models import Order
from shops import pushes
from shops.models import OrderPush
from tests.factories import ProductFactory, receive

from .conftest import (
    body_of,
    on,
    shopify_headers,
    shopify_order,
    woo_headers,
    woo_order,
)

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


def shopify_fake(server, capture_errors=(), down=0):
    """Shopify's order with one fulfilment order holding its three lines and an authorisation."""
    state = {"down": down}

    def answer(request):
        query = request.get_json()["query"]
        if state["down"]:
            state["down"] -= 1
            return Response("Service Unavailable", status=503)
        if "FulfillmentOrders" in query:
            data = {
                "order": {
                    "fulfillmentOrders": {
                        "nodes": [
                            {
                                "id": "gid://shopify/FulfillmentOrder/9",
                                "status": "OPEN",
                                "lineItems": {
                                    "nodes": [
                                        {
                                            "id": "gid://shopify/FulfillmentOrderLineItem/91",
                                            "remainingQuantity": 1,
                                            "lineItem": {"sku": "SKU2006-001"},
                                        },
                                        {
                                            "id": "gid://shopify/FulfillmentOrderLineItem/92",
                                            "remainingQuantity": 1,
                                            "lineItem": {"sku": "SKU2006-020"},
                                        },
                                        {
                                            "id": "gid://shopify/FulfillmentOrderLineItem/93",
                                            "remainingQuantity": 1,
                                            "lineItem": {"sku": "SKU2006-035"},
                                        },
                                    ]
                                },
                            }
                        ]
                    },
                    "transactions": [
                        {"id": "gid://shopify/OrderTransaction/77", "kind": "AUTHORIZATION", "status": "SUCCESS"}
                    ],
                }
            }
        elif "Fulfil(" in query:
            data = {"fulfillmentCreate": {"fulfillment": {"id": "gid://shopify/Fulfillment/1"}, "userErrors": []}}
        elif "Capture(" in query:
            data = {
                "orderCapture": {
                    "transaction": {"id": "gid://shopify/OrderTransaction/78", "status": "SUCCESS"},
                    "userErrors": [{"field": ["amount"], "message": m} for m in capture_errors],
                }
            }
        else:
            data = {"productVariants": {"nodes": []}, "locations": {"nodes": []}}
        return Response(json.dumps({"data": data}), content_type="application/json")

    server.expect_request(
        "/admin/api/2025-10/graphql.json", method="POST", headers={"X-Shopify-Access-Token": "shpat_token"}
    ).respond_with_handler(answer)


def order_calls(server):
    return [b for b in bodies(server) if "productVariants" not in b["query"]]


def test_a_shipment_becomes_a_shopify_fulfilment_with_tracking_and_a_capture_of_what_shipped(
    shopify_order_placed, shopify, httpserver, django_capture_on_commit_callbacks
):
    shopify_fake(httpserver)

    ship_order(shopify_order_placed.number, tracking_number="1Z999AA10123456784")
    pushes.push_orders(shopify)

    calls = order_calls(httpserver)
    fulfil = next(c for c in calls if "fulfillmentCreate" in c["query"])
    assert fulfil["variables"]["fulfillment"] == {
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
    capture = next(c for c in calls if "orderCapture" in c["query"])
    assert capture["variables"]["input"] == {
        "id": "gid://shopify/Order/820982911946154508",
        "parentTransactionId": "gid://shopify/OrderTransaction/77",
        "amount": "369.97",
        "currency": "USD",
    }
    assert OrderPush.objects.get().status == "done"


def test_a_refused_capture_is_flagged_for_staff_and_not_retried(shopify_order_placed, shopify, httpserver):
    shopify_fake(httpserver, capture_errors=["The authorization has expired"])

    ship_order(shopify_order_placed.number)
    pushes.push_orders(shopify, force=True)
    pushes.push_orders(shopify, force=True)

    push = OrderPush.objects.get()
    assert push.status == "refused" and "authorization has expired" in push.last_error
    shopify_order_placed.refresh_from_db()
    assert "authorization has expired" in shopify_order_placed.payment_problem
    assert sum("orderCapture" in c["query"] for c in order_calls(httpserver)) == 1


def test_a_shop_down_mid_push_gets_the_rest_once_it_is_up_and_no_step_twice(shopify_order_placed, shopify, httpserver):
    # The fulfilment goes through, then Shopify answers 503 to the capture's look-up
    shopify_fake(httpserver)
    ship_order(shopify_order_placed.number)
    original = pushes.platforms.shopify.graphql
    seen = {"n": 0}

    def flaky(connection, query, variables):
        seen["n"] += 1
        if "FulfillmentOrders" in query and seen["n"] > 2:
            from shops.http import ShopUnavailable

            raise ShopUnavailable("POST /admin/api/2025-10/graphql.json: 503 Service Unavailable")
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

    calls = order_calls(httpserver)
    assert sum("fulfillmentCreate" in c["query"] for c in calls) == 1
    assert sum("orderCapture" in c["query"] for c in calls) == 1
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

    assert bodies(httpserver, "/notes") == [
        {
            "note": f"Versandt aus dem Backoffice: 2 × WOO-SINGLE-1 ({woo_order_placed.lines.get(position=0).product.name}). Sendungsnummer: JJD0099.",
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
