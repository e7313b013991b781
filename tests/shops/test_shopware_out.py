"""What Shopware's product pages show comes from the back office: stock, whether it may be sold
sold out (isCloseout), the restock time in days and the date; shipments and cancellations go
back to the order. Over real HTTP to a fake of the Admin API, checking path, token and body
(Admin API: bulk payloads `POST /api/_action/sync`, OAuth client credentials, state transitions)."""

import datetime

import pytest
import time_machine

from orders.cancellation import CancelRequest, cancel_units
from orders.fulfilment import ship_order
from orders.models import Order
from purchasing.batching import batch_backorders
from purchasing.lifecycle import send_purchase_order
from purchasing.models import PurchaseOrder
from shops import pushes
from shops.sync import sync_shops
from tests.factories import ProductFactory, SupplierItemFactory, place, receive

from .conftest import FakeShopware, on, shopware_event, shopware_order

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
RESTOCK = datetime.date(2026, 3, 12)  # a draft purchase order's date: today + the supplier's 10 days


@pytest.fixture(autouse=True)
def clock_at_nine():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def fake(shopware, httpserver):
    on(shopware, httpserver)
    # The shop's product numbers differ from the catalogue's SKUs in case only.
    return FakeShopware(httpserver, products={"teapot-1": "0190aa", "cup-2": "0190bb"})


@pytest.fixture
def teapot_on_order(db):
    """A backorderable teapot nobody has: ordered by a customer, on a supplier's draft."""
    item = SupplierItemFactory(product=ProductFactory(sku="TEAPOT-1"), lead_time_days=10)
    place((item.product, 2))
    batch_backorders()
    return item.product


def sync_bodies(fake):
    return [request.get_json() for request in fake.calls("/api/_action/sync")]


def test_the_push_sends_stock_closeout_restock_days_and_date_with_the_bearer_token(shopware, fake, teapot_on_order):
    cup = ProductFactory(sku="CUP-2", backorderable=False)
    receive(cup, 3)

    pushes.push_due(shopware)

    [find] = fake.calls("/api/search/product")
    assert sorted(find.get_json()["filter"][0]["value"]) == ["CUP-2", "TEAPOT-1"]
    [sync] = fake.calls("/api/_action/sync")
    assert sync.headers["Authorization"] == "Bearer token-1"
    [operation] = sync.get_json().values()
    assert (operation["entity"], operation["action"]) == ("product", "upsert")
    assert sorted(operation["payload"], key=lambda p: p["id"]) == [
        {
            "id": "0190aa",
            "stock": 0,
            "isCloseout": False,  # backorderable: the shop keeps selling it sold out
            "restockTime": 10,
            "customFields": {"backorder_restock_date": RESTOCK.isoformat()},
        },
        {
            "id": "0190bb",
            "stock": 3,
            "isCloseout": True,
            "restockTime": None,
            "customFields": {"backorder_restock_date": None},
        },
    ]
    assert len(fake.calls("/api/oauth/token")) == 1


def test_each_morning_the_restock_time_shrinks_by_a_day(shopware, fake, teapot_on_order, clock_at_nine, settings):
    assert settings.CELERY_BEAT_SCHEDULE["sync-shops"]["task"] == "shops.tasks.sync_shops"  # every 10 minutes
    # Given the teapot's purchase order sent (its date stays; a draft's moves with today)
    send_purchase_order(PurchaseOrder.objects.get().number)
    pushes.push_due(shopware)

    clock_at_nine.shift(datetime.timedelta(days=1))
    sync_shops()  # beat runs it every 10 minutes: the first after midnight finds the days changed
    sync_shops()  # and the next finds nothing to push

    shown = [body["backorder-stock"]["payload"][0] for body in sync_bodies(fake)]
    assert [(p["restockTime"], p["customFields"]["backorder_restock_date"]) for p in shown] == [
        (10, RESTOCK.isoformat()),
        (9, RESTOCK.isoformat()),
    ]


def test_a_token_that_expires_in_the_middle_of_a_sync_is_fetched_again_once_and_the_sync_completes(
    shopware, fake, teapot_on_order
):
    fake.expire_after = "/api/search/order"  # the token dies right after the orders were read

    [result] = sync_shops()

    assert result["error"] == "" and result["stock_pushed"] == 1
    assert len(fake.calls("/api/oauth/token")) == 2
    [sync] = fake.calls("/api/_action/sync")
    assert sync.headers["Authorization"] == "Bearer token-2"
    statuses = [response.status_code for _request, response in fake.server.log]
    assert statuses.count(401) == 1


def test_a_token_is_kept_until_it_expires(shopware, fake, clock_at_nine):
    cup = ProductFactory(sku="CUP-2")
    receive(cup, 1)
    pushes.push_due(shopware)
    receive(cup, 1)
    clock_at_nine.shift(datetime.timedelta(seconds=60))
    pushes.push_due(shopware)
    assert len(fake.calls("/api/oauth/token")) == 1

    receive(cup, 1)
    clock_at_nine.shift(datetime.timedelta(seconds=600))  # past expires_in (less the SDK's 30 s margin)
    pushes.push_due(shopware)

    assert len(fake.calls("/api/oauth/token")) == 2
    assert [body["backorder-stock"]["payload"][0]["stock"] for body in sync_bodies(fake)] == [1, 2, 3]


@pytest.fixture
def order_from_shopware(send_shopware, fake):
    prawns = ProductFactory(sku="F3B92A7A618544308094CB4713B3ED84")
    receive(prawns, 1)
    send_shopware(shopware_event("checkout.order.placed", {"order": shopware_order()}))
    fake.orders = {"8f69d4874c53486a95383b2126161738": shopware_order()}
    return Order.objects.get()


def test_a_shipment_adds_the_tracking_code_and_ships_the_delivery(shopware, fake, order_from_shopware):
    ship_order(order_from_shopware.number, tracking_number="JJD0099")
    pushes.push_orders(shopware)
    pushes.push_orders(shopware, force=True)  # again: nothing twice

    delivery = "ae11f8bd3291451289919b55ed65a321"  # the fixture order's delivery
    [tracking] = fake.calls(f"/api/order-delivery/{delivery}")
    assert (tracking.method, tracking.get_json()) == ("PATCH", {"trackingCodes": ["JJD0099"]})
    [transition] = fake.calls(f"/api/_action/order_delivery/{delivery}/state/ship")
    assert transition.headers["Authorization"].startswith("Bearer token-")


def test_units_cancelled_in_the_back_office_are_noted_on_the_shops_order(shopware, fake, send_shopware):
    ProductFactory(sku="F3B92A7A618544308094CB4713B3ED84")  # none in stock: the unit waits
    send_shopware(shopware_event("checkout.order.placed", {"order": shopware_order()}))
    order = Order.objects.get()

    cancel_units(order.number, [CancelRequest("F3B92A7A618544308094CB4713B3ED84", 1)])
    pushes.push_orders(shopware)

    [note] = fake.calls("/api/order/8f69d4874c53486a95383b2126161738")
    assert note.method == "PATCH"
    [(field, text)] = note.get_json()["customFields"].items()
    assert field == "backorder_cancellation_1" and "F3B92A7A618544308094CB4713B3ED84" in text


def test_many_products_are_pushed_a_hundred_a_call(shopware, httpserver, django_assert_max_num_queries):
    on(shopware, httpserver)
    products = [ProductFactory(sku=f"TEA-{n:03d}") for n in range(150)]
    fake = FakeShopware(httpserver, products={p.sku.lower(): f"id-{n}" for n, p in enumerate(products)})
    for product in products:
        receive(product, 2)

    # Given 150 products to push, when pushed, then the writes do not grow per product.
    with django_assert_max_num_queries(15):
        assert pushes.push_due(shopware)["stock_pushed"] == 150

    assert len(fake.calls("/api/search/product")) == 2
    assert [len(body["backorder-stock"]["payload"]) for body in sync_bodies(fake)] == [100, 50]
