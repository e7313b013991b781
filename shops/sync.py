"""Reconciliation: webhooks are not guaranteed (Shopify says so; WooCommerce never retries
and disables a webhook after 5 failures), so every sync reads what the shop changed.

Rules:
- Each sync asks the shop for the orders changed since its watermark minus an overlap
  (SHOP_SYNC_OVERLAP_MINUTES: clocks differ), page by page, and puts each into the inbox as
  if its webhook had come (WooCommerce: the webhook's own key, so both are one event); the
  watermark moves to the sync's start only when every page was read.
- Then it tries the held events again, and makes up what could not be pushed (stock rows,
  shipments and cancellations due), as the pushes' own rules say.
- A shop that is down is reported (on its connection, and in the result) and tried at the
  next sync; it never stops the other shops.
- Safe to run twice, and two at once: the inbox takes a delivery once and an event is applied
  by one worker; a second sync in a row finds nothing new."""

import datetime
import json
import logging

from django.conf import settings

from kernel import clock

from . import inbox, platforms, pushes
from .http import ShopRefused, ShopUnavailable
from .models import ShopConnection

log = logging.getLogger(__name__)


def sync_shop(connection):
    """Reconcile one shop now; returns what it did, in figures and words."""
    started = clock.now()
    result = {"shop": connection.code, "orders_read": 0, "error": ""}
    since = (connection.watermark or connection.created_at) - datetime.timedelta(
        minutes=settings.SHOP_SYNC_OVERLAP_MINUTES
    )
    platform = platforms.of(connection)
    try:
        for shop_order_id, version, node in platform.orders_since(connection, since):
            result["orders_read"] += 1
            event = inbox.record(
                connection,
                platform.sync_key(shop_order_id, version),
                platforms.SYNC_TOPIC,
                shop_order_id,
                json.dumps(node),
            )
            if event.status in inbox.OPEN:
                inbox.process_event(event.pk)
    except (ShopUnavailable, ShopRefused) as error:
        result["error"] = f"Orders could not be read: {error}"
    else:
        connection.watermark = started
    result["events"] = inbox.process_open(connection)
    result.update(pushes.push_due(connection, with_retries=True))
    if result.get("push_error") and not result["error"]:
        result["error"] = result["push_error"]
    connection.last_sync_at, connection.last_sync_error = clock.now(), result["error"]
    ShopConnection.objects.filter(pk=connection.pk).update(
        watermark=connection.watermark, last_sync_at=connection.last_sync_at, last_sync_error=connection.last_sync_error
    )
    return result


def sync_shops(code=None):
    """Reconcile every active shop (or the one named); one that fails is reported, the others go on."""
    connections = ShopConnection.objects.filter(active=True).order_by("code")
    if code:
        connections = connections.filter(code=code)
    results = []
    for connection in connections:
        try:
            results.append(sync_shop(connection))
        except Exception as error:  # one shop's surprise must not stop the others
            log.exception("Shop %s: the sync failed", connection.code)
            ShopConnection.objects.filter(pk=connection.pk).update(last_sync_error=f"{type(error).__name__}: {error}")
            results.append({"shop": connection.code, "error": f"{type(error).__name__}: {error}"})
    return results
