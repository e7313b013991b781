"""Each role reaches what its job needs through the API, and nothing else."""

import pytest

from tests.factories import ProductFactory, place, receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def book():
    lamp = ProductFactory(sku="LAMP-1")
    receive(lamp, 5)
    place((lamp, 1), number="O-1")


CALLS = {
    "place order": ("post", "/api/v1/orders/", {"number": "O-2", "customer": {"email": "a@example.org", "name": "A"},
                                                "fulfilment_policy": "ship_partial", "lines": [{"sku": "LAMP-1", "quantity": 1}]}),
    "read order": ("get", "/api/v1/orders/O-1/", None),
    "ship order": ("post", "/api/v1/orders/O-1/ship/", None),
    "cancel units": ("post", "/api/v1/orders/O-1/cancel/", {"lines": [{"sku": "LAMP-1", "quantity": 1}]}),
    "create product": ("post", "/api/v1/products/", {"sku": "NEW-1", "name": "New", "price": "1.00"}),
    "availability": ("get", "/api/v1/products/LAMP-1/availability/", None),
    "change stock": ("post", "/api/v1/products/LAMP-1/stock/", {"quantity": 1, "reason": "receipt"}),
    "list backorders": ("get", "/api/v1/backorders/", None),
}
ALLOWED = {
    "Shop": {"place order", "read order", "cancel units", "availability", "list backorders"},
    "Warehouse": {"read order", "ship order", "availability", "change stock", "list backorders"},
    "Purchasing": {"read order", "create product", "availability", "list backorders"},
    "Customer service": {"read order", "cancel units", "availability", "list backorders"},
    "Manager": set(CALLS),
}


@pytest.mark.parametrize("role", sorted(ALLOWED))
@pytest.mark.parametrize("call", sorted(CALLS))
def test_roles_reach_exactly_their_calls(api_as, book, role, call):
    method, url, body = CALLS[call]

    response = getattr(api_as(role), method)(url, body, format="json")

    if call in ALLOWED[role]:
        assert response.status_code in (200, 201), response.json()
    else:
        assert response.status_code == 403, response.json()


def test_no_token_is_401_and_a_wrong_token_too(client, book):
    assert client.get("/api/v1/orders/O-1/").status_code == 401
    assert client.get("/api/v1/orders/O-1/", HTTP_AUTHORIZATION="Token nonsense").status_code == 401


def test_a_user_without_a_role_gets_nothing(api_as, book):
    assert api_as().get("/api/v1/orders/O-1/").status_code == 403
