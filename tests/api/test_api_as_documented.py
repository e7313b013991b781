"""The API does what its schema and README say: SKUs in any ASCII case in every endpoint that
takes one, amounts exactly as the schema's pattern writes them, every problem of a request in
one answer in our words (none of DRF's), the docs served from the application itself, and a
JSON 404 for a path no endpoint has, with DEBUG on or off."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from purchasing import batching, lifecycle
from purchasing.models import PurchaseOrder
from tests.factories import ProductFactory, SupplierFactory, SupplierItemFactory

pytestmark = pytest.mark.django_db

DRF_WORDS = ["This field", "Ensure this value", "Enter a valid", "A valid number", "is required.", "Invalid data"]


def order(lines, number="A-1", **fields):
    return {
        "number": number,
        "customer": {"email": "ann@example.org", "name": "Ann", "language": "en"},
        "fulfilment_policy": "ship_partial",
        "lines": lines,
        **fields,
    }


@pytest.fixture
def scale():
    return SupplierItemFactory(product=ProductFactory(sku="SCL-070", name="Scale"), unit_cost="5.00").product


def test_a_sku_in_lower_case_is_found_by_every_endpoint_that_takes_one(api_as, scale):
    staff = api_as(superuser=True)
    placed = staff.post("/api/v1/orders/", order([{"sku": "scl-070", "quantity": 3}]), format="json")
    batching.batch_backorders()
    po = PurchaseOrder.objects.get()
    lifecycle.send_purchase_order(po.number)

    answers = {
        "cancel": staff.post(
            "/api/v1/orders/A-1/cancel/", {"lines": [{"sku": "scl-070", "quantity": 1}]}, format="json"
        ),
        "product": staff.get("/api/v1/products/scl-070/"),
        "availability": staff.get("/api/v1/products/scl-070/availability/"),
        "public availability": Client().get("/availability/scl-070.json"),
        "reorder": staff.get("/api/v1/products/scl-070/reorder/"),
        "backorders": staff.get("/api/v1/backorders/", {"sku": "scl-070"}),
        "stock": staff.post("/api/v1/products/scl-070/stock/", {"reason": "count", "quantity": 0}, format="json"),
        "receive": staff.post(
            f"/api/v1/purchase-orders/{po.number}/receive/",
            {"lines": [{"sku": "scl-070", "quantity": 1}]},
            format="json",
        ),
    }

    assert placed.status_code == 201
    assert {name: answer.status_code for name, answer in answers.items()} == {
        "cancel": 200,
        "product": 200,
        "availability": 200,
        "public availability": 200,
        "reorder": 200,
        "backorders": 200,
        "stock": 201,
        "receive": 200,
    }
    assert answers["cancel"].json()["lines"][0]["cancelled"] == 1


BAD_AMOUNTS = ["1e1", "+12.50", "-12.50", " 12.50", "12.50 ", "0012.50", "١٢.٥٠", "12.505", "12,50", "", "12."]


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_an_amount_is_written_as_the_schemas_pattern_says_or_refused_naming_it(api_as, scale, amount):
    staff = api_as(superuser=True)
    supplier = SupplierFactory(code="acme")

    answers = [
        (
            staff.post(
                "/api/v1/orders/", order([{"sku": "SCL-070", "quantity": 1, "unit_price": amount}]), format="json"
            ),
            "lines[0].unit_price",
        ),
        (staff.post("/api/v1/products/", {"sku": "NEW-1", "name": "New", "price": amount}, format="json"), "price"),
        (
            staff.post(
                "/api/v1/supplier-items/",
                {"supplier": supplier.code, "sku": "SCL-070", "supplier_sku": "X", "unit_cost": amount},
                format="json",
            ),
            "unit_cost",
        ),
    ]

    for answer, field in answers:
        assert answer.status_code == 400, (field, answer.content)
        assert [problem["field"] for problem in answer.json()["errors"]] == [field]


@pytest.mark.parametrize("amount", ["0", "0.5", "12", "12.5", "12.50", "9999999999.99"])
def test_an_amount_as_the_pattern_writes_it_is_taken(shop, scale, amount):
    answer = shop.post(
        "/api/v1/orders/", order([{"sku": "SCL-070", "quantity": 1, "unit_price": amount}]), format="json"
    )

    assert answer.status_code == 201, answer.content


def test_the_schemas_money_pattern_refuses_padding_and_signs():
    from kernel.parsers import MONEY_PATTERN

    assert [bool(re.fullmatch(MONEY_PATTERN, amount)) for amount in ["0012.50", "+1", "-1", "0.50"]] == [
        False,
        False,
        False,
        True,
    ]


def test_every_problem_of_an_order_is_in_one_answer_in_our_words(shop, scale):
    answer = shop.post(
        "/api/v1/orders/",
        {
            "number": "",
            "customer": {"email": "not an address", "name": ""},
            "fulfilment_policy": "ship_partial",
            "lines": [{"sku": "NOPE-1", "quantity": 1}, {"sku": "scl-070", "quantity": 0}, {"sku": "SCL-070"}],
        },
        format="json",
    )

    assert answer.status_code == 400  # malformed and unknown at once: the most basic kind
    problems = [(problem["field"], problem.get("line"), problem["code"]) for problem in answer.json()["errors"]]
    assert problems == [
        ("number", None, "blank"),
        ("customer.email", None, "invalid"),
        ("customer.name", None, "blank"),
        ("sku", 0, "unknown_sku"),
        ("lines[1].quantity", 1, "min_value"),
        ("lines[2].quantity", 2, "required"),
    ]
    messages = [problem["message"] for problem in answer.json()["errors"]]
    assert messages[4] == "Line 2 (SKU scl-070): quantity must be at least 1."
    assert messages[5] == "Line 3 (SKU SCL-070): quantity is missing."
    assert not [message for message in messages if any(words in message for words in DRF_WORDS)], messages


def test_an_empty_body_names_every_missing_field_in_our_words(shop):
    answer = shop.post("/api/v1/orders/", {}, format="json")

    assert [problem["message"] for problem in answer.json()["errors"]] == [
        "The field number is missing.",
        "The field customer is missing.",
        "The field fulfilment_policy is missing.",
        "The field lines is missing.",
    ]


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/api/v1/nothing/", "/api/v1/orders/A-1/nothing/", "/api/v2/orders/", "/api/"])
def test_a_path_no_endpoint_has_is_the_apis_json_404_in_every_mode(shop, settings, debug, path):
    settings.DEBUG = debug

    answer = shop.get(path)

    assert answer.status_code == 404 and answer["Content-Type"] == "application/json"
    assert answer.json()["errors"][0]["code"] == "not_found"


def test_a_path_missing_its_final_slash_is_still_redirected(shop):
    answer = shop.get("/api/v1/orders")

    assert answer.status_code == 301 and answer["Location"] == "/api/v1/orders/"


@pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_swagger_ui_and_redoc_load_nothing_from_another_site(path):
    page = Client().get(path).content.decode()

    scripts = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert scripts and not [url for url in scripts if url.startswith(("http:", "https:", "//"))], scripts
    for url in scripts:  # each is one of our static files
        assert url.startswith("/static/") and finders.find(url.removeprefix("/static/")), url


def test_a_post_with_a_session_to_a_path_no_endpoint_has_is_the_json_404_not_csrfs_page(admin_client):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.cookies = admin_client.cookies

    answer = client.post("/api/v1/orders/%C2%84/cancel/", {}, content_type="application/json")

    assert answer.status_code == 404 and answer["Content-Type"] == "application/json"
