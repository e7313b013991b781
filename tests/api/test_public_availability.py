"""Product pages ask the public availability endpoint: in stock or not, backorderable, the
next restock date; no stock figures, cacheable, no login."""

import pytest
from django.test import Client

from purchasing import batching
from purchasing.models import PurchaseOrder
from tests.factories import ProductFactory, SupplierItemFactory, place, receive

pytestmark = pytest.mark.django_db


def test_a_product_in_stock_is_available_with_no_figures_shown():
    teapot = ProductFactory(sku="POT-1")
    receive(teapot, 7)

    response = Client().get("/availability/POT-1.json")

    assert response.status_code == 200
    assert response.json() == {"sku": "POT-1", "available": True, "backorderable": True, "next_restock_date": None}
    assert response["Cache-Control"] == "public, max-age=60"
    assert response["Access-Control-Allow-Origin"] == "*"


def test_a_sold_out_product_names_its_next_restock_date():
    item = SupplierItemFactory(product=ProductFactory(sku="CUP-1"), supplier__lead_time_days=10)
    place((item.product, 2))
    batching.batch_backorders()
    PurchaseOrder.objects.update(status="sent")
    expected = PurchaseOrder.objects.get().lines.get().expected_date

    body = Client().get("/availability/CUP-1.json").json()

    assert (body["available"], body["next_restock_date"]) == (False, expected.isoformat())


def test_an_unknown_sku_is_a_404_naming_it():
    response = Client().get("/availability/NOPE.json")

    assert response.status_code == 404
    assert "NOPE" in response.json()["errors"][0]["message"]
