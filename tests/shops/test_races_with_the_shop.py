"""Races on PostgreSQL, each side in its own thread with its own database connection: the
same order applied by the webhook's task and by the reconciliation at once is one order."""

import json
import threading

import pytest
from django.db import connections
from werkzeug import Response

from kernel import clock
from orders.models import Order, OrderLine
from shops import inbox, platforms
from shops.models import InboxEvent, ShopOrder
from shops.platforms import shopify as shopify_platform
from shops.sync import sync_shop
from tests.factories import ProductFactory

from .conftest import as_graphql, body_of, graphql_answer, on, shopify_order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def at_once(*works):
    barrier = threading.Barrier(len(works))
    outcomes = [None] * len(works)

    def run(index):
        try:
            barrier.wait()
            outcomes[index] = ("ok", works[index]())
        except Exception as error:
            outcomes[index] = ("crash", repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return outcomes


def test_the_same_order_by_webhook_and_by_sync_at_once_is_one_order(shopify, httpserver):
    # Given the catalogue, a webhook stored in the inbox, and the shop answering the sync with the same order
    for sku in ("SKU2006-001", "SKU2006-020", "SKU2006-035"):
        ProductFactory(sku=sku)
    on(shopify, httpserver)
    order = shopify_order()
    event = InboxEvent.objects.create(
        connection=shopify,
        delivery_key="webhook-1",
        topic="orders/create",
        shop_order_id=str(order["id"]),
        body=body_of(order).decode(),
        received_at=clock.now(),
    )

    def shop(request):
        query = request.get_json()["query"]
        data = (
            {"orders": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": [as_graphql(order)]}}
            if "OrdersSince" in query
            else {"productVariants": {"nodes": []}}
        )
        return Response(json.dumps(graphql_answer(data)), status=200, content_type="application/json")

    httpserver.expect_request("/admin/api/2025-10/graphql.json", method="POST").respond_with_handler(shop)

    # When the webhook's task and the sync apply it at the same moment
    outcomes = at_once(lambda: inbox.process_event(event.pk), lambda: sync_shop(shopify))

    # Then there is one order with its lines once, and neither side failed or held anything
    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    assert Order.objects.count() == 1 and ShopOrder.objects.count() == 1
    assert OrderLine.objects.count() == 3
    assert sorted(InboxEvent.objects.values_list("status", flat=True)) == ["done", "ignored"]


def test_the_webhooks_event_and_the_syncs_event_applied_at_the_same_moment_are_one_order(shopify):
    # Given the webhook's event and the event the sync stores for the same order (as sync_shop does)
    for sku in ("SKU2006-001", "SKU2006-020", "SKU2006-035"):
        ProductFactory(sku=sku)
    order = shopify_order()
    webhook = InboxEvent.objects.create(
        connection=shopify,
        delivery_key="webhook-1",
        topic="orders/create",
        shop_order_id=str(order["id"]),
        body=body_of(order).decode(),
        received_at=clock.now(),
    )
    synced = inbox.record(
        shopify,
        shopify_platform.sync_key(order["id"], order["updated_at"]),
        platforms.SYNC_TOPIC,
        str(order["id"]),
        json.dumps(as_graphql(order)),
    )

    # When two workers apply them at the same moment
    outcomes = at_once(lambda: inbox.process_event(webhook.pk), lambda: inbox.process_event(synced.pk))

    # Then one order, one applied and one found nothing newer
    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    assert Order.objects.count() == 1 and OrderLine.objects.count() == 3
    assert sorted(InboxEvent.objects.values_list("status", flat=True)) == ["done", "ignored"]
