"""Allocation: who gets the units that are in the warehouse.

Rules:
- Lock order, everywhere: stock rows by product id first, then order rows by id. Lines and
  backorders of a product change only while its stock row is locked.
- Arriving or released units go to waiting backorders: first those pegged to the purchase
  order lines being received (`priority`), then expedited orders, then the oldest order,
  then its oldest backorder (FILL_ORDER).
- A count below what is allocated takes the shortfall back from the youngest non-expedited
  orders first (the reverse of the fill order); undoing their latest fills first, so each
  customer keeps the first date they were given. Those units wait again; a backorder filled
  from a purchase order line stays on that line only while it can still bring them
  (`hooks.fills_taken_back`, answered by purchasing).
- An order's status follows from its lines' parts and its fulfilment policy (`order_status`).

Runs inside the caller's transaction (a stock change, a cancellation, a shipment)."""

from collections import defaultdict

from django.db.models import Case, F, OuterRef, Sum, Value, When, Window
from django.db.models.functions import RowNumber

from inventory import stock
from kernel import clock

from . import hooks, signals
from .models import WAITING, Backorder, Order, OrderLine, policy_allows_shipping
from .selectors import get_order

# Who gets arriving stock first: expedited orders, then the oldest order, then its oldest backorder.
FILL_ORDER = ("-order__expedite", "order__placed_at", "order_id", "created_at", "id")


def order_status(policy, *, quantity, allocated, backordered, shipped, cancelled):
    if cancelled == quantity:
        return Order.Status.CANCELLED
    if allocated == 0 and backordered == 0:
        return Order.Status.SHIPPED
    if policy_allows_shipping(policy, allocated=allocated, backordered=backordered):
        return Order.Status.READY_TO_SHIP
    if shipped:
        return Order.Status.PARTIALLY_SHIPPED
    return Order.Status.AWAITING_STOCK


def sum_parts(lines):
    return {
        part: sum(getattr(line, part) for line in lines)
        for part in ("quantity", "allocated", "backordered", "shipped", "cancelled")
    }


def on_stock_changed(levels, priority=()):
    """inventory.hooks.stock_changed: take back what a count found missing, give what is
    available to waiting orders, and bring the orders' statuses up to date."""
    touched = set()
    for level in levels.values():
        if level.allocated > level.on_hand:
            touched |= take_back_allocations(level, level.allocated - level.on_hand)
    touched |= fill_backorders(levels, priority)
    refresh_statuses(touched)


def held_units():
    """inventory.hooks.held_units: units allocated to order lines, per product."""
    return (
        OrderLine.objects.filter(product=OuterRef("product"))
        .values("product")
        .annotate(units=Sum("allocated"))
        .values("units")
    )


def fill_backorders(levels, priority=()):
    """Give available units of the locked products to waiting backorders: those pegged to
    the `priority` purchase order lines, then in FILL_ORDER. Returns the ids of the orders
    that got units."""
    available = {pid: level.available for pid, level in levels.items() if level.available > 0}
    if not available:
        return set()
    # Each filled backorder takes at least one unit, so no product needs more rows than it
    # has units: rank the waiting backorders per product and read only the first ones.
    order = FILL_ORDER
    if priority:
        order = (Case(When(po_line_id__in=list(priority), then=Value(0)), default=Value(1)).asc(), *FILL_ORDER)
    backorders = (
        Backorder.objects.filter(product_id__in=available, status__in=WAITING)
        .select_related("line", "order")
        .annotate(rank=Window(RowNumber(), partition_by=F("product_id"), order_by=order))
        .filter(rank__lte=max(available.values()))
        .order_by("product_id", *order)
    )
    now = clock.now()
    filled, lines, orders = [], {}, set()
    for backorder in backorders:
        units = backorder.take(available[backorder.product_id], "filled")
        if not units:
            continue
        available[backorder.product_id] -= units
        levels[backorder.product_id].allocated += units
        line = lines.setdefault(backorder.line_id, backorder.line)
        line.allocated += units
        line.backordered -= units
        if not backorder.waiting:
            backorder.status = Backorder.Status.ALLOCATED
            backorder.filled_at = now
        filled.append(backorder)
        orders.add(backorder.order_id)
    Backorder.objects.bulk_update(filled, ["filled", "status", "filled_at"])
    OrderLine.objects.bulk_update(lines.values(), ["allocated", "backordered"])
    return orders


def take_back_allocations(level, units):
    """Stock went missing: move `units` allocated units of this product back to waiting,
    youngest non-expedited orders first (the reverse of the fill order)."""
    lines = list(
        OrderLine.objects.filter(product_id=level.product_id, allocated__gt=0)
        .select_related("order")
        .order_by("order__expedite", "-order__placed_at", "-order_id")
    )
    fills = defaultdict(list)
    for backorder in Backorder.objects.filter(line__in=lines, filled__gt=0).order_by("-created_at", "-id"):
        fills[backorder.line_id].append(backorder)
    now, eta = clock.now(), hooks.backorder_etas([level.product_id])[level.product_id]
    changed_lines, changed_backorders, new_backorders, orders = [], [], [], set()
    for line in lines:
        if not units:
            break
        take = min(units, line.allocated)
        units -= take
        level.allocated -= take
        line.allocated -= take
        line.backordered += take
        changed_lines.append(line)
        orders.add(line.order_id)
        # Undo the latest fills first, so the customer keeps the first date they were given.
        for backorder in fills[line.pk]:
            undo = min(take, backorder.filled)
            if not undo:
                continue
            backorder.filled -= undo
            backorder.status = Backorder.Status.OPEN
            backorder.filled_at = None
            changed_backorders.append(backorder)
            take -= undo
        if take:
            new_backorders.append(
                Backorder(
                    order_id=line.order_id,
                    line=line,
                    product_id=line.product_id,
                    quantity=take,
                    created_at=now,
                    eta=eta,
                    promised_date=eta,
                    told_eta=eta,
                )
            )
    OrderLine.objects.bulk_update(changed_lines, ["allocated", "backordered"])
    Backorder.objects.bulk_update(changed_backorders, ["filled", "status", "filled_at"])
    hooks.fills_taken_back([backorder.pk for backorder in changed_backorders])
    Backorder.objects.bulk_create(new_backorders)
    if new_backorders:
        signals.backorders_created.send(
            sender=Order,
            order_ids=sorted({b.order_id for b in new_backorders}),
            backorder_ids=[b.pk for b in new_backorders],
        )
    return orders


def refresh_statuses(order_ids):
    if not order_ids:
        return
    orders = list(Order.objects.select_for_update().filter(id__in=order_ids).order_by("id"))
    sums = {
        row["order_id"]: row
        for row in OrderLine.objects.filter(order_id__in=order_ids)
        .values("order_id")
        .annotate(
            quantity=Sum("quantity"),
            allocated=Sum("allocated"),
            backordered=Sum("backordered"),
            shipped=Sum("shipped"),
            cancelled=Sum("cancelled"),
        )
    }
    changed = []
    for order in orders:
        parts = {key: value for key, value in sums[order.pk].items() if key != "order_id"}
        status = order_status(order.fulfilment_policy, **parts)
        if status != order.status:
            order.status = status
            changed.append(order)
    Order.objects.bulk_update(changed, ["status"])


def lock_order(number):
    """Lock an order for a change, after the stock rows of its products (the lock order).
    Returns the order, its lines (with products, by position) and the locked stock rows."""
    order = get_order(number)
    product_ids = list(order.lines.values_list("product_id", flat=True))
    levels = stock.lock_stock(product_ids)
    order = Order.objects.select_for_update(of=("self",)).select_related("customer").get(pk=order.pk)
    lines = list(order.lines.select_related("product").order_by("position"))
    return order, lines, levels
