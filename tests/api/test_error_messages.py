"""Errors a shop's developer can act on: which choices are valid, which permission is missing,
and a public 404 a product page may read."""

import pytest
from django.test import Client

from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_an_invalid_choice_names_the_valid_ones(shop):
    ProductFactory(sku="TEA-1")

    response = shop.post(
        "/api/v1/orders/",
        {
            "number": "C-1",
            "customer": {"email": "c@example.org", "name": "C", "language": "fr"},
            "fulfilment_policy": "asap",
            "lines": [{"sku": "TEA-1", "quantity": 1}],
        },
        format="json",
    )

    assert response.status_code == 400
    messages = {error["field"]: error["message"] for error in response.json()["errors"]}
    assert messages["fulfilment_policy"] == "'asap' is not one of the valid choices: ship_partial, ship_complete."
    assert messages["customer.language"] == "'fr' is not one of the valid choices: de, en."


def test_a_refusal_names_the_missing_permission(shop):
    response = shop.post(
        "/api/v1/suppliers/", {"code": "acme", "name": "Acme", "email": "a@example.org"}, format="json"
    )

    assert response.status_code == 403
    assert "purchasing.add_supplier" in response.json()["errors"][0]["message"]


def test_the_public_availability_404_can_be_read_by_any_page():
    response = Client().get("/availability/NOPE-1.json")

    assert response.status_code == 404
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.json()["errors"][0]["code"] == "unknown_sku"
