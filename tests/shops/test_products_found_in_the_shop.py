"""Which of the shop's products a SKU is: a WooCommerce variation is found by its SKU (REST v3
`products?sku=` searches variations too: WooCommerce's WC_REST_Products_Controller
prepare_objects_query sets post_type product and product_variation when a SKU is asked) and
pushed through its parent (products/batch refuses a variation); a SKU the shop did not list is
asked for again by a later sync, an hour or more after, so many a sync."""

import datetime
import json

import pytest
import time_machine
from werkzeug import Response

from shops import pushes
from shops.models import ShopProduct
from shops.sync import sync_shop
from tests.factories import ProductFactory, receive

from .conftest import on, published

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def clock_at_nine():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


class FakeWooCatalogue:
    """Products and variations by SKU as REST v3 answers them (a variation: type "variation" and
    its parent_id, the product docs' fields), and both batch endpoints."""

    def __init__(self, server, catalogue):
        self.catalogue, self.lookups, self.batches = catalogue, [], []
        server.expect_request("/wp-json/wc/v3/products", method="GET").respond_with_handler(self.find)
        server.expect_request("/wp-json/wc/v3/orders", method="GET").respond_with_json(
            [], headers={"X-WP-TotalPages": "1"}
        )
        for path in ["/wp-json/wc/v3/products/batch"] + [
            f"/wp-json/wc/v3/products/{item['parent_id']}/variations/batch"
            for item in catalogue.values()
            if item.get("parent_id")
        ]:
            server.expect_request(path, method="POST").respond_with_handler(self.batch)

    def find(self, request):
        asked = request.args["sku"].split(",")
        self.lookups.append(asked)
        found = [
            {**published("woocommerce_product_v3_retrieve.json"), **self.catalogue[s], "sku": s}
            for s in asked
            if s in self.catalogue
        ]
        return Response(json.dumps(found), content_type="application/json")

    def batch(self, request):
        update = request.get_json()["update"]
        self.batches.append((request.path, [item["id"] for item in update]))
        return Response(
            json.dumps({"update": [{"id": item["id"]} for item in update]}), content_type="application/json"
        )


def test_a_variation_is_pushed_through_its_parent_and_a_simple_product_through_products_batch(woo, httpserver):
    on(woo, httpserver)
    shop = FakeWooCatalogue(
        httpserver,
        {
            "TEE-RED-M": {"id": 733, "type": "variation", "parent_id": 799},
            "MUG-1": {"id": 794, "type": "simple", "parent_id": 0},
        },
    )
    receive(ProductFactory(sku="TEE-RED-M"), 2)
    receive(ProductFactory(sku="MUG-1"), 3)

    pushes.push_due(woo)

    assert sorted(shop.batches) == [
        ("/wp-json/wc/v3/products/799/variations/batch", [733]),
        ("/wp-json/wc/v3/products/batch", [794]),
    ]
    assert ShopProduct.objects.get(product__sku="TEE-RED-M").remote == {"product": 733, "parent": 799}
    assert set(ShopProduct.objects.values_list("last_error", flat=True)) == {""}


def test_a_sku_the_shop_did_not_list_is_looked_up_again_by_a_sync_an_hour_later(woo, httpserver, clock_at_nine):
    # Given a product the shop does not sell yet, looked up once
    on(woo, httpserver)
    catalogue = {}
    shop = FakeWooCatalogue(httpserver, catalogue)
    receive(ProductFactory(sku="TEA-NEW"), 4)
    pushes.push_due(woo)
    assert ShopProduct.objects.get().found is False

    # When the merchant adds it to the shop, a sync within the hour does not ask again; one after it does
    catalogue["TEA-NEW"] = {"id": 812, "type": "simple", "parent_id": 0}
    sync_shop(woo)
    assert shop.lookups == [["TEA-NEW"]]
    clock_at_nine.shift(datetime.timedelta(minutes=61))
    sync_shop(woo)

    # Then it is found and its stock pushed
    assert shop.lookups == [["TEA-NEW"], ["TEA-NEW"]]
    assert shop.batches == [("/wp-json/wc/v3/products/batch", [812])]
    row = ShopProduct.objects.get()
    assert (row.found, row.remote, row.pushed["free"]) == (True, {"product": 812}, 4)


def test_a_sync_looks_up_again_so_many_unlisted_skus_oldest_first(woo, httpserver, clock_at_nine, monkeypatch):
    on(woo, httpserver)
    shop = FakeWooCatalogue(httpserver, {})
    for sku in ("OLD-1", "OLD-2", "OLD-3"):
        receive(ProductFactory(sku=sku), 1)
    pushes.push_due(woo)
    ShopProduct.objects.filter(product__sku="OLD-3").update(looked_up_at=NOW - datetime.timedelta(hours=5))
    monkeypatch.setattr(pushes, "LOOK_AGAIN_ROWS", 2)
    clock_at_nine.shift(datetime.timedelta(hours=2))

    sync_shop(woo)

    assert sorted(shop.lookups[1]) == ["OLD-1", "OLD-3"]  # OLD-3 waited longest; then by row
