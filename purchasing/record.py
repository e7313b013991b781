"""Each supplier's record: how late its deliveries have been, and how long they take.

Rules:
- A supplier's lateness is the median, over the lines fully received in the on-time window
  (dates.ON_TIME_WINDOW_DAYS), of the days from the date first asked for to the day the last
  unit arrived (early counts as 0); a supplier with no such line has none. The daily ETA review refreshes it; where the
  supplier pads with it, its customers' dates carry it (pegging).
- Its observed lead time is the median and 90th percentile (nearest rank), over the lines
  fully received in the last 180 days, of the days from sending the purchase order to the
  last unit arriving; with fewer than MIN_RECEIPTS such lines it is the nominal lead time.
  Its on-time rate is the share of the lines fully received in the on-time window that came
  by the date first asked for (dates.received_on_time), as the dashboard counts it."""

import datetime
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.utils import timezone

from kernel import clock

from . import dates
from .models import PurchaseOrderLine, Supplier

LEAD_TIME_WINDOW_DAYS = 180
MIN_RECEIPTS = 5


@dataclass(frozen=True)
class LeadTime:
    days: int  # what the reorder review plans with: the observed median, else the nominal
    p90: int
    source: str  # "observed" | "nominal"
    receipts: int
    on_time_rate: float | None


def _nearest_rank(values, share):
    return values[max(0, math.ceil(share * len(values)) - 1)]


def lead_times(nominal, now=None):
    """{supplier id: LeadTime} for the suppliers in `nominal` ({supplier id: nominal days}), in one query."""
    now = now or clock.now()
    recent = Q(received_at__gte=dates.on_time_since(now))
    rows = PurchaseOrderLine.objects.filter(
        purchase_order__supplier_id__in=list(nominal),
        purchase_order__sent_at__isnull=False,
        received_at__gte=now - datetime.timedelta(days=LEAD_TIME_WINDOW_DAYS),
        received__gte=F("quantity"),
    ).values_list(
        "purchase_order__supplier_id",
        "purchase_order__sent_at",
        "received_at",
        ExpressionWrapper(recent, output_field=BooleanField()),
        ExpressionWrapper(recent & dates.received_on_time(), output_field=BooleanField()),
    )
    days, counted, on_time = defaultdict(list), defaultdict(int), defaultdict(int)
    for supplier_id, sent_at, received_at, in_window, in_time in rows:
        days[supplier_id].append(max((timezone.localdate(received_at) - timezone.localdate(sent_at)).days, 0))
        counted[supplier_id] += in_window
        on_time[supplier_id] += in_time
    result = {}
    for supplier_id, nominal_days in nominal.items():
        observed = sorted(days.get(supplier_id, []))
        rate = on_time[supplier_id] / counted[supplier_id] if counted[supplier_id] else None
        if len(observed) >= MIN_RECEIPTS:
            result[supplier_id] = LeadTime(
                math.ceil(statistics.median(observed)), _nearest_rank(observed, 0.9), "observed", len(observed), rate
            )
        else:
            result[supplier_id] = LeadTime(nominal_days, nominal_days, "nominal", len(observed), rate)
    return result


def observed_lateness(now=None):
    """{supplier id: median days late} over the window."""
    now = now or clock.now()
    rows = PurchaseOrderLine.objects.filter(
        received_at__gte=dates.on_time_since(now),
        received_at__isnull=False,
    ).values_list("purchase_order__supplier_id", "received_at", "first_expected_date")
    late = defaultdict(list)
    for supplier_id, received_at, first_expected in rows:
        late[supplier_id].append(max((timezone.localdate(received_at) - first_expected).days, 0))
    return {supplier_id: statistics.median_low(days) for supplier_id, days in late.items()}


def refresh_learned_lateness():
    lateness = observed_lateness()
    changed = []
    for supplier in Supplier.objects.all():
        days = lateness.get(supplier.pk, 0)
        if supplier.learned_lateness_days != days:
            supplier.learned_lateness_days = days
            changed.append(supplier)
    Supplier.objects.bulk_update(changed, ["learned_lateness_days"])
    return lateness
