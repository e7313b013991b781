"""Receiving: goods in against a purchase order.

Rules:
- Receiving more than ordered is refused unless staff allow it explicitly; every line is
  checked and every problem named (line, SKU).
- Stock comes in through the ledger (inventory's change_stock), and the units fill the
  backorders pegged to the received lines first, then other waiting orders of the product
  (allocation's fill order); the rest is free stock.
- For a dropship order the supplier's delivery to the customer is that order's shipment.
- A line fully received is no longer late and records when it was complete (on-time rate).
- A line the supplier said comes short first (answers.short_delivery) is expected by the
  supplier's later date for the rest once the first part is in.
One transaction, the purchase order row locked first."""

from django.db import transaction

from inventory.stock import StockChange, change_stock
from kernel import clock
from kernel.errors import Conflict, Problem, refuse
from orders.fulfilment import record_dropship_shipment

from .lifecycle import get_purchase_order, lines_by_sku
from .models import PurchaseOrder, PurchaseOrderLine


def receive_purchase_order(number, quantities, user=None, allow_over=False):
    """Goods in against a purchase order: `quantities` maps SKU to units received. Stock in
    through the ledger; the units fill the backorders pegged to the line first, then other
    waiting orders of the product; the rest is free stock. Receiving more than ordered is
    refused unless `allow_over`. For a dropship order the supplier's delivery to the
    customer is recorded as that order's shipment instead."""
    with transaction.atomic():
        po = get_purchase_order(number, lock=True)
        if po.status in (PurchaseOrder.Status.DRAFT, PurchaseOrder.Status.CANCELLED, PurchaseOrder.Status.RECEIVED):
            raise Conflict.one(
                f"Purchase order {po.number} is {po.get_status_display()}; nothing can be received against it.",
                code="bad_status",
            )
        lines, unknown, every = lines_by_sku(po, quantities)
        invalid, conflicting = [], []
        for index, (sku, units) in enumerate(quantities.items()):
            line = lines.get(sku)
            where = {"line": index, "sku": sku}
            if line is None:
                continue
            if not isinstance(units, int) or units <= 0:
                invalid.append(
                    Problem(f"Line {index + 1} (SKU {sku}): quantity must be at least 1.", field="quantity", **where)
                )
            elif line.received + units > line.quantity and not allow_over:
                conflicting.append(
                    Problem(
                        f"Line {index + 1} (SKU {sku}): {units} would exceed the {line.outstanding} still outstanding "
                        f"of {line.quantity} ordered.",
                        field="quantity",
                        code="over_receipt",
                        **where,
                    )
                )
        refuse(invalid, unknown, conflicting)
        received = [lines[sku] for sku in quantities]
        now = clock.now()
        for sku, units in quantities.items():
            line = lines[sku]
            line.received += units
            line.late = line.late and line.received < line.quantity
            if line.received >= line.quantity and line.received_at is None:
                line.received_at = now
            if line.rest_expected_date:
                # The first part of a short delivery is in: the rest is expected by the supplier's later date.
                if line.received < line.quantity:
                    line.expected_date, line.late = line.rest_expected_date, False
                line.rest_expected_date = None
        PurchaseOrderLine.objects.bulk_update(
            received, ["received", "late", "received_at", "expected_date", "rest_expected_date"]
        )
        if po.dropship_order_id:
            # The supplier shipped straight to the customer: a shipment, not stock.
            record_dropship_shipment(po.dropship_order.number, quantities, user=user)
        else:
            change_stock(
                # The purchase order is the movements' reference: the ledger states it in the
                # reader's language (inventory.models.StockMovement.description), no note in words.
                [StockChange(sku, units, "receipt") for sku, units in quantities.items()],
                user=user,
                reference=po.number,
                priority=[line.pk for line in received],
            )
        complete = all(line.received >= line.quantity for line in every)
        po.status = PurchaseOrder.Status.RECEIVED if complete else PurchaseOrder.Status.PARTIALLY_RECEIVED
        po.save(update_fields=["status"])
        return po
