"""The inbox: every order event a shop sent (or the reconciliation read), applied once.

Rules:
- An event is claimed (SKIP LOCKED: two workers never apply the same row) and applied in
  one transaction with its outcome: applied, nothing to do, or held with the reason.
- A held event is never lost: it stays with its reason, listed on the shop's admin page, and
  is tried again by every sync and by the admin's button; an unexpected error holds it too
  (the worker goes on with the next).
- An event that names an order without carrying it (Shopify orders/edited) reads the order
  over the API; a shop that is down then holds it until the next try."""

import datetime
import json
import logging
import time
from decimal import Decimal

from django.db import transaction

from kernel import clock

from . import platforms
from .http import ShopRefused, ShopUnavailable
from .intake import apply_order
from .models import InboxEvent
from .orderdata import Held

log = logging.getLogger(__name__)
OPEN = (InboxEvent.Status.PENDING, InboxEvent.Status.HELD)


def process_event(event_id):
    """Apply one event if it is still open; returns its status, or None when another worker
    has it or it was applied already."""
    with transaction.atomic():
        event = (
            InboxEvent.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("connection")
            .filter(pk=event_id, status__in=OPEN)
            .first()
        )
        if event is None:
            return None
        event.attempts += 1
        try:
            with transaction.atomic():
                outcome = _apply(event)
        except Held as held:
            event.status, event.reason = InboxEvent.Status.HELD, str(held)
        except (ShopUnavailable, ShopRefused) as error:
            event.status, event.reason = InboxEvent.Status.HELD, f"The shop could not be read: {error}"
        except Exception as error:  # a bug must not stop the inbox; the event waits, with the reason
            log.exception("Shop event %s could not be applied", event.pk)
            event.status, event.reason = InboxEvent.Status.HELD, f"Unexpected error: {type(error).__name__}: {error}"
        else:
            event.status = (
                InboxEvent.Status.DONE if outcome.startswith(("placed", "cancelled")) else InboxEvent.Status.IGNORED
            )
            event.reason = outcome
        event.processed_at = clock.now()
        event.save(update_fields=["status", "reason", "attempts", "processed_at"])
        return event.status


def _apply(event):
    connection = event.connection
    platform = platforms.of(connection)
    try:
        payload = json.loads(event.body, parse_float=Decimal)  # money stays exact
    except ValueError as error:
        raise Held(f"Malformed JSON: {error}.") from None
    wanted = platform.read_event(connection, event.topic, payload)
    if wanted is None:
        return f"nothing to do for {event.topic or 'an event without a topic'}"
    if isinstance(wanted, platforms.Fetch):
        wanted = platform.order(connection, wanted.shop_order_id)
    return apply_order(connection, wanted)


def record(connection, delivery_key, topic, shop_order_id, body):
    """Store an event unless its delivery is stored already; returns the row (new or old)."""
    event, _created = InboxEvent.objects.get_or_create(
        connection=connection,
        delivery_key=delivery_key[:200],
        defaults={"topic": topic, "shop_order_id": shop_order_id, "body": body, "received_at": clock.now()},
    )
    return event


def process_open(connection=None, *, held=True, older_than_seconds=0, budget_seconds=None):
    """Apply the open events (pending; held too unless `held` is false), oldest first; the
    sweep skips the pending ones younger than `older_than_seconds` (their task is on its way).
    With `budget_seconds` (a page waiting for the answer) it starts no event after that long;
    the rest waits for the sync. Returns {status: count}."""
    started = time.monotonic()
    events = InboxEvent.objects.filter(status__in=OPEN if held else [InboxEvent.Status.PENDING])
    if connection is not None:
        events = events.filter(connection=connection)
    if older_than_seconds:
        events = events.filter(received_at__lte=clock.now() - datetime.timedelta(seconds=older_than_seconds))
    counts = {}
    for event_id in events.order_by("received_at", "id").values_list("pk", flat=True):
        if budget_seconds is not None and time.monotonic() - started > budget_seconds:
            break
        status = process_event(event_id)
        if status:
            counts[status] = counts.get(status, 0) + 1
    return counts
