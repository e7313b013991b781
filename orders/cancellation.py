"""Cancellation: the customer (status page) or staff give up unshipped units.

Rules:
- Shipped units cannot be cancelled; every asked line is checked and every problem named
  (kernel.errors.refuse: malformed 400, a SKU the order lacks 404, too many units 409). SKUs
  match in any case (kernel.parsers.case_key).
- Waiting units go first (youngest backorder first), then allocated ones, whose stock goes
  at once to the next waiting order (allocation's fill order).
- Units taken off a purchase order line are released to purchasing (`hooks.pegs_released`):
  a draft not yet sent shrinks; a sent dropship line shrinks and its supplier is told; a sent
  stock order's surplus goes to stock.
- The payment authorisation of the cancelled units is voided; the cancellation is written
  to the order's history.
One transaction, stock rows locked before the order."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from inventory import stock
from kernel.errors import Conflict, Problem, refuse
from kernel.parsers import match_keys, repeated

from . import hooks, signals
from .allocation import fill_backorders, lock_order, refresh_statuses
from .history import record_event
from .models import WAITING, Backorder, Order, OrderEvent, OrderLine


@dataclass(frozen=True)
class CancelRequest:
    sku: str
    quantity: int


def _problems(order, by_sku, requests):
    """Malformed requests (no lines, a quantity below 1, a SKU twice), SKUs the order has no
    line for, and more units than are left to cancel."""
    invalid, unknown, conflicting = [], [], []
    if not requests:
        invalid.append(Problem("Name at least one line to cancel.", field="lines"))
    for index in repeated(request.sku for request in requests):
        invalid.append(
            Problem(
                f"Line {index + 1}: SKU {requests[index].sku} appears more than once.",
                field="sku",
                line=index,
                sku=requests[index].sku,
                code="duplicate",
            )
        )
    for index, request in enumerate(requests):
        line = by_sku.get(request.sku)
        where = {"line": index, "sku": request.sku}
        if not isinstance(request.quantity, int) or request.quantity <= 0:
            invalid.append(
                Problem(
                    f"Line {index + 1} (SKU {request.sku}): quantity must be a whole number of at least 1.",
                    field="quantity",
                    **where,
                )
            )
        elif line is None:
            unknown.append(
                Problem(
                    f"Line {index + 1}: order {order.number} has no line for SKU {request.sku}.",
                    field="sku",
                    code="unknown_sku",
                    **where,
                )
            )
        elif request.quantity > line.unshipped:
            conflicting.append(
                Problem(
                    f"Line {index + 1} (SKU {request.sku}): only {line.unshipped} unshipped units can be cancelled"
                    + (f"; {line.shipped} have shipped and cannot be cancelled." if line.shipped else "."),
                    field="quantity",
                    code="too_many",
                    **where,
                )
            )
    return invalid, unknown, conflicting


def cancel_units(number, requests=None, user=None, by_customer=False):
    """Cancel unshipped units: waiting units first, then allocated ones, whose stock goes
    to the next waiting order. `requests=None` cancels everything not shipped. Their
    payment authorisation is voided. Shipped units cannot be cancelled."""
    with transaction.atomic():
        order, lines, levels = lock_order(number)
        if requests is None:
            requests = [CancelRequest(line.product.sku, line.unshipped) for line in lines if line.unshipped]
            if not requests:
                raise Conflict.one(f"Order {order.number} has nothing left to cancel.", code="nothing_to_cancel")
        by_sku = match_keys((request.sku for request in requests), {line.product.sku: line for line in lines})
        refuse(*_problems(order, by_sku, requests))

        backorders = defaultdict(list)
        for backorder in order.backorders.filter(status__in=WAITING).order_by("-created_at", "-id"):
            backorders[backorder.line_id].append(backorder)
        changed_backorders, voided, unpegged = [], Decimal("0"), set()
        for request in requests:
            line = by_sku[request.sku]
            units = request.quantity
            for backorder in backorders[line.pk]:
                taken = backorder.take(units, "cancelled")
                if not taken:
                    continue
                units -= taken
                if backorder.po_line_id:
                    unpegged.add(backorder.po_line_id)
                if not backorder.waiting:
                    backorder.status = Backorder.Status.ALLOCATED if backorder.filled else Backorder.Status.CANCELLED
                    if not backorder.filled:
                        backorder.po_line = None  # nothing left for the supplier to fill
                changed_backorders.append(backorder)
            line.backordered -= request.quantity - units
            line.allocated -= units
            levels[line.product_id].allocated -= units
            line.cancelled += request.quantity
            voided += request.quantity * line.unit_price
        Backorder.objects.bulk_update(changed_backorders, ["cancelled", "status", "po_line"])
        if unpegged:
            hooks.pegs_released(unpegged, user=user, by_customer=by_customer)
        OrderLine.objects.bulk_update([by_sku[r.sku] for r in requests], ["allocated", "backordered", "cancelled"])
        # Released stock goes to whoever waits next for it.
        touched = fill_backorders(levels) | {order.pk}
        stock.save_stock(levels.values())
        order.amount_voided += voided
        order.save(update_fields=["amount_voided"])
        refresh_statuses(touched)
        record_event(
            order,
            OrderEvent.Kind.UNITS_CANCELLED,
            user,
            by_customer,
            lines=[{"sku": by_sku[r.sku].product.sku, "quantity": r.quantity} for r in requests],
            refund=str(voided),
        )
        signals.units_cancelled.send(
            sender=Order, order=order, cancelled=[(by_sku[r.sku], r.quantity) for r in requests], voided=voided
        )
        return order
