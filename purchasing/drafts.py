"""Drafts: the purchase orders and lines the batch and the reorder review create.

Rules:
- A supplier has one open stock draft at most (a database constraint): whoever orders from it
  tops that draft up and opens one only where there is none (`add_stock_drafts`). Drafts
  change under one writer at a time (`lock_drafts`, the batch's lock).
- A purchase order's number comes from its id (PO-000042): two statements for any number of
  new orders (`new_purchase_orders`).
- A new line carries its supplier item's SKU and cost and asks for the date a line ordered
  today gets (dates.new_line_date: read the items with `items_ordered_on`).
- A line orders what its pegged backorders need plus its units for stock, rounded up to the
  item's minimum and whole packs (`line_quantity`)."""

from kernel.locks import advisory_lock

from . import dates
from .models import PurchaseOrder, PurchaseOrderLine, SupplierItem


def lock_drafts():
    """Held until commit: the batch, the reorder review and a second run take turns."""
    advisory_lock("purchasing.batch_backorders")


def items_ordered_on(today):
    """Supplier items with the expected date a line ordered today asks for (`line_date`)."""
    return SupplierItem.objects.select_related("supplier").annotate(line_date=dates.new_line_date(today))


def new_purchase_orders(pairs, now):
    """Create purchase orders for (supplier, dropship order or None) pairs in two
    statements; the number comes from the id, so it is set once the ids are known."""
    orders = PurchaseOrder.objects.bulk_create(
        [
            PurchaseOrder(
                number=f"new-{index}-{now.timestamp()}", supplier=supplier, created_at=now, dropship_order=order
            )
            for index, (supplier, order) in enumerate(pairs)
        ]
    )
    for po in orders:
        po.number = f"PO-{po.pk:06d}"
    PurchaseOrder.objects.bulk_update(orders, ["number"])
    return orders


def stock_drafts(supplier_ids=None, *, lock=False):
    """{supplier id: its stock draft} (of these suppliers, or all)."""
    drafts = PurchaseOrder.objects.filter(status=PurchaseOrder.Status.DRAFT, dropship_order__isnull=True)
    if supplier_ids is not None:
        drafts = drafts.filter(supplier_id__in=supplier_ids)
    if lock:
        drafts = drafts.select_for_update()
    return {po.supplier_id: po for po in drafts}


def add_stock_drafts(drafts, suppliers, now):
    """Open a stock draft for each of `suppliers` without one in `drafts` ({supplier id:
    draft}, which gets them too). Returns the drafts opened."""
    missing = list({supplier.pk: supplier for supplier in suppliers if supplier.pk not in drafts}.values())
    created = new_purchase_orders([(supplier, None) for supplier in missing], now)
    drafts.update({po.supplier_id: po for po in created})
    return created


def lines_of(drafts, *, lock=False):
    """{(purchase order id, product id): line} of these drafts."""
    lines = PurchaseOrderLine.objects.filter(purchase_order__in=drafts)
    if lock:
        lines = lines.select_for_update()
    return {(line.purchase_order_id, line.product_id): line for line in lines}


def line_quantity(item, pegged, stock_units=0):
    """What a line of `item` orders for `pegged` units its backorders need and its stock units."""
    return item.order_quantity(pegged + stock_units)


def new_line(purchase_order, item, quantity):
    """A line (not saved) of `item` (read with items_ordered_on) on the purchase order."""
    return PurchaseOrderLine(
        purchase_order=purchase_order,
        product_id=item.product_id,
        supplier_sku=item.supplier_sku,
        quantity=quantity,
        unit_cost=item.unit_cost,
        expected_date=item.line_date,
        first_expected_date=item.line_date,
    )
