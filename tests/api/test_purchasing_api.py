"""Purchasing over HTTP: suppliers, supplier items, purchase orders and the batch job."""

import datetime
import json

import pytest
import time_machine
from django.core import mail

from purchasing.models import PurchaseOrder, Supplier, SupplierItem
from tests.factories import ProductFactory, SupplierFactory, SupplierItemFactory, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def purchasing(api_as):
    return api_as("Purchasing")


def test_creating_a_supplier_and_its_item(purchasing):
    ProductFactory(sku="LAMP-1")

    supplier = purchasing.post(
        "/api/v1/suppliers/",
        {
            "code": "acme",
            "name": "ACME GmbH",
            "email": "po@acme.example",
            "language": "de",
            "lead_time_days": 12,
            "min_order_value": "250.00",
            "max_wait_hours": 48,
            "auto_send": True,
        },
        format="json",
    )
    item = purchasing.post(
        "/api/v1/supplier-items/",
        {
            "supplier": "acme",
            "sku": "LAMP-1",
            "supplier_sku": "A-77",
            "unit_cost": "12.40",
            "min_order_quantity": 10,
            "pack_size": 5,
            "lead_time_days": None,
            "preferred": True,
        },
        format="json",
    )

    assert supplier.status_code == 201, supplier.json()
    assert item.status_code == 201, item.json()
    assert Supplier.objects.get(code="acme").min_order_value == 250
    assert SupplierItem.objects.get().product.sku == "LAMP-1"


@pytest.mark.parametrize(
    "body, field, status",
    [
        ({"supplier": "nobody", "sku": "LAMP-1", "supplier_sku": "x", "unit_cost": "1.00"}, "supplier", 404),
        ({"supplier": "acme", "sku": "NOPE", "supplier_sku": "x", "unit_cost": "1.00"}, "sku", 404),
        (
            {"supplier": "acme", "sku": "LAMP-1", "supplier_sku": "x", "unit_cost": "1.00", "pack_size": 0},
            "pack_size",
            400,
        ),
        ({"supplier": "acme", "sku": "LAMP-1", "supplier_sku": "x", "unit_cost": "-1.00"}, "unit_cost", 400),
        (
            {"supplier": "acme", "sku": "LAMP-1", "supplier_sku": "x", "unit_cost": "1.00", "preferred": 1},
            "preferred",
            400,
        ),
    ],
)
def test_a_bad_supplier_item_is_refused_naming_the_field(purchasing, body, field, status):
    lamp = ProductFactory(sku="LAMP-1")
    SupplierFactory(code="acme")
    SupplierItemFactory(product=lamp, preferred=True)  # another supplier is already preferred

    response = purchasing.post("/api/v1/supplier-items/", body, format="json")

    assert response.status_code == status  # what does not exist is a 404, a malformed field a 400
    assert field in [error.get("field") for error in response.json()["errors"]]
    assert SupplierItem.objects.count() == 1


def test_a_second_preferred_supplier_is_a_409_conflict_naming_the_field(purchasing):
    lamp = ProductFactory(sku="LAMP-1")
    SupplierFactory(code="acme")
    SupplierItemFactory(product=lamp, preferred=True)

    response = purchasing.post(
        "/api/v1/supplier-items/",
        {
            "supplier": "acme",
            "sku": "LAMP-1",
            "supplier_sku": "x",
            "unit_cost": "1.00",
            "preferred": True,
        },
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "preferred"
    assert SupplierItem.objects.count() == 1


@time_machine.travel(datetime.datetime(2026, 4, 1, 8, tzinfo=datetime.UTC), tick=False)
def test_batch_send_confirm_receive_over_the_api(api_as, settings):
    settings.PURCHASING_HANDLING_DAYS = 1
    purchasing, warehouse, shop = api_as("Purchasing"), api_as("Warehouse"), api_as("Shop")
    item = SupplierItemFactory(
        product=ProductFactory(sku="LAMP-1"), supplier=SupplierFactory(code="acme", lead_time_days=5), pack_size=4
    )
    place((item.product, 3), number="O-1")

    run = purchasing.post("/api/v1/jobs/batch-backorders/")
    assert run.status_code == 200
    [number] = run.json()["created"]
    assert run.json()["units_pegged"] == 3

    po = purchasing.get(f"/api/v1/purchase-orders/{number}/").json()
    assert (po["supplier"], po["status"], po["dropship"]) == ("acme", "draft", False)
    assert po["lines"] == [
        {
            "sku": "LAMP-1",
            "supplier_sku": item.supplier_sku,
            "quantity": 4,
            "received": 0,
            "unit_cost": "5.00",
            "expected_date": "2026-04-06",
            "late": False,
            "backorders": [{"order": "O-1", "quantity": 3}],
        }
    ]
    assert shop.get("/api/v1/orders/O-1/").json()["lines"][0]["eta"] == "2026-04-07"

    assert po["supplier_link"] is None  # a draft has none
    sent = purchasing.post(f"/api/v1/purchase-orders/{number}/send/").json()
    assert sent["status"] == "sent"
    assert len(mail.outbox) == 1
    # The link the supplier got, absolute, for the roles that may send purchase orders only.
    assert sent["supplier_link"].startswith(f"{settings.SITE_URL}/supplier/")
    assert sent["supplier_link"] in mail.outbox[0].body
    assert warehouse.get(f"/api/v1/purchase-orders/{number}/").json()["supplier_link"] is None
    confirmed = purchasing.post(
        f"/api/v1/purchase-orders/{number}/confirm/",
        {"lines": [{"sku": "LAMP-1", "expected_date": "2026-04-20"}]},
        format="json",
    )
    assert confirmed.json()["status"] == "confirmed"
    order_line = shop.get("/api/v1/orders/O-1/").json()["lines"][0]
    # promised on 1 April: + 2 days' window + 5 lead + 1 handling
    assert (order_line["eta"], order_line["promised_date"]) == ("2026-04-21", "2026-04-09")

    over = warehouse.post(
        f"/api/v1/purchase-orders/{number}/receive/", {"lines": [{"sku": "LAMP-1", "quantity": 5}]}, format="json"
    )
    assert over.status_code == 409
    assert (over.json()["errors"][0]["sku"], over.json()["errors"][0]["code"]) == ("LAMP-1", "over_receipt")

    received = warehouse.post(
        f"/api/v1/purchase-orders/{number}/receive/", {"lines": [{"sku": "LAMP-1", "quantity": 4}]}, format="json"
    )
    assert received.json()["status"] == "received"
    assert shop.get("/api/v1/orders/O-1/").json()["status"] == "ready_to_ship"
    availability = shop.get("/api/v1/products/LAMP-1/availability/").json()
    assert (availability["available"], availability["incoming"], availability["next_restock_date"]) == (1, [], None)


def test_availability_shows_what_is_incoming_and_when(api_as):
    shop, purchasing = api_as("Shop"), api_as("Purchasing")
    item = SupplierItemFactory(product=ProductFactory(sku="LAMP-1"), pack_size=10)
    place((item.product, 3))
    number = purchasing.post("/api/v1/jobs/batch-backorders/").json()["created"][0]

    body = shop.get("/api/v1/products/LAMP-1/availability/").json()

    expected = PurchaseOrder.objects.get(number=number).lines.get().expected_date.isoformat()
    assert body["incoming"] == [{"quantity": 10, "expected_date": expected}]
    assert body["next_restock_date"] == expected


def test_listing_purchase_orders_filters_by_status_and_supplier(api_as):
    purchasing = api_as("Purchasing")
    for code in ("acme", "bolt"):
        item = SupplierItemFactory(supplier=SupplierFactory(code=code))
        place((item.product, 1))
    purchasing.post("/api/v1/jobs/batch-backorders/")

    by_supplier = purchasing.get("/api/v1/purchase-orders/?supplier=bolt").json()["results"]
    drafts = purchasing.get("/api/v1/purchase-orders/?status=draft").json()["results"]

    assert [po["supplier"] for po in by_supplier] == ["bolt"]
    assert len(drafts) == 2
    assert purchasing.get("/api/v1/purchase-orders/?status=lost").status_code == 400


def test_duplicate_skus_in_a_receipt_are_400(api_as):
    item = SupplierItemFactory(product=ProductFactory(sku="LAMP-1"))
    place((item.product, 1))
    number = api_as("Purchasing").post("/api/v1/jobs/batch-backorders/").json()["created"][0]

    response = api_as("Warehouse").post(
        f"/api/v1/purchase-orders/{number}/receive/",
        {"lines": [{"sku": "LAMP-1", "quantity": 1}, {"sku": "LAMP-1", "quantity": 1}]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["line"] == 1


def test_cancelling_a_purchase_order_over_the_api(api_as):
    purchasing = api_as("Purchasing")
    item = SupplierItemFactory(product=ProductFactory(sku="LAMP-1"))
    place((item.product, 2), number="O-1")
    number = purchasing.post("/api/v1/jobs/batch-backorders/").json()["created"][0]

    response = purchasing.post(f"/api/v1/purchase-orders/{number}/cancel/")
    again = purchasing.post(f"/api/v1/purchase-orders/{number}/cancel/")

    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert response.json()["lines"][0]["backorders"] == []
    assert again.status_code == 409
    assert api_as("Warehouse").post(f"/api/v1/purchase-orders/{number}/cancel/").status_code == 403


@pytest.mark.parametrize("supplier, sku", [("ac\u0000me", "LAMP-1"), ("acme", "LA\ud800MP")])
def test_codes_with_nul_bytes_or_lone_surrogates_are_400_not_500(purchasing, supplier, sku):
    # Found by fuzzing: PostgreSQL refuses such text in a query instead of finding nothing.
    ProductFactory(sku="LAMP-1")
    SupplierFactory(code="acme")

    body = json.dumps({"supplier": supplier, "sku": sku, "supplier_sku": "x", "unit_cost": "1.00"})  # \u-escaped

    response = purchasing.post("/api/v1/supplier-items/", body, content_type="application/json")

    assert response.status_code == 400
