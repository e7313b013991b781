"""Random sequences of orders, receipts, counts, shipments, cancellations, batch runs and
purchase order receipts never lose a unit: after every step each line's parts add up,
stock on hand is the ledger's sum, allocated stock is exactly what lines hold, payment
follows what shipped and what was cancelled, no customer waits while the product is
available, and every backorder on order is pegged to a line that orders enough for it."""

import itertools
from decimal import Decimal

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from inventory import stock
from inventory.models import StockLevel
from inventory.stock import StockChange
from kernel.errors import DomainError
from orders import cancellation, fulfilment, placement
from orders.allocation import order_status
from orders.models import WAITING, Backorder, Order, OrderLine
from purchasing import batching, lifecycle, receiving
from purchasing.models import PurchaseOrder, PurchaseOrderLine, Supplier, SupplierItem

SKUS = ["A", "B", "C"]  # the last one is not backorderable
_runs = itertools.count()


class OrderBook(RuleBasedStateMachine):
    def __init__(self):
        # Every run shares the test's transaction, so each gets its own SKUs and numbers.
        super().__init__()
        self.run = f"R{next(_runs)}"
        self.products = [
            stock.create_product(sku=f"{self.run}-{sku}", name=sku, price=Decimal("2.50"), backorderable=sku != "C")
            for sku in SKUS
        ]
        supplier = Supplier.objects.create(
            code=self.run.lower(), name=self.run, email="po@example.org", max_wait_hours=0
        )
        for product in self.products[:2]:
            SupplierItem.objects.create(
                supplier=supplier,
                product=product,
                supplier_sku=product.sku,
                unit_cost=Decimal("1.00"),
                pack_size=3,
                preferred=True,
            )
        self.supplier = supplier
        self.numbers = []

    def sku(self, letter):
        return f"{self.run}-{letter}"

    def orders(self):
        return Order.objects.filter(number__startswith=f"{self.run}-")

    @rule(
        lines=st.dictionaries(st.sampled_from(SKUS), st.integers(1, 4), min_size=1, max_size=3),
        policy=st.sampled_from(["ship_partial", "ship_complete"]),
        expedite=st.booleans(),
    )
    def place(self, lines, policy, expedite):
        number = f"{self.run}-{len(self.numbers)}"
        try:
            placement.place_order(
                number=number,
                customer=placement.CustomerDetails(f"{number}@example.org", number),
                fulfilment_policy=policy,
                expedite=expedite,
                lines=[placement.LineRequest(self.sku(sku), quantity) for sku, quantity in lines.items()],
            )
            self.numbers.append(number)
        except DomainError:
            assert not Order.objects.filter(number=number).exists()

    @rule(
        sku=st.sampled_from(SKUS),
        reason=st.sampled_from(["receipt", "adjustment", "count"]),
        quantity=st.integers(-3, 6),
    )
    def change_stock(self, sku, reason, quantity):
        try:
            stock.change_stock([StockChange(self.sku(sku), quantity, reason)])
        except DomainError:
            pass

    @precondition(lambda self: self.numbers)
    @rule(data=st.data())
    def ship(self, data):
        try:
            fulfilment.ship_order(data.draw(st.sampled_from(self.numbers)))
        except DomainError:
            pass

    @precondition(lambda self: self.numbers)
    @rule(data=st.data(), sku=st.sampled_from(SKUS), quantity=st.integers(1, 3), everything=st.booleans())
    def cancel(self, data, sku, quantity, everything):
        number = data.draw(st.sampled_from(self.numbers))
        try:
            cancellation.cancel_units(
                number, None if everything else [cancellation.CancelRequest(self.sku(sku), quantity)]
            )
        except DomainError:
            pass

    @rule()
    def batch_and_send(self):
        batching.batch_backorders()
        for po in PurchaseOrder.objects.filter(supplier=self.supplier, status="draft"):
            lifecycle.send_purchase_order(po.number)

    @rule(data=st.data(), units=st.integers(1, 4))
    def receive_purchase_order(self, data, units):
        lines = list(
            PurchaseOrderLine.objects.filter(purchase_order__supplier=self.supplier)
            .exclude(purchase_order__status__in=["draft", "received"])
            .select_related("purchase_order", "product")
        )
        if not lines:
            return
        line = data.draw(st.sampled_from(lines))
        try:
            receiving.receive_purchase_order(line.purchase_order.number, {line.product.sku: units})
        except DomainError:
            assert units > line.outstanding

    @invariant()
    def backorders_on_order_are_pegged_to_lines_that_order_enough(self):
        on_order = Backorder.objects.filter(order__in=self.orders(), status=Backorder.Status.ON_ORDER)
        assert not on_order.filter(po_line__isnull=True).exists()
        for line in PurchaseOrderLine.objects.filter(
            purchase_order__supplier=self.supplier, purchase_order__status="draft"
        ):
            need = sum(b.waiting for b in line.backorders.filter(status=Backorder.Status.ON_ORDER))
            assert line.quantity >= need

    @invariant()
    def every_line_adds_up_and_matches_its_backorders(self):
        waiting = {
            row["line_id"]: row["units"]
            for row in Backorder.objects.filter(order__in=self.orders(), status__in=WAITING)
            .values("line_id")
            .annotate(units=Sum("quantity") - Sum("filled") - Sum("cancelled"))
        }
        for line in OrderLine.objects.filter(order__in=self.orders()):
            assert line.allocated + line.backordered + line.shipped + line.cancelled == line.quantity
            assert line.backordered == waiting.get(line.pk, 0)

    @invariant()
    def stock_is_the_ledger_and_allocations_are_the_lines(self):
        for level in StockLevel.objects.select_related("product").filter(product__in=self.products):
            ledger = level.product.movements.aggregate(total=Sum("quantity"))["total"] or 0
            held = OrderLine.objects.filter(product=level.product).aggregate(units=Sum("allocated"))["units"] or 0
            assert level.on_hand == ledger
            assert level.allocated == held
            assert 0 <= level.allocated <= level.on_hand
            if level.available > 0:
                assert not Backorder.objects.filter(product=level.product, status__in=WAITING).exists()

    @invariant()
    def status_and_payment_follow_the_lines(self):
        for order in self.orders():
            lines = list(order.lines.all())
            parts = {
                part: sum(getattr(line, part) for line in lines)
                for part in ("quantity", "allocated", "backordered", "shipped", "cancelled")
            }
            assert order.status == order_status(order.fulfilment_policy, **parts)
            assert order.amount_captured == sum((line.shipped * line.unit_price for line in lines), Decimal("0"))
            assert order.amount_voided == sum((line.cancelled * line.unit_price for line in lines), Decimal("0"))
            assert order.amount_captured + order.amount_voided <= order.amount_authorised


@pytest.mark.django_db
def test_random_sequences_keep_every_unit_accounted_for():
    run_state_machine_as_test(
        OrderBook,
        settings=settings(
            max_examples=60,
            stateful_step_count=25,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
