"""Another transaction holds the stock row of the SKU being ordered (a long receipt, a stuck
job): the order request gives up after REQUEST_LOCK_TIMEOUT_SECONDS and is answered 503
with Retry-After, nothing written, instead of waiting as long as the lock is held."""

import time

import pytest
import requests
from django.db import transaction

from inventory.models import StockLevel
from orders.models import Order
from tests.factories import ProductFactory, receive

from .conftest import post_order

pytestmark = [pytest.mark.faults, pytest.mark.postgres]

LOCK_TIMEOUT_SECONDS = 2


def test_an_order_waiting_on_a_held_stock_row_is_answered_503_within_the_lock_timeout(faults, shop_token):
    # Given a SKU in stock and the web app allowing a request LOCK_TIMEOUT_SECONDS for a row lock
    product = ProductFactory(sku="TEA-HOT")
    receive(product, 10)
    web = faults.web(REQUEST_LOCK_TIMEOUT_SECONDS=str(LOCK_TIMEOUT_SECONDS))
    session = requests.Session()

    # When another connection holds the SKU's stock row while the shop orders it
    with transaction.atomic():
        StockLevel.objects.select_for_update().get(product=product)
        started = time.monotonic()
        response, _ = post_order(session, web, shop_token, "HOT-1", "TEA-HOT", timeout=LOCK_TIMEOUT_SECONDS + 3)
        seconds = time.monotonic() - started

    # Then the order is refused for now, saying when to try again, with nothing written
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert response.json()["errors"][0]["code"] == "unavailable"
    assert "changing the same records" in response.json()["errors"][0]["message"]
    assert not Order.objects.filter(number="HOT-1").exists()
    # ...and the retry, once the lock is gone, places it
    assert (
        post_order(session, web, shop_token, "HOT-1", "TEA-HOT", timeout=LOCK_TIMEOUT_SECONDS + 3)[0].status_code == 201
    )
    print(f"\nstock row held: the order answered 503 after {seconds:.2f} s (lock timeout {LOCK_TIMEOUT_SECONDS} s)")
