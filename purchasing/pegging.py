"""Pegging: each waiting backorder is tied to the purchase order line that will fill it.

Rules:
- An open backorder not yet on a purchase order is told the date a new purchase order
  would give: today + the preferred supplier's lead time + its wait window (the default
  lead time without a supplier); orders ask through `orders.hooks.backorder_etas`.
- A customer's date from a purchase order line is the line's expected date + the handling
  days + the supplier's learned lateness where it pads with it (`customer_date`, stated once
  for SQL and the ORM alike; record.py learns the lateness).
- Pegging puts every open, unpegged backorder of a line's product on that line (for a
  dropship line, only those of its own order) and sets its ETA to the line's expected date
  + the handling days, with history; the backorder is then on order.
- A line orders exactly what its pegged backorders still need, rounded up to the supplier's
  minimum and packs (`pegged_need` is that sum, stated once). When pegged units are cancelled
  (`orders.hooks.pegs_released`), a line of a draft shrinks to that; a line nobody needs goes,
  and so does a draft left empty. Sent orders are left alone: their surplus goes to stock."""

import datetime
import math
from collections import defaultdict

from django.conf import settings
from django.db import connection
from django.db.models import Case, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from kernel import clock
from kernel.sql import AddDays, add_days_sql
from orders.etas import HISTORY_INSERT
from orders.hooks import default_etas
from orders.models import Backorder, EtaChange

from .models import PurchaseOrder, PurchaseOrderLine, Supplier, SupplierItem


def unpegged_etas(product_ids):
    """orders.hooks.backorder_etas: the date for a backorder not yet on a purchase order."""
    today = clock.today()
    etas = default_etas(product_ids)
    for item in preferred_items(etas):
        etas[item.product_id] = today + datetime.timedelta(days=item.wait_days + item.lead_days)
    return etas


def preferred_items(product_ids):
    """The preferred supplier items of these products, each with `wait_days` (the batching
    window, in whole days) and `lead_days` (lead time + learned lateness where it pads)."""
    items = list(SupplierItem.objects.filter(product_id__in=product_ids, preferred=True).select_related("supplier"))
    for item in items:
        item.wait_days = math.ceil(item.supplier.max_wait_hours / 24)
        item.lead_days = item.effective_lead_time_days + item.supplier.eta_pad_days
    return items


def _pad_sql(supplier_alias):
    return f"CASE WHEN {supplier_alias}.pad_with_lateness THEN {supplier_alias}.learned_lateness_days ELSE 0 END"


def line_customer_date(line_ref="po_line_id"):
    """For a Backorder row: the date its purchase order line gives (a subquery)."""
    line = PurchaseOrderLine.objects.filter(pk=OuterRef(line_ref)).order_by()
    return Subquery(line.annotate(eta=customer_date()).values("eta"))


def customer_date():
    """For a PurchaseOrderLine row: the date its waiting customers are told."""
    pad = Case(When(purchase_order__supplier__pad_with_lateness=True, then=F("purchase_order__supplier__learned_lateness_days")),
               default=Value(0))
    return AddDays(F("expected_date"), pad + settings.PURCHASING_HANDLING_DAYS)


def pegged_to(lines=None, purchase_orders=None):
    """The backorders still waiting on these purchase order lines (or on any line of these
    purchase orders)."""
    waiting = Backorder.objects.filter(status=Backorder.Status.ON_ORDER)
    if lines is not None:
        waiting = waiting.filter(po_line__in=lines)
    if purchase_orders is not None:
        waiting = waiting.filter(po_line__purchase_order__in=purchase_orders)
    return waiting


# Per purchase order line: the units its pegged backorders still wait for.
PEGGED_UNITS = Coalesce(Sum(
    F("backorders__quantity") - F("backorders__filled") - F("backorders__cancelled"),
    filter=Q(backorders__status=Backorder.Status.ON_ORDER),
), 0)


def pegged_need(lines):
    """Units still waiting on the backorders pegged to each of these lines (none: absent)."""
    rows = (
        PurchaseOrderLine.objects.filter(pk__in=[line.pk for line in lines])
        .annotate(units=PEGGED_UNITS).values_list("pk", "units")
    )
    return {pk: units for pk, units in rows if units}


def peg_to_lines(line_ids, *, same_order=False):
    """Peg every open, unpegged backorder to the new purchase order line of its product
    among `line_ids` (for dropship lines also of its order), with the ETA that line gives.
    A join, not a subquery per row: one INSERT … SELECT for the history and one
    UPDATE … FROM, on PostgreSQL and SQLite (3.33+) alike. Returns the ids of the
    backorders whose ETA changed, and the units pegged per line."""
    if not line_ids:
        return [], {}
    eta = add_days_sql("l.expected_date", f"{int(settings.PURCHASING_HANDLING_DAYS)} + {_pad_sql('s')}")
    match = "l.product_id = b.product_id" + (" AND po.dropship_order_id = b.order_id" if same_order else "")
    backorders, lines, orders = Backorder._meta.db_table, PurchaseOrderLine._meta.db_table, PurchaseOrder._meta.db_table
    joined = f"{lines} l, {orders} po, {Supplier._meta.db_table} s"
    where = (
        f"po.id = l.purchase_order_id AND s.id = po.supplier_id AND {match} "
        f"AND l.id IN ({', '.join(['%s'] * len(line_ids))}) AND b.status = 'open' AND b.po_line_id IS NULL"
    )
    now = connection.ops.adapt_datetimefield_value(clock.now())
    # PostgreSQL's RETURNING sees the joined line table too (which also has a quantity);
    # SQLite's sees only the updated table and refuses the alias.
    returned = "po_line_id, quantity - filled - cancelled"
    if connection.vendor == "postgresql":
        returned = "b.po_line_id, b.quantity - b.filled - b.cancelled"
    with connection.cursor() as cursor:
        cursor.execute(
            f"{HISTORY_INSERT}SELECT b.id, b.eta, {eta}, %s, %s FROM {backorders} b, {joined} "
            f"WHERE {where} AND b.eta <> {eta} RETURNING backorder_id",
            [EtaChange.Cause.PURCHASE_ORDER, now, *line_ids],
        )
        moved = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"UPDATE {backorders} AS b SET po_line_id = l.id, eta = {eta}, status = 'on_order' "
            f"FROM {joined} WHERE {where} RETURNING {returned}",
            line_ids,
        )
        units = defaultdict(int)
        for line_id, waiting in cursor.fetchall():
            units[line_id] += waiting
    return moved, units


def shrink_draft_lines(line_ids):
    """orders.hooks.pegs_released: lines of drafts shrink to what their still-pegged
    backorders need plus the units ordered for stock; a line nobody needs goes, and so does
    a draft left empty."""
    lines = list(
        PurchaseOrderLine.objects.select_for_update(of=("self",))
        .select_related("purchase_order")
        .filter(pk__in=set(line_ids), purchase_order__status=PurchaseOrder.Status.DRAFT)
    )
    if not lines:
        return
    need = pegged_need(lines)
    items = {
        (item.supplier_id, item.product_id): item
        for item in SupplierItem.objects.filter(product__in=[line.product_id for line in lines])
    }
    gone, smaller = [], []
    for line in lines:
        units = need.get(line.pk, 0) + line.stock_units
        item = items.get((line.purchase_order.supplier_id, line.product_id))
        if not units:
            gone.append(line.pk)
        elif item and item.order_quantity(units) < line.quantity:
            line.quantity = item.order_quantity(units)
            smaller.append(line)
    PurchaseOrderLine.objects.bulk_update(smaller, ["quantity"])
    PurchaseOrderLine.objects.filter(pk__in=gone).delete()
    PurchaseOrder.objects.filter(
        pk__in={line.purchase_order_id for line in lines}, status=PurchaseOrder.Status.DRAFT, lines__isnull=True
    ).delete()
