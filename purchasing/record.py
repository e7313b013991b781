"""Each supplier's record: how late its deliveries have been.

Rule: a supplier's lateness is the median, over the lines fully received in the last 90 days,
of the days from the date first asked for to the day the last unit arrived (early counts as
0); a supplier with no such line has none. The daily ETA review refreshes it; where the
supplier pads with it, its customers' dates carry it (pegging)."""

import datetime
import statistics
from collections import defaultdict

from django.utils import timezone

from backoffice import clock

from .models import PurchaseOrderLine, Supplier

WINDOW_DAYS = 90


def observed_lateness(now=None):
    """{supplier id: median days late} over the window."""
    now = now or clock.now()
    rows = PurchaseOrderLine.objects.filter(
        received_at__gte=now - datetime.timedelta(days=WINDOW_DAYS), received_at__isnull=False,
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
