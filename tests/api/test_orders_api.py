"""The shop's door: orders over HTTP with token auth and errors that point at the input."""

import datetime

import pytest
import time_machine

from orders.models import Customer, Order, OrderLine
from tests.factories import ProductFactory, receive

pytestmark = pytest.mark.django_db


def order_body(number="SHOP-1", lines=None, **overrides):
    return {
        "number": number,
        "customer": {"email": "eva@example.org", "name": "Eva Klein", "language": "de"},
        "fulfilment_policy": "ship_partial",
        "lines": lines if lines is not None else [],
        **overrides,
    }


@time_machine.travel(datetime.datetime(2026, 6, 1, 10, 0, tzinfo=datetime.UTC), tick=False)
def test_placing_an_order_returns_201_with_allocation_backorder_eta_and_payment(shop, settings):
    settings.BACKORDER_DEFAULT_LEAD_TIME_DAYS = 14
    vase = ProductFactory(sku="VASE-1", price="20.00")
    ProductFactory(sku="BOWL-1", price="7.50")
    receive(vase, 1)

    response = shop.post(
        "/api/v1/orders/",
        order_body(
            lines=[
                {"sku": "VASE-1", "quantity": 3},
                {"sku": "BOWL-1", "quantity": 2, "unit_price": "6.00"},
            ],
            expedite=True,
        ),
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"] == "SHOP-1"
    assert body["status"] == "ready_to_ship"
    assert body["expedite"] is True
    assert body["customer"] == {"email": "eva@example.org", "name": "Eva Klein", "language": "de"}
    assert body["placed_at"] == "2026-06-01T12:00:00+02:00"
    assert [
        (l["sku"], l["quantity"], l["allocated"], l["backordered"], l["shipped"], l["cancelled"], l["eta"])
        for l in body["lines"]
    ] == [
        ("VASE-1", 3, 1, 2, 0, 0, "2026-06-15"),
        ("BOWL-1", 2, 0, 2, 0, 0, "2026-06-15"),
    ]
    assert body["payment"] == {"authorised": "72.00", "captured": "0.00", "voided": "0.00"}


def test_posting_the_same_number_again_returns_200_and_creates_nothing(shop):
    ProductFactory(sku="VASE-1")
    body = order_body(lines=[{"sku": "VASE-1", "quantity": 1}])

    first = shop.post("/api/v1/orders/", body, format="json")
    again = shop.post("/api/v1/orders/", body, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Order.objects.count() == 1 and OrderLine.objects.count() == 1


def test_getting_an_order_by_number(shop):
    ProductFactory(sku="VASE-1")
    shop.post("/api/v1/orders/", order_body(lines=[{"sku": "VASE-1", "quantity": 1}]), format="json")

    response = shop.get("/api/v1/orders/SHOP-1/")

    assert response.status_code == 200
    assert response.json()["lines"][0]["backordered"] == 1
    assert shop.get("/api/v1/orders/NOPE-9/").status_code == 404


@pytest.mark.parametrize(
    "lines, field, line, sku",
    [
        ([{"sku": "VASE-1", "quantity": 1}, {"sku": "VASE-1", "quantity": 0}], "lines[1].quantity", 1, "VASE-1"),
        ([{"sku": "VASE-1", "quantity": -4}], "lines[0].quantity", 0, "VASE-1"),
        ([{"sku": "VASE-1", "quantity": 1.5}], "lines[0].quantity", 0, "VASE-1"),
        ([{"sku": "VASE-1", "quantity": "2"}], "lines[0].quantity", 0, "VASE-1"),
        ([{"sku": "VASE-1"}], "lines[0].quantity", 0, "VASE-1"),
        ([{"sku": "VASE-1", "quantity": 1, "unit_price": "-1"}], "lines[0].unit_price", 0, "VASE-1"),
    ],
)
def test_a_bad_line_is_400_naming_field_line_and_sku_and_writes_nothing(shop, lines, field, line, sku):
    ProductFactory(sku="VASE-1")

    response = shop.post("/api/v1/orders/", order_body(lines=lines), format="json")

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["field"], error["line"], error["sku"]) == (field, line, sku)
    assert error["message"]
    assert not Order.objects.exists() and not Customer.objects.exists()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"fulfilment_policy": "asap"}, "fulfilment_policy"),
        ({"customer": {"email": "not-an-email", "name": "X"}}, "customer.email"),
        ({"customer": {"email": "x@example.org", "name": "X", "language": "fr"}}, "customer.language"),
        ({"lines": []}, "lines"),
        ({"number": ""}, "number"),
        ({"number": "has spaces"}, "number"),
    ],
)
def test_bad_order_fields_are_400_naming_the_field(shop, overrides, field):
    ProductFactory(sku="VASE-1")
    body = order_body(lines=[{"sku": "VASE-1", "quantity": 1}])
    body.update(overrides)

    response = shop.post("/api/v1/orders/", body, format="json")

    assert response.status_code == 400
    assert field in [error.get("field") for error in response.json()["errors"]]
    assert not Order.objects.exists()


def test_a_short_non_backorderable_sku_is_a_409_conflict_naming_it(shop):
    scarce = ProductFactory(sku="RARE-1", backorderable=False)
    receive(scarce, 1)

    response = shop.post("/api/v1/orders/", order_body(lines=[{"sku": "RARE-1", "quantity": 2}]), format="json")

    assert response.status_code == 409
    [error] = response.json()["errors"]
    assert (error["sku"], error["line"], error["code"]) == ("RARE-1", 0, "insufficient_stock")
    scarce.stock.refresh_from_db()
    assert scarce.stock.allocated == 0


def test_malformed_json_is_400_not_500(shop):
    response = shop.post("/api/v1/orders/", data="{not json", content_type="application/json")

    assert response.status_code == 400
    assert "JSON parse error" in response.json()["errors"][0]["message"]


def test_the_same_number_with_different_lines_is_409(shop):
    ProductFactory(sku="VASE-1")
    shop.post("/api/v1/orders/", order_body(lines=[{"sku": "VASE-1", "quantity": 1}]), format="json")

    response = shop.post("/api/v1/orders/", order_body(lines=[{"sku": "VASE-1", "quantity": 5}]), format="json")

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "number_taken"


def test_shipping_over_the_api_returns_the_shipment_or_409_with_the_reason(api_as):
    shop, warehouse = api_as("Shop"), api_as("Warehouse")
    vase, bowl = ProductFactory(sku="VASE-1"), ProductFactory(sku="BOWL-1")
    receive(vase, 1)
    shop.post(
        "/api/v1/orders/",
        order_body(
            lines=[{"sku": "VASE-1", "quantity": 1}, {"sku": "BOWL-1", "quantity": 1}],
            fulfilment_policy="ship_complete",
        ),
        format="json",
    )

    refused = warehouse.post("/api/v1/orders/SHOP-1/ship/")
    assert refused.status_code == 409
    assert "still waits for BOWL-1: 1" in refused.json()["errors"][0]["message"]

    receive(bowl, 1)
    shipped = warehouse.post("/api/v1/orders/SHOP-1/ship/")
    assert shipped.status_code == 201
    assert sorted((line["sku"], line["quantity"]) for line in shipped.json()["lines"]) == [("BOWL-1", 1), ("VASE-1", 1)]
    assert shipped.json()["amount_captured"] == "20.00"
    assert shop.get("/api/v1/orders/SHOP-1/").json()["status"] == "shipped"


def test_cancelling_backordered_units_over_the_api(shop):
    ProductFactory(sku="VASE-1", price="20.00")
    shop.post("/api/v1/orders/", order_body(lines=[{"sku": "VASE-1", "quantity": 3}]), format="json")

    response = shop.post("/api/v1/orders/SHOP-1/cancel/", {"lines": [{"sku": "VASE-1", "quantity": 2}]}, format="json")

    assert response.status_code == 200
    line = response.json()["lines"][0]
    assert (line["backordered"], line["cancelled"]) == (1, 2)
    assert response.json()["payment"]["voided"] == "40.00"


def test_cancelling_more_than_is_unshipped_is_a_409_conflict_naming_the_sku(api_as):
    shop, warehouse = api_as("Shop"), api_as("Warehouse")
    vase = ProductFactory(sku="VASE-1")
    receive(vase, 2)
    shop.post("/api/v1/orders/", order_body(lines=[{"sku": "VASE-1", "quantity": 2}]), format="json")
    warehouse.post("/api/v1/orders/SHOP-1/ship/")

    response = shop.post("/api/v1/orders/SHOP-1/cancel/", {"lines": [{"sku": "VASE-1", "quantity": 1}]}, format="json")

    assert response.status_code == 409
    [error] = response.json()["errors"]
    assert (error["sku"], error["line"]) == ("VASE-1", 0)
    assert "2 have shipped and cannot be cancelled" in error["message"]


def test_reading_an_order_does_not_grow_queries_with_its_lines(shop, django_assert_max_num_queries):
    from tests.factories import place

    products = ProductFactory.create_batch(50)
    place(*[(product, 2) for product in products], number="BIG-1")

    with django_assert_max_num_queries(6):
        response = shop.get("/api/v1/orders/BIG-1/")

    assert len(response.json()["lines"]) == 50


@pytest.mark.parametrize("lines", [1, 40])
def test_placing_a_backordered_order_takes_the_same_queries_for_any_number_of_lines(
    shop, django_assert_max_num_queries, lines
):
    # Given a new customer and products none of which is in stock
    products = ProductFactory.create_batch(lines)
    body = order_body(lines=[{"sku": product.sku, "quantity": 2} for product in products])

    # When the shop places the order: token, permission, placement, its backorder notice, the answer
    with django_assert_max_num_queries(20):
        response = shop.post("/api/v1/orders/", body, format="json")

    # Then it answers from what placement wrote, each line with the date of what waits
    assert response.status_code == 201
    assert len(response.json()["lines"]) == lines and all(line["eta"] for line in response.json()["lines"])
    assert response.json() == shop.get("/api/v1/orders/SHOP-1/").json()  # the same as reading it back


def test_a_form_encoded_body_is_415_not_guessed_at(shop):
    response = shop.post("/api/v1/orders/", {"number": "X"}, format="multipart")

    assert response.status_code == 415
    assert not Order.objects.exists()
