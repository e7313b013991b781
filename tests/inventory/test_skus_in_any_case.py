"""A SKU is the same in any case: "tea-003" is TEA-003 in the API, the admin's search, the
catalogue import and receiving, and no two products may differ in case only."""

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from inventory.models import Product
from orders.models import Order
from purchasing import batching, lifecycle
from purchasing.models import PurchaseOrder
from tests.factories import ProductFactory, SupplierItemFactory, UserFactory, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def tea():
    return ProductFactory(sku="TEA-003", name="Rooibos")


def order_body(sku):
    return {
        "number": "SHOP-1",
        "customer": {"email": "eva@example.org", "name": "Eva", "language": "de"},
        "fulfilment_policy": "ship_partial",
        "lines": [{"sku": sku, "quantity": 2}],
    }


def test_the_shop_orders_a_sku_in_lower_case(shop, tea):
    response = shop.post("/api/v1/orders/", order_body("tea-003"), format="json")

    again = shop.post("/api/v1/orders/", order_body("Tea-003"), format="json")  # the shop's retry

    assert response.status_code == 201, response.json()
    assert response.json()["lines"][0]["sku"] == "TEA-003"  # answered with the SKU as the catalogue spells it
    assert Order.objects.get().lines.get().product == tea
    assert again.status_code == 200 and again.json() == response.json()


def test_the_same_sku_twice_in_different_case_is_one_line_too_many(shop, tea):
    body = order_body("TEA-003")
    body["lines"].append({"sku": "tea-003", "quantity": 1})

    response = shop.post("/api/v1/orders/", body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["sku"] == "tea-003" and response.json()["errors"][0]["code"] == "duplicate"
    assert not Order.objects.exists()


def test_products_and_their_availability_are_found_in_any_case(shop, tea):
    assert shop.get("/api/v1/products/tea-003/").json()["sku"] == "TEA-003"
    assert shop.get("/api/v1/products/Tea-003/availability/").status_code == 200
    place((tea, 1))
    assert [b["sku"] for b in shop.get("/api/v1/backorders/", {"sku": "tea-003"}).json()["results"]] == ["TEA-003"]


def test_a_second_product_differing_in_case_only_is_refused(api_as, tea):
    response = api_as("Purchasing", superuser=True).post(
        "/api/v1/products/", {"sku": "tea-003", "name": "Copy", "price": "1.00"}, format="json"
    )

    assert response.status_code == 409
    assert "TEA-003 already exists" in response.json()["errors"][0]["message"]
    with pytest.raises(IntegrityError), transaction.atomic():  # the database refuses it too
        Product.objects.create(sku="Tea-003", name="Copy", price=1)
    assert Product.objects.count() == 1


def test_the_catalogue_import_updates_the_product_whatever_the_case(tmp_path, tea):
    path = tmp_path / "products.csv"
    path.write_text("sku,name,price,backorderable,dropship\ntea-003,Rooibos vanilla,6.90,1,0\n")

    call_command("import_catalog", str(path))

    assert list(Product.objects.values_list("sku", "name")) == [("TEA-003", "Rooibos vanilla")]


def test_the_warehouse_receives_a_line_named_in_lower_case(api_as, tea):
    SupplierItemFactory(product=tea)
    place((tea, 2))
    batching.batch_backorders()
    number = PurchaseOrder.objects.get().number
    lifecycle.send_purchase_order(number)

    response = api_as("Warehouse").post(
        f"/api/v1/purchase-orders/{number}/receive/", {"lines": [{"sku": "tea-003", "quantity": 2}]}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert PurchaseOrder.objects.get().status == "received"
    assert Order.objects.get().status == "ready_to_ship"


def test_the_admin_search_finds_a_product_in_any_case(client, tea):
    client.force_login(UserFactory(is_superuser=True))

    found = client.get(reverse("admin:inventory_product_changelist"), {"q": "tea-003"})

    assert list(found.context["cl"].result_list) == [tea]
