"""The reorder review on histories whose answers are worked out by hand: steady demand, a
weekday pattern, a trend, three days of history; lead times observed or nominal; suggestions
rounded to the supplier's minimum and packs, added to the drafts once, kept by the batch."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from purchasing import batching
from purchasing.demand import refresh_demand
from purchasing.models import DemandDay, DemandRefresh, PurchaseOrder, PurchaseOrderLine, ReorderPolicy
from purchasing.record import lead_times
from purchasing.reorder import add_to_drafts, review
from tests.factories import (
    CustomerFactory,
    SupplierFactory,
    SupplierItemFactory,
    UserFactory,
    place,
    receive,
)

MONDAY = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)  # today; yesterday is Sunday, 1 March
TODAY = MONDAY.date()


@pytest.fixture
def clock(db):
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def stocked(on_hand=0, lead_time_days=10, **item):
    """A product with a preferred supplier of this nominal lead time and no deliveries yet."""
    item = SupplierItemFactory(supplier=SupplierFactory(lead_time_days=lead_time_days), **item)
    if on_hand:
        receive(item.product, on_hand)
    return item


def history(item, units_per_day, lines=1, backordered=0):
    """Daily units ending yesterday, oldest first, as if the history was rebuilt today (else the
    review rebuilds it from the orders, which these tests do not place)."""
    DemandRefresh.objects.update_or_create(pk=1, defaults={"as_of": MONDAY})
    start = TODAY - datetime.timedelta(days=len(units_per_day))
    DemandDay.objects.bulk_create(
        [
            DemandDay(
                product=item.product,
                day=start + datetime.timedelta(days=n),
                units_ordered=units,
                lines=lines,
                lines_backordered=backordered,
                units_cancelled=0,
            )
            for n, units in enumerate(units_per_day)
        ]
    )


def figures(item):
    [result] = review(skus=[item.product.sku])
    return result


def test_steady_demand_orders_up_to_lead_time_and_review_period(clock):
    # Given 4 units a day for 8 weeks, 30 on hand, a supplier taking 10 days
    item = stocked(on_hand=30)
    history(item, [4] * 56)

    f = figures(item)

    # Then: 40 over the lead time, no variability, 56 over the 14-day review period
    assert (f.daily_demand, f.demand_std, f.lead_time_days, f.lead_time_source) == (4.0, 0.0, 10, "nominal")
    assert (f.safety_stock, f.reorder_point, f.order_up_to) == (0, 40, 96)
    assert (f.projected_available, f.suggested_quantity, f.days_of_cover) == (30, 66, 7.5)
    assert f.below_reorder_point


def test_a_weekday_pattern_counts_the_mondays_in_the_lead_time(clock):
    # Given 14 units every Monday and nothing on other days (the window starts on Monday 2 February)
    item = stocked()
    history(item, [14, 0, 0, 0, 0, 0, 0] * 4)

    f = figures(item)

    # Then the 10 days from today hold two Mondays (today and next Monday): 28 units; the 14
    # days after hold two more; the pattern explains every day, so no safety stock
    assert (f.reorder_point, f.order_up_to, f.safety_stock) == (28, 56, 0)
    assert f.daily_demand == round(56 / 24, 2)
    assert f.suggested_quantity == 56


def test_a_rising_trend_is_carried_forward(clock):
    # Given 1, 2, ..., 28 units on the last 28 days (one more each day)
    item = stocked()
    history(item, list(range(1, 29)))

    f = figures(item)

    # Then day k ahead expects 28 + k: the lead time 29 + ... + 38 = 335, the review period
    # 39 + ... + 52 = 637
    assert (f.reorder_point, f.order_up_to, f.safety_stock, f.demand_std) == (335, 972, 0, 0.0)


def test_three_days_of_history_give_their_average_and_their_spread(clock):
    # Given a product first ordered three days ago: 2, 4 and 6 units
    item = stocked()
    history(item, [2, 4, 6])

    f = figures(item)

    # Then 4 a day; spread √(8/3) = 1.63; safety ⌈1.645 × 1.633 × √10⌉ = ⌈8.49⌉ = 9
    assert (f.daily_demand, f.demand_std, f.safety_stock, f.reorder_point) == (4.0, 1.63, 9, 49)


def test_the_suggestion_is_rounded_to_the_minimum_and_whole_packs(clock):
    # Given a need of 13 units from a supplier selling at least 10, in packs of 6
    item = stocked(lead_time_days=1, min_order_quantity=10, pack_size=6)
    history(item, [1] * 30)
    ReorderPolicy.objects.filter(pk=1).update(review_period_days=12)

    f = figures(item)

    # Then order-up-to 1 + 12 = 13 with nothing projected: max(13, 10) in packs of 6 = 18
    assert (f.order_up_to, f.projected_available, f.suggested_quantity) == (13, 0, 18)


def test_a_supplier_without_enough_deliveries_is_planned_with_its_nominal_lead_time(clock, client):
    quick = SupplierFactory(lead_time_days=9)
    slow = SupplierFactory(lead_time_days=9)
    for days in [6, 7, 8, 9, 20]:  # five deliveries, sent `days` before they arrived
        item = SupplierItemFactory(supplier=slow)
        po = PurchaseOrder.objects.create(
            number=f"PO-{days}",
            supplier=slow,
            status="received",
            created_at=MONDAY,
            sent_at=MONDAY - datetime.timedelta(days=days + 1),
        )
        PurchaseOrderLine.objects.create(
            purchase_order=po,
            product=item.product,
            supplier_sku="S",
            quantity=5,
            received=5,
            unit_cost=1,
            expected_date=TODAY,
            first_expected_date=TODAY - datetime.timedelta(days=2 if days == 20 else 0),
            received_at=MONDAY - datetime.timedelta(days=1),
        )

    records = lead_times({quick.pk: 9, slow.pk: 9})

    assert (records[quick.pk].days, records[quick.pk].source, records[quick.pk].on_time_rate) == (9, "nominal", None)
    assert (records[slow.pk].days, records[slow.pk].p90, records[slow.pk].source) == (8, 20, "observed")
    assert records[slow.pk].on_time_rate == 0.8

    # And the supplier's page says so
    client.force_login(UserFactory(roles=["Purchasing"]))
    slow_page = client.get(f"/admin/purchasing/supplier/{slow.pk}/change/").content.decode()
    quick_page = client.get(f"/admin/purchasing/supplier/{quick.pk}/change/").content.decode()
    assert "median 8 days, 90th percentile 20 days (5 deliveries in 180 days)" in slow_page and "80%" in slow_page
    assert "too few deliveries in 180 days (0); the review plans with 9 days" in quick_page


def test_a_product_backordered_too_often_is_flagged_to_be_stocked(clock):
    item = stocked(on_hand=100)
    history(item, [1] * 30, lines=10, backordered=3)

    f = figures(item)

    assert (f.backorder_rate_90d, f.often_backordered, f.suggested_quantity) == (0.3, True, 0)


def test_suggestions_go_to_the_drafts_once_and_the_batch_keeps_them(clock, settings):
    # Given a steady seller below its reorder point
    settings.BACKORDER_DEFAULT_LEAD_TIME_DAYS = 10
    item = stocked(on_hand=30)
    history(item, [4] * 56)

    # When purchasing adds the suggestions, twice
    first = add_to_drafts()
    second = add_to_drafts()

    # Then one draft carries 66 units for stock, and the second time added nothing
    [po] = PurchaseOrder.objects.filter(status="draft")
    [line] = po.lines.all()
    assert first == {po.number: [(item.product.sku, 66)]} and second == {}
    assert (line.quantity, line.stock_units) == (66, 66)

    # When customers then wait for 40 more and the batch runs
    place((item.product, 70), customer=CustomerFactory.build())
    batching.batch_backorders()

    # Then the line orders both: what the customers wait for and what was ordered for stock
    line.refresh_from_db()
    assert (line.quantity, line.stock_units) == (106, 66)


def test_with_the_policy_switch_on_the_batch_adds_the_suggestions_itself(clock):
    item = stocked(on_hand=30)
    history(item, [4] * 56)
    ReorderPolicy.objects.filter(pk=1).update(add_to_batch=True)

    result = batching.batch_backorders()

    [po] = PurchaseOrder.objects.filter(status="draft")
    assert result["stocked"] == {po.number: [[item.product.sku, 66]]}


def test_the_demand_history_is_rebuilt_from_the_orders(clock):
    # Given 5 on hand, one order on Sunday, two on Monday (the second partly backordered)
    item = stocked(on_hand=5)
    clock.move_to(MONDAY - datetime.timedelta(days=1))
    place((item.product, 1))
    clock.move_to(MONDAY)
    place((item.product, 3))
    place((item.product, 4))

    refresh_demand()
    refresh_demand()  # twice: the same rows

    days = {
        d.day: (d.units_ordered, d.lines, d.lines_backordered) for d in DemandDay.objects.filter(product=item.product)
    }
    assert days == {TODAY: (7, 2, 1), TODAY - datetime.timedelta(days=1): (1, 1, 0)}


def test_the_review_reads_in_the_same_queries_for_3_or_12_products(clock):
    def queries_with(count):
        for _ in range(count):
            history(stocked(on_hand=5), [2] * 30)
        with CaptureQueriesContext(connection) as captured:
            review()
        return len(captured)

    assert queries_with(3) == queries_with(9)


def test_the_reorder_api_gives_one_product_and_the_list_below_the_reorder_point(clock, api_as):
    low = stocked(on_hand=30)
    history(low, [4] * 56)
    plenty = stocked(on_hand=500)
    history(plenty, [4] * 56)
    purchasing = api_as("Purchasing")

    one = purchasing.get(f"/api/v1/products/{low.product.sku}/reorder/")
    below = purchasing.get("/api/v1/reorder/", {"below_reorder_point": "true"})
    of_supplier = purchasing.get("/api/v1/reorder/", {"supplier": plenty.supplier.code})

    assert one.status_code == 200
    assert one.json() == {
        "sku": low.product.sku,
        "daily_demand": 4.0,
        "demand_std": 0.0,
        "lead_time_days": 10,
        "lead_time_source": "nominal",
        "service_level": 0.95,
        "safety_stock": 0,
        "reorder_point": 40,
        "order_up_to": 96,
        "projected_available": 30,
        "suggested_quantity": 66,
        "days_of_cover": 7.5,
        "backorder_rate_90d": 0.0,
    }
    assert [row["sku"] for row in below.json()] == [low.product.sku]
    assert [row["sku"] for row in of_supplier.json()] == [plenty.product.sku]
    assert purchasing.get("/api/v1/products/NOPE/reorder/").status_code == 404
    assert purchasing.get("/api/v1/products/A%00B/reorder/").status_code == 404  # no such SKU can exist
    assert api_as("Warehouse").get("/api/v1/reorder/").status_code == 403
