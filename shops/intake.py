"""Intake: an order as the shop describes it (orderdata.ShopOrderData) becomes the back
office's order, once, and follows the shop's later changes.

Rules:
- Placed once the shop says it is placeable (Shopify: paid or authorised; WooCommerce:
  processing or on hold) and not cancelled; its number in the back office is CODE-ID (the
  shop's id), the number the customer knows is kept beside it. Lines by SKU in any case;
  lines that ship nothing are skipped; two lines of one SKU are one line.
- An event older than, or as old as, the version applied changes nothing.
- A later quantity lower than the shop's earlier one cancels the difference (of what is not
  shipped); a cancelled order (Shopify cancelled, WooCommerce cancelled, refunded, failed,
  or trashed/deleted: order.deleted) cancels every unshipped unit. A higher quantity or a new line cannot be placed after the
  order was: the event is held.
- What cannot be placed (an unknown or missing SKU, malformed data) raises Held with the
  reason; nothing is written then.
- Orders are placed with the connection's fulfilment policy (`ship_policy`: the shop asks
  its customers nothing of it).
- An order the shop made open again after the back office cancelled it on the shop's word
  (WooCommerce order.restored from the bin, a cancelled order set back to processing) is
  held, with the reason: a cancelled order is not reopened (its stock, purchase order lines
  and customer emails are settled), and the shop's order keeps its one order here.
- One transaction per event; one order at a time per shop order (an advisory lock), so a
  webhook and the reconciliation applying the same order at once make one order.
Cancellations made here are the shop's own: they are not written back to it (`applying`)."""

import contextvars
from collections import defaultdict

from django.db import transaction

from kernel.errors import DomainError
from kernel.locks import advisory_lock
from kernel.parsers import case_key
from orders.cancellation import CancelRequest, cancel_units
from orders.models import Order
from orders.placement import CustomerDetails, LineRequest, OrderOrigin, place_order

from .models import ShopOrder
from .orderdata import Held, per_unit

# Set while intake applies the shop's own change, so it is not written back to the shop.
applying = contextvars.ContextVar("shops_applying", default=False)


def order_number(connection, shop_order_id):
    return f"{connection.code}-{shop_order_id}"


def apply_order(connection, data):
    """Apply the shop's order `data`; returns what it did, in words (for the inbox row)."""
    token = applying.set(True)
    try:
        with transaction.atomic():
            advisory_lock(f"shop-order:{connection.pk}:{data.shop_order_id}")
            # Only the shop order's row: the order's own row is locked by cancellation after its
            # stock rows (the lock order), never before them.
            known = (
                ShopOrder.objects.select_for_update(of=("self",))
                .select_related("order")
                .filter(connection=connection, shop_order_id=data.shop_order_id)
                .first()
            )
            if known is None:
                return _place(connection, data)
            if data.version <= known.version:
                return f"not newer than what was applied ({known.version:%Y-%m-%d %H:%M:%S})"
            return _change(known, data)
    finally:
        applying.reset(token)


def _quantities(data):
    """{SKU in capitals: units} of the lines that ship; two lines of one SKU are one."""
    units = defaultdict(int)
    for index, line in enumerate(data.lines):
        if line.quantity <= 0:
            continue  # removed in an edit
        if not line.sku:
            raise Held(f"Line {index + 1} ({line.name}) has no SKU.")
        units[case_key(line.sku)] += line.quantity
    return dict(units)


def _place(connection, data):
    if data.cancelled or not data.placeable:
        return f"not placed: the shop's order is {'cancelled' if data.cancelled else data.payment or 'not paid'}"
    quantities = _quantities(data)
    if not quantities:
        return "not placed: nothing in it ships"
    if not data.email:
        raise Held("The order has no email address: the back office cannot write to the customer.")
    totals, names = defaultdict(lambda: 0), {}
    for line in data.lines:
        if line.quantity > 0:
            totals[case_key(line.sku)] += line.quantity * line.unit_price
            names.setdefault(case_key(line.sku), line.sku)
    lines = [LineRequest(names[sku], units, per_unit(totals[sku], units)) for sku, units in quantities.items()]
    try:
        order, _created = place_order(
            number=order_number(connection, data.shop_order_id),
            customer=CustomerDetails(data.email, data.name or data.email, data.language or connection.language),
            fulfilment_policy=connection.ship_policy,
            lines=lines,
            origin=OrderOrigin(
                shop=connection.code,
                shop_order_id=data.shop_order_id,
                shop_number=data.number,
                currency=data.currency,
                shipping_address=data.shipping_address,
            ),
        )
    except DomainError as error:
        raise Held(str(error)) from None
    ShopOrder.objects.create(
        connection=connection,
        shop_order_id=data.shop_order_id,
        order=order,
        version=data.version,
        quantities=quantities,
        payment=data.payment,
    )
    return f"placed as order {order.number}"


def _change(known, data):
    order = known.order
    if order.status == Order.Status.CANCELLED and data.placeable and not data.cancelled:
        raise Held(
            f"The shop's order {data.number} is open again (restored from the bin or reopened), but order "
            f"{order.number} was cancelled here when the shop cancelled or deleted it, and a cancelled order "
            "is not reopened: place it again as a new order (in the shop, or by hand)."
        )
    if data.cancelled:
        done = _cancel(order, None)
    else:
        now, before = _quantities(data), known.quantities
        raised = [f"{sku}: {before.get(sku, 0)} → {units}" for sku, units in now.items() if units > before.get(sku, 0)]
        if raised:
            raise Held(
                "Lines added or raised after the order was placed cannot be placed: "
                + ", ".join(raised)
                + ". Place them as a new order, or lower them in the shop."
            )
        lowered = any(units > now.get(sku, 0) for sku, units in before.items())
        done = _cancel(order, now) if lowered else "no change to the lines"
        known.quantities = now
    known.version, known.payment = data.version, data.payment
    known.save(update_fields=["version", "quantities", "payment"])
    return done


def _cancel(order, keep):
    """Cancel what is not shipped down to `keep` ({SKU: units the shop's order still has}), or
    everything (None). Aimed at the shop's quantity, not by the shop's change: units the back
    office cancelled already (and the merchant then refunded in the shop) are not cancelled
    twice."""
    lines = {case_key(line.product.sku): line for line in order.lines.select_related("product")}
    if keep is None:
        requests = [CancelRequest(line.product.sku, line.unshipped) for line in lines.values() if line.unshipped]
    else:
        surplus = {sku: line.quantity - line.cancelled - keep.get(sku, 0) for sku, line in lines.items()}
        requests = [
            CancelRequest(line.product.sku, min(surplus[sku], line.unshipped))
            for sku, line in lines.items()
            if surplus[sku] > 0 and line.unshipped
        ]
    if not requests:
        return "nothing left to cancel"
    cancel_units(order.number, requests)
    return "cancelled " + ", ".join(f"{r.quantity} × {r.sku}" for r in requests)
