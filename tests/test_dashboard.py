"""The managers' dashboard: figures right on a known history, queries that do not grow with
the number of orders, and only the manager may open it."""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.dashboard import refresh_dashboard
from notifications.models import CustomerMessage
from orders.cancellation import CancelRequest, cancel_units
from orders.models import Order
from purchasing.models import PurchaseOrder, PurchaseOrderLine
from tests.factories import ProductFactory, SupplierFactory, UserFactory, place, receive

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)


def at(days):
    return T0 + datetime.timedelta(days=days)


@pytest.fixture
def history(settings):
    """Six orders over 25 days, each line's fate known (default ETA: 14 days out)."""
    settings.BACKORDER_DEFAULT_LEAD_TIME_DAYS = 14
    with time_machine.travel(T0, tick=False) as clock:
        a, b, c, d, e = (
            ProductFactory(sku=sku, price=Decimal(price))
            for sku, price in [("A", "10"), ("B", "10"), ("C", "7.50"), ("D", "20"), ("E", "5")]
        )
        receive(e, 1)
        place((a, 2))  # filled after 5 days: by the promised date
        place((b, 1))  # filled after 20 days: 6 days late
        place((e, 1))  # in stock: no backorder
        clock.move_to(at(1))
        place((d, 1))  # still waiting after 24 days
        clock.move_to(at(2))
        lost = place((d, 2))  # one unit cancelled, one waiting
        cancel_units(lost.number, [CancelRequest("D", 1)])
        clock.move_to(at(5))
        receive(a, 2)
        clock.move_to(at(20))
        receive(b, 1)
        place((c, 4))  # waiting 5 days
        supplier = SupplierFactory(name="Acme")
        po = PurchaseOrder.objects.create(
            number="PO-1", supplier=supplier, status="partially_received", created_at=at(0)
        )
        PurchaseOrderLine.objects.bulk_create(
            [
                PurchaseOrderLine(
                    purchase_order=po,
                    product=a,
                    supplier_sku="x",
                    quantity=1,
                    received=1,
                    unit_cost=1,
                    expected_date=at(9).date(),
                    first_expected_date=at(9).date(),
                    received_at=at(8),
                ),
                PurchaseOrderLine(
                    purchase_order=po,
                    product=b,
                    supplier_sku="y",
                    quantity=1,
                    received=1,
                    unit_cost=1,
                    expected_date=at(19).date(),
                    first_expected_date=at(10).date(),
                    received_at=at(19),
                ),
                PurchaseOrderLine(
                    purchase_order=po,
                    product=c,
                    supplier_sku="z",
                    quantity=5,
                    unit_cost=1,
                    expected_date=at(18).date(),
                    first_expected_date=at(18).date(),
                    late=True,
                ),
            ]
        )
        messages = list(CustomerMessage.objects.order_by("id")[:3])
        CustomerMessage.objects.filter(pk__in=[m.pk for m in messages[:2]]).update(status="sent", sent_at=at(20))
        CustomerMessage.objects.filter(pk=messages[2].pk).update(status="bounced", sent_at=at(20))
        clock.move_to(at(25))
        yield clock


def test_the_figures_of_a_known_history(history):
    from notifications.selectors import message_figures
    from orders.selectors import backorder_figures
    from purchasing.selectors import supplier_figures

    figures = backorder_figures(at(25))

    assert figures["open"] == {"lines": 3, "units": 6, "value": Decimal("70.00")}
    assert [bucket["units"] for bucket in figures["ages"]] == [4, 0, 2, 0]
    assert figures["fill"][30] == {"count": 2, "median_days": 5.0, "p90_days": 20.0, "promise_kept": 0.5}
    assert figures["fill"][30] == figures["fill"][90]
    assert figures["backorder_rate"] == 5 / 6
    assert figures["lost"] == {"units": 1, "value": Decimal("20.00"), "orders": 1}
    assert [(row["product__sku"], row["units"]) for row in figures["top_skus"]] == [("C", 4), ("D", 2)]
    suppliers = supplier_figures(at(25))
    assert (suppliers["late_purchase_orders"], suppliers["late_lines"]) == (1, 1)
    assert [(row["purchase_order__supplier__name"], row["lines"], row["rate"]) for row in suppliers["suppliers"]] == [
        ("Acme", 2, 0.5)
    ]
    assert message_figures(at(25)) == {"sent": 3, "bounced": 1, "failed": 0, "queued": 3, "delays": 0}


def test_a_fill_older_than_30_days_counts_only_in_the_90_day_figures(history):
    from orders.selectors import backorder_figures

    figures = backorder_figures(at(45))  # the first fill (day 5) is now 40 days old

    assert figures["fill"][30]["count"] == 1 and figures["fill"][90]["count"] == 2


def test_the_page_shows_the_figures_and_charts_to_the_manager(client, history):
    client.force_login(UserFactory(roles=["Manager"]))

    page = client.get(reverse("dashboard"))

    html = page.content.decode()
    assert page.status_code == 200
    assert re.search(r'id="open-units" href="[^"]+"><strong>6</strong>', html) and "€70.00" in html
    assert html.count("<rect") == 4 + 2  # four age buckets, two SKUs
    assert "83 %" in html  # backorder rate 5 of 6


@pytest.mark.parametrize("role", ["Warehouse", "Purchasing", "Customer service"])
def test_other_roles_are_refused_the_dashboard(client, role, db):
    client.force_login(UserFactory(roles=[role]))

    assert client.get(reverse("dashboard")).status_code == 403


def test_the_dashboard_reads_in_the_same_queries_for_10_or_60_orders(client, db, settings):
    settings.BACKORDER_DEFAULT_LEAD_TIME_DAYS = 3
    client.force_login(UserFactory(roles=["Manager"]))
    products = ProductFactory.create_batch(5)
    refresh_dashboard()  # the snapshot row exists: each run below updates it

    def queries_with(orders):
        for index in range(orders):
            place((products[index % 5], 1 + index % 3))
        receive(products[0], 4)
        with CaptureQueriesContext(connection) as job:
            refresh_dashboard()
        with CaptureQueriesContext(connection) as page:
            assert client.get(reverse("dashboard")).status_code == 200
        return len(job), len(page)

    few = queries_with(10)
    many = queries_with(50)

    assert many == few and Order.objects.count() == 60
