"""Cancellation: the customer (status page) or staff give up unshipped units.

Rules:
- Shipped units cannot be cancelled; every asked line is checked and every problem named.
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

from kernel.errors import Conflict, InvalidInput, Problem
from inventory import stock

from . import hooks, signals
from .allocation import fill_backorders, lock_order, refresh_statuses
from .history import record_event
from .models import WAITING, Backorder, Order, OrderEvent, OrderLine


@dataclass(frozen=True)
class CancelRequest:
    sku: str
    quantity: int


def _problems(order, by_sku, requests):
    problems = []
    if not requests:
        problems.append(Problem("Name at least one line to cancel.", field="lines"))
    for index, request in enumerate(requests):
        line = by_sku.get(request.sku)
        where = {"line": index, "sku": request.sku}
        if line is None:
            problems.append(Problem(
                f"Line {index + 1}: order {order.number} has no line for SKU {request.sku}.", field="sku", **where
            ))
        elif not isinstance(request.quantity, int) or request.quantity <= 0:
            problems.append(Problem(
                f"Line {index + 1} (SKU {request.sku}): quantity must be a whole number of at least 1.",
                field="quantity", **where,
            ))
        elif request.quantity > line.unshipped:
            problems.append(Problem(
                f"Line {index + 1} (SKU {request.sku}): only {line.unshipped} unshipped units can be cancelled"
                + (f"; {line.shipped} have shipped and cannot be cancelled." if line.shipped else "."),
                field="quantity", code="too_many", **where,
            ))
    if len({request.sku for request in requests}) != len(requests):
        problems.append(Problem("Each SKU may appear only once.", field="lines", code="duplicate"))
    return problems


def cancel_units(number, requests=None, user=None, by_customer=False):
    """Cancel unshipped units: waiting units first, then allocated ones, whose stock goes
    to the next waiting order. `requests=None` cancels everything not shipped. Their
    payment authorisation is voided. Shipped units cannot be cancelled."""
    with transaction.atomic():
        order, lines, levels = lock_order(number)
        by_sku = {line.product.sku: line for line in lines}
        if requests is None:
            requests = [CancelRequest(line.product.sku, line.unshipped) for line in lines if line.unshipped]
            if not requests:
                raise Conflict.one(f"Order {order.number} has nothing left to cancel.", code="nothing_to_cancel")
        problems = _problems(order, by_sku, requests)
        if problems:
            raise InvalidInput(problems)

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
            hooks.pegs_released(unpegged)
        OrderLine.objects.bulk_update([by_sku[r.sku] for r in requests], ["allocated", "backordered", "cancelled"])
        # Released stock goes to whoever waits next for it.
        touched = fill_backorders(levels) | {order.pk}
        stock.save_stock(levels.values())
        order.amount_voided += voided
        order.save(update_fields=["amount_voided"])
        refresh_statuses(touched)
        record_event(
            order, OrderEvent.Kind.UNITS_CANCELLED, user, by_customer,
            lines=[{"sku": r.sku, "quantity": r.quantity} for r in requests], refund=str(voided),
        )
        signals.units_cancelled.send(
            sender=Order, order=order, cancelled=[(by_sku[r.sku], r.quantity) for r in requests], voided=voided
        )
        return order
