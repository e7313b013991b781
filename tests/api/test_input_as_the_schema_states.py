"""The API takes what its published schema states and nothing looser: a JSON object with each
key once, text as text, amounts as the pattern writes them, JSON content types only, filters
given once with a value. A well-formed request the state of things refuses is a 404 (it names
what does not exist) or a 409, never a 400; and the schema says all of it. Each of these was
taken (or refused) otherwise."""

import json

import pytest
from drf_spectacular.generators import SchemaGenerator

from orders.models import Order
from purchasing.models import SupplierItem
from tests.factories import ProductFactory, SupplierFactory, SupplierItemFactory, place

pytestmark = pytest.mark.django_db


def order_body(lines, number="S-1"):
    return {
        "number": number,
        "customer": {"email": "s@example.org", "name": "S", "language": "de"},
        "fulfilment_policy": "ship_partial",
        "lines": lines,
    }


def post(client, body, content_type="application/json"):
    return client.generic("POST", "/api/v1/orders/", body if isinstance(body, str) else json.dumps(body), content_type)


def test_a_key_given_twice_is_a_400_naming_it_not_its_last_value(shop):
    ProductFactory(sku="TEA-1")
    body = json.dumps(order_body([{"sku": "TEA-1", "quantity": 1}]))[:-1] + ', "fulfilment_policy": "ship_complete"}'

    response = post(shop, body)

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["code"], error["field"]) == ("parse_error", "fulfilment_policy")
    assert "'fulfilment_policy' appears twice" in error["message"]
    assert not Order.objects.exists()


def test_an_amount_in_exponent_notation_is_refused_naming_field_and_line(shop):
    ProductFactory(sku="TEA-1")
    ProductFactory(sku="TEA-2")  # "1e3" was stored as a unit price of 1000.00

    response = post(
        shop, order_body([{"sku": "TEA-1", "quantity": 1}, {"sku": "TEA-2", "quantity": 1, "unit_price": "1e3"}])
    )

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["field"], error["line"]) == ("lines[1].unit_price", 1)
    assert not Order.objects.exists()


@pytest.mark.parametrize("content_type", ["*/*", "text/plain", "application/x-www-form-urlencoded", ""])
def test_a_body_that_is_not_said_to_be_json_is_a_415_in_the_error_shape(shop, content_type):
    ProductFactory(sku="TEA-1")

    response = post(shop, order_body([{"sku": "TEA-1", "quantity": 1}]), content_type=content_type)

    assert response.status_code == 415
    assert response.json()["errors"][0]["code"] == "unsupported_media_type"
    assert not Order.objects.exists()


def test_a_json_media_type_of_the_shops_own_is_json(shop):
    ProductFactory(sku="TEA-1")

    response = post(
        shop, order_body([{"sku": "TEA-1", "quantity": 1}]), content_type="application/vnd.shop+json; charset=utf-8"
    )

    assert response.status_code == 201


@pytest.mark.parametrize("body", ["null", "[]", '"order"', "1"])
def test_a_body_that_is_not_an_object_is_a_400(api_as, body):
    place((ProductFactory(), 1), number="S-1")

    response = api_as("Warehouse").post("/api/v1/orders/S-1/ship/", data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "The body must be a JSON object."


@pytest.mark.parametrize("sku", [0, 1.0, True, ["0"]])
def test_a_sku_sent_as_anything_but_text_is_refused_even_when_that_text_is_a_sku(shop, sku):
    ProductFactory(sku="0")  # str(0) names it: the number used to pass as the SKU "0"
    ProductFactory(sku="1")

    response = post(shop, order_body([{"sku": sku, "quantity": 1}]))

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "lines[0].sku"
    assert not Order.objects.exists()


def test_a_name_sent_as_a_number_is_refused(api_as):
    response = api_as("Purchasing", superuser=True).post(
        "/api/v1/suppliers/", {"code": "acme", "name": 0, "email": "a@example.org"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "name"


def test_an_unknown_sku_in_an_order_is_a_404_naming_field_line_and_sku(shop):
    ProductFactory(sku="VASE-1")

    response = post(shop, order_body([{"sku": "VASE-1", "quantity": 1}, {"sku": "GHOST", "quantity": 1}]))

    assert response.status_code == 404
    [error] = response.json()["errors"]
    assert (error["field"], error["line"], error["sku"], error["code"]) == ("sku", 1, "GHOST", "unknown_sku")
    assert not Order.objects.exists()


def test_a_malformed_line_beside_an_unknown_sku_is_a_400_naming_both(shop):
    response = post(shop, order_body([{"sku": "GHOST", "quantity": 1}, {"sku": "GHOST", "quantity": 2}]))

    assert response.status_code == 400  # the SKU named twice is the request's own fault
    assert [(error["line"], error["code"]) for error in response.json()["errors"]] == [
        (0, "unknown_sku"),
        (1, "duplicate"),
        (1, "unknown_sku"),
    ]


def test_an_unknown_supplier_for_a_supplier_item_is_a_404_naming_it(api_as):
    ProductFactory(sku="TEA-1")

    response = api_as("Purchasing").post(
        "/api/v1/supplier-items/",
        {"supplier": "nobody", "sku": "TEA-1", "supplier_sku": "N-1", "unit_cost": "1.00"},
        format="json",
    )

    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "supplier"
    assert not SupplierItem.objects.exists()


@pytest.mark.parametrize("action", ["confirm", "receive"])
def test_a_purchase_order_step_with_no_lines_is_a_400(api_as, action):
    item = SupplierItemFactory(supplier=SupplierFactory(code="acme"))
    place((item.product, 1))
    number = api_as("Purchasing").post("/api/v1/jobs/batch-backorders/").json()["created"][0]

    response = api_as("Purchasing", "Warehouse").post(
        f"/api/v1/purchase-orders/{number}/{action}/", {"lines": []}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "lines"


@pytest.mark.parametrize(
    "query",
    ["expedite=null", "expedite=1", "expedite=", "customer=", "customer=%20", "status=shipped&status=cancelled"],
)
def test_a_filter_given_empty_twice_or_as_no_yes_or_no_is_a_400_naming_it(shop, query):
    response = shop.get(f"/api/v1/orders/?{query}")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == query.split("=")[0]


@pytest.mark.parametrize(
    "value", ["2026-02-01", "2026-02-01T10:00:00", "2026-02-01 10:00:00+01:00", "２０２６-02-01T10:00:00Z"]
)
def test_a_date_time_filter_takes_rfc_3339_only(shop, value):
    response = shop.get("/api/v1/backorders/", {"created_after": value})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "created_after"


@pytest.fixture(scope="module")
def published():
    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))


def test_the_schema_states_what_the_server_enforces(published):
    schemas = published["components"]["schemas"]
    order, line = schemas["OrderInRequest"]["properties"], schemas["LineInRequest"]["properties"]
    # lines: at least one
    for name in ("OrderInRequest", "CancelRequest", "ConfirmRequest", "ReceiveRequest"):
        assert schemas[name]["properties"]["lines"]["minItems"] == 1, name
    # text: no NUL, and what may not be blank holds more than spaces
    assert line["sku"]["type"] == "string" and "\\u0000" in line["sku"]["pattern"]
    assert "\\u0000" in schemas["CustomerRequest"]["properties"]["name"]["pattern"]
    assert order["number"]["pattern"] == "^[A-Za-z0-9][A-Za-z0-9._-]*$"
    # a receipt brings at least one unit, an adjustment is not 0, a count not negative
    branches = {ref["$ref"].rsplit("/", 1)[1] for ref in schemas["StockChangeRequest"]["oneOf"]}
    assert branches == {"ReceiptRequest", "AdjustmentRequest", "CountRequest"}
    assert schemas["ReceiptRequest"]["properties"]["quantity"]["minimum"] == 1
    assert schemas["AdjustmentRequest"]["properties"]["quantity"]["not"] == {"enum": [0]}
    assert schemas["CountRequest"]["properties"]["quantity"]["minimum"] == 0
    # a reference that may not exist: documented as a 404 where it is sent
    assert "404" in published["paths"]["/api/v1/supplier-items/"]["post"]["responses"]
    assert "404" in published["paths"]["/api/v1/orders/"]["post"]["responses"]


def test_the_no_nul_and_not_blank_patterns_say_what_the_server_trims_and_refuses():
    import re

    from kernel.schema import NOT_BLANK, SPACES

    # The schema's spaces are the ones Python's strip() removes (DRF trims text with it).
    assert {chr(code) for code in range(0x110000) if chr(code).isspace()} == {
        chr(code) for code in range(0x110000) if re.fullmatch(f"[{SPACES}]", chr(code))
    }
    assert re.fullmatch(NOT_BLANK, " Eva ") and not re.fullmatch(NOT_BLANK, " \u3000\t")
    assert not re.fullmatch(NOT_BLANK, "Eva\x00")
