"""Products, availability and stock changes over HTTP."""

import pytest

from inventory.models import Product, StockMovement
from tests.factories import ProductFactory, place, receive

pytestmark = pytest.mark.django_db


def test_creating_a_product(manager):
    response = manager.post(
        "/api/v1/products/",
        {"sku": "LAMP-1", "name": "Desk lamp", "price": "39.90", "backorderable": True, "dropship": False},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json() == {
        "sku": "LAMP-1",
        "name": "Desk lamp",
        "price": "39.90",
        "backorderable": True,
        "dropship": False,
    }
    product = Product.objects.get(sku="LAMP-1")
    assert (product.stock.on_hand, product.stock.allocated) == (0, 0)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"sku": "LAMP 1", "name": "x", "price": "1.00"}, "sku"),
        ({"sku": "LAMP-1", "name": "x", "price": "-1.00"}, "price"),
        ({"sku": "LAMP-1", "name": "x", "price": "abc"}, "price"),
        ({"sku": "LAMP-1", "price": "1.00"}, "name"),
    ],
)
def test_a_bad_product_is_400_naming_the_field(manager, body, field):
    response = manager.post("/api/v1/products/", body, format="json")

    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert not Product.objects.exists()


def test_a_duplicate_sku_is_a_409_conflict_naming_the_sku(manager):
    ProductFactory(sku="LAMP-1")
    response = manager.post("/api/v1/products/", {"sku": "LAMP-1", "name": "x", "price": "1.00"}, format="json")
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "sku"
    assert Product.objects.get().name != "x"


def test_a_price_sent_as_a_json_number_is_refused(manager):
    response = manager.post("/api/v1/products/", {"sku": "LAMP-2", "name": "x", "price": 1.1}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "price"
    assert not Product.objects.filter(sku="LAMP-2").exists()


def test_availability_shows_stock_and_what_customers_wait_for(shop):
    lamp = ProductFactory(sku="LAMP-1")
    receive(lamp, 3)
    place((lamp, 2))
    place((lamp, 4))

    response = shop.get("/api/v1/products/LAMP-1/availability/")

    assert response.status_code == 200
    assert response.json() == {
        "sku": "LAMP-1",
        "on_hand": 3,
        "allocated": 3,
        "available": 0,
        "backorderable": True,
        "backordered": 3,
        "incoming": [],
        "next_restock_date": None,
    }
    assert shop.get("/api/v1/products/NOPE/availability/").status_code == 404


def test_a_receipt_over_the_api_returns_the_movement_and_fills_waiting_orders(api_as):
    warehouse = api_as("Warehouse")
    lamp = ProductFactory(sku="LAMP-1")
    order = place((lamp, 2))

    response = warehouse.post(
        "/api/v1/products/LAMP-1/stock/", {"quantity": 5, "reason": "receipt", "note": "PO 17"}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["sku"], body["reason"], body["quantity"], body["on_hand_after"], body["note"]) == (
        "LAMP-1",
        "receipt",
        5,
        5,
        "PO 17",
    )
    assert order.lines.get().allocated == 2


def test_adjustments_are_signed_and_counts_set_on_hand(api_as):
    warehouse = api_as("Warehouse")
    lamp = ProductFactory(sku="LAMP-1")
    receive(lamp, 10)

    adjusted = warehouse.post("/api/v1/products/LAMP-1/stock/", {"quantity": -4, "reason": "adjustment"}, format="json")
    counted = warehouse.post("/api/v1/products/LAMP-1/stock/", {"quantity": 5, "reason": "count"}, format="json")

    assert (adjusted.json()["quantity"], adjusted.json()["on_hand_after"]) == (-4, 6)
    assert (counted.json()["quantity"], counted.json()["on_hand_after"]) == (-1, 5)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"quantity": 0, "reason": "receipt"}, "quantity"),
        ({"quantity": 2.5, "reason": "receipt"}, "quantity"),
        ({"quantity": 3, "reason": "theft"}, "reason"),
        ({"quantity": 0, "reason": "adjustment"}, "quantity"),
        ({"quantity": -1, "reason": "count"}, "quantity"),
        ({"reason": "receipt"}, "quantity"),
    ],
)
def test_a_bad_stock_change_is_400_and_writes_nothing(api_as, body, field):
    warehouse = api_as("Warehouse")
    lamp = ProductFactory(sku="LAMP-1")
    receive(lamp, 10)

    response = warehouse.post("/api/v1/products/LAMP-1/stock/", body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    assert StockMovement.objects.count() == 1


def test_removing_more_than_is_on_hand_is_a_409_conflict_and_writes_nothing(api_as):
    lamp = ProductFactory(sku="LAMP-1")
    receive(lamp, 10)

    response = api_as("Warehouse").post(
        "/api/v1/products/LAMP-1/stock/", {"quantity": -20, "reason": "adjustment"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "insufficient_stock"
    assert StockMovement.objects.count() == 1


def test_stock_for_an_unknown_sku_is_404(api_as):
    response = api_as("Warehouse").post(
        "/api/v1/products/NOPE/stock/", {"quantity": 1, "reason": "receipt"}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["errors"][0]["sku"] == "NOPE"
