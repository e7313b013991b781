"""ETA review: every morning each waiting backorder's date is held against the earliest date
its goods can now arrive, and moved *before* it passes. The promise has to stay true as days
pass, not only at the event that made it.

Rules:
- The earliest date a backorder's goods can arrive:
  - on a line of a purchase order the supplier has (sent, confirmed, partly received): the
    line's expected date + handling days + the supplier's learned lateness (a line past its
    date is late, and mark_late_lines gives its customers today + the grace days);
  - on a draft line, or not yet on a purchase order: the day the batch orders it at the latest
    (created + the supplier's wait window, or today if that has passed) + lead time + learned
    lateness, as a new backorder is told (pegging.unpegged_etas);
  - for a product without a supplier: today + the default lead time.
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
from django.db.models.functions import Greatest, TruncDate

from kernel import clock
from kernel.locks import advisory_lock
from kernel.sql import AddDays
from orders.etas import set_etas
from orders.models import Backorder, EtaChange

from .models import PurchaseOrder
from .pegging import line_customer_date, preferred_items
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
            status=Backorder.Status.ON_ORDER, po_line__purchase_order__status__in=PurchaseOrder.RECEIVABLE,
        )
        moved += _move(with_supplier, line_customer_date(), today)

        # Not ordered yet: waiting for the quota, or on a draft nobody sent.
        unpegged = Backorder.objects.filter(status=Backorder.Status.OPEN)
        on_draft = Backorder.objects.filter(status=Backorder.Status.ON_ORDER, po_line__purchase_order__status=PurchaseOrder.Status.DRAFT)
        product_ids = set(unpegged.values_list("product_id", flat=True)) | set(on_draft.values_list("product_id", flat=True))
        groups = defaultdict(list)  # (wait days, lead days) -> products
        supplied = set()
        for item in preferred_items(product_ids):
            groups[(item.wait_days, item.lead_days)].append(item.product_id)
            supplied.add(item.product_id)
        for (wait_days, lead_days), products in groups.items():
            for backorders, wait in ((unpegged, wait_days), (on_draft, 0)):
                ordered_by = Greatest(_date(today), AddDays(TruncDate("created_at"), wait))
                moved += _review(backorders.filter(product_id__in=products), AddDays(ordered_by, lead_days), today, past_horizon)
        without = product_ids - supplied
        if without:
            default = today + datetime.timedelta(days=settings.BACKORDER_DEFAULT_LEAD_TIME_DAYS)
            moved += _review(unpegged.filter(product_id__in=without), _date(default), today, past_horizon)
        return {"backorders_moved": len(moved)}


def _review(backorders, earliest, today, past_horizon):
    """Nothing ordered arrives by the horizon: a date within it moves past it too."""
    within = Q(eta__lt=past_horizon)
    return (
        _move(backorders.exclude(within), earliest, today)
        + _move(backorders.filter(within), Greatest(earliest, _date(past_horizon)), today)
    )
