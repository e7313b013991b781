"""Pushes: what the shops should show and know, through outboxes a worker empties.

Stock status and restock date (ShopProduct, one row per connection and product):
- Any change that may move what is free to sell, whether it may be backordered or the next
  restock date marks the product's rows pending (`mark_changed`, in the change's
  transaction: the row is locked with it, so a push claimed meanwhile skips it and a change
  is never lost); a row already pending stays one row, so a burst of changes is one push.
- A push is due SHOP_PUSH_DELAY_SECONDS after the first change; a worker claims the due rows
  (SKIP LOCKED), looks up the shop's ids by SKU once, computes each state with
  availability.sell_states and sends only what differs from what the shop shows, in batches.
  A SKU the shop did not list is asked for again by a sync an hour later or more (at most
  LOOK_AGAIN_ROWS a sync): a product the merchant adds to the shop later is found.
- A shop that is down (or asks us to wait) leaves the rows pending with backoff (1, 2, 4 …
  60 minutes, at least the wait it asked for), the reason on the row; a product the shop
  refused is retried likewise. The sync compares every product with what was pushed and makes
  up any difference (a change whose signal was missed, a date that moved as days passed).

Shipments and cancellations (OrderPush): written with the event (receivers), pushed by a
worker step by step; each step done is recorded at once, so a retry never repeats it. A step
whose answer never came (a timeout, a dropped connection: the shop may have applied it) is
recorded as asked before the call, with what the shop held before (`OrderPush.asking`); its
retry first reads whether it went through: a note carrying the push's marker, a fulfilment or
capture the shop did not have before, lines fulfilled or an order cancelled already count as
done. A shop that is down is retried with backoff; a capture the payment provider refuses is
not retried: the push is marked refused and the order flagged for staff. What is captured
when: platforms/shopify.py `_capture`."""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Q, Value, When

from kernel import clock
from kernel.parsers import case_key
from kernel.queue import enqueue_after_commit
from orders.models import Order

from . import platforms
from .availability import sell_states
from .http import ShopRefused, ShopUnavailable
from .models import OrderPush, ShopConnection, ShopProduct

log = logging.getLogger(__name__)
CLAIM = 500  # rows per push round
LEASE = datetime.timedelta(minutes=5)  # an order push claimed by a worker that died is due again then
# A product the shop did not list is asked for again by the sync after this long, so many a sync.
LOOK_AGAIN_AFTER = datetime.timedelta(hours=1)
LOOK_AGAIN_ROWS = 100


def backoff(attempts, retry_after=None):
    wait = datetime.timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))
    if retry_after:
        wait = max(wait, datetime.timedelta(seconds=retry_after))
    return clock.now() + wait


# --- stock status and restock date ---------------------------------------------------------

_active = {"until": None, "ids": []}
ACTIVE_FOR = datetime.timedelta(seconds=10)


def active_connections():
    """The active shops' ids, read at most every ACTIVE_FOR per process: a stock change (an
    order placed) asks no extra query. A shop connected in another process is seen within
    that time; the sync's comparison makes up a change it missed meanwhile."""
    now, until = clock.now(), _active["until"]
    if until is None or not until - ACTIVE_FOR <= now < until:  # expired, or the clock went back (tests)
        _active["ids"] = list(ShopConnection.objects.filter(active=True).values_list("pk", flat=True))
        _active["until"] = now + ACTIVE_FOR
    return _active["ids"]


def forget_connections(**kwargs):
    """A connection saved or deleted in this process: read them again at the next change."""
    _active["until"] = None


def mark_changed(product_ids):
    """The products' state may have changed: their row in every active shop is pending, due
    after the delay (a row pending already keeps its due time). Runs in the change's
    transaction; asks a worker after commit when a row became pending."""
    product_ids = set(product_ids)
    if not product_ids:
        return
    connections = active_connections()
    if not connections:
        return
    due = clock.now() + datetime.timedelta(seconds=settings.SHOP_PUSH_DELAY_SECONDS)
    rows = ShopProduct.objects.filter(connection_id__in=connections, product_id__in=product_ids)
    turned = set(rows.filter(pending=False).values_list("connection_id", flat=True).distinct())
    # Every row of these products is written, so a push claiming rows now skips them (locked)
    # until this change commits; a row not pending becomes due after the delay.
    rows.update(
        pending=True, due_at=Case(When(pending=True, due_at__isnull=False, then=F("due_at")), default=Value(due))
    )
    have = set(rows.values_list("connection_id", "product_id"))
    missing = [
        ShopProduct(connection_id=c, product_id=p, pending=True, due_at=due)
        for c in connections
        for p in product_ids
        if (c, p) not in have
    ]
    if missing:
        ShopProduct.objects.bulk_create(missing, ignore_conflicts=True)
        turned |= {row.connection_id for row in missing}
    from .tasks import push_shop

    for connection_id in turned:
        enqueue_after_commit(push_shop, connection_id, countdown=settings.SHOP_PUSH_DELAY_SECONDS)


def compare_all(connection):
    """Mark pending every product of the shop whose state differs from what it shows, and up
    to LOOK_AGAIN_ROWS the shop did not list when asked LOOK_AGAIN_AFTER ago or longer (oldest
    first): they are looked up by SKU again (the merchant may have added them since)."""
    rows = list(ShopProduct.objects.filter(connection=connection, found=True, pending=False))
    states = sell_states([row.product_id for row in rows])
    stale = [row.pk for row in rows if row.product_id in states and states[row.product_id].as_pushed() != row.pushed]
    ShopProduct.objects.filter(pk__in=stale).update(pending=True, due_at=clock.now())
    again = (
        ShopProduct.objects.filter(connection=connection, found=False, pending=False)
        .filter(Q(looked_up_at__isnull=True) | Q(looked_up_at__lte=clock.now() - LOOK_AGAIN_AFTER))
        .order_by(F("looked_up_at").asc(nulls_first=True), "id")
        .values_list("pk", flat=True)[:LOOK_AGAIN_ROWS]
    )
    ShopProduct.objects.filter(pk__in=list(again)).update(found=None, pending=True, due_at=clock.now())
    return len(stale)


def _claim_stock(connection, force):
    with transaction.atomic():
        due = Q(pending=True) if force else Q(pending=True, due_at__lte=clock.now())
        rows = list(
            ShopProduct.objects.select_for_update(skip_locked=True)
            .select_related("product")
            .filter(due, connection=connection)
            .order_by("due_at", "id")[:CLAIM]
        )
        ShopProduct.objects.filter(pk__in=[row.pk for row in rows]).update(pending=False)
    return rows


def push_stock(connection, force=False):
    """Push the due rows of one shop; `force` also those waiting out a backoff (the sync).
    Returns the rows pushed; raises ShopUnavailable or ShopRefused after putting them back."""
    rows = _claim_stock(connection, force)
    if not rows:
        return 0
    platform = platforms.of(connection)
    try:
        unknown = [row for row in rows if row.found is None]
        if unknown:
            found = platform.find_products(connection, [row.product.sku for row in unknown])
            now = clock.now()
            for row in unknown:
                row.remote, row.found = found.get(case_key(row.product.sku), {}), case_key(row.product.sku) in found
                row.looked_up_at = now
            ShopProduct.objects.bulk_update(unknown, ["remote", "found", "looked_up_at"])
        states = sell_states([row.product_id for row in rows])
        changed = [
            (row, states[row.product_id])
            for row in rows
            if row.found and states[row.product_id].as_pushed() != row.pushed
        ]
        errors = platform.push_stock(connection, changed) if changed else {}
    except Exception as error:  # whatever went wrong, the claimed rows go back, never lost
        for row in rows:
            _failed(row, str(error), getattr(error, "retry_after", None))
        raise
    now = clock.now()
    accepted = []
    for row, state in changed:
        if errors.get(row.pk):
            _failed(row, errors[row.pk])
        else:
            row.pushed, row.pushed_at, row.attempts, row.last_error = state.as_pushed(), now, 0, ""
            accepted.append(row)
    # One statement per batch, not per product: a thousand products are a handful of writes.
    ShopProduct.objects.bulk_update(accepted, ["pushed", "pushed_at", "attempts", "last_error"], batch_size=500)
    pushed = {row.pk for row, _state in changed}
    ShopProduct.objects.filter(pk__in=[row.pk for row in rows if row.pk not in pushed]).exclude(last_error="").update(
        last_error="", attempts=0
    )
    return len(changed)


def _failed(row, reason, retry_after=None):
    attempts = row.attempts + 1
    ShopProduct.objects.filter(pk=row.pk).update(
        pending=True, attempts=attempts, due_at=backoff(attempts, retry_after), last_error=reason[:1000]
    )


# --- shipments and cancellations back ------------------------------------------------------


def push_orders(connection, force=False):
    """Push the due shipments and cancellations of one shop, oldest first; `force` also those
    waiting out a backoff (the sync). Returns the rows done; a shop that is down ends the
    round (the rest wait for the next)."""
    due = Q(status=OrderPush.Status.PENDING) & (Q(claimed_until__isnull=True) | Q(claimed_until__lte=clock.now()))
    if not force:
        due &= Q(due_at__lte=clock.now())
    done = 0
    for pk in (
        OrderPush.objects.filter(due, connection=connection)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:CLAIM]
    ):
        with transaction.atomic():
            push = OrderPush.objects.select_for_update(skip_locked=True).filter(due, pk=pk).first()
            if push is None:
                continue  # another worker has it
            OrderPush.objects.filter(pk=pk).update(claimed_until=clock.now() + LEASE)
        _push_order(connection, push)
        done += 1
    return done


def _push_order(connection, push):
    platform = platforms.of(connection)

    def step_done(step):
        push.steps_done = [*push.steps_done, step]
        OrderPush.objects.filter(pk=push.pk).update(steps_done=push.steps_done)

    try:
        getattr(platform, "ship" if push.kind == OrderPush.Kind.SHIPMENT else "cancel")(connection, push, step_done)
    except platforms.CaptureRefused as refused:
        OrderPush.objects.filter(pk=push.pk).update(
            status=OrderPush.Status.REFUSED, last_error=str(refused)[:1000], claimed_until=None
        )
        # The flag staff see on the order; orders' own rules never read it.
        Order.objects.filter(pk=push.order_id).update(payment_problem=str(refused)[:300])
        return
    except (ShopUnavailable, ShopRefused) as error:
        attempts = push.attempts + 1
        OrderPush.objects.filter(pk=push.pk).update(
            attempts=attempts,
            due_at=backoff(attempts, getattr(error, "retry_after", None)),
            last_error=str(error)[:1000],
            claimed_until=None,
        )
        if isinstance(error, ShopUnavailable):
            raise
        return
    OrderPush.objects.filter(pk=push.pk).update(status=OrderPush.Status.DONE, last_error="", claimed_until=None)


def push_due(connection, with_retries=False):
    """Everything due for one shop: stock rows and order updates. `with_retries` (the sync):
    also what waits out a backoff, after comparing every product with what the shop shows.
    Returns figures and the first error, in words."""
    result = {"stock_pushed": 0, "order_updates_pushed": 0, "push_error": ""}
    if with_retries:
        result["stock_differences"] = compare_all(connection)
    try:
        result["stock_pushed"] = push_stock(connection, force=with_retries)
        result["order_updates_pushed"] = push_orders(connection, force=with_retries)
    except (ShopUnavailable, ShopRefused) as error:
        result["push_error"] = f"Pushes wait: {error}"
    return result


def push_all():
    """push_due for every active shop; one shop's unexpected error is logged and stops none
    of the others."""
    results = []
    for connection in ShopConnection.objects.filter(active=True).order_by("code"):
        try:
            results.append({"shop": connection.code, **push_due(connection)})
        except Exception as error:
            log.exception("Pushes to shop %s failed", connection.code)
            results.append({"shop": connection.code, "push_error": f"{type(error).__name__}: {error}"})
    return results
