"""The simulated shop (tests/simulation.py) with suppliers answering as people do: each reads
a purchase order the day after it was sent and answers at some hour of its working day, and a
slip it did not see then it tells two days before the date it gave. Its answer reaches the back
office either through its link (applied that hour, `purchasing.answers`) or by email (typed in
by purchasing at 09:00 the next working morning). `simulate_answers(link_share)` runs the
shop with that share of purchase orders answered through the link; bench/simulate.py
--supplier-link prints the runs side by side.

Besides the shop's figures it measures, per answer that moved customers' dates later, the
hours from the moment the supplier knew to the customer's delay email ("supplier knew →
email") and to the customers' dates moving."""

import datetime
import statistics
from collections import defaultdict

from django.db.models import F
from django.utils import timezone

from kernel import clock
from kernel.errors import DomainError
from notifications.models import CustomerMessage
from orders.models import EtaChange
from purchasing import answers, dates, lifecycle, supplier_links
from purchasing.models import PurchaseOrder, PurchaseOrderLine
from tests import simulation

WORKING_HOURS = range(9, 18)
TOLD_BEFORE_DAYS = 2  # a slip not seen at the first answer is told this many days before the date


class AnsweringShop(simulation.Shop):
    """Suppliers' answers queued with the moment they are applied (link: at once; email: the
    next working morning), applied at the hourly tick."""

    def __init__(self, rng, learn, link_share):
        super().__init__(rng, learn)
        self.link_share = link_share
        self.queued = []  # (apply at, through the link?, known at, purchase order number, {sku: date})
        self.late_news = []  # (known at, purchase order number, sku, slip days): slips told later
        self.moved = []  # (known at, applied at, order ids whose dates moved later)

    def _arrives(self, known):
        """When an answer the supplier gives at `known` reaches the back office, and whether
        through the link."""
        if self.rng.random() < self.link_share:
            return known, True
        morning = dates.add_working_days(timezone.localdate(known), 1)
        return timezone.make_aware(datetime.datetime.combine(morning, datetime.time(9))), False

    def suppliers_answer(self, today):
        sent = PurchaseOrder.objects.filter(status="sent", sent_at__date=today - datetime.timedelta(days=1))
        for po in sent.select_related("supplier").prefetch_related("lines__product"):
            _lead, _wait, _minimum, _auto, confirms, slips = simulation.SUPPLIERS[po.supplier.code]
            known = timezone.make_aware(datetime.datetime.combine(today, datetime.time(self.rng.choice(WORKING_HOURS))))
            given = {}
            for line in po.lines.all():
                slip = self.rng.choice(slips)
                seen = self.rng.random() < 0.7
                if self.rng.random() < confirms:
                    given[line.product.sku] = line.expected_date + datetime.timedelta(days=slip if seen else 0)
                if slip and not seen:
                    told = timezone.make_aware(
                        datetime.datetime.combine(
                            line.expected_date - datetime.timedelta(days=TOLD_BEFORE_DAYS),
                            datetime.time(self.rng.choice(WORKING_HOURS)),
                        )
                    )
                    self.late_news.append((max(told, known), po.number, line.product.sku, slip))
                self.deliveries[line.pk] = (
                    line.expected_date + datetime.timedelta(days=slip),
                    self.rng.random() < 0.15,
                )
            if given:
                self.queued.append((*self._arrives(known), known, po.number, given))

    def check(self, today):
        """The hourly tick: late news becomes an answer, answers due are applied."""
        now = clock.now()
        for news in [news for news in self.late_news if news[0] <= now]:
            self.late_news.remove(news)
            known, number, sku, slip = news
            line = PurchaseOrderLine.objects.filter(purchase_order__number=number, product__sku=sku).first()
            if line is not None:
                new = line.first_expected_date + datetime.timedelta(days=slip)
                self.queued.append((*self._arrives(known), known, number, {sku: max(new, today)}))
        for queued in [queued for queued in self.queued if queued[0] <= now]:
            self.queued.remove(queued)
            self._apply(now, *queued[1:])
        super().check(today)

    def _apply(self, now, via_link, known, number, given):
        po = PurchaseOrder.objects.get(number=number)
        lines = {line.product.sku: line for line in po.lines.select_related("product")}
        given = {sku: date for sku, date in given.items() if sku in lines and lines[sku].outstanding}
        if not given:
            return
        try:
            if via_link:  # the same event as purchasing typing it
                token = supplier_links.token_of(supplier_links.active_link(po))
                answers.redate(
                    token, answers.page(token)["version"], {lines[sku].pk: date for sku, date in given.items()}
                )
            else:
                lifecycle.confirm_purchase_order(number, given)
        except DomainError:
            return  # received or cancelled meanwhile: nothing to answer any more
        later = EtaChange.objects.filter(
            changed_at=now,
            cause=EtaChange.Cause.REDATED,
            new_eta__gt=F("old_eta"),
            backorder__po_line__purchase_order=po,
        )
        orders = set(later.values_list("backorder__order_id", flat=True))
        if orders:
            self.moved.append((known, now, orders))


def simulate_answers(link_share, days=90, orders_per_day=40, seed=2026):
    """The shop with `link_share` of the answers through the link; its figures, plus the hours
    from the supplier knowing a slip to the customers' dates moving and to their email."""
    shops = []

    def make(rng, learn):
        shops.append(AnsweringShop(rng, learn, link_share))
        return shops[-1]

    result = simulation.simulate(days=days, orders_per_day=orders_per_day, seed=seed, make_shop=make)
    shop = shops[0]
    mails = defaultdict(list)
    for order_id, sent_at in CustomerMessage.objects.filter(
        status__in=CustomerMessage.WENT_OUT, kind__in=["delay_notice", "apology"]
    ).values_list("order_id", "sent_at"):
        mails[order_id].append(sent_at)
    to_moved, to_email = [], []
    for known, applied, orders in shop.moved:
        to_moved.append((applied - known).total_seconds() / 3600)
        for order_id in orders:
            after = [at for at in mails.get(order_id, []) if at >= applied]
            if after:
                to_email.append((min(after) - known).total_seconds() / 3600)
    return {
        **result,
        "answers_moving_dates": len(shop.moved),
        "knew_to_dates_moved_hours_median": statistics.median(to_moved) if to_moved else None,
        "knew_to_email_hours_median": statistics.median(to_email) if to_email else None,
        "knew_to_email_hours_p95": simulation._p95(sorted(to_email)),
    }
