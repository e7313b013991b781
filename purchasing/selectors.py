from collections import defaultdict

from django.db.models import Case, Count, DateField, F, Min, Q, Value, When

from inventory.models import Product
from kernel import clock
from orders.models import Backorder

from . import dates
from .models import PurchaseOrder, PurchaseOrderLine, ReorderPolicy, SupplierAnswer


def has_supplier():
    """For a Backorder row: a supplier delivers what it waits for: it is on a purchase order,
    or its product has a preferred supplier."""
    return Q(po_line__isnull=False) | Q(product__supplier_items__preferred=True)


def unreviewed_products():
    """How many stocked products (not dropship) have no preferred supplier item: the reorder
    review has no lead time or supplier to reckon with for them, so it leaves them out and says so."""
    return Product.objects.filter(dropship=False).exclude(supplier_items__preferred=True).count()


def without_supplier():
    """What waits for a product nobody supplies (not ordered, no preferred supplier item):
    per product, most units first, its SKU, name, units waiting, backorders and oldest wait.
    Purchasing's to fix: once it has a supplier item, the next batch orders it."""
    return list(
        Backorder.objects.not_ordered()
        .exclude(has_supplier())
        .order_by()
        .units_waiting_by("product_id", "product__sku", "product__name")
        .annotate(backorders=Count("id"), since=Min("created_at"))
        .order_by("-units", "product__sku")
    )


def incoming(product_id):
    """Units on purchase orders not yet received, by the date they can arrive: a late line at
    dates.late_line_date; a draft nobody sent at dates.draft_arrival. Never a date that has passed."""
    return incoming_by_product([product_id]).get(product_id, [])


def incoming_by_product(product_ids):
    """`incoming` for many products in one query: {product id: [{quantity, expected_date}], earliest first}."""
    today = clock.today()
    open_statuses = [PurchaseOrder.Status.DRAFT, *PurchaseOrder.RECEIVABLE]
    arrives = Case(
        When(purchase_order__status=PurchaseOrder.Status.DRAFT, then=dates.draft_arrival(today)),
        When(dates.late_lines(today), then=Value(dates.late_line_date(today))),
        default=F("expected_date"),
        output_field=DateField(),
    )
    lines = PurchaseOrderLine.objects.filter(
        product_id__in=set(product_ids),
        purchase_order__status__in=open_statuses,
        purchase_order__dropship_order__isnull=True,
    ).annotate(arrives=arrives)
    arriving = defaultdict(list)
    for line in lines:
        if line.outstanding:
            arriving[line.product_id].append({"quantity": line.outstanding, "expected_date": line.arrives})
    return {product_id: sorted(rows, key=lambda row: row["expected_date"]) for product_id, rows in arriving.items()}


def supplier_figures(now):
    """Late purchase orders now, each supplier's on-time rate over the on-time window (the
    share of lines received in full by the date first asked for, dates.received_on_time), and
    the products customers wait for that nobody supplies (products, units)."""
    late = PurchaseOrder.objects.filter(lines__late=True).distinct()
    suppliers = list(
        PurchaseOrderLine.objects.filter(received_at__gte=dates.on_time_since(now))
        .values("purchase_order__supplier__code", "purchase_order__supplier__name")
        .annotate(lines=Count("id"), on_time=Count("id", filter=dates.received_on_time()))
        .order_by("purchase_order__supplier__code")
    )
    for row in suppliers:
        row["rate"] = row["on_time"] / row["lines"]
    waiting = without_supplier()
    return {
        "late_purchase_orders": late.count(),
        "late_lines": PurchaseOrderLine.objects.filter(late=True).count(),
        "suppliers": suppliers,
        "without_supplier_products": len(waiting),
        "without_supplier_units": sum(row["units"] for row in waiting),
    }


def answers_to_review():
    """Supplier answers not yet reviewed that moved a date later by more than the policy's
    threshold (ReorderPolicy.answer_review_days): the daily job "Supplier answers to review"."""
    return SupplierAnswer.objects.filter(
        reviewed_at__isnull=True, days_moved__gt=ReorderPolicy.current().answer_review_days
    )
