"""What is free to sell, whether it may be backordered and the next restock date go to the
shop's product, coalesced, batched, within the shop's rate limits, and made up after an
outage; the fake shops answer over real HTTP and each call's path, auth and body is checked."""

import datetime
import json

import pytest
import time_machine
from werkzeug import Response

from inventory.stock import StockChange, change_stock
from purchasing.batching import batch_backorders
from shops import pushes
from shops.models import ShopProduct
from shops.sync import sync_shops
from tests.factories import ProductFactory, SupplierItemFactory, place, receive

from .conftest import graphql_answer, on, published

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
BASIC = "Basic Y2tfa2V5OmNzX3NlY3JldA=="  # ck_key:cs_secret


@pytest.fixture(autouse=True)
def clock_at_nine():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def calls(server, path=None):
    return [request for request, _ in server.log if path is None or request.path.endswith(path)]


def woo_shop(server, skus_to_ids, batch_status=200):
    """A WooCommerce shop selling these SKUs (product ids), answering products/batch as its docs show."""

    def find(request):
        asked = request.args["sku"].split(",")
        return Response(
            json.dumps([{"id": skus_to_ids[s], "sku": s} for s in asked if s in skus_to_ids]),
            content_type="application/json",
        )

    def batch(request):
        if batch_status != 200:
            return Response("Service Unavailable", status=batch_status)
        answer = published("woocommerce_products_batch_response.json")
        answer["update"] = [{**answer["update"][0], "id": item["id"]} for item in request.get_json()["update"]]
        return Response(json.dumps(answer), content_type="application/json")

    server.expect_request("/wp-json/wc/v3/products", method="GET").respond_with_handler(find)
    server.expect_request("/wp-json/wc/v3/products/batch", method="POST").respond_with_handler(batch)


def test_a_backordered_product_shows_zero_stock_notify_backorders_and_the_restock_date(woo, httpserver):
    # Given a teapot nobody has in stock, ordered by a customer and put on a supplier's draft
    on(woo, httpserver)
    item = SupplierItemFactory(product=ProductFactory(sku="TEAPOT-1"), lead_time_days=10)
    place((item.product, 2))
    batch_backorders()
    woo_shop(httpserver, {"TEAPOT-1": 794})

    # When the push runs
    pushes.push_due(woo)

    # Then the shop was asked for the SKU once and sent the product's state in one batch
    [find] = calls(httpserver, "/products")
    assert (find.args["sku"], find.headers["Authorization"]) == ("TEAPOT-1", BASIC)
    [batch] = calls(httpserver, "/products/batch")
    assert batch.headers["Authorization"] == BASIC
    restock = datetime.date(2026, 3, 12)  # the draft's date: today + the supplier's 10 days
    assert batch.get_json() == {
        "update": [
            {
                "id": 794,
                "manage_stock": True,
                "stock_quantity": 0,
                "backorders": "notify",
                "meta_data": [{"key": "restock_date", "value": restock.isoformat()}],
            }
        ]
    }
    # the same date the product page's JSON gives
    assert httpserver  # (the fake shop is up)
    from django.test import Client

    assert Client().get("/availability/teapot-1.json").json()["next_restock_date"] == restock.isoformat()


def test_a_burst_of_changes_is_one_lookup_and_one_batch_and_nothing_twice(woo, httpserver):
    on(woo, httpserver)
    products = [ProductFactory(sku=f"TEA-{n}") for n in range(3)]
    woo_shop(httpserver, {p.sku: 100 + n for n, p in enumerate(products)})

    for round_ in range(10):  # thirty stock changes before the worker comes
        change_stock([StockChange(p.sku, 1 + round_, "receipt") for p in products])
    pushes.push_due(woo)
    pushes.push_due(woo)  # again: nothing changed since

    assert len(calls(httpserver, "/products")) == 1
    [batch] = calls(httpserver, "/products/batch")
    assert sorted((u["id"], u["stock_quantity"], u["backorders"]) for u in batch.get_json()["update"]) == [
        (100, 55, "notify"),
        (101, 55, "notify"),
        (102, 55, "notify"),
    ]


def test_a_product_the_shop_does_not_sell_is_looked_up_once_and_never_pushed(woo, httpserver):
    on(woo, httpserver)
    product = ProductFactory(sku="NOT-IN-SHOP")
    woo_shop(httpserver, {})

    receive(product, 3)
    pushes.push_due(woo)
    receive(product, 3)
    pushes.push_due(woo)

    assert len(calls(httpserver, "/products")) == 1 and not calls(httpserver, "/products/batch")
    assert ShopProduct.objects.get().found is False


def test_a_shop_down_during_pushes_gets_every_change_once_it_is_up(woo, httpserver, clock_at_nine):
    # Given the shop answering 503 to the push
    on(woo, httpserver)
    teapot = ProductFactory(sku="TEAPOT-2")
    woo_shop(httpserver, {"TEAPOT-2": 7}, batch_status=503)
    receive(teapot, 4)

    result = pushes.push_due(woo)

    row = ShopProduct.objects.get()
    assert "503" in result["push_error"] and row.pending and row.attempts == 1 and "503" in row.last_error
    assert row.due_at == NOW + datetime.timedelta(minutes=1)  # backoff

    # When more changes come while it is down, and the shop is back for the next sync
    receive(teapot, 1)
    httpserver.clear_all_handlers()
    woo_shop(httpserver, {"TEAPOT-2": 7})
    sync_shops_with_no_orders(httpserver)
    sync_shops()
    pushes.push_due(woo)

    # Then the last state reached the shop, once, and the row is clean
    batches = [r.get_json() for r in calls(httpserver, "/products/batch")]
    assert [b["update"][0]["stock_quantity"] for b in batches] == [4, 5]  # the refused 503, then the made-up push
    row.refresh_from_db()
    assert (row.pending, row.attempts, row.last_error, row.pushed["free"]) == (False, 0, "", 5)


def sync_shops_with_no_orders(server):
    server.expect_request("/wp-json/wc/v3/orders").respond_with_json([], headers={"X-WP-TotalPages": "1"})


def test_429_pauses_the_shop_for_its_retry_after(woo, httpserver):
    on(woo, httpserver)
    teapot = ProductFactory(sku="TEAPOT-3")
    httpserver.expect_request("/wp-json/wc/v3/products").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "120"}
    )
    receive(teapot, 1)

    pushes.push_due(woo)
    pushes.push_due(woo)  # paused: no call

    assert len(calls(httpserver)) == 1
    woo.refresh_from_db()
    assert woo.paused_until == NOW + datetime.timedelta(seconds=120)
    assert ShopProduct.objects.get().due_at == NOW + datetime.timedelta(seconds=120)


def shopify_shop(server, throttle_first=False):
    state = {"throttled": not throttle_first}

    def answer(request):
        query = request.get_json()["query"]
        if "query Variants" in query:
            data = {
                "productVariants": {
                    "nodes": [
                        {
                            "id": "gid://shopify/ProductVariant/11",
                            "sku": "SKU2006-001",
                            "product": {"id": "gid://shopify/Product/1"},
                            "inventoryItem": {"id": "gid://shopify/InventoryItem/21"},
                        }
                    ]
                }
            }
        elif "locations" in query:
            data = {"locations": {"nodes": [{"id": "gid://shopify/Location/5"}]}}
        elif not state["throttled"]:
            state["throttled"] = True
            body = {
                "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                "extensions": {
                    "cost": {
                        "requestedQueryCost": 70,
                        "actualQueryCost": None,
                        "throttleStatus": {"maximumAvailable": 1000, "currentlyAvailable": 20, "restoreRate": 50},
                    }
                },
            }
            return Response(json.dumps(body), content_type="application/json")
        else:
            data = {"stock": {"userErrors": []}, "p0": {"userErrors": []}}
        return Response(json.dumps(graphql_answer(data)), content_type="application/json")

    server.expect_request(
        "/admin/api/2025-10/graphql.json", method="POST", headers={"X-Shopify-Access-Token": "shpat_token"}
    ).respond_with_handler(answer)


def test_shopify_gets_the_variants_quantity_policy_and_restock_metafield_in_one_mutation(shopify, httpserver):
    on(shopify, httpserver)
    item = SupplierItemFactory(product=ProductFactory(sku="sku2006-001"), lead_time_days=10)
    place((item.product, 1))
    batch_backorders()
    shopify_shop(httpserver)

    pushes.push_due(shopify)

    push = [r.get_json() for r in calls(httpserver) if "PushStock" in r.get_json()["query"]]
    assert len(push) == 1
    query, variables = push[0]["query"], push[0]["variables"]
    assert "inventorySetQuantities" in query and "ignoreCompareQuantity: true" in query
    assert variables["quantities"] == [
        {"inventoryItemId": "gid://shopify/InventoryItem/21", "locationId": "gid://shopify/Location/5", "quantity": 0}
    ]
    assert variables["p0"] == "gid://shopify/Product/1"
    assert variables["v0"] == [
        {
            "id": "gid://shopify/ProductVariant/11",
            "inventoryPolicy": "CONTINUE",
            "metafields": [{"namespace": "backorder", "key": "restock_date", "type": "date", "value": "2026-03-12"}],
        }
    ]


def test_shopify_throttled_pauses_for_what_the_bucket_needs_then_pushes(shopify, httpserver, clock_at_nine):
    on(shopify, httpserver)
    receive(ProductFactory(sku="SKU2006-001"), 2)
    shopify_shop(httpserver, throttle_first=True)

    result = pushes.push_due(shopify)

    assert "throttled" in result["push_error"]
    shopify.refresh_from_db()
    assert shopify.paused_until == NOW + datetime.timedelta(seconds=1)  # (70 - 20) / 50 points a second
    clock_at_nine.shift(datetime.timedelta(minutes=2))
    pushes.push_due(shopify)
    assert ShopProduct.objects.get().pushed == {"free": 2, "backorderable": True, "restock_date": None}
