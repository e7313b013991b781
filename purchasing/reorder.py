"""The reorder review: purchasing looks ahead instead of only ordering what customers already
wait for.

Rules, per product with a preferred supplier (dropship products are never stocked):
- Demand history is the product's daily units ordered (demand.DemandDay) from its first order
  in the last HISTORY_DAYS days (a product that sold nothing for that long starts afresh) up
  to yesterday (today is not over); the forecast reads at most its last PATTERN_DAYS days.
- Forecast: with fewer than PATTERN_DAYS days of history, the plain average per day. With
  more, over the last PATTERN_DAYS days: the level (their average), the trend (the average of
  the last 14 days minus that of the 14 before, per day) and a factor per weekday (each
  weekday's average of the detrended days over the level); a day k ahead (1 = today) expects
  (level + trend × (13.5 + k)) × its weekday's factor, never below 0. Deterministic: the same
  history gives the same figures.
- Variability: the standard deviation of the days around that fit (the plain one for a short
  history). Safety stock = ⌈z × deviation × √lead time⌉, z for the policy's service level.
- Lead time: the supplier's observed median (record.lead_times), else the item's nominal one.
- Reorder point = ⌈demand over the lead time⌉ + safety stock; order-up-to = reorder point +
  ⌈demand over the review period that follows⌉.
- Projected available = on hand − allocated + incoming (open purchase order lines, drafts
  included) − waiting (units of open and on-order backorders).
- Below the reorder point, the suggestion is order-up-to − projected, rounded to the
  supplier's minimum and packs; else nothing. Days of cover = projected / daily demand.
- The 90-day backorder rate is the share of the product's order lines that went to backorder;
  above the policy's threshold the product is flagged to be stocked.
- Suggestions go to each supplier's one stock draft as stock units (not pegged to customers),
  under the batch's lock; the review counts drafts as incoming, so adding twice adds nothing more.
  The buyer may choose other units for a product (any product reviewed, below its reorder
  point or not): those units are added as given, and the line still rounds to minimum and packs.
- The review reads the history current (demand.current_history): built at once when missing."""

import datetime
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from statistics import NormalDist

from django.db import transaction
from django.db.models import F, Min, Q, Sum
from django.db.models.functions import Upper

from kernel import clock
from kernel.parsers import case_key
from orders.models import Backorder

from . import dates, drafts
from .demand import current_history
from .models import (
    DemandDay,
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderPolicy,
    SupplierItem,
)
from .pegging import pegged_need
from .record import lead_times

HISTORY_DAYS = 90
PATTERN_DAYS = 28
SPARKLINE_DAYS = 28


@dataclass
class Forecast:
    per_day: list  # expected units for day k = 1, 2, ... (index k - 1)
    deviation: float


def forecast(history, days):
    """Expected units for each of the next `days` days, and the deviation, from `history`
    (daily units, oldest first, ending yesterday)."""
    if len(history) < PATTERN_DAYS:
        mean = statistics.fmean(history) if history else 0.0
        return Forecast([mean] * days, statistics.pstdev(history) if len(history) > 1 else 0.0)
    recent = history[-PATTERN_DAYS:]
    level = statistics.fmean(recent)
    trend = (statistics.fmean(recent[14:]) - statistics.fmean(recent[:14])) / 14
    fitted_trend = [level + trend * (index + 1 - 14.5) for index in range(PATTERN_DAYS)]
    detrended = [units - line + level for units, line in zip(recent, fitted_trend, strict=True)]
    factors = [max(statistics.fmean(detrended[weekday::7]) / level, 0.0) if level else 1.0 for weekday in range(7)]
    fitted = [line * factors[index % 7] for index, line in enumerate(fitted_trend)]
    deviation = statistics.pstdev([units - fit for units, fit in zip(recent, fitted, strict=True)])
    ahead = [max((level + trend * (13.5 + k)) * factors[(PATTERN_DAYS - 1 + k) % 7], 0.0) for k in range(1, days + 1)]
    return Forecast(ahead, deviation)


def _units(value):
    """Whole units for a sum of expected units (rounding away float dust before the ceiling)."""
    return math.ceil(round(value, 6))


@dataclass
class ReorderFigures:
    item: SupplierItem
    daily_demand: float
    demand_std: float
    lead_time_days: int
    lead_time_source: str
    service_level: float
    safety_stock: int
    reorder_point: int
    order_up_to: int
    projected_available: int
    suggested_quantity: int
    days_of_cover: float | None
    backorder_rate_90d: float | None
    often_backordered: bool
    history: list = field(default_factory=list)  # the last SPARKLINE_DAYS days, for the sparkline

    @property
    def sku(self):
        return self.item.product.sku

    @property
    def below_reorder_point(self):
        return self.projected_available < self.reorder_point

    @property
    def sold_in_window(self):
        """Any order in the last HISTORY_DAYS days: without, the figures are zeros, not a forecast."""
        return bool(self.history)

    @property
    def sold_lately(self):
        """Any order in the sparkline's days (the last SPARKLINE_DAYS)."""
        return any(self.history)

    @property
    def whole_days_of_cover(self):
        return round(self.days_of_cover) if self.days_of_cover is not None else None

    @property
    def cover_over_a_year(self):
        return self.days_of_cover is not None and self.days_of_cover > 365


def figures_for(item, history, lead, policy, *, on_hand, allocated, incoming, waiting, lines, lines_backordered):
    """One product's figures (the rules in the module docstring)."""
    lead_days = lead.days if lead.source == "observed" else item.lead_days
    ahead = forecast(history, lead_days + policy.review_period_days)
    service_level = float(policy.service_level)
    safety = _units(NormalDist().inv_cdf(service_level) * ahead.deviation * math.sqrt(lead_days))
    reorder_point = _units(sum(ahead.per_day[:lead_days])) + safety
    order_up_to = reorder_point + _units(sum(ahead.per_day[lead_days:]))
    daily = statistics.fmean(ahead.per_day) if ahead.per_day else 0.0
    projected = on_hand - allocated + incoming - waiting
    suggested = item.order_quantity(order_up_to - projected) if projected < reorder_point else 0
    rate = lines_backordered / lines if lines else None
    return ReorderFigures(
        item=item,
        daily_demand=round(daily, 2),
        demand_std=round(ahead.deviation, 2),
        lead_time_days=lead_days,
        lead_time_source=lead.source,
        service_level=service_level,
        safety_stock=safety,
        reorder_point=reorder_point,
        order_up_to=order_up_to,
        projected_available=projected,
        suggested_quantity=suggested,
        days_of_cover=round(max(projected, 0) / daily, 1) if daily else None,
        backorder_rate_90d=round(rate, 3) if rate is not None else None,
        often_backordered=rate is not None and rate > float(policy.often_backordered_rate),
        history=history[-SPARKLINE_DAYS:],
    )


def review(*, skus=None, supplier=None, policy=None):
    """The figures of every product with a preferred supplier (or of `skus`, or of one
    supplier's code), in a fixed number of queries: below the reorder point first, then by
    days of cover."""
    policy = policy or ReorderPolicy.current()
    current_history()
    today = clock.today()
    start = today - datetime.timedelta(days=HISTORY_DAYS)
    items = (
        drafts.items_ordered_on(today)
        .filter(preferred=True, product__dropship=False)
        .select_related("product__stock")
        .annotate(lead_days=dates.lead_time())
    )
    if skus is not None:
        items = items.annotate(sku_key=Upper("product__sku")).filter(
            sku_key__in=[case_key(sku) for sku in skus]
        )  # any case
    if supplier:
        items = items.filter(supplier__code=supplier)
    items = list(items)
    if not items:
        return []
    scope = Q() if skus is None and not supplier else Q(product_id__in=[item.product_id for item in items])

    # The last PATTERN_DAYS days one by one; the window's first day and its lines in sums.
    recent = today - datetime.timedelta(days=PATTERN_DAYS)
    days = [recent + datetime.timedelta(days=n) for n in range(PATTERN_DAYS)]
    daily = defaultdict(dict)
    for product_id, day, units in DemandDay.objects.filter(scope, day__gte=recent, day__lt=today).values_list(
        "product_id", "day", "units_ordered"
    ):
        daily[product_id][day] = units
    window = {
        row[0]: row[1:]
        for row in DemandDay.objects.filter(scope, day__gte=start, day__lt=today)
        .values("product_id")
        .annotate(first=Min("day"), lines=Sum("lines"), short=Sum("lines_backordered"))
        .values_list("product_id", "first", "lines", "short")
    }
    open_statuses = [PurchaseOrder.Status.DRAFT, *PurchaseOrder.RECEIVABLE]
    incoming = dict(
        PurchaseOrderLine.objects.filter(
            scope, purchase_order__status__in=open_statuses, purchase_order__dropship_order__isnull=True
        )
        .values("product_id")
        .annotate(units=Sum(F("quantity") - F("received")))
        .values_list("product_id", "units")
    )
    waiting = dict(
        Backorder.objects.waiting().filter(scope).units_waiting_by("product_id").values_list("product_id", "units")
    )
    leads = lead_times({item.supplier_id: item.supplier.lead_time_days for item in items})

    result = []
    for item in items:
        first, lines, short = window.get(item.product_id, (today, 0, 0))
        sold = daily[item.product_id]
        history = [sold.get(day, 0) for day in days[max((first - recent).days, 0) :]]
        stock = item.product.stock
        result.append(
            figures_for(
                item,
                history,
                leads[item.supplier_id],
                policy,
                on_hand=stock.on_hand,
                allocated=stock.allocated,
                incoming=incoming.get(item.product_id, 0),
                waiting=waiting.get(item.product_id, 0),
                lines=lines,
                lines_backordered=short,
            )
        )
    result.sort(key=lambda f: (not f.below_reorder_point, f.days_of_cover is None, f.days_of_cover or 0, f.sku))
    return result


def add_to_drafts(skus=None, policy=None, units=None):
    """Add the review's suggestions (of `skus`, or all) to each supplier's stock draft as stock
    units, creating the draft where there is none (the batch's one-draft rule); `units` maps a
    SKU (any case) to the units the buyer chose instead of its suggestion. Returns
    {purchase order number: [(sku, units), ...]}. Safe to run twice for the suggestions: the
    draft counts as incoming."""
    chosen = {case_key(sku): count for sku, count in (units or {}).items()}
    with transaction.atomic():
        drafts.lock_drafts()  # drafts change under one writer at a time
        wanted = []
        for f in review(skus=skus, policy=policy):
            count = chosen.get(case_key(f.sku), f.suggested_quantity)
            if count:
                wanted.append((f, count))
        if not wanted:
            return {}
        stock_drafts = drafts.stock_drafts({f.item.supplier_id for f, _count in wanted}, lock=True)
        drafts.add_stock_drafts(stock_drafts, [f.item.supplier for f, _count in wanted], clock.now())
        lines = drafts.lines_of(stock_drafts.values(), lock=True)
        need = pegged_need(lines.values())
        new, changed, added = [], [], defaultdict(list)
        for f, count in wanted:
            draft = stock_drafts[f.item.supplier_id]
            line = lines.get((draft.pk, f.item.product_id))
            if line is None:
                line = drafts.new_line(draft, f.item, 0)
                new.append(line)
            else:
                changed.append(line)
            line.stock_units += count
            line.quantity = drafts.line_quantity(f.item, need.get(line.pk, 0), line.stock_units)
            added[draft.number].append((f.sku, count))
        PurchaseOrderLine.objects.bulk_create(new)
        PurchaseOrderLine.objects.bulk_update(changed, ["stock_units", "quantity"])
        return dict(added)
