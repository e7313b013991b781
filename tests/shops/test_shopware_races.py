"""Races on PostgreSQL, each side in its own thread and database connection: a shop's
registration sent twice at once, and one event delivered twice at once (Shopware retries while
the first delivery is still being answered)."""

import datetime
import threading

import pytest
import time_machine
from django.test import Client

from orders.models import Order
from shops import secrets
from shops.models import InboxEvent, ShopConnection
from tests.factories import ProductFactory

from .conftest import SHOPWARE_SECRET, FakeShopware, body_of, on, shopware_event, shopware_order, shopware_sign
from .test_races_with_the_shop import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
QUERY = "shop-id=123&shop-url=https://my-shop.com&timestamp=1234567890"
SDK_SIGNATURE = "96c91f86c822e11444b7a57b54ef125ed86b1a639c5360d45c5397daa8c3f70b"  # app-php-sdk RequestVerifierTest


def test_a_registration_sent_twice_at_once_makes_one_connection(settings, monkeypatch):
    settings.SHOPWARE_APP_NAME, settings.SHOPWARE_APP_SECRET = "My App", "my-secret"
    # Each side waits (at most 2 s) for the other once it has its row: where both could find no row
    # and both insert one, they meet here; where the second waits for the first's row, the
    # first goes on alone.
    both_have_looked = threading.Barrier(2, timeout=2)
    store = secrets.store

    def store_once_both_have_looked(*args, **kwargs):
        try:
            both_have_looked.wait()
        except threading.BrokenBarrierError:
            pass
        return store(*args, **kwargs)

    monkeypatch.setattr(secrets, "store", store_once_both_have_looked)
    with time_machine.travel(datetime.datetime.fromtimestamp(1234567891, datetime.UTC), tick=False):

        def register():
            return Client().get(f"/shops/shopware/register/?{QUERY}", HTTP_SHOPWARE_APP_SIGNATURE=SDK_SIGNATURE)

        outcomes = at_once(register, register)

    assert [outcome[0] for outcome in outcomes] == ["ok", "ok"]
    assert [outcome[1].status_code for outcome in outcomes] == [200, 200]
    assert ShopConnection.objects.filter(code="123").count() == 1


def test_one_event_delivered_twice_at_once_is_one_order(shopware, httpserver, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    on(shopware, httpserver)
    FakeShopware(httpserver)
    ProductFactory(sku="F3B92A7A618544308094CB4713B3ED84")
    body = body_of(shopware_event("checkout.order.placed", {"order": shopware_order()}))

    def deliver():
        return (
            Client()
            .post(
                "/shops/shopware/webhook/",
                body,
                content_type="application/json",
                HTTP_SHOPWARE_SHOP_SIGNATURE=shopware_sign(SHOPWARE_SECRET, body),
            )
            .status_code
        )

    outcomes = at_once(deliver, deliver)

    assert outcomes == [("ok", 200), ("ok", 200)]
    assert InboxEvent.objects.count() == 1
    assert Order.objects.count() == 1
