"""A purchase order's life after the batch drafted it: sent to the supplier, confirmed or
re-dated, late, cancelled.

Rules:
- Sending flips draft → sent with a conditional update held until commit, so two senders
  cannot both send; the mail goes before commit, so a failed send leaves a draft to retry.
- A confirmation or re-date moves the ETA of every backorder pegged to the line
  (dates.customer_date), with history, in bulk; a re-dated line is no longer late.
- A late line (dates.late_lines) moves its backorders' ETA to dates.late_line_date until the
  supplier gives a date (a beat job, safe to run twice).
- Only an order nothing was received on can be cancelled; its waiting backorders are
  un-pegged with the ETA a new purchase order would give, so the next batch orders them.
- Until it is sent, purchasing may change a draft's lines (`change_draft`): a quantity, never
  below the units pegged waiting customers still need (the rest is for stock); the date asked,
  not before today, the pegged customers' ETAs following; a line removed, unless customers
  wait on it, and never the last (cancel the order instead). Under the batch's lock, so a
  batch run and an edit take turns; every problem named at once, nothing changed.
- Units a count took back from a backorder filled while pegged (`repeg_taken_back`) wait on
  that line again only while it can still bring them: its order still to come and its
  outstanding units covering what its pegged customers wait for, oldest first; any other is
  un-pegged like a cancelled order's, so the next batch orders it afresh.
- Every ETA move is announced (signals.etas_changed) inside its transaction."""

import logging
from collections import defaultdict

from django.db import transaction
from django.db.models import DateField, Value

from kernel import clock
from kernel.errors import Conflict, NotFound, Problem, refuse
from kernel.locks import advisory_lock
from kernel.parsers import match_keys
from orders.allocation import FILL_ORDER
from orders.etas import set_etas
from orders.models import Backorder, EtaChange

from . import dates, drafts
from .models import PurchaseOrder, PurchaseOrderLine
from .pegging import pegged_need, pegged_to, unpegged_etas
from .signals import announce

log = logging.getLogger(__name__)


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
    each line's expected date gives. Two statements per distinct date, whatever the number
    of backorders: the date is a constant, not a subquery per backorder row."""
    if eta:
        by_date = {eta: list(lines)}
    else:
        by_date = defaultdict(list)
        for pk, date in PurchaseOrderLine.objects.filter(pk__in=[line.pk for line in lines]).values_list(
            "pk", dates.customer_date()
        ):
            by_date[date].append(pk)
    moved = []
    for date, date_lines in by_date.items():
        moved += set_etas(pegged_to(date_lines), Value(date, output_field=DateField()), cause)
    announce(moved, cause)
    return moved


def lines_by_sku(po, skus):
    """The purchase order's lines by SKU as asked (in any case), a problem for each asked SKU it
    lacks, and all its lines."""
    every = list(po.lines.select_related("product"))
    lines = match_keys(skus, {line.product.sku: line for line in every})
    problems = [
        Problem(
            f"Line {index + 1}: purchase order {po.number} has no line for SKU {sku}.",
            field="sku",
            line=index,
            sku=sku,
            code="unknown_sku",
        )
        for index, sku in enumerate(skus)
        if sku not in lines
    ]
    return lines, problems, every


def confirm_purchase_order(number, dates, was=None):
    """The supplier confirms (or re-dates) lines: `dates` maps SKU to its expected date.
    Pegged backorders' ETAs follow in bulk; a re-dated line is no longer late. `was` (SKU to
    the date the form showed) makes it a compare-and-set: a line whose date changed meanwhile
    (the supplier answered through its link) refuses the whole change."""
    with transaction.atomic():
        po = get_purchase_order(number, lock=True)
        confirmable(po)
        lines, unknown, _every = lines_by_sku(po, dates)
        refuse(unknown=unknown)
        stale = [
            Problem(
                f"{po.number}, SKU {sku}: the expected date changed meanwhile to {lines[sku].expected_date} "
                f"(it was {was[sku]} when the form opened); nothing was changed, please look again.",
                field="expected_date",
                sku=sku,
                code="changed_meanwhile",
            )
            for sku in dates
            if was and sku in was and lines[sku].expected_date != was[sku]
        ]
        if stale:
            raise Conflict(stale)
        record_dates(po, {lines[sku]: expected for sku, expected in dates.items()})
        return po


def confirmable(po):
    """Only an order the supplier has and that still waits for goods takes dates."""
    if po.status in (PurchaseOrder.Status.DRAFT, PurchaseOrder.Status.CANCELLED, PurchaseOrder.Status.RECEIVED):
        raise Conflict.one(
            f"Purchase order {po.number} is {po.get_status_display()}; only sent orders can be confirmed.",
            code="bad_status",
        )


def record_dates(po, dates):
    """The one re-date event, whoever types it (purchasing in admin or the API, the supplier
    through its link): `dates` maps each (locked) line of `po` to its new expected date; a
    sent order becomes confirmed; the pegged backorders' ETAs follow and are announced.
    Returns the ids of the backorders whose ETA moved."""
    confirmable(po)
    changed = []
    for line, expected in dates.items():
        line.expected_date, line.late = expected, False
        changed.append(line)
    PurchaseOrderLine.objects.bulk_update(changed, ["expected_date", "late"])
    if po.status == PurchaseOrder.Status.SENT:
        po.status, po.confirmed_at = PurchaseOrder.Status.CONFIRMED, clock.now()
        po.save(update_fields=["status", "confirmed_at"])
    return _move_etas(changed, EtaChange.Cause.REDATED) if changed else []


def unpeg(backorders):
    """Take these pegged backorders off their purchase order: open again, with the date a new
    purchase order would give, so the next batch run orders them afresh. Announced."""
    etas = unpegged_etas(set(backorders.values_list("product_id", flat=True)))
    moved = []
    for product_id, eta in etas.items():
        moved += set_etas(
            backorders.filter(product_id=product_id),
            Value(eta, output_field=DateField()),
            EtaChange.Cause.UNPEGGED,
            po_line=None,
            status=Backorder.Status.OPEN,
        )
    announce(moved, EtaChange.Cause.UNPEGGED)
    return moved


def repeg_taken_back(backorder_ids):
    """orders.hooks.fills_taken_back: these backorders, open again, back on the line they were
    pegged to where it can still bring their units, with its date; off it otherwise (unpeg)."""
    reopened = list(
        Backorder.objects.filter(pk__in=backorder_ids, po_line__isnull=False)
        .select_related("po_line__purchase_order")
        .order_by(*FILL_ORDER)
    )
    if not reopened:
        return
    lines = {backorder.po_line_id: backorder.po_line for backorder in reopened}
    need = pegged_need(lines.values())
    to_come = (PurchaseOrder.Status.DRAFT, *PurchaseOrder.RECEIVABLE)
    free = {
        pk: (line.outstanding if line.purchase_order.status in to_come else 0) - need.get(pk, 0)
        for pk, line in lines.items()
    }
    stay, leave = [], []
    for backorder in reopened:
        if free[backorder.po_line_id] >= backorder.waiting:
            free[backorder.po_line_id] -= backorder.waiting
            stay.append(backorder.pk)
        else:
            leave.append(backorder.pk)
    if stay:
        moved = set_etas(
            Backorder.objects.filter(pk__in=stay),
            dates.line_customer_date(),
            EtaChange.Cause.PURCHASE_ORDER,
            status=Backorder.Status.ON_ORDER,
        )
        announce(moved, EtaChange.Cause.PURCHASE_ORDER)
    if leave:
        unpeg(Backorder.objects.filter(pk__in=leave))


def change_draft(number, changes, removed=()):
    """Change a draft's lines before it is sent: `changes` maps SKU to {"quantity": units,
    "expected_date": date} (either or both), `removed` lists SKUs to take off. Returns the
    draft. Raises Conflict when it was sent meanwhile or a change would leave customers short."""
    with transaction.atomic():
        drafts.lock_drafts()
        po = get_purchase_order(number, lock=True)
        if po.status != PurchaseOrder.Status.DRAFT:
            raise Conflict.one(
                f"Purchase order {po.number} is {po.get_status_display()}; only a draft's lines can change.",
                code="bad_status",
            )
        asked = [*changes, *removed]
        lines, unknown, every = lines_by_sku(po, asked)
        refuse(unknown=unknown)
        need = pegged_need(every)
        today = clock.today()
        invalid, conflicting, changed, redated = [], [], [], []
        for index, sku in enumerate(asked):
            line = lines[sku]
            pegged = need.get(line.pk, 0)
            if sku in removed:
                if pegged:
                    conflicting.append(
                        Problem(
                            f"SKU {line.product.sku}: {pegged} units are for waiting customers; lower it to them instead.",
                            field="remove",
                            line=index,
                            sku=line.product.sku,
                            code="customers_waiting",
                        )
                    )
                continue
            quantity = changes[sku].get("quantity")
            if quantity is not None and quantity < max(pegged, 1):
                conflicting.append(
                    Problem(
                        f"SKU {line.product.sku}: at least {max(pegged, 1)} units (waiting customers need {pegged}).",
                        field="quantity",
                        line=index,
                        sku=line.product.sku,
                        code="below_waiting",
                    )
                )
            expected = changes[sku].get("expected_date")
            if expected is not None and expected < today:
                invalid.append(
                    Problem(
                        f"SKU {line.product.sku}: the date asked cannot be before today.",
                        field="expected_date",
                        line=index,
                        sku=line.product.sku,
                        code="past_date",
                    )
                )
            if quantity is not None:
                line.quantity, line.stock_units = quantity, quantity - pegged
            if expected is not None and expected != line.expected_date:
                line.expected_date = line.first_expected_date = expected
                redated.append(line)
            changed.append(line)
        gone = [lines[sku] for sku in removed]
        if gone and len(gone) == len(every):
            conflicting.append(
                Problem(
                    f"Purchase order {po.number} would have no lines left; cancel it instead.",
                    field="remove",
                    code="no_lines_left",
                )
            )
        refuse(invalid=invalid, conflicting=conflicting)
        PurchaseOrderLine.objects.bulk_update(
            changed, ["quantity", "stock_units", "expected_date", "first_expected_date"]
        )
        PurchaseOrderLine.objects.filter(pk__in=[line.pk for line in gone]).delete()
        if redated:
            _move_etas(redated, EtaChange.Cause.PURCHASE_ORDER)  # the date asked, not the supplier's
        return po


def mark_late_lines():
    """Beat job: lines past their expected date and not fully received are late; their
    backorders' ETA moves to today + the grace days until the supplier gives a date.
    Safe to run twice: a line already late only moves ETAs that are earlier than that."""
    with transaction.atomic():
        advisory_lock("purchasing.mark_late_lines")
        today = clock.today()
        grace = dates.late_line_date(today)
        lines = list(PurchaseOrderLine.objects.select_for_update().filter(dates.late_lines(today)))
        newly_late = [line for line in lines if not line.late]
        for line in newly_late:
            line.late = True
        PurchaseOrderLine.objects.bulk_update(newly_late, ["late"])
        moved = _move_etas(lines, EtaChange.Cause.LATE, eta=grace) if lines else []
        return {"late_lines": len(lines), "newly_late": len(newly_late), "backorders_moved": len(moved)}


def auto_send_drafts():
    """Ids of the drafts whose supplier takes purchase orders automatically, oldest first:
    each should be on its way to the supplier."""
    return list(
        PurchaseOrder.objects.filter(status=PurchaseOrder.Status.DRAFT, supplier__auto_send=True)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)
    )


def send_auto_purchase_orders():
    """Beat sweep: send every auto-send draft still waiting (its batch run could not queue the
    send, or the mail server refused it). Each send claims its order, so a send running
    at the same time sends nothing twice. Returns how many went and how many failed."""
    counts = {"sent": 0, "failed": 0}
    for number in PurchaseOrder.objects.filter(pk__in=auto_send_drafts()).values_list("number", flat=True):
        try:
            send_purchase_order(number)
            counts["sent"] += 1
        except Conflict:
            pass  # sent meanwhile
        except OSError as error:  # the mail server: the next sweep tries again
            log.warning("Sending purchase order %s failed: %s", number, error)
            counts["failed"] += 1
    return counts


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
            raise Conflict.one(
                f"Purchase order {po.number} was already sent ({po.get_status_display()}).", code="already_sent"
            )
        po.refresh_from_db()
        purchase_order_email(po).send()
        return po


def cancel_purchase_order(number):
    """Cancel a purchase order nothing has been received on. Its waiting backorders are
    un-pegged: open again, with the ETA a new purchase order would give, so the next batch
    run orders them afresh."""
    with transaction.atomic():
        po = get_purchase_order(number, lock=True)
        if po.status in (
            PurchaseOrder.Status.CANCELLED,
            PurchaseOrder.Status.RECEIVED,
            PurchaseOrder.Status.PARTIALLY_RECEIVED,
        ):
            raise Conflict.one(
                f"Purchase order {po.number} is {po.get_status_display()}; only orders with nothing received can be cancelled.",
                code="bad_status",
            )
        unpeg(pegged_to(purchase_orders=[po]))
        po.status = PurchaseOrder.Status.CANCELLED
        po.save(update_fields=["status"])
        return po
