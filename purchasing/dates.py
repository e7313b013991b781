"""Purchasing's date rules, each stated once, here, as an ORM expression: the database works a
rule out in the query that reads the rows (Python reads the answer as an annotation), and a
hand-written statement that needs one (pegging's UPDATE … FROM) compiles it from here
(kernel.sql.compiled), never writes it again as SQL text.

Rules:
- A supplier item's lead time is its own where it has one, else its supplier's (`lead_time`;
  for a purchase order line, its supplier's item of the line's product: `line_lead_time`).
- Learned lateness pads: a supplier that pads its customers' dates with its learned lateness
  (record.py learns it, the supplier page switches it) adds it to every date it gives them;
  one that does not adds nothing (`lateness_pad`).
- A customer's date from a purchase order line: the line's expected date + the handling days
  (PURCHASING_HANDLING_DAYS) + its supplier's lateness pad (`customer_date`).
- Goods ordered on a day arrive the lead time later; nothing is ordered before today
  (`arrival`). So:
  - a new purchase order line asks for today + the item's lead time (`new_line_date`);
  - a backorder not yet on a purchase order is ordered when its supplier's batching window
    (the maximum wait in whole days, `batch_window_days`) closes, or today if that has
    passed, and its customer is told the date that line will give: arrival + handling days
    + pad (`open_backorder_date`; a new backorder's date is the same with the window starting
    today), so being put on the line moves no date later;
  - the goods of a draft nobody sent arrive at the earliest the item's lead time after today,
    never before the line's date (`draft_arrival`).
- A line past its expected date, not fully received, on a purchase order the supplier has is
  late (`late_lines`); until the supplier names a new date its goods are expected, and its
  customers told, today + the grace days (PURCHASING_LATE_GRACE_DAYS, `late_line_date`).
- A supplier is on time with a line it delivered in full by the date first asked for
  (`received_on_time`), counted over the last ON_TIME_WINDOW_DAYS: the supplier page and the
  dashboard show that rate, and the learned lateness is measured over the same window.
- Working days are Monday to Friday (`add_working_days`: a supplier's confirmation window)."""

import datetime

from django.conf import settings
from django.db.models import Case, DateField, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest, TruncDate

from kernel.sql import AddDays

from .models import PurchaseOrder, PurchaseOrderLine, SupplierItem

ON_TIME_WINDOW_DAYS = 90


def _date(value):
    return Value(value, output_field=DateField())


def lead_time(own=None, supplier=None):
    """A supplier item's lead time in days: `own` (the item's, may be null), else `supplier`'s;
    by default for a SupplierItem row."""
    own = F("lead_time_days") if own is None else own
    return Coalesce(own, F("supplier__lead_time_days") if supplier is None else supplier)


def line_lead_time():
    """For a PurchaseOrderLine row: the lead time of its supplier's item of its product."""
    own = SupplierItem.objects.filter(
        supplier=OuterRef("purchase_order__supplier"), product=OuterRef("product")
    ).order_by()
    return lead_time(Subquery(own.values("lead_time_days")[:1]), F("purchase_order__supplier__lead_time_days"))


def lateness_pad(supplier):
    """The days a supplier's learned lateness adds to its customers' dates; `supplier` is the
    path to the Supplier from the row."""
    return Case(
        When(**{f"{supplier}__pad_with_lateness": True}, then=F(f"{supplier}__learned_lateness_days")),
        default=Value(0),
    )


def customer_date():
    """For a PurchaseOrderLine row: the date its waiting customers are told."""
    pad = lateness_pad("purchase_order__supplier")
    return AddDays(F("expected_date"), pad + settings.PURCHASING_HANDLING_DAYS)


def line_customer_date(line_ref="po_line_id"):
    """For a Backorder row: the date its purchase order line gives (a subquery)."""
    line = PurchaseOrderLine.objects.filter(pk=OuterRef(line_ref)).order_by()
    return Subquery(line.annotate(eta=customer_date()).values("eta"))


def batch_window_days():
    """For a SupplierItem row: its supplier's batching window in whole days, the maximum wait
    in hours rounded up."""
    return (F("supplier__max_wait_hours") + 23) / 24


def arrival(today, lead_days, ordered_on=None):
    """When goods ordered on `ordered_on` (an expression; today when None, and never before
    today) arrive: `lead_days` (days or an expression) later."""
    ordered = _date(today) if ordered_on is None else Greatest(_date(today), ordered_on)
    return AddDays(ordered, lead_days)


def new_line_date(today):
    """For a SupplierItem row: the expected date of a purchase order line ordered today."""
    return arrival(today, lead_time())


def customer_lead_days():
    """For a SupplierItem row: the days from ordering to a customer's date: its lead time, the
    handling days and its supplier's lateness pad, as `customer_date` counts from the line."""
    return lead_time() + lateness_pad("supplier") + settings.PURCHASING_HANDLING_DAYS


def open_backorder_date(today, wait_days, lead_days, created=None):
    """The date of a backorder not yet on a purchase order: ordered once the batching window
    (`wait_days`) from `created` (by default the Backorder row's day) has passed, then
    `lead_days` (customer_lead_days) to arrive."""
    created = TruncDate("created_at") if created is None else created
    return arrival(today, lead_days, ordered_on=AddDays(created, wait_days))


def new_backorder_date(today):
    """For a SupplierItem row: the date a backorder created today is told."""
    return open_backorder_date(today, batch_window_days(), customer_lead_days(), created=_date(today))


def draft_arrival(today):
    """For a PurchaseOrderLine row on a draft: when its goods can arrive at the earliest."""
    return Greatest(F("expected_date"), arrival(today, line_lead_time()))


def late_lines(today):
    """PurchaseOrderLine rows that are late today."""
    return Q(expected_date__lt=today, received__lt=F("quantity"), purchase_order__status__in=PurchaseOrder.RECEIVABLE)


def late_line_date(today):
    """What a late line gives until the supplier names a new date: today + the grace days."""
    return today + datetime.timedelta(days=settings.PURCHASING_LATE_GRACE_DAYS)


def received_on_time():
    """PurchaseOrderLine rows received in full (received_at is when the last unit came) by the
    date first asked for."""
    return Q(received_at__date__lte=F("first_expected_date"))


def on_time_since(now):
    """The start of the window on-time rates are counted over."""
    return now - datetime.timedelta(days=ON_TIME_WINDOW_DAYS)


def add_working_days(day, count):
    """`count` working days (Monday to Friday) after `day`."""
    while count > 0:
        day += datetime.timedelta(days=1)
        count -= day.weekday() < 5
    return day
