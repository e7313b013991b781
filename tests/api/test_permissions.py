"""Each role reaches what its job needs through the API, and nothing else."""

import pytest

from purchasing.batching import batch_backorders
from purchasing.models import PurchaseOrder
from tests.factories import (
    ProductFactory,
    SupplierFactory,
    SupplierItemFactory,
    place,
    receive,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def book():
    lamp = ProductFactory(sku="LAMP-1")
    receive(lamp, 5)
    place((lamp, 1), number="O-1")
    SupplierFactory(code="acme")
    ProductFactory(sku="DESK-1")
    item = SupplierItemFactory(product=ProductFactory(sku="FAN-1"))
    place((item.product, 2), number="O-2")
    batch_backorders()
    PurchaseOrder.objects.update(status="confirmed")
    return PurchaseOrder.objects.get().number


CALLS = {
    "place order": (
        "post",
        "/api/v1/orders/",
        {
            "number": "O-3",
            "customer": {"email": "a@example.org", "name": "A"},
            "fulfilment_policy": "ship_partial",
            "lines": [{"sku": "LAMP-1", "quantity": 1}],
        },
    ),
    "read order": ("get", "/api/v1/orders/O-1/", None),
    "ship order": ("post", "/api/v1/orders/O-1/ship/", None),
    "cancel units": ("post", "/api/v1/orders/O-1/cancel/", {"lines": [{"sku": "LAMP-1", "quantity": 1}]}),
    "create product": ("post", "/api/v1/products/", {"sku": "NEW-1", "name": "New", "price": "1.00"}),
    "availability": ("get", "/api/v1/products/LAMP-1/availability/", None),
    "change stock": ("post", "/api/v1/products/LAMP-1/stock/", {"quantity": 1, "reason": "receipt"}),
    "list backorders": ("get", "/api/v1/backorders/", None),
    "create supplier": ("post", "/api/v1/suppliers/", {"code": "bolt", "name": "Bolt", "email": "b@bolt.example"}),
    "create supplier item": (
        "post",
        "/api/v1/supplier-items/",
        {"supplier": "acme", "sku": "DESK-1", "supplier_sku": "D", "unit_cost": "2.00"},
    ),
    "read purchase order": ("get", "/api/v1/purchase-orders/{po}/", None),
    "confirm purchase order": (
        "post",
        "/api/v1/purchase-orders/{po}/confirm/",
        {"lines": [{"sku": "FAN-1", "expected_date": "2030-01-01"}]},
    ),
    "receive purchase order": (
        "post",
        "/api/v1/purchase-orders/{po}/receive/",
        {"lines": [{"sku": "FAN-1", "quantity": 1}]},
    ),
    "run batch job": ("post", "/api/v1/jobs/batch-backorders/", None),
}
ALLOWED = {
    "Shop": {"place order", "read order", "cancel units", "availability", "list backorders"},
    "Warehouse": {
        "read order",
        "ship order",
        "availability",
        "change stock",
        "list backorders",
        "read purchase order",
        "receive purchase order",
    },
    "Purchasing": {
        "read order",
        "create product",
        "availability",
        "list backorders",
        "create supplier",
        "create supplier item",
        "read purchase order",
        "confirm purchase order",
        "run batch job",
    },
    "Customer service": {"read order", "cancel units", "availability", "list backorders", "read purchase order"},
    "Manager": set(CALLS),
}


@pytest.mark.parametrize("role", sorted(ALLOWED))
@pytest.mark.parametrize("call", sorted(CALLS))
def test_roles_reach_exactly_their_calls(api_as, book, role, call):
    method, url, body = CALLS[call]

    response = getattr(api_as(role), method)(url.format(po=book), body, format="json")

    if call in ALLOWED[role]:
        assert response.status_code in (200, 201), response.json()
    else:
        assert response.status_code == 403, response.json()


def test_no_token_is_401_and_a_wrong_token_too(client, book):
    assert client.get("/api/v1/orders/O-1/").status_code == 401
    assert client.get("/api/v1/orders/O-1/", HTTP_AUTHORIZATION="Token nonsense").status_code == 401


def test_a_user_without_a_role_gets_nothing(api_as, book):
    assert api_as().get("/api/v1/orders/O-1/").status_code == 403
