"""Listing backorders with the filters customer service and the shop use."""

import datetime

import pytest
import time_machine

from tests.factories import CustomerFactory, ProductFactory, place, receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting_book():
    lamp, vase = ProductFactory(sku="LAMP-1"), ProductFactory(sku="VASE-1")
    with time_machine.travel(datetime.datetime(2026, 1, 5, 9, tzinfo=datetime.UTC), tick=False):
        place((lamp, 2), number="JAN", customer=CustomerFactory.build(email="jan@example.org"))
    with time_machine.travel(datetime.datetime(2026, 2, 5, 9, tzinfo=datetime.UTC), tick=False):
        place((vase, 1), number="FEB", customer=CustomerFactory.build(email="feb@example.org"))
        place((lamp, 1), number="FEB2", customer=CustomerFactory.build(email="feb@example.org"))
    receive(lamp, 2)  # JAN is filled, FEB2 still waits


def numbers(response):
    assert response.status_code == 200, response.json()
    return [row["order"] for row in response.json()["results"]]


def test_filters_by_status_sku_customer_and_creation_time(shop, waiting_book):
    assert numbers(shop.get("/api/v1/backorders/")) == ["JAN", "FEB", "FEB2"]
    assert numbers(shop.get("/api/v1/backorders/?status=open")) == ["FEB", "FEB2"]
    assert numbers(shop.get("/api/v1/backorders/?status=allocated")) == ["JAN"]
    assert numbers(shop.get("/api/v1/backorders/?sku=LAMP-1")) == ["JAN", "FEB2"]
    assert numbers(shop.get("/api/v1/backorders/?customer=FEB@example.org")) == ["FEB", "FEB2"]
    assert numbers(shop.get("/api/v1/backorders/?created_after=2026-02-01T00:00:00Z")) == ["FEB", "FEB2"]
    assert numbers(shop.get("/api/v1/backorders/?created_before=2026-02-01T00:00:00Z")) == ["JAN"]


def test_a_row_says_what_waits_and_until_when(shop, waiting_book):
    [row] = shop.get("/api/v1/backorders/?sku=LAMP-1&status=open").json()["results"]

    assert (row["order"], row["customer"], row["quantity"], row["waiting"], row["status"]) == (
        "FEB2",
        "feb@example.org",
        1,
        1,
        "open",
    )
    assert row["eta"] == row["promised_date"]


def test_bad_filter_values_are_400_naming_the_filter(shop, waiting_book):
    response = shop.get("/api/v1/backorders/?status=lost&created_after=yesterday")

    assert response.status_code == 400
    assert {error["field"] for error in response.json()["errors"]} == {"status", "created_after"}


@pytest.mark.parametrize(
    "value, status",
    [
        ("2026-02-01T10:00:00+17:10", 200),  # an offset PostgreSQL itself would refuse (found by fuzzing)
        ("0001-01-01T00:10:00+17:10", 400),  # before year 1 once in UTC
    ],
)
def test_any_offset_python_parses_is_answered_without_a_server_error(shop, waiting_book, value, status):
    from urllib.parse import quote

    response = shop.get(f"/api/v1/backorders/?created_before={quote(value)}")

    assert response.status_code == status
