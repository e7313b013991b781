from django.db.models import Max, Min, Prefetch, Q, Sum

from inventory.services import stock_level
from purchasing.selectors import incoming

from .models import Backorder, Order, OrderLine
from .services import WAITING


def availability(sku):
    level = stock_level(sku)
    backordered = OrderLine.objects.filter(product_id=level.product_id).aggregate(units=Sum("backordered"))["units"]
    return {
        "sku": level.product.sku,
        "on_hand": level.on_hand,
        "allocated": level.allocated,
        "available": level.available,
        "backorderable": level.product.backorderable,
        "backordered": backordered or 0,
        "incoming": (arriving := incoming(level.product_id)),
        "next_restock_date": arriving[0]["expected_date"] if arriving else None,
    }


def orders_with_lines():
    """Orders ready to show: customer joined, lines with their product and the dates of
    what still waits, in a fixed number of queries whatever the number of lines."""
    waiting = Q(backorders__status__in=WAITING)
    lines = (
        OrderLine.objects.select_related("product")
        .annotate(eta=Max("backorders__eta", filter=waiting), promised_date=Min("backorders__promised_date", filter=waiting))
        .order_by("position")
    )
    return Order.objects.select_related("customer").prefetch_related(Prefetch("lines", queryset=lines), "vouchers")


def backorders():
    return Backorder.objects.select_related("order__customer", "product").order_by("created_at", "id")
