"""What an email about an order says, read in a fixed number of queries for any number of
orders: the order and customer, its lines, its waiting backorders, its vouchers."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, F, Max, Q

from kernel import clock
from orders.models import (
    WAITING_UNITS,
    Backorder,
    Customer,
    EtaChange,
    Order,
    OrderLine,
    policy_allows_shipping,
)
from purchasing.selectors import without_supplier

from .models import CustomerMessage, Voucher


@dataclass
class LineState:
    line: OrderLine
    waiting: int = 0
    eta: datetime.date | None = None
    told: datetime.date | None = None
    promised: datetime.date | None = None
    delayed: bool = False

    @property
    def sku(self):
        return self.line.product.sku

    @property
    def name(self):
        return self.line.product.name


@dataclass
class OrderState:
    order: Order
    lines: list = field(default_factory=list)
    vouchers: list = field(default_factory=list)
    new_backorder_etas: list = field(default_factory=list)

    @property
    def waiting_lines(self):
        return [line for line in self.lines if line.waiting]

    @property
    def delayed_lines(self):
        return [line for line in self.lines if line.delayed]

    @property
    def can_ship_rest(self):
        """Switching to ship partial would send what is ready now."""
        parts = {
            "allocated": sum(line.line.allocated for line in self.lines),
            "backordered": sum(line.line.backordered for line in self.lines),
        }
        return policy_allows_shipping(Order.Policy.SHIP_PARTIAL, **parts) and not policy_allows_shipping(
            self.order.fulfilment_policy, **parts
        )

    def line(self, line_id):
        return next(line for line in self.lines if line.line.pk == line_id)


def about_to_pass():
    """The last day of the review horizon: a told date up to this day that has moved is always re-told."""
    return clock.today() + datetime.timedelta(days=settings.ETA_REVIEW_HORIZON_DAYS)


def order_states(order_ids, *, delay_days, new_backorder_ids=(), vouchers=True):
    """OrderState per order id. A line is `delayed` when one of its waiting backorders is
    expected `delay_days` or more after the date the customer was last told, or expected at
    all later than a told date that is about to pass (within ETA_REVIEW_HORIZON_DAYS): a
    customer hears of a slip before the date they were given passes, however small."""
    horizon = about_to_pass()
    order_ids = sorted(set(order_ids))
    states = {
        order.pk: OrderState(order) for order in Order.objects.filter(pk__in=order_ids).select_related("customer")
    }
    lines = {}
    for line in (
        OrderLine.objects.filter(order_id__in=order_ids).select_related("product").order_by("order_id", "position")
    ):
        lines[line.pk] = LineState(line)
        states[line.order_id].lines.append(lines[line.pk])
    new = set(new_backorder_ids)
    backorders = (
        Backorder.objects.waiting()
        .filter(order_id__in=order_ids)
        .values_list("id", "line_id", "eta", "told_eta", "promised_date", WAITING_UNITS)
    )
    for pk, line_id, eta, told, promised, units in backorders:
        state = lines[line_id]
        state.waiting += units
        state.eta = max(state.eta or eta, eta)
        state.told = max(state.told or told, told)
        state.promised = min(state.promised or promised, promised)
        state.delayed |= (eta - told).days >= delay_days or (eta > told and told <= horizon)
        if pk in new:
            states[state.line.order_id].new_backorder_etas.append(eta)
    for voucher in Voucher.objects.filter(order_id__in=order_ids) if vouchers else ():
        states[voucher.order_id].vouchers.append(voucher)
    return states


def counted_by_budget():
    """Proactive emails that went or are going: what the notice budget counts."""
    Status = CustomerMessage.Status
    return Q(kind__in=CustomerMessage.PROACTIVE, status__in=[*CustomerMessage.WENT_OUT, Status.QUEUED, Status.SENDING])


def message_history(order_ids):
    """Per order: when its last proactive email went, how many delay emails it got, how many
    proactive emails went or are going (the budget's count) and how many of those went sooner
    than the week allowed (`gave_way`: the budget gives way once per order)."""
    rows = (
        CustomerMessage.objects.filter(order_id__in=order_ids)
        .values("order_id")
        .annotate(
            proactive=Count("id", filter=counted_by_budget()),
            gave_way=Count("id", filter=counted_by_budget() & Q(budget_gave_way=True)),
            last_sent=Max("sent_at", filter=Q(kind__in=CustomerMessage.PROACTIVE)),
            # Delay emails that went (or are going): a queued one is still being written.
            delays=Count(
                "id",
                filter=Q(kind__in=[CustomerMessage.Kind.DELAY_NOTICE, CustomerMessage.Kind.APOLOGY])
                & ~Q(status__in=[CustomerMessage.Status.QUEUED, CustomerMessage.Status.FAILED]),
            ),
        )
    )
    return no_history({row["order_id"]: row for row in rows})


def no_history(rows=()):
    """Per order, what message_history says of an order no email was sent or queued for."""
    return defaultdict(lambda: {"last_sent": None, "delays": 0, "proactive": 0, "gave_way": 0}, rows)


def digest_figures(now):
    """The last day in figures for the morning digest (customer service and purchasing): also
    what customers wait for that nobody supplies, most units first."""
    since = now - datetime.timedelta(days=1)
    new_backorders = Backorder.objects.filter(created_at__gte=since)
    slipped = EtaChange.objects.filter(changed_at__gte=since, new_eta__gt=F("old_eta"))
    told = CustomerMessage.objects.filter(
        sent_at__gte=since, kind__in=[CustomerMessage.Kind.DELAY_NOTICE, CustomerMessage.Kind.APOLOGY]
    )
    return {
        "since": since,
        "new_backorders": new_backorders.count(),
        "new_backorder_orders": new_backorders.values("order_id").distinct().count(),
        "slipped_backorders": slipped.values("backorder_id").distinct().count(),
        "slipped_orders": slipped.values("backorder__order_id").distinct().count(),
        "bounced": CustomerMessage.objects.filter(
            status__in=[CustomerMessage.Status.BOUNCED, CustomerMessage.Status.COMPLAINED], status_changed_at__gte=since
        ).count(),
        "failed": CustomerMessage.objects.filter(
            status=CustomerMessage.Status.FAILED, status_changed_at__gte=since
        ).count(),
        "to_call": list(
            Customer.objects.exclude(call_reason="").order_by("name").values("name", "email", "call_reason")[:50]
        ),
        "to_call_count": Customer.objects.exclude(call_reason="").count(),
        "told_of_delay": told.values("order_id").distinct().count(),
        "without_supplier": without_supplier()[:20],
    }


def message_figures(now, days=30):
    since = now - datetime.timedelta(days=days)
    Status = CustomerMessage.Status
    return CustomerMessage.objects.filter(created_at__gte=since).aggregate(
        sent=Count("id", filter=Q(status__in=CustomerMessage.WENT_OUT)),
        bounced=Count("id", filter=Q(status__in=[Status.BOUNCED, Status.COMPLAINED])),
        failed=Count("id", filter=Q(status=Status.FAILED)),
        queued=Count("id", filter=Q(status__in=[Status.QUEUED, Status.SENDING])),
        delays=Count("id", filter=Q(kind__in=[CustomerMessage.Kind.DELAY_NOTICE, CustomerMessage.Kind.APOLOGY])),
    )
