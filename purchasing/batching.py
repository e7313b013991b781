"""Batching: backorders become supplier purchase orders.

Rules:
- Backorders collect per preferred supplier until its quota is met (the value of what would
  be ordered reaches its minimum order value) or the oldest has waited max_wait_hours; a
  supplier with a draft gets it topped up instead of a second draft (one stock draft per
  supplier, a database constraint).
- Quantities are the supplier item's order quantity (minimum, then whole packs) of what
  the pegged backorders need; a line is refitted after pegging, so an order placed between
  the totals and the pegging is ordered too.
- Dropship products are never stocked: one purchase order per customer order and supplier,
  never batched with stock orders.
- After commit, every draft of an auto-send supplier is sent, not only the ones this run
  created: one a run created while the broker was down goes out with the next run (or
  the beat sweep, lifecycle.send_auto_purchase_orders), never stays a draft.
- Lines carry stock units the reorder review added (not pegged to anyone): a top-up and a
  refit keep them. With the reorder policy's switch on, a run adds the review's suggestions itself.
- One run at a time (an advisory lock); a second run finds nothing left unpegged, so the job
  is safe to run twice or on two workers at once. Each run is recorded (BatchRun)."""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Min

from kernel import clock
from kernel.queue import enqueue_after_commit
from orders.models import Backorder, EtaChange, Order

from . import drafts
from .lifecycle import auto_send_drafts
from .models import BatchRun, PurchaseOrderLine, ReorderPolicy, SupplierItem
from .pegging import peg_to_lines, pegged_need
from .reorder import add_to_drafts
from .selectors import without_supplier
from .signals import announce


@dataclass
class Candidate:
    """Unpegged waiting units of one product for its preferred supplier."""

    item: SupplierItem
    units: int
    oldest: datetime.datetime


def _candidates(today):
    rows = (
        Backorder.objects.not_ordered()
        .filter(product__dropship=False, product__supplier_items__preferred=True)
        .units_waiting_by("product_id", item_id=F("product__supplier_items__id"))
        .annotate(oldest=Min("created_at"))
    )
    rows = list(rows)
    items = drafts.items_ordered_on(today).in_bulk([row["item_id"] for row in rows])
    by_supplier = defaultdict(list)
    for row in rows:
        item = items[row["item_id"]]
        by_supplier[item.supplier].append(Candidate(item, row["units"], row["oldest"]))
    return by_supplier


def batch_backorders(trigger="manual"):
    """For each supplier, collect the open backorders not yet on a purchase order whose
    preferred supplier it is; order them once the quota is met (value >= minimum order
    value) or the oldest has waited max_wait_hours, topping up the supplier's draft instead
    of opening a second. Safe to run twice and concurrently: one run at a time holds the
    lock, and a second finds nothing left unpegged."""
    with transaction.atomic():
        drafts.lock_drafts()
        started = clock.now()
        today = clock.today()
        waiting, pegs = [], []  # pegs: (purchase order line, supplier item)
        stock_drafts = drafts.stock_drafts()
        draft_lines = drafts.lines_of(stock_drafts.values())
        need = pegged_need(draft_lines.values())
        released = []
        for supplier, candidates in _candidates(today).items():
            value = sum(c.item.order_quantity(c.units) * c.item.unit_cost for c in candidates)
            oldest = min(c.oldest for c in candidates)
            due = started - datetime.timedelta(hours=supplier.max_wait_hours)
            if supplier.pk not in stock_drafts and value < supplier.min_order_value and oldest > due:
                waiting.append({"supplier": supplier.code, "value": str(value), "oldest": oldest.isoformat()})
            else:
                released.append((supplier, candidates))
        topped_up = [stock_drafts[supplier.pk] for supplier, _ in released if supplier.pk in stock_drafts]
        created = drafts.add_stock_drafts(stock_drafts, [supplier for supplier, _ in released], started)
        new_lines, changed_lines = [], []
        for supplier, candidates in released:
            draft = stock_drafts[supplier.pk]
            for c in candidates:
                line = draft_lines.get((draft.pk, c.item.product_id))
                if line is None:
                    line = drafts.new_line(draft, c.item, drafts.line_quantity(c.item, c.units))
                    new_lines.append(line)
                else:
                    line.quantity = drafts.line_quantity(c.item, need.get(line.pk, 0) + c.units, line.stock_units)
                    changed_lines.append(line)
                pegs.append((line, c.item))
        PurchaseOrderLine.objects.bulk_create(new_lines)
        PurchaseOrderLine.objects.bulk_update(changed_lines, ["quantity"])
        moved, pegged = peg_to_lines([line.pk for line, _ in pegs])
        _fit_lines(pegs, pegged, need)
        dropships = _dropship_purchase_orders(started, today)
        # The policy may have the batch order ahead for stock too (the reorder review's suggestions).
        stocked = add_to_drafts() if ReorderPolicy.current().add_to_batch else {}
        result = {
            "created": [po.number for po in created] + [po.number for po in dropships],
            "topped_up": sorted({po.number for po in topped_up}),
            "units_pegged": sum(pegged.values()),
            "stocked": {number: [list(pair) for pair in added] for number, added in stocked.items()},
            "waiting_for_quota": waiting,
            **_without_supplier(),
        }
        BatchRun.objects.create(started_at=started, finished_at=clock.now(), trigger=trigger, result=result)
        from .tasks import send_purchase_order  # tasks import this module

        for po_id in auto_send_drafts():
            enqueue_after_commit(send_purchase_order, po_id)
        announce(moved, EtaChange.Cause.PURCHASE_ORDER)
        return result


def _without_supplier():
    """The backorders nobody can order, and their SKUs (most units waiting first), for purchasing."""
    rows = without_supplier()
    return {
        "without_supplier": sum(row["backorders"] for row in rows),
        "without_supplier_skus": [row["product__sku"] for row in rows],
    }


def _fit_lines(pegs, pegged, pegged_before):
    """Each line orders what its backorders really need, rounded: an order placed between
    the totals and the pegging is pegged too, and its units must be on the line."""
    wrong = []
    for line, item in pegs:
        quantity = drafts.line_quantity(item, pegged_before.get(line.pk, 0) + pegged.get(line.pk, 0), line.stock_units)
        if quantity != line.quantity:
            line.quantity = quantity
            wrong.append(line)
    PurchaseOrderLine.objects.bulk_update(wrong, ["quantity"])


def _dropship_purchase_orders(now, today):
    """Dropship products are never stocked: one purchase order per customer order and
    supplier, sent on at once, never batched with stock orders."""
    rows = list(
        Backorder.objects.not_ordered()
        .filter(product__dropship=True, product__supplier_items__preferred=True)
        .units_waiting_by("order_id", "product_id", item_id=F("product__supplier_items__id"))
        .order_by("order_id", "product_id")
    )
    if not rows:
        return []
    items = drafts.items_ordered_on(today).in_bulk([row["item_id"] for row in rows])
    order_rows = Order.objects.in_bulk({row["order_id"] for row in rows})
    pairs = list(dict.fromkeys((items[row["item_id"]].supplier, order_rows[row["order_id"]]) for row in rows))
    created = dict(
        zip([(supplier.pk, order.pk) for supplier, order in pairs], drafts.new_purchase_orders(pairs, now), strict=True)
    )
    lines = []
    for row in rows:
        item = items[row["item_id"]]
        po = created[(item.supplier_id, row["order_id"])]
        lines.append((drafts.new_line(po, item, drafts.line_quantity(item, row["units"])), item))
    PurchaseOrderLine.objects.bulk_create([line for line, _ in lines])
    moved, pegged = peg_to_lines([line.pk for line, _ in lines], same_order=True)
    _fit_lines(lines, pegged, {})
    announce(moved, EtaChange.Cause.PURCHASE_ORDER)
    return list(created.values())
