"""Purchasing's date rules (purchasing/dates.py), each pinned on an example worked by hand:
the same answer whether a new backorder is told it, pegging writes it in SQL, a re-date
moves it, availability shows it or the morning review holds a date against it."""

import datetime

import pytest
import time_machine

from backoffice.availability import availability
from purchasing import lifecycle
from purchasing.batching import batch_backorders
from purchasing.models import PurchaseOrder, PurchaseOrderLine, Supplier
from purchasing.record import lead_times
from purchasing.review import review_etas
from purchasing.selectors import supplier_figures
from tests.factories import SupplierFactory, SupplierItemFactory, UserFactory, place

pytestmark = pytest.mark.django_db

MONDAY = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)  # 2 March 2026, 09:00 in Berlin


def on(day, month=3):
    return datetime.date(2026, month, day)


def at(days):
    return time_machine.travel(MONDAY + datetime.timedelta(days=days), tick=False)


@pytest.mark.parametrize(("learned", "pads", "pad"), [(3, True, 3), (3, False, 0), (0, True, 0)])
def test_a_customers_date_carries_the_suppliers_learned_lateness_only_where_it_pads(settings, learned, pads, pad):
    """Lead time 10 days, window 48 hours (2 days), handling 2 days, learned lateness 3 days.
    With learning and padding (pad 3):
    - a new backorder on 2 March: 2 March + 2 (window) + 10 (lead) + 2 (handling) + 3 = 19 March;
    - the batch orders it at once (before its window closed): the line asks for 2 March + 10 =
      12 March; pegged: 12 + 2 (handling) + 3 = 17 March, two days sooner;
    - the supplier re-dates it to 20 March: 20 + 2 + 3 = 25 March.
    Without (padding switched off, or nothing learned; pad 0): 16, 14 and 22 March."""
    settings.PURCHASING_HANDLING_DAYS = 2
    supplier = SupplierFactory(lead_time_days=10, max_wait_hours=48, pad_with_lateness=pads)
    Supplier.objects.filter(pk=supplier.pk).update(learned_lateness_days=learned)
    item = SupplierItemFactory(supplier=supplier)

    # Given a customer waiting for the item since Monday
    with at(0):
        order = place((item.product, 1))
    backorder = order.backorders.get()
    assert backorder.eta == on(16 + pad)

    # When the batch orders it, then the supplier re-dates the line
    with at(0):
        batch_backorders()
    [po] = PurchaseOrder.objects.all()
    backorder.refresh_from_db()
    assert (po.lines.get().expected_date, backorder.eta) == (on(12), on(14 + pad))
    with at(1):
        lifecycle.send_purchase_order(po.number)
        lifecycle.confirm_purchase_order(po.number, {item.product.sku: on(20)})

    # Then each date is the line's + handling + the pad
    backorder.refresh_from_db()
    assert backorder.eta == on(22 + pad)


def test_a_drafts_goods_arrive_the_items_own_lead_time_after_today_else_the_suppliers():
    """The supplier takes 10 days; item A has its own 4 days, item B none.
    The batch drafts both on 2 March: A's line asks for 6 March, B's for 12 March.
    On Thursday 5 March nobody has sent the draft:
    - A arrives at max(6 March, 5 March + 4) = 9 March (not 5 + 10 = 15 March);
    - B arrives at max(12 March, 5 March + 10) = 15 March.
    The morning review gives A's waiting customer 9 March + 2 handling days = 11 March (nothing
    padded), the date the line would give if sent today."""
    supplier = SupplierFactory(lead_time_days=10)
    own = SupplierItemFactory(supplier=supplier, lead_time_days=4)
    suppliers = SupplierItemFactory(supplier=supplier, lead_time_days=None)
    with at(0):
        order = place((own.product, 1), (suppliers.product, 1))
        batch_backorders()
    lines = {line.product_id: line.expected_date for line in PurchaseOrderLine.objects.all()}
    assert (lines[own.product_id], lines[suppliers.product_id]) == (on(6), on(12))

    with at(3):
        assert availability(own.product.sku)["incoming"] == [{"quantity": 1, "expected_date": on(9)}]
        assert availability(suppliers.product.sku)["incoming"] == [{"quantity": 1, "expected_date": on(15)}]
        review_etas()

    assert order.backorders.get(product=own.product).eta == on(11)


def test_a_backorder_not_yet_ordered_is_told_its_window_plus_the_lead_time_and_no_earlier_than_today():
    """Lead time 10 days, window 48 hours, handling 2 days, minimum order value out of reach: on
    2 March the customer is told 2 + 2 + 10 + 2 = 16 March. On Thursday 5 March the window
    (4 March) has passed and the batch could order it today at the earliest: 5 + 10 + 2 = 17 March."""
    supplier = SupplierFactory(lead_time_days=10, max_wait_hours=48, min_order_value=10_000)
    item = SupplierItemFactory(supplier=supplier)
    with at(0):
        order = place((item.product, 1))
    assert order.backorders.get().eta == on(16)

    with at(3):
        review_etas()

    assert order.backorders.get().eta == on(17)


def test_a_late_line_gives_today_plus_the_grace_days_until_the_supplier_names_a_date(settings):
    """Grace 5 days. The line asks for 12 March (2 March + 10) and nothing has come by
    Saturday 14 March: it is late, its goods are expected 14 + 5 = 19 March, and its customer,
    told 12 + 2 (handling) = 14 March, is told 19 March."""
    settings.PURCHASING_LATE_GRACE_DAYS, settings.PURCHASING_HANDLING_DAYS = 5, 2
    item = SupplierItemFactory(supplier=SupplierFactory(lead_time_days=10))
    with at(0):
        order = place((item.product, 1))
        batch_backorders()
        lifecycle.send_purchase_order(PurchaseOrder.objects.get().number)
    assert order.backorders.get().eta == on(14)

    with at(12):
        lifecycle.mark_late_lines()
        assert availability(item.product.sku)["incoming"] == [{"quantity": 1, "expected_date": on(19)}]

    assert PurchaseOrderLine.objects.get().late and order.backorders.get().eta == on(19)


def test_the_supplier_page_and_the_dashboard_count_on_time_over_the_same_90_days(client):
    """Two deliveries in full, both sent 10 days before they came: one 120 days ago, 5 days
    late; one 10 days ago, on the day asked for. Within 90 days there is the second alone:
    1 of 1 on time, 100 % on both pages (the 180-day lead time still counts both)."""
    supplier = SupplierFactory(name="Acme")
    item = SupplierItemFactory(supplier=supplier)
    now = MONDAY
    for days_ago, late in [(120, 5), (10, 0)]:
        received = now - datetime.timedelta(days=days_ago)
        po = PurchaseOrder.objects.create(
            number=f"PO-{days_ago}",
            supplier=supplier,
            status="received",
            created_at=received,
            sent_at=received - datetime.timedelta(days=10),
        )
        PurchaseOrderLine.objects.create(
            purchase_order=po,
            product=item.product,
            supplier_sku="S",
            quantity=1,
            received=1,
            unit_cost=1,
            expected_date=received.date(),
            first_expected_date=received.date() - datetime.timedelta(days=late),
            received_at=received,
        )

    record = lead_times({supplier.pk: 10}, now=now)[supplier.pk]
    dashboard = supplier_figures(now)["suppliers"]

    assert (record.receipts, record.on_time_rate) == (2, 1.0)
    assert [(row["lines"], row["rate"]) for row in dashboard] == [(1, 1.0)]

    # And the pages say which days they counted
    client.force_login(UserFactory(is_superuser=True))
    with time_machine.travel(now, tick=False):
        supplier_page = client.get(f"/admin/purchasing/supplier/{supplier.pk}/change/").content.decode()
        dashboard_page = client.get("/admin/dashboard/").content.decode()
    assert "100% (deliveries of the last 90 days)" in supplier_page
    assert "lines received (90 days)" in dashboard_page
