"""Reads that orders' pages, endpoints and the pages above share."""

import datetime
import math

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    Prefetch,
    Q,
    Sum,
)
from django.utils import timezone

from kernel.errors import NotFound

from .models import WAITING, WAITING_UNITS, Backorder, Customer, Order, OrderLine


def looks_like_email(term):
    return "@" in term and " " not in term.strip()


def matching_customers(term):
    """Customers by email address (exact, any case, when the input looks like one) or by a
    part of their name (a trigram index on PostgreSQL)."""
    term = term.strip()
    if looks_like_email(term):
        return Customer.objects.filter(email__iexact=term)
    return Customer.objects.filter(name__icontains=term)


def numbered_order_ids(term):
    """The id of the order with this number (any case), as a list: beside other conditions in
    an OR it stays one index lookup instead of a subquery per row."""
    return list(Order.objects.filter(number__iexact=term.strip()).values_list("pk", flat=True))


def matching_order_ids(term):
    """The order search, each part by an index: the order number (exact, any case); the
    orders of the customers matching_customers finds; orders with a line whose SKU contains
    the input (not for an email address). A union of ids, so the database uses an index per part."""
    term = term.strip()
    ids = (
        Order.objects.filter(number__iexact=term)
        .order_by()
        .values("pk")
        .union(Order.objects.filter(customer__in=matching_customers(term)).order_by().values("pk"))
    )
    if not looks_like_email(term):
        ids = ids.union(OrderLine.objects.filter(product__sku__icontains=term).order_by().values("order_id"))
    return ids


def matching_backorder_ids(term):
    """The backorder search: backorders of the orders matching_order_ids finds by number or
    customer, and backorders of products whose SKU contains the input."""
    term = term.strip()
    ids = (
        Backorder.objects.filter(order__number__iexact=term)
        .order_by()
        .values("pk")
        .union(Backorder.objects.filter(order__customer__in=matching_customers(term)).order_by().values("pk"))
    )
    if not looks_like_email(term):
        ids = ids.union(Backorder.objects.filter(product__sku__icontains=term).order_by().values("pk"))
    return ids


def get_order(number):
    try:
        return Order.objects.select_related("customer").get(number=number)
    except Order.DoesNotExist:
        raise NotFound.one(f"No order with number {number}.", field="number", code="not_found") from None


def waiting_units(product_id):
    """Units of this product that customers wait for."""
    return OrderLine.objects.filter(product_id=product_id).aggregate(units=Sum("backordered"))["units"] or 0


def orders_with_lines():
    """Orders ready to show: customer joined, lines with their product and the dates of
    what still waits, in a fixed number of queries whatever the number of lines."""
    waiting = Q(backorders__status__in=WAITING)
    lines = (
        OrderLine.objects.select_related("product")
        .annotate(
            eta=Max("backorders__eta", filter=waiting), promised_date=Min("backorders__promised_date", filter=waiting)
        )
        .order_by("position")
    )
    return Order.objects.select_related("customer").prefetch_related(Prefetch("lines", queryset=lines))


def backorders():
    return Backorder.objects.select_related("order__customer", "product").order_by("created_at", "id")


AGE_BUCKETS = [(0, 7), (8, 14), (15, 30), (31, None)]


def _percentile(values, share):
    """Nearest-rank percentile of sorted values; None for none."""
    if not values:
        return None
    return values[max(0, math.ceil(share * len(values)) - 1)]


def _value(units):
    """Units × the line's unit price, as an exact decimal."""
    return ExpressionWrapper(units * F("line__unit_price"), output_field=DecimalField(max_digits=16, decimal_places=2))


def backorder_figures(now):
    """The manager's view of backorders, in a fixed number of queries: what waits (lines,
    units, value, age), how fast and how reliably backorders were filled, how often orders
    go to backorder, what customers gave up on, which SKUs most are waiting for."""
    waiting = Backorder.objects.waiting()
    buckets = {}
    for low, high in AGE_BUCKETS:
        window = Q(created_at__lte=now - datetime.timedelta(days=low))
        if high is not None:
            window &= Q(created_at__gt=now - datetime.timedelta(days=high + 1))
        buckets[f"age_{low}"] = Sum(WAITING_UNITS, filter=window)
    open_ = waiting.aggregate(lines=Count("id"), units=Sum(WAITING_UNITS), value=Sum(_value(WAITING_UNITS)), **buckets)
    ages = [{"low": low, "high": high, "units": open_.pop(f"age_{low}") or 0} for low, high in AGE_BUCKETS]

    since_90 = now - datetime.timedelta(days=90)
    filled = list(
        Backorder.objects.filter(filled_at__gte=since_90).values_list("created_at", "filled_at", "promised_date")
    )
    fill = {}
    for days in (30, 90):
        since = now - datetime.timedelta(days=days)
        rows = [row for row in filled if row[1] >= since]
        durations = sorted((filled_at - created).total_seconds() / 86400 for created, filled_at, _ in rows)
        on_time = sum(1 for _, filled_at, promised in rows if timezone.localdate(filled_at) <= promised)
        fill[days] = {
            "count": len(rows),
            "median_days": _percentile(durations, 0.5),
            "p90_days": _percentile(durations, 0.9),
            "promise_kept": on_time / len(rows) if rows else None,
        }

    lines = OrderLine.objects.filter(order__placed_at__gte=since_90).aggregate(
        total=Count("id", distinct=True),
        backordered=Count("id", filter=Q(backorders__isnull=False), distinct=True),
    )
    lost = Backorder.objects.filter(created_at__gte=since_90, cancelled__gt=0).aggregate(
        units=Sum("cancelled"),
        value=Sum(_value(F("cancelled"))),
        orders=Count("order_id", distinct=True),
    )
    top = list(
        waiting.values("product_id", "product__sku", "product__name")
        .annotate(units=Sum(WAITING_UNITS), orders=Count("order_id", distinct=True))
        .order_by("-units", "product__sku")[:10]
    )
    return {
        "open": {key: value or 0 for key, value in open_.items()},
        "ages": ages,
        "fill": fill,
        "backorder_rate": lines["backordered"] / lines["total"] if lines["total"] else None,
        "lines_ordered": lines["total"],
        "lost": {key: value or 0 for key, value in lost.items()},
        "top_skus": top,
    }
