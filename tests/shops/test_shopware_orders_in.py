"""Shopware's order webhooks, with the order Shopware's App PHP SDK carries in its payment
fixture (order 10077) inside the envelope the webhook docs show, signed as Shopware signs."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from orders.models import Order
from shops.models import InboxEvent, ShopConnection
from shops.sync import sync_shops
from tests.factories import ProductFactory

from .conftest import (
    SHOPWARE_ENGLISH,
    SHOPWARE_GERMAN,
    FakeShopware,
    on,
    shopware_event,
    shopware_order,
)

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
PRAWNS = "F3B92A7A618544308094CB4713B3ED84"  # the fixture line's productNumber, in capitals in the catalogue


@pytest.fixture(autouse=True)
def clock_at_nine():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def prawns(db):
    return ProductFactory(sku=PRAWNS)


@pytest.fixture
def fake(shopware, httpserver):
    on(shopware, httpserver)
    return FakeShopware(httpserver)


def placed(event_id="ev-placed-1", **changes):
    return shopware_event("checkout.order.placed", {"order": shopware_order(**changes)}, event_id=event_id)


def test_a_placed_order_is_placed_once_though_shopware_sends_the_event_twice(send_shopware, fake, prawns):
    first = send_shopware(placed())
    again = send_shopware(placed())  # Shopware retries with the same event id

    assert (first.status_code, again.status_code) == (200, 200)
    order = Order.objects.get()
    assert (order.number, order.customer_number, order.currency) == (
        "hRCw2xo1EDZnLco4-8f69d4874c53486a95383b2126161738",
        "10077",
        "EUR",
    )
    assert (order.customer.email, order.customer.name) == ("test@example.com", "Max Mustermann")
    assert order.shipping_address["city"] == "Schöppingen" and order.shipping_address["address1"] == "Ebbinghoff 10"
    assert [(line.product.sku, line.quantity, line.unit_price) for line in order.lines.all()] == [
        (PRAWNS, 1, Decimal("395.01"))
    ]
    assert InboxEvent.objects.get().status == "done"


def test_the_customers_language_is_the_orders_read_against_the_shops_languages_once(send_shopware, fake, prawns):
    send_shopware(placed())  # languageId: Shopware's English
    german = placed(event_id="ev-2", id="a" * 32, languageId=SHOPWARE_GERMAN)
    german["data"]["payload"]["order"]["orderCustomer"]["email"] = "erika@example.de"
    send_shopware(german)

    languages = {order.shop_order_id: order.customer.language for order in Order.objects.all()}
    assert languages == {"8f69d4874c53486a95383b2126161738": "en", "a" * 32: "de"}
    assert len(fake.calls("/api/search/language")) == 1
    assert ShopConnection.objects.get().languages == {SHOPWARE_ENGLISH: "en", SHOPWARE_GERMAN: "de"}


def test_a_forged_event_is_refused_and_stores_nothing(send_shopware, shopware, prawns):
    answer = send_shopware(placed(), secret="not-the-shop-secret")

    assert answer.status_code == 401
    assert not InboxEvent.objects.exists() and not Order.objects.exists()


def test_a_replayed_event_with_a_stale_timestamp_is_refused(send_shopware, shopware, prawns):
    stale = placed()
    stale["timestamp"] = int((NOW - datetime.timedelta(hours=6)).timestamp())  # past Shopware's 4.5 h of retries

    answer = send_shopware(stale)

    assert answer.status_code == 401 and "stale" in answer.json()["errors"][0]["message"]
    assert not InboxEvent.objects.exists()


def test_a_body_changed_on_its_way_fails_its_signature(client, shopware, prawns):
    from .conftest import SHOPWARE_SECRET, body_of, shopware_sign

    body = body_of(placed())
    signature = shopware_sign(SHOPWARE_SECRET, body)

    answer = client.post(
        "/shops/shopware/webhook/",
        body.replace(b'"quantity":1', b'"quantity":9'),
        content_type="application/json",
        HTTP_SHOPWARE_SHOP_SIGNATURE=signature,
    )

    assert answer.status_code == 401


def test_the_cancelled_state_cancels_every_unshipped_unit(send_shopware, fake, prawns):
    send_shopware(placed())
    cancelled = shopware_order()
    cancelled["stateMachineState"]["technicalName"] = "cancelled"

    send_shopware(shopware_event("state_enter.order.state.cancelled", {"order": cancelled}, event_id="ev-cancel"))

    order = Order.objects.get()
    assert order.status == Order.Status.CANCELLED
    assert InboxEvent.objects.get(delivery_key="ev-cancel").reason.startswith("cancelled 1 × " + PRAWNS)


def test_order_written_names_the_order_which_is_read_over_the_admin_api(send_shopware, fake, prawns):
    fake.orders = {"8f69d4874c53486a95383b2126161738": shopware_order()}
    # The written event as the webhook docs show an entity.written payload: ids, no entity
    written = [
        {
            "entity": "order",
            "operation": "insert",
            "primaryKey": "8f69d4874c53486a95383b2126161738",
            "updatedFields": [],
            "versionId": "0fa91ce3e96a4bc2be4bd9ce752c3425",
        }
    ]

    send_shopware(shopware_event("order.written", written, event_id="ev-written"))

    assert Order.objects.get().number.endswith("8f69d4874c53486a95383b2126161738")
    [search] = fake.calls("/api/search/order")
    assert search.get_json()["ids"] == ["8f69d4874c53486a95383b2126161738"]
    assert search.headers["Authorization"] == "Bearer token-1"


def test_the_reconciliation_reads_orders_created_or_updated_since_its_watermark(shopware, fake, prawns):
    fake.orders = {"8f69d4874c53486a95383b2126161738": shopware_order()}

    [result] = sync_shops()

    assert (result["orders_read"], result["error"]) == (1, "")
    assert Order.objects.count() == 1
    criteria = fake.calls("/api/search/order")[0].get_json()
    fields = [query["field"] for query in criteria["filter"][0]["queries"]]
    assert fields == ["updatedAt", "createdAt"]  # a new order has no updatedAt yet
    assert sync_shops()[0]["events"] == {}  # a second sync applies nothing twice
    assert Order.objects.count() == 1


def test_an_unknown_product_number_holds_the_event_with_its_reason(send_shopware, fake):
    send_shopware(placed())

    event = InboxEvent.objects.get()
    assert event.status == "held" and PRAWNS.lower() in event.reason.lower()
    assert not Order.objects.exists()


def test_a_shopware_body_sent_to_the_per_code_door_is_refused(client, shopware, prawns):
    # The per-code webhook checks no timestamp: Shopware's events are taken only at the app's door.
    from .conftest import SHOPWARE_SECRET, SHOPWARE_SHOP_ID, body_of, shopware_sign

    body = body_of(placed())

    answer = client.post(
        f"/shops/{SHOPWARE_SHOP_ID}/webhook/",
        body,
        content_type="application/json",
        HTTP_SHOPWARE_SHOP_SIGNATURE=shopware_sign(SHOPWARE_SECRET, body),
    )

    assert answer.status_code == 401
    assert not InboxEvent.objects.exists()


def test_answering_a_webhook_is_two_queries_whatever_the_order(
    send_shopware, shopware, django_assert_max_num_queries, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # the answer only: the worker's part is the inbox's
    from django.test import Client

    from .conftest import SHOPWARE_SECRET, body_of, shopware_sign

    many_lines = shopware_order()
    many_lines["lineItems"] = many_lines["lineItems"] * 50
    body = body_of(shopware_event("checkout.order.placed", {"order": many_lines}, event_id="big"))

    with django_assert_max_num_queries(2):  # the connection, the inbox row
        answer = Client().post(
            "/shops/shopware/webhook/",
            body,
            content_type="application/json",
            HTTP_SHOPWARE_SHOP_SIGNATURE=shopware_sign(SHOPWARE_SECRET, body),
        )

    assert answer.status_code == 200


def test_order_written_naming_two_orders_applies_each_on_its_own(send_shopware, fake, prawns):
    # Given two orders in the shop, the second of a product the catalogue does not have
    second = shopware_order(id="b" * 32, orderNumber="10078")
    second["lineItems"][0]["payload"]["productNumber"] = "UNKNOWN-1"
    fake.orders = {"8f69d4874c53486a95383b2126161738": shopware_order(), "b" * 32: second}
    written = [
        {"entity": "order", "operation": "update", "primaryKey": key, "updatedFields": ["customerComment"]}
        for key in fake.orders
    ]

    send_shopware(shopware_event("order.written", written, event_id="bulk"))
    send_shopware(shopware_event("order.written", written, event_id="bulk"))  # retried

    events = {event.shop_order_id: event for event in InboxEvent.objects.all()}
    assert {key: event.status for key, event in events.items()} == {
        "8f69d4874c53486a95383b2126161738": "done",
        "b" * 32: "held",  # held on its own; the first order is placed
    }
    assert "UNKNOWN-1" in events["b" * 32].reason
    assert Order.objects.count() == 1


def test_the_admin_shows_the_apps_webhook_url_for_a_shopware_shop(shopware, settings):
    from django.contrib.admin import site

    settings.SITE_URL = "https://backoffice.example"

    assert site._registry[ShopConnection].webhook(shopware) == "https://backoffice.example/shops/shopware/webhook/"


@pytest.mark.parametrize(
    "body",
    [b"", b"\xff\xfe", b"[]", b'{"source": []}', b'{"source": {"shopId": 7}}', b'{"source": {"shopId": "nope"}}'],
)
def test_a_malformed_webhook_is_a_401_never_a_5xx(client, shopware, body):
    answer = client.post(
        "/shops/shopware/webhook/", body, content_type="application/json", HTTP_SHOPWARE_SHOP_SIGNATURE="x"
    )

    assert answer.status_code == 401
    assert not InboxEvent.objects.exists()


def test_a_signed_event_with_a_nonsense_timestamp_is_refused(send_shopware, shopware):
    answer = send_shopware(shopware_event("checkout.order.placed", {"order": shopware_order()}, timestamp="-1e999"))

    assert answer.status_code == 401
    assert not InboxEvent.objects.exists()
