"""Hostile or absurd input gets a 4xx in the API's error shape and changes nothing: bodies
nested too deep or too large, characters no key can hold, amounts the books cannot hold.
Found by trying it against a running server; each of these was a 500 (or an HTML page)."""

import json

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from orders.models import Customer, Order
from tests.factories import ProductFactory, SupplierFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop_client():
    token = Token.objects.create(user=UserFactory(roles=["Shop", "Purchasing"], is_staff=False)).key
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {token}")


def order(lines, number="H-1"):
    return {
        "number": number,
        "customer": {"email": "h@example.org", "name": "H", "language": "de"},
        "fulfilment_policy": "ship_partial",
        "lines": lines,
    }


def post(client, body):
    return client.post(
        "/api/v1/orders/", data=body if isinstance(body, str) else json.dumps(body), content_type="application/json"
    )


def errors(response):
    assert response["Content-Type"] == "application/json"
    return response.json()["errors"]


def nothing_written():
    return not Order.objects.exists() and not Customer.objects.exists()


def test_json_nested_ten_thousand_levels_deep_is_a_400(shop_client):
    response = post(shop_client, "[" * 10_000 + "]" * 10_000)

    assert response.status_code == 400
    assert errors(response)[0]["code"] == "parse_error"
    assert nothing_written()


def test_a_lone_surrogate_in_a_sku_is_refused_and_the_answer_can_be_encoded(shop_client):
    ProductFactory(sku="TEA-1")

    response = post(shop_client, order([{"sku": "TEA-1\ud800", "quantity": 1}]))

    assert response.status_code == 400
    [problem] = errors(response)
    assert (problem["field"], problem["line"]) == ("lines[0].sku", 0)
    assert problem["sku"] == "TEA-1\ufffd"  # echoed, with the unencodable character replaced
    assert nothing_written()


def test_an_order_amount_the_books_cannot_hold_is_refused_naming_line_and_field(shop_client):
    ProductFactory(sku="TEA-1")
    ProductFactory(sku="GOLD-1")

    response = post(
        shop_client,
        order(
            [
                {"sku": "TEA-1", "quantity": 1},
                {"sku": "GOLD-1", "quantity": 1000, "unit_price": "1000000000.00"},
            ]
        ),
    )

    assert response.status_code == 400
    [problem] = errors(response)
    assert (problem["line"], problem["field"], problem["sku"], problem["code"]) == (
        1,
        "unit_price",
        "GOLD-1",
        "amount_too_large",
    )
    assert "999999999999.99" in problem["message"]
    assert nothing_written()


def test_the_largest_amount_the_books_hold_is_accepted(shop_client):
    ProductFactory(sku="GOLD-1")

    response = post(shop_client, order([{"sku": "GOLD-1", "quantity": 100, "unit_price": "9999999999.99"}]))

    assert response.status_code == 201
    assert Order.objects.get().amount_authorised == 999999999999


@pytest.mark.parametrize(
    "path",
    [
        "/availability/%00.json",
        "/availability/TEA%00.json",
        "/api/v1/suppliers/%00/",
        "/api/v1/products/%00/availability/",
        "/api/v1/orders/%00/",
        "/api/v1/purchase-orders/%00/",
    ],
)
def test_a_nul_in_a_path_is_a_404_before_any_lookup(shop_client, path):
    SupplierFactory(code="acme")

    response = shop_client.get(path)

    assert response.status_code == 404
    assert errors(response)


def test_a_body_over_the_size_limit_is_a_413_in_the_error_shape(shop_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    ProductFactory(sku="TEA-1")

    response = post(shop_client, order([{"sku": "TEA-1", "quantity": 1}]) | {"note": "x" * 20_000})

    assert response.status_code == 413
    assert errors(response)[0]["code"] == "too_large"
    assert nothing_written()
