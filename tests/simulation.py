"""A shop's days, hour by hour, through the real services and the real jobs at their beat
times, the clock moved by time-machine. Orders arrive every business hour (Poisson, some SKUs
hot, both policies, a few expedited); suppliers confirm late or not at all, slip, deliver in
part; some products have no supplier; customers cancel or switch policy on the status page.
Used by bench/simulate.py (90 days on PostgreSQL) and by a 14-day test of the invariants.

What it measures at every hourly check: who could see a date that has passed (the status
page, the API and the emails show the current ETA), and whose *told* date passed while the
goods still had not come (a slip not told in time). At the end: slips, time from the event
that caused a slip to the email about it, the most proactive emails one customer got in a
day, proactive emails per order (median, p95, max, over the orders that got any), the
orders that got two within a week and those handed to customer service (who write to them
every morning, as the worklist asks), apologies and vouchers, and promise accuracy (backorders filled by their promised date)."""

import datetime
import math
import random
import statistics
import time
from collections import Counter, defaultdict
from decimal import Decimal
from itertools import pairwise

import time_machine
from django.db.models import F
from django.utils import timezone

from inventory.stock import StockChange, change_stock, create_product
from notifications.models import CustomerMessage, MessagePolicy, Voucher
from notifications.rules import needs_personal_word, tell_delayed
from notifications.sending import send_due_messages
from notifications.updates import send_update
from orders.cancellation import cancel_units
from orders.fulfilment import change_preferences, ship_order
from orders.models import WAITING, Backorder, EtaChange, Order, OrderLine
from orders.placement import CustomerDetails, LineRequest, place_order
from purchasing import batching, demand, lifecycle, receiving, review
from purchasing.catalog import create_supplier, create_supplier_item
from purchasing.models import PurchaseOrder, ReorderPolicy, Supplier

START = datetime.datetime(2026, 1, 5, 0, 0, tzinfo=datetime.UTC)
# code: lead days, wait hours, minimum value, auto send, P(confirms), slips (days, drawn per line)
SUPPLIERS = {
    "steady": (7, 24, "0", True, 0.9, [0, 0, 0, 1]),
    "slow": (14, 72, "200", False, 0.6, [0, 2, 5, 9]),
    "erratic": (10, 48, "100", False, 0.4, [0, 0, 3, 7, 14]),
    "silent": (5, 24, "0", True, 0.0, [1, 3, 4]),
}


def _poisson(rng, mean):
    # Knuth's method: small means only, which is all an hour of orders needs.
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


class Shop:
    def __init__(self, rng, learn):
        self.rng, self.learn = rng, learn
        self.deliveries = {}  # purchase order line id -> (day it arrives, partial?)
        self.seen_past, self.told_late, self.handed_over = set(), set(), set()
        self.number = 0
        suppliers = {}
        for code, (lead, wait, minimum, auto, _confirms, _slips) in SUPPLIERS.items():
            suppliers[code] = create_supplier(
                code=code,
                name=code.title(),
                email=f"po@{code}.example",
                language="en",
                lead_time_days=lead,
                max_wait_hours=wait,
                min_order_value=Decimal(minimum),
                auto_send=auto,
                pad_with_lateness=learn,
            )
        self.skus, self.weights = [], []
        for index in range(32):
            sku = f"SIM-{index:03d}"
            code = list(SUPPLIERS)[index % 4] if index >= 4 else None  # the first four: no supplier
            product = create_product(sku=sku, name=f"Item {index}", price=Decimal("20.00"))
            if code:
                create_supplier_item(
                    supplier=suppliers[code],
                    product=product,
                    supplier_sku=f"{code}-{index}",
                    unit_cost=Decimal("11.00"),
                    preferred=True,
                )
            self.skus.append(sku)
            self.weights.append(6 if index % 7 == 0 else 1)  # a few hot SKUs
        change_stock([StockChange(sku, rng.choice([0, 0, 3, 10]), "count") for sku in self.skus])

    # --- the people ---------------------------------------------------------------------

    def orders(self, mean):
        for _ in range(_poisson(self.rng, mean)):
            self.number += 1
            skus = list(dict.fromkeys(self.rng.choices(self.skus, self.weights, k=self.rng.choice([1, 1, 2, 3]))))
            place_order(
                number=f"SIM-{self.number}",
                customer=CustomerDetails(
                    f"c{self.number}@example.org", f"Customer {self.number}", self.rng.choice(["de", "en"])
                ),
                fulfilment_policy="ship_partial" if self.rng.random() < 0.7 else "ship_complete",
                expedite=self.rng.random() < 0.05,
                lines=[LineRequest(sku, self.rng.choice([1, 1, 2, 3])) for sku in skus],
            )

    def suppliers_answer(self, today):
        """Each purchase order sent yesterday: confirmed (perhaps late) or not; its delivery day drawn."""
        sent = PurchaseOrder.objects.filter(status="sent", sent_at__date=today - datetime.timedelta(days=1))
        for po in sent.select_related("supplier").prefetch_related("lines__product"):
            _lead, _wait, _minimum, _auto, confirms, slips = SUPPLIERS[po.supplier.code]
            dates = {}
            for line in po.lines.all():
                slip = self.rng.choice(slips)
                told = slip if self.rng.random() < 0.7 else 0  # some slips come without warning
                if self.rng.random() < confirms:
                    dates[line.product.sku] = line.expected_date + datetime.timedelta(days=told)
                self.deliveries[line.pk] = (
                    line.expected_date + datetime.timedelta(days=slip),
                    self.rng.random() < 0.15,
                )
            if dates:
                lifecycle.confirm_purchase_order(po.number, dates)

    def goods_arrive(self, today):
        due = [pk for pk, (day, _partial) in self.deliveries.items() if day <= today]
        lines = {}
        for po in PurchaseOrder.objects.filter(lines__pk__in=due, status__in=PurchaseOrder.RECEIVABLE).distinct():
            quantities = {}
            for line in po.lines.select_related("product").filter(pk__in=due):
                _day, partial = self.deliveries.pop(line.pk)
                units = line.outstanding // 2 if partial and line.outstanding > 1 else line.outstanding
                if partial and units < line.outstanding:
                    self.deliveries[line.pk] = (today + datetime.timedelta(days=3), False)
                if units:
                    quantities[line.product.sku] = units
            if quantities:
                lines[po.number] = quantities
        for number, quantities in lines.items():
            receiving.receive_purchase_order(number, quantities)

    def customers_act(self):
        waiting = list(
            Order.objects.filter(status__in=["awaiting_stock", "partially_shipped"]).values_list("number", flat=True)
        )
        for number in waiting:
            roll = self.rng.random()
            if roll < 0.01:
                cancel_units(number, None, by_customer=True)
            elif roll < 0.03:
                change_preferences(
                    number, fulfilment_policy=self.rng.choice(["ship_partial", "ship_complete"]), by_customer=True
                )

    def customer_service_writes(self, today):
        self.handed_over.update(customer_service_writes(today))

    def warehouse_ships(self):
        for number in Order.objects.filter(status="ready_to_ship").values_list("number", flat=True):
            ship_order(number)

    def purchasing_sends_drafts(self):
        for number in PurchaseOrder.objects.filter(status="draft").values_list("number", flat=True):
            lifecycle.send_purchase_order(number)

    # --- the check every hour ------------------------------------------------------------

    def check(self, today):
        waiting = Backorder.objects.filter(status__in=WAITING)
        self.seen_past.update(waiting.filter(eta__lt=today).values_list("pk", flat=True))
        self.told_late.update(waiting.filter(told_eta__lt=today).values_list("pk", flat=True))


def customer_service_writes(today):
    """Customer service's daily round: a personal word to each order the notice budget handed
    to the worklist (as the worklist's "needs a personal word" lists them). Returns their ids."""
    order_ids = [row["order_id"] for row in needs_personal_word(MessagePolicy.current())]
    if order_ids:
        send_update(
            order_ids,
            text="We are still waiting for your goods; here is where things stand.",
            request_key=f"personal-word-{today}",
        )
    return order_ids


def simulate(days=90, orders_per_day=40, seed=2026, learn=True, replenish=False, make_shop=None, emails_per_order=None):
    """Run the shop for `days` and return its figures. `replenish`: the reorder policy's switch
    is on, so each batch run also orders ahead for stock from the demand history. `make_shop(rng,
    learn)`: a Shop with other people in it (tests/simulation_supplier_link.py).
    `emails_per_order`: the notice budget's proactive emails per order, if not the default."""
    rng = random.Random(seed)
    began = time.monotonic()
    with time_machine.travel(START, tick=False) as traveller:
        shop = (make_shop or Shop)(rng, learn)
        if emails_per_order is not None:
            MessagePolicy.objects.update_or_create(pk=1, defaults={"proactive_emails_per_order": emails_per_order})
        ReorderPolicy.objects.update_or_create(pk=1, defaults={"add_to_batch": replenish})
        for hour in range(days * 24):
            now = START + datetime.timedelta(hours=hour)
            traveller.move_to(now)
            local = timezone.localtime(now)
            today = local.date()
            if local.hour == 2:  # beat: the demand history at 02:30
                demand.refresh_demand()
            if local.hour == 6:  # beat: late lines at 06:00, the review at 06:15
                lifecycle.mark_late_lines()
                review.review_etas()
            if local.hour == 9:
                shop.suppliers_answer(today)
            if local.hour == 10:
                shop.purchasing_sends_drafts()
            if local.hour == 11:
                shop.goods_arrive(today)
                shop.customer_service_writes(today)
            if local.hour == 15:
                shop.customers_act()
            if local.hour == 16:
                shop.warehouse_ships()
            if 8 <= local.hour < 20:
                shop.orders(orders_per_day / 12)
            batching.batch_backorders(trigger="simulation")  # beat: every 15 minutes
            lifecycle.send_auto_purchase_orders()  # beat: every 5 minutes
            tell_delayed()  # beat: every 5 minutes (the sweep for what no event told)
            send_due_messages(limit=10_000)  # beat: every minute
            shop.check(today)
    return figures(shop, days, time.monotonic() - began)


def figures(shop, days, seconds):
    slips = EtaChange.objects.filter(new_eta__gt=F("old_eta"))
    slipped = set(slips.values_list("backorder_id", flat=True))
    sent = CustomerMessage.objects.filter(status__in=CustomerMessage.WENT_OUT)
    proactive = sent.filter(kind__in=CustomerMessage.PROACTIVE)
    per_customer_day = Counter(
        (customer, timezone.localdate(at)) for customer, at in proactive.values_list("customer_id", "sent_at")
    )
    # From the event that moved a date later to the first delay email sent after it, per order.
    delay_mails = defaultdict(list)
    for order_id, sent_at in sent.filter(kind__in=["delay_notice", "apology"]).values_list("order_id", "sent_at"):
        delay_mails[order_id].append(sent_at)
    latencies = []
    for order_id, changed_at in slips.values_list("backorder__order_id", "changed_at"):
        after = [at for at in delay_mails.get(order_id, []) if at >= changed_at]
        if after:
            latencies.append((min(after) - changed_at).total_seconds() / 3600)
    latencies.sort()
    per_order = defaultdict(list)
    for order_id, sent_at in proactive.order_by("sent_at").values_list("order_id", "sent_at"):
        per_order[order_id].append(sent_at)
    counts = sorted(len(times) for times in per_order.values())
    # The same without the backorder notice (the one a customer gets with a late order):
    # the emails a slip after ordering brought.
    delays = sorted(len(times) for times in delay_mails.values())
    week = datetime.timedelta(days=7)
    within_a_week = {
        order_id: sum(1 for earlier, later in pairwise(times) if later - earlier < week)
        for order_id, times in per_order.items()
    }
    filled = list(Backorder.objects.filter(filled_at__isnull=False).values_list("filled_at", "promised_date"))
    kept = sum(1 for filled_at, promised in filled if timezone.localdate(filled_at) <= promised)
    return {
        "days": days,
        "orders": Order.objects.count(),
        "backorders": Backorder.objects.count(),
        "slips": slips.count(),
        "backorders_slipped": len(slipped),
        "told_before_date_passed": 1 - len(shop.told_late & slipped) / len(slipped) if slipped else 1.0,
        "told_dates_passed_untold": len(shop.told_late),
        "slip_to_email_hours_median": statistics.median(latencies) if latencies else None,
        "slip_to_email_hours_p95": _p95(latencies),
        "past_dates_seen": len(shop.seen_past),
        "most_proactive_emails_one_customer_one_day": max(per_customer_day.values(), default=0),
        "proactive_per_order_median": statistics.median(counts) if counts else None,
        "proactive_per_order_p95": _p95(counts),
        "proactive_per_order_max": max(counts, default=0),
        "orders_by_proactive_emails": dict(Counter(counts)),
        "delay_emails_per_order_p95": _p95(delays),
        "delay_emails_per_order_max": max(delays, default=0),
        "orders_handed_to_the_worklist": len(shop.handed_over),
        "orders_two_within_a_week": sum(1 for pairs in within_a_week.values() if pairs),
        # The budget gives way once per order: no order gets a second pair within a week.
        "most_pairs_within_a_week_one_order": max(within_a_week.values(), default=0),
        "apologies": sent.filter(kind="apology").count(),
        "vouchers": Voucher.objects.count(),
        "promise_accuracy": kept / len(filled) if filled else None,
        # The share of order lines that had to wait (a backorder), over the whole run.
        "backorder_rate": OrderLine.objects.filter(backorders__isnull=False).distinct().count()
        / (OrderLine.objects.count() or 1),
        "backorders_filled": len(filled),
        "learned_lateness": dict(Supplier.objects.values_list("code", "learned_lateness_days")),
        "wall_seconds": round(seconds, 1),
    }


def _p95(ordered):
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] if ordered else None
