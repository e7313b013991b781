import datetime

from django.conf import settings
from django.db.models import Count, F, Q

from kernel import clock

from .models import PurchaseOrder, PurchaseOrderLine


def late_line_date(today):
    """What a line past its date gives until the supplier names a new one: today + the grace days."""
    return today + datetime.timedelta(days=settings.PURCHASING_LATE_GRACE_DAYS)


def incoming(product_id):
    """Units on purchase orders not yet received, by the date they can arrive: a line past
    its date (late) as its customers are told, today + the grace days; a draft nobody sent,
    today + the supplier's lead time at the earliest. Never a date that has passed."""
    today = clock.today()
    open_statuses = [PurchaseOrder.Status.DRAFT, *PurchaseOrder.RECEIVABLE]
    lines = PurchaseOrderLine.objects.filter(
        product_id=product_id, purchase_order__status__in=open_statuses, purchase_order__dropship_order__isnull=True,
    ).select_related("purchase_order__supplier")
    arriving = []
    for line in lines:
        if not line.outstanding:
            continue
        date = line.expected_date
        if line.purchase_order.status == PurchaseOrder.Status.DRAFT:
            date = max(date, today + datetime.timedelta(days=line.purchase_order.supplier.lead_time_days))
        elif date < today:
            date = late_line_date(today)
        arriving.append({"quantity": line.outstanding, "expected_date": date})
    return sorted(arriving, key=lambda row: row["expected_date"])


def supplier_figures(now):
    """Late purchase orders now, and each supplier's on-time rate over 90 days: the share of
    lines received in full by the date first asked for."""
    since = now - datetime.timedelta(days=90)
    late = PurchaseOrder.objects.filter(lines__late=True).distinct()
    suppliers = list(
        PurchaseOrderLine.objects.filter(received_at__gte=since)
        .values("purchase_order__supplier__code", "purchase_order__supplier__name")
        .annotate(lines=Count("id"), on_time=Count("id", filter=Q(received_at__date__lte=F("first_expected_date"))))
        .order_by("purchase_order__supplier__code")
    )
    for row in suppliers:
        row["rate"] = row["on_time"] / row["lines"]
    return {"late_purchase_orders": late.count(), "late_lines": PurchaseOrderLine.objects.filter(late=True).count(),
            "suppliers": suppliers}
