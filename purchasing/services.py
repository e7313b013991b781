"""Purchasing operations: batch backorders into supplier purchase orders, send, confirm,
re-date, detect late lines, receive. Each public function is one transaction."""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import DateField, F, Min, OuterRef, Subquery, Sum, Value
from django.dispatch import Signal

from backoffice import clock
from backoffice.errors import Conflict, InvalidInput, NotFound, Problem
from backoffice.locks import advisory_lock
from inventory.services import StockChange
from orders import services as orders
from orders.etas import AddDays, peg_to_lines, set_etas
from orders.models import WAITING_UNITS, Backorder, EtaChange, Order

from .models import BatchRun, PurchaseOrder, PurchaseOrderLine, SupplierItem
from .selectors import unpegged_etas

# Sent once per change set, inside its transaction, with the ids of the backorders whose
# ETA moved and the cause: customer messages subscribe here and write their outbox rows in
# the same transaction, so a change and the notice of it commit together.
etas_changed = Signal()


def round_up(units, item):
    """Order at least the minimum order quantity, then whole packs."""
    units = max(units, item.min_order_quantity)
    return -(-units // item.pack_size) * item.pack_size


@dataclass
class Candidate:
    """Unpegged waiting units of one product for its preferred supplier."""

    item: SupplierItem
    units: int
    oldest: datetime.datetime


def _candidates():
    rows = (
        Backorder.objects.filter(
            status=Backorder.Status.OPEN, po_line__isnull=True,
            product__dropship=False, product__supplier_items__preferred=True,
        )
        .values("product_id", item_id=F("product__supplier_items__id"))
        .annotate(units=Sum(WAITING_UNITS), oldest=Min("created_at"))
    )
    rows = list(rows)
    items = SupplierItem.objects.select_related("supplier").in_bulk([row["item_id"] for row in rows])
    by_supplier = defaultdict(list)
    for row in rows:
        item = items[row["item_id"]]
        by_supplier[item.supplier].append(Candidate(item, row["units"], row["oldest"]))
    return by_supplier


def _new_purchase_orders(pairs, now):
    """Create purchase orders for (supplier, dropship order or None) pairs in two
    statements; the number comes from the id, so it is set once the ids are known."""
    orders = PurchaseOrder.objects.bulk_create([
        PurchaseOrder(number=f"new-{index}-{now.timestamp()}", supplier=supplier, created_at=now, dropship_order=order)
        for index, (supplier, order) in enumerate(pairs)
    ])
    for po in orders:
        po.number = f"PO-{po.pk:06d}"
    PurchaseOrder.objects.bulk_update(orders, ["number"])
    return orders


def batch_backorders(trigger="manual"):
    """For each supplier, collect the open backorders not yet on a purchase order whose
    preferred supplier it is; order them once the quota is met (value >= minimum order
    value) or the oldest has waited max_wait_hours, topping up the supplier's draft instead
    of opening a second. Safe to run twice and concurrently: one run at a time holds the
    lock, and a second finds nothing left unpegged."""
    with transaction.atomic():
        advisory_lock("purchasing.batch_backorders")
        started = clock.now()
        today = clock.today()
        waiting, pegs = [], []  # pegs: (purchase order line, supplier item)
        drafts = {
            po.supplier_id: po
            for po in PurchaseOrder.objects.filter(status=PurchaseOrder.Status.DRAFT, dropship_order__isnull=True)
        }
        draft_lines = {
            (line.purchase_order_id, line.product_id): line
            for line in PurchaseOrderLine.objects.filter(purchase_order__in=drafts.values())
        }
        pegged_need = _pegged_need(draft_lines.values())
        released = []
        for supplier, candidates in _candidates().items():
            value = sum(round_up(c.units, c.item) * c.item.unit_cost for c in candidates)
            oldest = min(c.oldest for c in candidates)
            due = started - datetime.timedelta(hours=supplier.max_wait_hours)
            if supplier.pk not in drafts and value < supplier.min_order_value and oldest > due:
                waiting.append({"supplier": supplier.code, "value": str(value), "oldest": oldest.isoformat()})
            else:
                released.append((supplier, candidates))
        fresh = [supplier for supplier, _ in released if supplier.pk not in drafts]
        created = _new_purchase_orders([(supplier, None) for supplier in fresh], started)
        topped_up = [drafts[supplier.pk] for supplier, _ in released if supplier.pk in drafts]
        drafts.update({po.supplier_id: po for po in created})
        new_lines, changed_lines = [], []
        for supplier, candidates in released:
            draft = drafts[supplier.pk]
            for c in candidates:
                expected = today + datetime.timedelta(days=c.item.effective_lead_time_days)
                line = draft_lines.get((draft.pk, c.item.product_id))
                if line is None:
                    line = PurchaseOrderLine(
                        purchase_order=draft, product_id=c.item.product_id, supplier_sku=c.item.supplier_sku,
                        quantity=round_up(c.units, c.item), unit_cost=c.item.unit_cost, expected_date=expected,
                        first_expected_date=expected,
                    )
                    new_lines.append(line)
                else:
                    line.quantity = round_up(pegged_need.get(line.pk, 0) + c.units, c.item)
                    changed_lines.append(line)
                pegs.append((line, c.item))
        PurchaseOrderLine.objects.bulk_create(new_lines)
        PurchaseOrderLine.objects.bulk_update(changed_lines, ["quantity"])
        moved, pegged = peg_to_lines([line.pk for line, _ in pegs], settings.PURCHASING_HANDLING_DAYS)
        _fit_lines(pegs, pegged, pegged_need)
        dropships = _dropship_purchase_orders(started, today)
        result = {
            "created": [po.number for po in created] + [po.number for po in dropships],
            "topped_up": sorted({po.number for po in topped_up}),
            "units_pegged": sum(pegged.values()),
            "waiting_for_quota": waiting,
            "without_supplier": Backorder.objects.filter(
                status=Backorder.Status.OPEN, po_line__isnull=True
            ).exclude(product__supplier_items__preferred=True).count(),
        }
        BatchRun.objects.create(started_at=started, finished_at=clock.now(), trigger=trigger, result=result)
        auto = [po.pk for po in [*created, *dropships] if po.supplier.auto_send]
        if auto:
            transaction.on_commit(lambda: _enqueue_sends(auto))
        _announce(moved, EtaChange.Cause.PURCHASE_ORDER)
        return result


def _pegged_need(lines):
    """Units still waiting on the backorders pegged to each of these lines."""
    rows = (
        Backorder.objects.filter(po_line__in=lines, status=Backorder.Status.ON_ORDER)
        .values("po_line").annotate(units=Sum(WAITING_UNITS))
    )
    return {row["po_line"]: row["units"] for row in rows}


def _fit_lines(pegs, pegged, pegged_before):
    """Each line orders what its backorders really need, rounded: an order placed between
    the totals and the pegging is pegged too, and its units must be on the line."""
    wrong = []
    for line, item in pegs:
        quantity = round_up(pegged_before.get(line.pk, 0) + pegged.get(line.pk, 0), item)
        if quantity != line.quantity:
            line.quantity = quantity
            wrong.append(line)
    PurchaseOrderLine.objects.bulk_update(wrong, ["quantity"])


def _enqueue_sends(po_ids):
    from .tasks import send_purchase_order

    for po_id in po_ids:
        send_purchase_order.delay(po_id)


def _dropship_purchase_orders(now, today):
    """Dropship products are never stocked: one purchase order per customer order and
    supplier, sent on at once, never batched with stock orders."""
    rows = list(
        Backorder.objects.filter(
            status=Backorder.Status.OPEN, po_line__isnull=True, product__dropship=True,
            product__supplier_items__preferred=True,
        )
        .values("order_id", "product_id", item_id=F("product__supplier_items__id"))
        .annotate(units=Sum(WAITING_UNITS))
        .order_by("order_id", "product_id")
    )
    if not rows:
        return []
    items = SupplierItem.objects.select_related("supplier").in_bulk([row["item_id"] for row in rows])
    order_rows = Order.objects.in_bulk({row["order_id"] for row in rows})
    pairs = list(dict.fromkeys((items[row["item_id"]].supplier, order_rows[row["order_id"]]) for row in rows))
    created = dict(zip([(supplier.pk, order.pk) for supplier, order in pairs], _new_purchase_orders(pairs, now)))
    lines = []
    for row in rows:
        item = items[row["item_id"]]
        line = PurchaseOrderLine(
            purchase_order=created[(item.supplier_id, row["order_id"])], product_id=row["product_id"],
            supplier_sku=item.supplier_sku, quantity=round_up(row["units"], item), unit_cost=item.unit_cost,
            expected_date=today + datetime.timedelta(days=item.effective_lead_time_days),
            first_expected_date=today + datetime.timedelta(days=item.effective_lead_time_days),
        )
        lines.append((line, item))
    PurchaseOrderLine.objects.bulk_create([line for line, _ in lines])
    moved, pegged = peg_to_lines([line.pk for line, _ in lines], settings.PURCHASING_HANDLING_DAYS, same_order=True)
    _fit_lines(lines, pegged, {})
    _announce(moved, EtaChange.Cause.PURCHASE_ORDER)
    return list(created.values())


def _announce(backorder_ids, cause):
    if backorder_ids:
        etas_changed.send(sender=PurchaseOrder, backorder_ids=list(backorder_ids), cause=cause)


def get_purchase_order(number, lock=False):
    queryset = PurchaseOrder.objects.select_related("supplier", "dropship_order")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    try:
        return queryset.get(number=number)
    except PurchaseOrder.DoesNotExist:
        raise NotFound.one(f"No purchase order with number {number}.", field="number", code="not_found") from None


def _move_etas(lines, cause, eta=None):
    """Move the ETA of every waiting backorder pegged to these lines: to `eta`, or to what
    each line's expected date gives. Two statements, whatever the number of backorders."""
    waiting = Backorder.objects.filter(po_line__in=lines, status=Backorder.Status.ON_ORDER)
    if eta:
        new_eta = Value(eta, output_field=DateField())
    else:
        # Per backorder row: what the expected date of its own line gives.
        line = PurchaseOrderLine.objects.filter(pk=OuterRef("po_line_id")).order_by()
        new_eta = Subquery(line.annotate(eta=AddDays(F("expected_date"), settings.PURCHASING_HANDLING_DAYS)).values("eta"))
    moved = set_etas(waiting, new_eta, cause)
    _announce(moved, cause)
    return moved


def _lines_by_sku(po, skus):
    """The purchase order's lines by SKU, and a problem for each asked SKU it lacks."""
    lines = {line.product.sku: line for line in po.lines.select_related("product")}
    problems = [
        Problem(f"Line {index}: purchase order {po.number} has no line for SKU {sku}.", field="sku", line=index, sku=sku)
        for index, sku in enumerate(skus) if sku not in lines
    ]
    return lines, problems


def confirm_purchase_order(number, dates):
    """The supplier confirms (or re-dates) lines: `dates` maps SKU to its expected date.
    Pegged backorders' ETAs follow in bulk; a re-dated line is no longer late."""
    with transaction.atomic():
        po = get_purchase_order(number, lock=True)
        if po.status in (PurchaseOrder.Status.DRAFT, PurchaseOrder.Status.CANCELLED, PurchaseOrder.Status.RECEIVED):
            raise Conflict.one(f"Purchase order {po.number} is {po.get_status_display()}; only sent orders can be confirmed.", code="bad_status")
        lines, problems = _lines_by_sku(po, dates)
        if problems:
            raise InvalidInput(problems)
        changed = []
        for sku, expected in dates.items():
            line = lines[sku]
            line.expected_date, line.late = expected, False
            changed.append(line)
        PurchaseOrderLine.objects.bulk_update(changed, ["expected_date", "late"])
        if po.status == PurchaseOrder.Status.SENT:
            po.status, po.confirmed_at = PurchaseOrder.Status.CONFIRMED, clock.now()
            po.save(update_fields=["status", "confirmed_at"])
        _move_etas(changed, EtaChange.Cause.REDATED)
        return po


def mark_late_lines():
    """Beat job: lines past their expected date and not fully received are late; their
    backorders' ETA moves to today + the grace days until the supplier gives a date.
    Safe to run twice: a line already late only moves ETAs that are earlier than that."""
    with transaction.atomic():
        advisory_lock("purchasing.mark_late_lines")
        today = clock.today()
        grace = today + datetime.timedelta(days=settings.PURCHASING_LATE_GRACE_DAYS)
        lines = list(
            PurchaseOrderLine.objects.select_for_update()
            .filter(expected_date__lt=today, received__lt=F("quantity"),
                    purchase_order__status__in=PurchaseOrder.RECEIVABLE)
        )
        newly_late = [line for line in lines if not line.late]
        for line in newly_late:
            line.late = True
        PurchaseOrderLine.objects.bulk_update(newly_late, ["late"])
        moved = _move_etas(lines, EtaChange.Cause.LATE, eta=grace) if lines else []
        return {"late_lines": len(lines), "newly_late": len(newly_late), "backorders_moved": len(moved)}


def send_purchase_order(number):
    """Email the purchase order to the supplier. The draft → sent flip is a conditional
    update that holds the row until commit, so two senders cannot both send it; the mail
    goes before commit, so a failed send leaves the order a draft to retry. (A crash between
    the send and the commit can send it twice: better than an order the supplier never got.)"""
    from .emails import purchase_order_email

    with transaction.atomic():
        po = get_purchase_order(number)
        claimed = PurchaseOrder.objects.filter(pk=po.pk, status=PurchaseOrder.Status.DRAFT).update(
            status=PurchaseOrder.Status.SENT, sent_at=clock.now()
        )
        if not claimed:
            if po.status == PurchaseOrder.Status.DRAFT:
                return po
            raise Conflict.one(f"Purchase order {po.number} was already sent ({po.get_status_display()}).", code="already_sent")
        po.refresh_from_db()
        purchase_order_email(po).send()
        return po


def receive_purchase_order(number, quantities, user=None, allow_over=False):
    """Goods in against a purchase order: `quantities` maps SKU to units received. Stock in
    through the ledger; the units fill the backorders pegged to the line first, then other
    waiting orders of the product; the rest is free stock. Receiving more than ordered is
    refused unless `allow_over`. For a dropship order the supplier's delivery to the
    customer is recorded as that order's shipment instead."""
    with transaction.atomic():
        po = get_purchase_order(number, lock=True)
        if po.status in (PurchaseOrder.Status.DRAFT, PurchaseOrder.Status.CANCELLED, PurchaseOrder.Status.RECEIVED):
            raise Conflict.one(f"Purchase order {po.number} is {po.get_status_display()}; nothing can be received against it.", code="bad_status")
        lines, problems = _lines_by_sku(po, quantities)
        for index, (sku, units) in enumerate(quantities.items()):
            line = lines.get(sku)
            where = {"line": index, "sku": sku}
            if line is None:
                continue
            if not isinstance(units, int) or units <= 0:
                problems.append(Problem(f"Line {index} (SKU {sku}): quantity must be at least 1.", field="quantity", **where))
            elif line.received + units > line.quantity and not allow_over:
                problems.append(Problem(
                    f"Line {index} (SKU {sku}): {units} would exceed the {line.outstanding} still outstanding "
                    f"of {line.quantity} ordered.", field="quantity", code="over_receipt", **where,
                ))
        if problems:
            raise InvalidInput(sorted(problems, key=lambda problem: problem.line))
        received = [lines[sku] for sku in quantities]
        now = clock.now()
        for sku, units in quantities.items():
            line = lines[sku]
            line.received += units
            line.late = line.late and line.received < line.quantity
            if line.received >= line.quantity and line.received_at is None:
                line.received_at = now
        PurchaseOrderLine.objects.bulk_update(received, ["received", "late", "received_at"])
        if po.dropship_order_id:
            # The supplier shipped straight to the customer: a shipment, not stock.
            orders.record_dropship_shipment(po.dropship_order.number, quantities, user=user)
        else:
            orders.change_stock(
                [StockChange(sku, units, "receipt", f"purchase order {po.number}") for sku, units in quantities.items()],
                user=user, reference=po.number, fill_first=[line.pk for line in received],
            )
        complete = all(line.received >= line.quantity for line in lines.values())
        po.status = PurchaseOrder.Status.RECEIVED if complete else PurchaseOrder.Status.PARTIALLY_RECEIVED
        po.save(update_fields=["status"])
        return po


def shrink_draft_lines(line_ids):
    """Backorders on these lines were cancelled: a line of a draft purchase order shrinks to
    what its still-pegged backorders need (rounded as ordered); a line nobody needs goes, and
    so does a draft left empty. Sent orders are left alone: their surplus goes to stock."""
    lines = list(
        PurchaseOrderLine.objects.select_for_update(of=("self",))
        .select_related("purchase_order")
        .filter(pk__in=set(line_ids), purchase_order__status=PurchaseOrder.Status.DRAFT)
    )
    if not lines:
        return
    need = _pegged_need(lines)
    items = {
        (item.supplier_id, item.product_id): item
        for item in SupplierItem.objects.filter(product__in=[line.product_id for line in lines])
    }
    gone, smaller = [], []
    for line in lines:
        units = need.get(line.pk, 0)
        item = items.get((line.purchase_order.supplier_id, line.product_id))
        if not units:
            gone.append(line.pk)
        elif item and round_up(units, item) < line.quantity:
            line.quantity = round_up(units, item)
            smaller.append(line)
    PurchaseOrderLine.objects.bulk_update(smaller, ["quantity"])
    PurchaseOrderLine.objects.filter(pk__in=gone).delete()
    PurchaseOrder.objects.filter(
        pk__in={line.purchase_order_id for line in lines}, status=PurchaseOrder.Status.DRAFT, lines__isnull=True
    ).delete()


def cancel_purchase_order(number):
    """Cancel a purchase order nothing has been received on. Its waiting backorders are
    un-pegged: open again, with the ETA a new purchase order would give, so the next batch
    run orders them afresh."""
    with transaction.atomic():
        po = get_purchase_order(number, lock=True)
        if po.status in (PurchaseOrder.Status.CANCELLED, PurchaseOrder.Status.RECEIVED, PurchaseOrder.Status.PARTIALLY_RECEIVED):
            raise Conflict.one(
                f"Purchase order {po.number} is {po.get_status_display()}; only orders with nothing received can be cancelled.",
                code="bad_status",
            )
        pegged = Backorder.objects.filter(po_line__purchase_order=po, status=Backorder.Status.ON_ORDER)
        etas = unpegged_etas(set(pegged.values_list("product_id", flat=True)))
        moved = []
        for product_id, eta in etas.items():
            moved += set_etas(
                pegged.filter(product_id=product_id), Value(eta, output_field=DateField()), EtaChange.Cause.UNPEGGED,
                po_line=None, status=Backorder.Status.OPEN,
            )
        po.status = PurchaseOrder.Status.CANCELLED
        po.save(update_fields=["status"])
        _announce(moved, EtaChange.Cause.UNPEGGED)
        return po
