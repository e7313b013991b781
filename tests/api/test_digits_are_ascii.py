"""A page is asked for in ASCII digits: "²", "¹" and "①" are digits to str.isdigit() but not
to int(), and every paginated list answered them with a 500. Now each is a 400 naming the
parameter, on every list."""

import pytest

pytestmark = pytest.mark.django_db

LISTS = ["products", "orders", "backorders", "purchase-orders", "suppliers"]


@pytest.mark.parametrize("query", ["limit=²", "offset=¹", "limit=①", "offset=٣", "limit=１０"])
@pytest.mark.parametrize("path", LISTS)
def test_a_page_asked_for_in_other_digits_is_a_400_naming_the_parameter(api_as, path, query):
    client = api_as("Shop", "Purchasing")

    response = client.get(f"/api/v1/{path}/?{query}")

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == query.split("=")[0]
    assert "whole number" in error["message"]


@pytest.mark.parametrize("path", LISTS)
def test_a_page_asked_for_in_ascii_digits_is_answered(api_as, path):
    assert api_as("Shop", "Purchasing").get(f"/api/v1/{path}/?limit=10&offset=0").status_code == 200
