"""Pegging: each waiting backorder is tied to the purchase order line that will fill it.

Rules:
- An open backorder not yet on a purchase order is told the date a new purchase order
  would give: dates.open_backorder_date from its preferred supplier's item (the default
  lead time without a supplier); orders ask through `orders.hooks.backorder_etas`.
- A customer's date from a purchase order line is dates.customer_date (the line's expected
  date + the handling days + the supplier's lateness pad), for SQL and the ORM alike.
- Pegging puts every open, unpegged backorder of a line's product on that line (for a
  dropship line, only those of its own order) and sets its ETA to the line's expected date
  + the handling days + the pad, with history; the backorder is then on order.
- A line orders exactly what its pegged backorders still need, rounded up to the supplier's
  minimum and packs (`pegged_need` is that sum, stated once). When pegged units are cancelled
  (`orders.hooks.pegs_released`), a line of a draft shrinks to that; a line nobody needs goes,
  and so does a draft left empty. A sent stock order is left alone: its surplus goes to stock.
  A sent dropship order has no stock to go to: its line shrinks to what was delivered plus what
  its customer still waits for (a line left with neither goes, an order left empty is
  cancelled), each shrink is recorded (`DropshipCancellation`: line, units, when, by whom) in
  the same transaction, and the supplier is emailed once, after commit, in their language
  (the record says when)."""

import logging
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from kernel import clock
from kernel.permissions import acting_user
from kernel.sql import compiled
from orders.etas import HISTORY_INSERT
from orders.hooks import default_etas
from orders.models import WAITING_UNITS, Backorder, EtaChange, still_waiting

from . import dates, drafts
from .emails import dropship_cancellation_email
from .models import DropshipCancellation, PurchaseOrder, PurchaseOrderLine, Supplier, SupplierItem

log = logging.getLogger(__name__)


def unpegged_etas(product_ids):
    """orders.hooks.backorder_etas: the date for a backorder not yet on a purchase order."""
    etas = default_etas(product_ids)
    etas.update(preferred_items(etas).values_list("product_id", dates.new_backorder_date(clock.today())))
    return etas


def preferred_items(product_ids):
    """The preferred supplier items of these products."""
    return SupplierItem.objects.filter(product_id__in=product_ids, preferred=True)


def pegged_to(lines=None, purchase_orders=None):
    """The backorders still waiting on these purchase order lines (or on any line of these
    purchase orders)."""
    waiting = Backorder.objects.on_order()
    if lines is not None:
        waiting = waiting.filter(po_line__in=lines)
    if purchase_orders is not None:
        waiting = waiting.filter(po_line__purchase_order__in=purchase_orders)
    return waiting


# Per purchase order line: the units its pegged backorders still wait for.
PEGGED_UNITS = Coalesce(Sum(still_waiting("backorders"), filter=Q(backorders__status=Backorder.Status.ON_ORDER)), 0)


def pegged_need(lines):
    """Units still waiting on the backorders pegged to each of these lines (none: absent)."""
    rows = (
        PurchaseOrderLine.objects.filter(pk__in=[line.pk for line in lines])
        .annotate(units=PEGGED_UNITS)
        .values_list("pk", "units")
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
    quote = connection.ops.quote_name
    backorders, lines, orders, suppliers = (
        quote(model._meta.db_table) for model in (Backorder, PurchaseOrderLine, PurchaseOrder, Supplier)
    )
    eta, eta_params = compiled(PurchaseOrderLine.objects.all(), dates.customer_date())
    unpegged, unpegged_params = compiled(Backorder.objects.not_ordered())
    waiting, waiting_params = compiled(Backorder.objects.all(), WAITING_UNITS)
    match = f"{lines}.product_id = {backorders}.product_id"
    if same_order:
        match += f" AND {orders}.dropship_order_id = {backorders}.order_id"
    joined = f"{lines}, {orders}, {suppliers}"
    where = (
        f"{orders}.id = {lines}.purchase_order_id AND {suppliers}.id = {orders}.supplier_id AND {match} "
        f"AND {lines}.id IN ({', '.join(['%s'] * len(line_ids))}) AND {unpegged}"
    )
    where_params = [*line_ids, *unpegged_params]
    now = connection.ops.adapt_datetimefield_value(clock.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"{HISTORY_INSERT}SELECT {backorders}.id, {backorders}.eta, {eta}, %s, %s FROM {backorders}, {joined} "
            f"WHERE {where} AND {backorders}.eta <> {eta} RETURNING backorder_id",
            [*eta_params, EtaChange.Cause.PURCHASE_ORDER, now, *where_params, *eta_params],
        )
        moved = [row[0] for row in cursor.fetchall()]
        # The table's own name, not an alias: SQLite's RETURNING refuses an alias, and
        # PostgreSQL's needs the columns qualified (the line table has a quantity too).
        cursor.execute(
            f"UPDATE {backorders} SET po_line_id = {lines}.id, eta = {eta}, status = %s "
            f"FROM {joined} WHERE {where} RETURNING {backorders}.po_line_id, {waiting}",
            [*eta_params, Backorder.Status.ON_ORDER, *where_params, *waiting_params],
        )
        units = defaultdict(int)
        for line_id, waiting in cursor.fetchall():
            units[line_id] += waiting
    return moved, units


def release_pegs(line_ids, user=None, by_customer=False):
    """orders.hooks.pegs_released: drafts shrink; sent dropship orders shrink and the supplier hears."""
    shrink_draft_lines(line_ids)
    shrink_sent_dropship_lines(line_ids, user=user, by_customer=by_customer)


def shrink_sent_dropship_lines(line_ids, user=None, by_customer=False):
    """Lines of sent dropship orders: to what was delivered plus what pegged backorders still
    need, each shrink recorded with who cancelled (`user`, or the customer). The supplier gets
    the cancelled units by email after commit."""
    lines = list(
        PurchaseOrderLine.objects.select_for_update(of=("self",))
        .select_related("purchase_order__supplier", "product")
        .filter(
            pk__in=set(line_ids),
            purchase_order__status__in=PurchaseOrder.RECEIVABLE,
            purchase_order__dropship_order__isnull=False,
        )
    )
    need = pegged_need(lines)
    cancelled = defaultdict(list)  # purchase order -> (line, units cancelled, units left)
    gone, smaller = [], []
    for line in lines:
        keep = line.received + need.get(line.pk, 0)
        if keep >= line.quantity:
            continue
        cancelled[line.purchase_order].append((line, line.quantity - keep, keep))
        if keep:
            line.quantity = keep
            smaller.append(line)
        else:
            gone.append(line.pk)
    PurchaseOrderLine.objects.bulk_update(smaller, ["quantity"])
    PurchaseOrderLine.objects.filter(pk__in=gone).delete()
    now = clock.now()
    records = DropshipCancellation.objects.bulk_create(
        DropshipCancellation(
            purchase_order=po,
            product=line.product,
            supplier_sku=line.supplier_sku,
            units=units,
            units_left=left,
            cancelled_at=now,
            by_customer=by_customer,
            cancelled_by=acting_user(user),
        )
        for po, rows in cancelled.items()
        for line, units, left in rows
    )
    for po in cancelled:
        if not po.lines.exists():
            PurchaseOrder.objects.filter(pk=po.pk).update(status=PurchaseOrder.Status.CANCELLED)
        elif all(line.received >= line.quantity for line in po.lines.all()):
            PurchaseOrder.objects.filter(pk=po.pk).update(status=PurchaseOrder.Status.RECEIVED)
    if cancelled:
        transaction.on_commit(lambda: _tell_suppliers(cancelled, records))


def _tell_suppliers(cancelled, records):
    """After the cancellation committed: a mail server that fails does not undo it (logged,
    and the record shows no email went)."""
    for po, rows in cancelled.items():
        try:
            dropship_cancellation_email(po, rows).send()
        except OSError as error:
            log.warning("The cancellation for purchase order %s could not be emailed: %s", po.number, error)
            continue
        DropshipCancellation.objects.filter(
            pk__in=[record.pk for record in records if record.purchase_order_id == po.pk]
        ).update(emailed_at=clock.now())


def shrink_draft_lines(line_ids):
    """Lines of drafts shrink to what their still-pegged
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
        pegged = need.get(line.pk, 0)
        item = items.get((line.purchase_order.supplier_id, line.product_id))
        if not pegged + line.stock_units:
            gone.append(line.pk)
        elif item and drafts.line_quantity(item, pegged, line.stock_units) < line.quantity:
            line.quantity = drafts.line_quantity(item, pegged, line.stock_units)
            smaller.append(line)
    PurchaseOrderLine.objects.bulk_update(smaller, ["quantity"])
    PurchaseOrderLine.objects.filter(pk__in=gone).delete()
    PurchaseOrder.objects.filter(
        pk__in={line.purchase_order_id for line in lines}, status=PurchaseOrder.Status.DRAFT, lines__isnull=True
    ).delete()
