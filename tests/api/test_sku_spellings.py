"""A SKU matches as the catalogue spells it in any ASCII case, by one rule everywhere
(kernel.parsers.case_key). "fıl-050" (dotless i), "ﬁl-050" (a ligature) and "ſcl-070" (long s)
are no SKU: Python's upper() turned them into FIL-050 and SCL-070, so they placed orders for
those products while their availability was a 404. Now every lookup answers them alike: an
unknown SKU, named."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from inventory.models import Product
from orders.models import Order
from purchasing.models import SupplierItem
from tests.factories import ProductFactory, SupplierFactory, UserFactory, place

pytestmark = pytest.mark.django_db

LOOKALIKES = ["fıl-050", "ﬁl-050", "ſcl-070", "FİL-050", "scl\u2010070"]


@pytest.fixture
def catalogue():
    return ProductFactory(sku="FIL-050", name="Filter"), ProductFactory(sku="SCL-070", name="Scale")


def order_body(sku, number="L-1"):
    return {
        "number": number,
        "customer": {"email": "l@example.org", "name": "L", "language": "de"},
        "fulfilment_policy": "ship_partial",
        "lines": [{"sku": sku, "quantity": 1}],
    }


def answers(shop, sku):
    """What the shop hears for `sku`: placing an order, and both availabilities."""
    placed = shop.post("/api/v1/orders/", order_body(sku), format="json")
    staff = shop.get(f"/api/v1/products/{sku}/availability/")
    public = Client().get(f"/availability/{sku}.json")
    return [
        (response.status_code, response.json()["errors"][0].get("sku") if response.status_code >= 400 else None)
        for response in (placed, staff, public)
    ]


@pytest.mark.parametrize("sku", LOOKALIKES)
def test_a_lookalike_spelling_is_an_unknown_sku_to_ordering_and_availability_alike(shop, catalogue, sku):
    assert answers(shop, sku) == [(404, sku)] * 3
    assert not Order.objects.exists()


@pytest.mark.parametrize("sku", ["fil-050", "Scl-070", "SCL-070"])
def test_the_catalogues_spelling_in_any_ascii_case_is_found_by_ordering_and_availability_alike(shop, catalogue, sku):
    placed = shop.post("/api/v1/orders/", order_body(sku), format="json")

    assert placed.status_code == 201
    assert placed.json()["lines"][0]["sku"] == sku.upper()
    assert shop.get(f"/api/v1/products/{sku}/availability/").json()["sku"] == sku.upper()
    assert Client().get(f"/availability/{sku}.json").json()["sku"] == sku.upper()


@pytest.mark.parametrize("sku", LOOKALIKES)
def test_cancelling_a_lookalike_names_a_line_the_order_does_not_have(shop, catalogue, sku):
    place((catalogue[0], 1), (catalogue[1], 1), number="L-1")

    response = shop.post("/api/v1/orders/L-1/cancel/", {"lines": [{"sku": sku, "quantity": 1}]}, format="json")

    assert response.status_code == 404
    assert response.json()["errors"][0]["sku"] == sku
    assert not Order.objects.get().lines.filter(cancelled__gt=0).exists()


@pytest.mark.parametrize("sku", LOOKALIKES)
def test_the_admin_order_form_names_a_lookalike_as_unknown(client, catalogue, sku):
    client.force_login(UserFactory(is_superuser=True))

    response = client.post(
        reverse("admin:orders_order_add"),
        {
            "number": "P-1",
            "email": "p@example.org",
            "name": "P",
            "language": "de",
            "fulfilment_policy": "ship_partial",
            "lines": f"{sku} 1",
        },
    )

    assert f"unknown SKU {sku}" in " ".join(response.context["form"].non_field_errors())
    assert not Order.objects.exists()


@pytest.mark.parametrize("sku", LOOKALIKES)
def test_a_supplier_item_for_a_lookalike_names_an_unknown_sku(api_as, catalogue, sku):
    SupplierFactory(code="acme")

    response = api_as("Purchasing").post(
        "/api/v1/supplier-items/",
        {"supplier": "acme", "sku": sku, "supplier_sku": "A-1", "unit_cost": "1.00"},
        format="json",
    )

    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "sku"
    assert not SupplierItem.objects.exists()


@pytest.mark.parametrize("sku", ["ſcl-070", "scl-070"])
def test_backorders_filtered_by_sku_find_the_catalogues_spelling_only(shop, catalogue, sku):
    place((catalogue[1], 1))

    found = shop.get("/api/v1/backorders/", {"sku": sku}).json()["results"]

    assert [row["sku"] for row in found] == (["SCL-070"] if sku.isascii() else [])


def test_the_catalogue_import_refuses_a_lookalike_instead_of_renaming_the_product(tmp_path, catalogue, capsys):
    path = tmp_path / "products.csv"
    path.write_text("sku,name,price,backorderable,dropship\nſcl-070,Renamed,9.90,1,0\n", encoding="utf-8")

    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_catalog", str(path))

    assert "row 2, column sku" in capsys.readouterr().err
    assert Product.objects.get(sku="SCL-070").name == "Scale"
