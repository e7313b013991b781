"""The reconciliation reads what the shop changed (webhooks are not guaranteed) from a fake
shop over real HTTP, places what was missed, reports a shop that is down without stopping the
others, and changes nothing when run twice in a row."""

import datetime
import io
import json

import pytest
import time_machine
from django.core.management import CommandError, call_command
from werkzeug import Response

from orders.models import Order
from shops.models import InboxEvent, ShopConnection
from shops.sync import sync_shops
from tests.factories import ProductFactory

from .conftest import as_graphql, graphql_answer, on, shopify_order, woo_order

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def clock_at_nine():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def products(db):
    return ProductFactory(sku="WOO-SINGLE-1"), ProductFactory(sku="Bar3")


def woo_orders(*orders):
    for order in orders:
        order["line_items"][0]["sku"] = "WOO-SINGLE-1"
    return list(orders)


def not_sold_here(server, prefix=""):
    """The stock push's look-up by SKU: the fake shop sells none of them."""
    server.expect_request(f"{prefix}/wp-json/wc/v3/products", method="GET").respond_with_json([])


def test_a_sync_places_the_orders_the_webhooks_missed_reading_every_page(woo, products, httpserver):
    on(woo, httpserver)
    ShopConnection.objects.filter(pk=woo.pk).update(watermark=NOW - datetime.timedelta(hours=1))
    first, second = woo_orders(woo_order(), woo_order(id=728, number="728"))
    httpserver.expect_ordered_request(
        "/wp-json/wc/v3/orders",
        method="GET",
        headers={"Authorization": "Basic Y2tfa2V5OmNzX3NlY3JldA=="},
        query_string={
            "modified_after": "2026-03-02T07:50:00",
            "dates_are_gmt": "true",
            "per_page": "100",
            "page": "1",
            "orderby": "modified",
            "order": "asc",
        },
    ).respond_with_json([first], headers={"X-WP-Total": "2", "X-WP-TotalPages": "2"})
    httpserver.expect_ordered_request(
        "/wp-json/wc/v3/orders",
        method="GET",
        query_string={
            "modified_after": "2026-03-02T07:50:00",
            "dates_are_gmt": "true",
            "per_page": "100",
            "page": "2",
            "orderby": "modified",
            "order": "asc",
        },
    ).respond_with_json([second], headers={"X-WP-Total": "2", "X-WP-TotalPages": "2"})
    not_sold_here(httpserver)

    [result] = sync_shops()

    assert result["error"] == "" and result["orders_read"] == 2
    assert sorted(Order.objects.values_list("number", flat=True)) == ["WOO-727", "WOO-728"]
    woo.refresh_from_db()
    assert woo.watermark == NOW


def test_twice_in_a_row_changes_nothing(woo, products, httpserver):
    on(woo, httpserver)
    httpserver.expect_request("/wp-json/wc/v3/orders", method="GET").respond_with_json(
        woo_orders(woo_order()), headers={"X-WP-TotalPages": "1"}
    )
    not_sold_here(httpserver)
    sync_shops()
    before = (
        list(Order.objects.values_list("number", "status", "amount_authorised")),
        list(InboxEvent.objects.values_list("delivery_key", "status", "attempts")),
    )

    [result] = sync_shops()

    assert result["events"] == {} and result["stock_pushed"] == 0
    after = (
        list(Order.objects.values_list("number", "status", "amount_authorised")),
        list(InboxEvent.objects.values_list("delivery_key", "status", "attempts")),
    )
    assert after == before


def test_a_shop_that_is_down_is_reported_and_never_stops_the_others(woo, shopify, products, httpserver):
    # Given two shops on the fake server, the WooCommerce one answering 503
    on(woo, httpserver)
    woo.url = httpserver.url_for("/down")
    woo.save()
    on(shopify, httpserver)
    ProductFactory(sku="SKU2006-001"), ProductFactory(sku="SKU2006-020"), ProductFactory(sku="SKU2006-035")
    httpserver.expect_request("/down/wp-json/wc/v3/orders").respond_with_data("Service Unavailable", status=503)
    httpserver.expect_request("/admin/api/2025-10/graphql.json", method="POST").respond_with_handler(
        lambda request: Response(
            status=200,
            content_type="application/json",
            response=json.dumps(
                graphql_answer(
                    {
                        "orders": {
                            "pageInfo": {"hasNextPage": False, "endCursor": None},
                            "nodes": [as_graphql(shopify_order())],
                        }
                    }
                )
                if "OrdersSince" in request.get_json()["query"]
                else graphql_answer({"productVariants": {"nodes": []}})
            ),
        )
    )
    out = io.StringIO()

    # When the sync runs
    with pytest.raises(CommandError, match="Not reached, tried again at the next sync: WOO"):
        call_command("sync_shops", stdout=out)

    # Then Shopify's order is placed, and the WooCommerce shop's failure is on its connection
    assert Order.objects.get().shop == "SHOP"
    woo.refresh_from_db()
    assert "503" in woo.last_sync_error and woo.watermark is None
    assert "WOO: 0 orders read" in out.getvalue() and "ERROR Orders could not be read" in out.getvalue()

    # When the shop is back, the next sync places its order
    httpserver.clear_all_handlers()
    httpserver.expect_request("/down/wp-json/wc/v3/orders").respond_with_json(
        woo_orders(woo_order()), headers={"X-WP-TotalPages": "1"}
    )
    not_sold_here(httpserver, "/down")
    call_command("sync_shops", "WOO", stdout=io.StringIO())

    assert Order.objects.filter(shop="WOO").count() == 1
    woo.refresh_from_db()
    assert woo.last_sync_error == "" and woo.watermark == NOW
