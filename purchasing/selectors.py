import datetime

from django.db.models import Count, F, Q

from .models import PurchaseOrder, PurchaseOrderLine


def incoming(product_id):
    """Units on purchase orders not yet received, by expected date."""
    open_statuses = [PurchaseOrder.Status.DRAFT, *PurchaseOrder.RECEIVABLE]
    lines = PurchaseOrderLine.objects.filter(
        product_id=product_id, purchase_order__status__in=open_statuses, purchase_order__dropship_order__isnull=True,
    ).order_by("expected_date", "id")
    return [{"quantity": line.outstanding, "expected_date": line.expected_date} for line in lines if line.outstanding]


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
