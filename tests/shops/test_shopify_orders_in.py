"""Shopify's order webhooks, with Shopify's published sample order (#9999; see
fixtures/SOURCES.md), signed as Shopify signs them: the order is placed once, follows the
shop's edits and cancellation, and what cannot be placed is held, never lost."""

from decimal import Decimal

import pytest

from orders.cancellation import CancelRequest, cancel_units
from orders.models import Order, OrderLine
from shops.inbox import process_open
from shops.models import InboxEvent
from tests.factories import ProductFactory, receive

from .conftest import (
    as_graphql,
    body_of,
    graphql_answer,
    on,
    shopify_headers,
    shopify_order,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(db):
    """The sample's SKUs, written in another case than the shop writes them."""
    sunglasses = ProductFactory(sku="sku2006-001", name="Aviator sunglasses")
    lounger = ProductFactory(sku="SKU2006-020", name="Mid-century lounger")
    table = ProductFactory(sku="Sku2006-035", name="Coffee table")
    receive(sunglasses, 5)
    return sunglasses, lounger, table


def send(deliver, order, topic="orders/create", webhook_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"):
    body = body_of(order)
    return deliver("SHOP", body, shopify_headers(body, topic=topic, webhook_id=webhook_id))


def test_orders_create_places_the_order_as_shopify_means_it(deliver, shopify, catalogue):
    sunglasses, _lounger, _table = catalogue
    order = shopify_order()
    order["line_items"][2]["requires_shipping"] = False  # as a gift card or a tip: nothing to ship
    order["line_items"][1]["current_quantity"] = 0  # removed by an edit before this webhook
    order["customer_locale"] = "en-US"

    assert send(deliver, order).status_code == 200

    placed = Order.objects.get()
    assert (placed.number, placed.customer_number, placed.shop, placed.shop_order_id) == (
        "SHOP-820982911946154508",
        "#9999",
        "SHOP",
        "820982911946154508",
    )
    assert (placed.customer.email, placed.customer.name, placed.customer.language) == (
        "jon@example.com",
        "John Smith",
        "en",
    )
    assert placed.currency == "USD"
    assert placed.shipping_address == {
        "name": "Steve Shipper",
        "company": "Shipping Company",
        "address1": "123 Shipping Street",
        "postcode": "40003",
        "city": "Shippington",
        "region": "Kentucky",
        "country": "US",
    }
    lines = list(placed.lines.select_related("product"))
    assert [(line.product, line.quantity, line.unit_price, line.allocated) for line in lines] == [
        (sunglasses, 1, Decimal("89.99"), 1)
    ]
    assert placed.amount_authorised == Decimal("89.99")
    assert InboxEvent.objects.get().status == "done"


def test_the_same_delivery_twice_and_an_update_right_after_create_make_one_order(deliver, shopify, catalogue):
    order = shopify_order()

    send(deliver, order)
    send(deliver, order)  # Shopify's retry: the same X-Shopify-Webhook-Id
    send(
        deliver,
        shopify_order(updated_at="2021-12-31T19:00:05-05:00"),
        topic="orders/updated",
        webhook_id="other-delivery",
    )

    assert Order.objects.count() == 1
    assert OrderLine.objects.count() == 3
    assert list(InboxEvent.objects.order_by("id").values_list("status", flat=True)) == ["done", "ignored"]


def test_an_edit_that_lowers_a_quantity_or_removes_a_line_cancels_the_difference(deliver, shopify, catalogue):
    sunglasses, lounger, table = catalogue
    order = shopify_order()
    order["line_items"][0].update(quantity=3, current_quantity=3)
    send(deliver, order)

    edited = shopify_order(updated_at="2022-01-02T10:00:00-05:00")
    edited["line_items"][0].update(quantity=3, current_quantity=1)  # two taken off
    edited["line_items"][2]["current_quantity"] = 0  # the table removed
    send(deliver, edited, topic="orders/updated", webhook_id="edit-1")

    lines = {line.product: line for line in Order.objects.get().lines.all()}
    assert (lines[sunglasses].quantity, lines[sunglasses].cancelled, lines[sunglasses].allocated) == (3, 2, 1)
    assert (lines[table].cancelled, lines[table].backordered) == (1, 0)
    assert lines[lounger].cancelled == 0
    sunglasses.stock.refresh_from_db()
    assert sunglasses.stock.allocated == 1  # the released units are free to sell again


def test_units_cancelled_here_and_then_refunded_in_the_shop_are_not_cancelled_twice(deliver, shopify, catalogue):
    # Given a Shopify order for 3 sunglasses, of which staff cancel 2 here (the shop gets a note)
    sunglasses, _lounger, _table = catalogue
    order = shopify_order()
    order["line_items"][0].update(quantity=3, current_quantity=3)
    send(deliver, order)
    placed = Order.objects.get()
    cancel_units(placed.number, [CancelRequest(sunglasses.sku, 2)])

    # When the merchant refunds those 2 in Shopify, which then says 1 is left
    refunded = shopify_order(updated_at="2022-01-02T10:00:00-05:00")
    refunded["line_items"][0].update(quantity=3, current_quantity=1)
    send(deliver, refunded, topic="orders/updated", webhook_id="refund-1")

    # Then the customer still gets the 1 the shop's order holds: nothing more is cancelled
    line = placed.lines.get(product=sunglasses)
    assert (line.quantity, line.cancelled, line.allocated) == (3, 2, 1)


def test_orders_edited_reads_the_order_over_graphql_and_applies_it(deliver, shopify, catalogue, httpserver):
    _sunglasses, lounger, _table = catalogue
    on(shopify, httpserver)
    send(deliver, shopify_order())
    now = shopify_order(updated_at="2022-01-03T09:00:00-05:00")
    now["line_items"][1]["current_quantity"] = 0
    httpserver.expect_oneshot_request(
        "/admin/api/2025-10/graphql.json",
        method="POST",
        headers={"X-Shopify-Access-Token": "shpat_token"},
    ).respond_with_json(graphql_answer({"order": as_graphql(now)}))

    # Shopify's orders/edited body names the order and what changed (secondary sources; see shops.md)
    edit = {
        "order_edit": {
            "id": 78912328,
            "app_id": None,
            "created_at": "2022-01-03T09:00:00-05:00",
            "notify_customer": False,
            "order_id": 820982911946154508,
            "staff_note": "",
            "user_id": None,
            "line_items": {"additions": [], "removals": [{"id": 976318377106520349, "delta": 1}]},
        }
    }
    send(deliver, edit, topic="orders/edited", webhook_id="edit-2")

    httpserver.check_assertions()
    [asked] = [request for request, _response in httpserver.log]
    assert asked.get_json()["variables"] == {"id": "gid://shopify/Order/820982911946154508"}
    assert Order.objects.get().lines.get(product=lounger).cancelled == 1


def test_orders_cancelled_cancels_every_unshipped_unit(deliver, shopify, catalogue):
    send(deliver, shopify_order())

    cancelled = shopify_order(
        cancelled_at="2022-01-05T08:00:00-05:00",
        updated_at="2022-01-05T08:00:00-05:00",
        cancel_reason="customer",
        financial_status="voided",
    )
    send(deliver, cancelled, topic="orders/cancelled", webhook_id="cancel-1")

    order = Order.objects.get()
    assert order.status == Order.Status.CANCELLED
    assert sum(line.cancelled for line in order.lines.all()) == 3


def test_an_event_older_than_what_was_applied_changes_nothing(deliver, shopify, catalogue):
    send(deliver, shopify_order(updated_at="2022-01-05T08:00:00-05:00"))

    older = shopify_order(updated_at="2022-01-01T08:00:00-05:00")
    older["line_items"][0]["current_quantity"] = 0
    send(deliver, older, topic="orders/updated", webhook_id="late-arrival")

    assert Order.objects.get().lines.filter(cancelled__gt=0).count() == 0
    assert "not newer" in InboxEvent.objects.get(delivery_key="late-arrival").reason


def test_an_unpaid_order_waits_until_the_shop_says_it_is_paid(deliver, shopify, catalogue):
    send(deliver, shopify_order(financial_status="pending"))
    assert not Order.objects.exists()

    send(
        deliver,
        shopify_order(financial_status="authorized", updated_at="2022-01-01T00:00:00Z"),
        topic="orders/updated",
        webhook_id="paid",
    )

    assert Order.objects.get().shop_order.payment == "authorized"


def test_an_unknown_sku_is_held_with_its_reason_and_placed_once_the_product_exists(deliver, shopify):
    ProductFactory(sku="SKU2006-001")
    ProductFactory(sku="SKU2006-020")

    assert send(deliver, shopify_order()).status_code == 200

    event = InboxEvent.objects.get()
    assert (event.status, event.reason) == ("held", "Line 3: unknown SKU SKU2006-035.")
    assert not Order.objects.exists()

    # When the product is created and the next sync tries the held events again
    ProductFactory(sku="SKU2006-035")
    process_open(shopify)

    event.refresh_from_db()
    assert event.status == "done" and Order.objects.count() == 1


def test_a_line_added_after_placing_is_held_not_placed(deliver, shopify, catalogue):
    order = shopify_order()
    order["line_items"] = order["line_items"][:1]
    send(deliver, order)

    send(deliver, shopify_order(updated_at="2022-01-02T00:00:00Z"), topic="orders/updated", webhook_id="added")

    event = InboxEvent.objects.get(delivery_key="added")
    assert event.status == "held" and "SKU2006-020: 0 → 1" in event.reason
    assert Order.objects.get().lines.count() == 1


def test_malformed_data_signed_by_the_shop_is_held_never_a_5xx(deliver, shopify):
    body = b'{"id": 1, "line_items": [}'

    response = deliver("SHOP", body, shopify_headers(body, webhook_id="broken"))

    assert response.status_code == 200
    event = InboxEvent.objects.get()
    assert event.status == "held" and event.reason.startswith("Malformed JSON")


def test_the_api_finds_an_order_by_shop_and_the_shops_order_id(deliver, shopify, catalogue, api_as):
    send(deliver, shopify_order())

    found = api_as("Shop").get("/api/v1/orders/?shop=SHOP&shop_order_id=820982911946154508").json()["results"]

    assert [(o["number"], o["customer_number"], o["currency"]) for o in found] == [
        ("SHOP-820982911946154508", "#9999", "USD")
    ]
    assert api_as("Shop").get("/api/v1/orders/?shop=SHOP&shop_order_id=1").json()["results"] == []
