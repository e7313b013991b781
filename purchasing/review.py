"""ETA review: every morning each waiting backorder's date is held against the earliest date
its goods can now arrive, and moved *before* it passes. The promise has to stay true as days
pass, not only at the event that made it.

Rules:
- The earliest date a backorder's goods can arrive:
  - on a line of a purchase order the supplier has (sent, confirmed, partly received): the
    customer's date that line gives (dates.customer_date; a late line is mark_late_lines'
    to move, to dates.late_line_date);
  - not yet on a purchase order: dates.open_backorder_date with the preferred supplier's
    item (the day the batch orders it at the latest + lead time + handling + lateness pad), as a new
    backorder is told; on a draft line the same with the window closed (it can go today);
  - for a product without a supplier: today + the default lead time (orders.hooks.default_eta),
    but only once its date comes within the horizon: nobody is ordering it, so "earliest" moves
    every day, and following it would move the date (and tell the customer) every morning. It
    moves once, to a date that can be kept, and stays there until that date itself comes near.
- A date earlier than that moves to it: cause `overdue` when the date has passed, `review`
  otherwise. A date is never moved earlier here (the supplier's confirmation does that).
- Any date within the review horizon (ETA_REVIEW_HORIZON_DAYS, default 2) with no goods arriving
  by then (not on a line the supplier has, due by that date) moves past the horizon, to the
  earliest date or the day after the horizon, whichever is later.
- Customers are told by the message rules, which always re-tell a date about to pass.
Set-based: a bounded number of statements whatever the number of backorders. One
transaction under an advisory lock; a second run, or a concurrent one, finds nothing to move."""

import datetime
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import DateField, F, Q, Value
from django.db.models.functions import Greatest

from kernel import clock
from kernel.locks import advisory_lock
from orders.etas import set_etas
from orders.hooks import default_eta
from orders.models import Backorder, EtaChange

from . import dates
from .models import PurchaseOrder
from .pegging import preferred_items
from .record import refresh_learned_lateness
from .signals import announce


def _date(value):
    return Value(value, output_field=DateField())


def _move(backorders, earliest, today):
    """Give the backorders whose date is earlier than `earliest` that date; the cause says
    whether their date had passed. Returns the ids moved."""
    moved = []
    later = backorders.alias(earliest=earliest).filter(earliest__gt=F("eta"))
    for cause, when in ((EtaChange.Cause.OVERDUE, Q(eta__lt=today)), (EtaChange.Cause.REVIEW, Q(eta__gte=today))):
        ids = set_etas(later.filter(when), earliest, cause)
        announce(ids, cause)
        moved += ids
    return moved


def review_etas():
    """The morning review (beat, after mark_late_lines). Returns what it moved."""
    with transaction.atomic():
        advisory_lock("purchasing.review_etas")
        refresh_learned_lateness()
        today = clock.today()
        past_horizon = today + datetime.timedelta(days=settings.ETA_REVIEW_HORIZON_DAYS + 1)
        moved = []

        # With the supplier: the line's date (late lines are mark_late_lines' to move).
        with_supplier = Backorder.objects.filter(
            status=Backorder.Status.ON_ORDER,
            po_line__purchase_order__status__in=PurchaseOrder.RECEIVABLE,
        )
        moved += _move(with_supplier, dates.line_customer_date(), today)

        # Not ordered yet: waiting for the quota, or on a draft nobody sent.
        unpegged = Backorder.objects.filter(status=Backorder.Status.OPEN)
        on_draft = Backorder.objects.filter(
            status=Backorder.Status.ON_ORDER, po_line__purchase_order__status=PurchaseOrder.Status.DRAFT
        )
        product_ids = set(unpegged.values_list("product_id", flat=True)) | set(
            on_draft.values_list("product_id", flat=True)
        )
        groups = defaultdict(list)  # (wait days, lead days) -> products
        supplied = set()
        items = preferred_items(product_ids).values_list(
            "product_id", dates.batch_window_days(), dates.customer_lead_days()
        )
        for product_id, wait_days, lead_days in items:
            groups[(wait_days, lead_days)].append(product_id)
            supplied.add(product_id)
        for (wait_days, lead_days), products in groups.items():
            # On a draft: it can go today, as if its window had closed.
            for backorders, wait in ((unpegged, wait_days), (on_draft, 0)):
                earliest = dates.open_backorder_date(today, wait, lead_days)
                moved += _review(backorders.filter(product_id__in=products), earliest, today, past_horizon)
        without = product_ids - supplied
        if without:
            moved += _review(
                unpegged.filter(product_id__in=without), _date(default_eta()), today, past_horizon, only_within=True
            )
        return {"backorders_moved": len(moved)}


def _review(backorders, earliest, today, past_horizon, only_within=False):
    """Nothing ordered arrives by the horizon: a date within it moves past it too.
    `only_within`: dates beyond the horizon stay (no supplier: see the module's rules)."""
    within = Q(eta__lt=past_horizon)
    beyond = [] if only_within else _move(backorders.exclude(within), earliest, today)
    return beyond + _move(backorders.filter(within), Greatest(earliest, _date(past_horizon)), today)
