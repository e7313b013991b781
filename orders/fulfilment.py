"""Fulfilment: what leaves for the customer, and how the customer wants it to leave.

Rules:
- The order's fulfilment policy decides what may ship (`policy_allows_shipping`): ship
  partial sends whatever is allocated; ship complete waits until nothing waits.
- A shipment takes stock out through the ledger, completes the sale of its units and
  captures their payment; never more than was authorised (a check constraint).
- A dropship line ships from the supplier: its shipment completes the sale without stock.
- Switching the policy or the expedite flag takes effect at once (the status follows).
Each operation is one transaction, stock rows locked before the order (allocation's lock order)."""

from collections import defaultdict
from decimal import Decimal

from django.db import transaction

from inventory import stock
from inventory.models import StockMovement
from kernel import clock
from kernel.errors import Conflict, InvalidInput, Problem, refuse
from kernel.parsers import match_keys
from kernel.permissions import acting_user

from . import signals
from .allocation import lock_order, refresh_statuses
from .history import record_event
from .models import (
    WAITING,
    Backorder,
    Order,
    OrderEvent,
    OrderLine,
    Shipment,
    ShipmentLine,
    policy_allows_shipping,
)
from .placement import policy_problem


def shippable(order, lines):
    """What the order's policy allows to ship now, as [(line, units)], or a reason why not."""
    if order.status == Order.Status.CANCELLED:
        return [], f"Order {order.number} is cancelled."
    if all(line.allocated == 0 and line.backordered == 0 for line in lines):
        return [], f"Order {order.number} has shipped completely."
    ready = [(line, line.allocated) for line in lines if line.allocated]
    if not ready:
        return [], f"Order {order.number}: no units are in stock for it yet."
    allocated, backordered = sum(line.allocated for line in lines), sum(line.backordered for line in lines)
    if not policy_allows_shipping(order.fulfilment_policy, allocated=allocated, backordered=backordered):
        missing = [f"{line.product.sku}: {line.backordered}" for line in lines if line.backordered]
        return [], f"Order {order.number} ships complete and still waits for {', '.join(missing)}."
    return ready, ""


def ship_order(number, user=None, tracking_number=""):
    """Ship what the policy allows: stock out, the sale of those units completed, their
    payment captured. Raises Conflict with the reason when nothing can ship."""
    with transaction.atomic():
        order, lines, levels = lock_order(number)
        plan, reason = shippable(order, lines)
        if not plan:
            raise Conflict.one(reason, code="nothing_to_ship")
        now, movements = clock.now(), []
        for line, units in plan:
            level = levels[line.product_id]
            level.allocated -= units
            movements.append(
                stock.move_stock(
                    level, reason=StockMovement.Reason.SHIPMENT, quantity=-units, reference=order.number, user=user
                )
            )
            line.allocated -= units
            line.shipped += units
        stock.save_stock(levels.values())
        movements = stock.record_movements(movements)
        OrderLine.objects.bulk_update([line for line, _ in plan], ["allocated", "shipped"])
        Backorder.objects.filter(line__in=[line for line, _ in plan], status=Backorder.Status.ALLOCATED).update(
            status=Backorder.Status.SHIPPED
        )
        shipped = [(line, units, movement) for (line, units), movement in zip(plan, movements)]
        return _record_shipment(order, shipped, now, user, tracking_number)


def _record_shipment(order, shipped, now, user, tracking_number=""):
    """The shipment of (line, units, stock movement or None) rows: the sale of those units
    is complete and their payment captured. The caller has moved the lines' units."""
    amount = sum((units * line.unit_price for line, units, _ in shipped), Decimal("0"))
    shipment = Shipment.objects.create(
        order=order,
        shipped_at=now,
        amount_captured=amount,
        tracking_number=tracking_number.strip()[:64],
        created_by=acting_user(user),
    )
    ShipmentLine.objects.bulk_create(
        [
            ShipmentLine(shipment=shipment, line=line, quantity=units, movement=movement)
            for line, units, movement in shipped
        ]
    )
    order.amount_captured += amount
    order.save(update_fields=["amount_captured"])
    refresh_statuses({order.pk})
    signals.order_shipped.send(sender=Order, shipment=shipment)
    return shipment


def record_dropship_shipment(number, quantities, user=None):
    """The supplier shipped units of dropship lines straight to the customer (`quantities`
    maps SKU to units): the sale of those units is complete and their payment captured;
    no stock moves. The oldest backorders of each line are filled first."""
    with transaction.atomic():
        order, lines, levels = lock_order(number)
        by_sku = match_keys(quantities, {line.product.sku: line for line in lines})  # SKUs in any case
        unknown, conflicting = [], []
        for index, (sku, units) in enumerate(quantities.items()):
            line = by_sku.get(sku)
            if line is None or not line.product.dropship:
                unknown.append(
                    Problem(
                        f"Line {index + 1}: order {order.number} has no dropship line for SKU {sku}.",
                        field="sku",
                        line=index,
                        sku=sku,
                        code="unknown_sku",
                    )
                )
            elif units > line.backordered:
                conflicting.append(
                    Problem(
                        f"Line {index + 1} (SKU {sku}): only {line.backordered} units wait for the supplier.",
                        field="quantity",
                        line=index,
                        sku=sku,
                        code="too_many",
                    )
                )
        refuse(unknown=unknown, conflicting=conflicting)
        now, changed = clock.now(), []
        waiting = defaultdict(list)
        for backorder in order.backorders.filter(status__in=WAITING).order_by("created_at", "id"):
            waiting[backorder.line_id].append(backorder)
        for sku, units in quantities.items():
            line = by_sku[sku]
            line.backordered -= units
            line.shipped += units
            for backorder in waiting[line.pk]:
                taken = backorder.take(units, "filled")
                if not taken:
                    continue
                units -= taken
                if not backorder.waiting:
                    backorder.status, backorder.filled_at = Backorder.Status.SHIPPED, now
                changed.append(backorder)
        Backorder.objects.bulk_update(changed, ["filled", "status", "filled_at"])
        OrderLine.objects.bulk_update([by_sku[sku] for sku in quantities], ["backordered", "shipped"])
        return _record_shipment(order, [(by_sku[sku], units, None) for sku, units in quantities.items()], now, user)


def change_preferences(number, *, fulfilment_policy=None, expedite=None, user=None, by_customer=False):
    """Switch an order between shipping partially and complete, or flag it for expedited
    filling. Its status follows at once (a ship_partial order with stock is ready)."""
    if fulfilment_policy is not None and (problem := policy_problem(fulfilment_policy)):
        raise InvalidInput([problem])
    with transaction.atomic():
        order, lines, levels = lock_order(number)
        if fulfilment_policy is not None and fulfilment_policy != order.fulfilment_policy:
            record_event(
                order,
                OrderEvent.Kind.POLICY_CHANGED,
                user,
                by_customer,
                old=order.fulfilment_policy,
                new=fulfilment_policy,
            )
        if fulfilment_policy is not None:
            order.fulfilment_policy = fulfilment_policy
        if expedite is not None:
            order.expedite = expedite
        order.save(update_fields=["fulfilment_policy", "expedite"])
        refresh_statuses({order.pk})
        order.refresh_from_db(fields=["status"])
        return order
