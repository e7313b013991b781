"""A year of data in the admin: every page staff use daily reads in a number of queries that
does not grow with the data, searches use what the indexes can answer (and find what they
found before), counts stop at a cap, and the date drill-down reads two bounds, not every row."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.dashboard import refresh_dashboard
from kernel.admin_tools import CappedPaginator
from notifications.worklist import refresh_worklist
from orders.models import Order
from tests.factories import CustomerFactory, ProductFactory, UserFactory, place

ORDERS = reverse("admin:orders_order_changelist")
BACKORDERS = reverse("admin:orders_backorder_changelist")
CUSTOMERS = reverse("admin:orders_customer_changelist")
MESSAGES = reverse("admin:notifications_customermessage_changelist")
WORKLIST = reverse("admin:notifications_customermessage_worklist")


@pytest.fixture
def clock():
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False) as traveller:
        yield traveller


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(is_superuser=True))
    return client


def shop_with(orders, products):
    """`orders` orders of two lines each, one of them backordered."""
    for index in range(orders):
        place(
            (products[index % (len(products) - 1)], 1),
            (products[-1], 2),
            customer=CustomerFactory.build(name=f"Greta Krüger {index}", language="en"),
        )


def queries(client, url):
    client.get(url)  # once before counting: the session and content types settle on a first load
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


PAGES = [
    ORDERS,
    f"{ORDERS}?q=customer1@example.org",
    f"{ORDERS}?q=T10001",
    f"{ORDERS}?q=SKU-",
    f"{ORDERS}?q=Krüger",
    f"{ORDERS}?status__exact=awaiting_stock",
    f"{ORDERS}?waiting=0",
    BACKORDERS,
    f"{BACKORDERS}?status__exact=open",
    f"{BACKORDERS}?q=SKU-",
    f"{CUSTOMERS}?q=Krüger",
    MESSAGES,
    f"{MESSAGES}?q=customer1@example.org",
    WORKLIST,
    f"{WORKLIST}?past_promised=true",
    f"{WORKLIST}?q=Krüger",
    reverse("dashboard"),
]


def test_every_daily_page_reads_in_the_same_queries_for_5_or_25_orders(admin_client, clock, settings):
    # Given a shop with 5 orders, whose summaries are fresh
    settings.BACKORDER_DEFAULT_LEAD_TIME_DAYS = 10
    products = ProductFactory.create_batch(3)
    shop_with(5, products)
    refresh_worklist(), refresh_dashboard()
    few = {url: queries(admin_client, url) for url in PAGES}
    few_order_page = queries(
        admin_client, reverse("admin:orders_order_change", args=[Order.objects.order_by("pk").last().pk])
    )

    # When it has five times as many
    shop_with(20, products)
    refresh_worklist(), refresh_dashboard()
    many = {url: queries(admin_client, url) for url in PAGES}
    many_order_page = queries(
        admin_client, reverse("admin:orders_order_change", args=[Order.objects.order_by("pk").last().pk])
    )

    # Then no page needs more queries
    assert {url: count for url, count in many.items() if count != few[url]} == {}
    assert many_order_page == few_order_page
    assert Order.objects.count() == 25


@pytest.fixture
def orders_to_find(db, settings):
    settings.BACKORDER_DEFAULT_LEAD_TIME_DAYS = 10
    teapot = ProductFactory(sku="TEA-POT-1", name="Teapot")
    kettle = ProductFactory(sku="KET-7", name="Kettle")
    greta = place(
        (teapot, 1), number="W-1001", customer=CustomerFactory.build(email="Greta@Example.org", name="Greta Krüger")
    )
    jonas = place(
        (kettle, 2), number="W-1002", customer=CustomerFactory.build(email="jonas@example.org", name="Jonas Weber")
    )
    return greta, jonas


def found(client, url, term):
    response = client.get(url, {"q": term})
    assert response.status_code == 200
    return sorted(str(obj) for obj in response.context["cl"].result_list)


@pytest.mark.parametrize(
    "term, numbers",
    [
        ("W-1001", ["W-1001"]),  # the order number, exactly
        ("w-1002", ["W-1002"]),  # in any case
        ("greta@example.org", ["W-1001"]),  # an email address, exactly, in any case
        ("krüger", ["W-1001"]),  # part of a customer's name
        ("POT", ["W-1001"]),  # part of a SKU
        ("KET-7", ["W-1002"]),  # a whole SKU
        ("example.org", []),  # not part of an email address: that would read every customer
    ],
)
def test_the_order_search_finds_by_number_email_name_and_sku(admin_client, orders_to_find, term, numbers):
    assert found(admin_client, ORDERS, term) == numbers


def test_the_backorder_customer_and_message_searches_find_what_staff_type(admin_client, orders_to_find):
    greta, jonas = orders_to_find
    assert [b.split(" ")[0] for b in found(admin_client, BACKORDERS, "ket")] == ["2"]  # "2 of 2 waiting", the kettle
    assert found(admin_client, BACKORDERS, "W-1001") == found(admin_client, BACKORDERS, "greta@example.org")
    assert found(admin_client, CUSTOMERS, "Weber") == ["Jonas Weber <jonas@example.org>"]
    assert found(admin_client, CUSTOMERS, "GRETA@example.org") == ["Greta Krüger <greta@example.org>"]
    page = admin_client.get(ORDERS).content.decode()
    assert "part of a customer&#x27;s name, or part of a SKU" in page  # the box says what it searches


def test_a_long_list_says_more_than_the_cap_instead_of_counting_every_row(admin_client, orders_to_find, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "cap", 1)

    page = admin_client.get(ORDERS)

    assert len(page.context["cl"].result_list) == 2  # every row is still listed
    assert "more than 1 orders" in page.content.decode()


def test_the_date_drill_down_offers_the_months_between_the_first_and_last_order(admin_client, clock):
    products = ProductFactory.create_batch(2)
    shop_with(1, products)
    clock.move_to("2026-05-20 10:00")
    shop_with(1, products)

    with CaptureQueriesContext(connection) as captured:
        page = admin_client.get(ORDERS, {"placed_at__year": 2026}).content.decode()

    assert "placed_at__month=3" in page and "placed_at__month=4" in page and "placed_at__month=5" in page
    assert "placed_at__month=6" not in page
    assert not any("DISTINCT" in query["sql"] for query in captured.captured_queries)


def test_the_worklist_reads_a_summary_that_says_as_of_when_and_refreshes(admin_client, clock, settings):
    # Given a waiting order on the worklist
    settings.SUMMARY_REFRESH_MINUTES = 5
    products = ProductFactory.create_batch(2)
    shop_with(1, products)
    first = admin_client.get(WORKLIST)
    assert len(first.context["rows"]) == 1 and "Dates and message counts as of" in first.content.decode()

    # When another order waits, the summary still says what it said a minute ago
    clock.shift(datetime.timedelta(minutes=1))
    shop_with(1, products)
    assert len(admin_client.get(WORKLIST).context["rows"]) == 1

    # Then "Refresh now" shows it at once
    assert admin_client.post(WORKLIST, {"refresh": "1"}).status_code == 302
    assert len(admin_client.get(WORKLIST).context["rows"]) == 2

    # And a summary older than SUMMARY_REFRESH_MINUTES is refreshed by the page itself
    shop_with(1, products)
    clock.shift(datetime.timedelta(minutes=6))
    assert len(admin_client.get(WORKLIST).context["rows"]) == 3
