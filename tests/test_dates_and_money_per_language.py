"""One way to write dates and money per language, everywhere: the admin, customers' emails,
the status page and the purchase order a supplier gets. English: "8 Dec 2026", "€4,713.50";
German: "8. Dezember 2026", "4.713,50 €" (kernel/formats)."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from kernel.formats import day, money
from notifications.models import CustomerMessage
from orders.status_links import status_url
from purchasing import batching, lifecycle
from purchasing.models import PurchaseOrder
from tests.factories import (
    CustomerFactory,
    ProductFactory,
    SupplierFactory,
    SupplierItemFactory,
    UserFactory,
    place,
)

pytestmark = pytest.mark.django_db

NBSP = "\N{NO-BREAK SPACE}"
MONDAY = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.mark.parametrize(
    ("language", "amount", "written"),
    [
        ("en", "4713.50", "€4,713.50"),
        ("de", "4713.50", f"4.713,50{NBSP}€"),
        ("en", "-4.5", "-€4.50"),
        ("de", "0", f"0,00{NBSP}€"),
        ("en", "1234567.891", "€1,234,567.89"),
    ],
)
def test_an_amount_is_written_as_the_language_writes_money(language, amount, written):
    assert money(Decimal(amount), language) == written


@pytest.mark.parametrize(("language", "written"), [("en", "8 Dec 2026"), ("de", "8. Dezember 2026")])
def test_a_date_is_written_in_words_no_country_reads_differently(language, written):
    assert day(datetime.date(2026, 12, 8), language) == written


@pytest.mark.parametrize(
    ("language", "price", "placed"),
    [
        ("en", "€4,713.50", "30 Nov 2026, 10:00"),
        ("de", f"4.713,50{NBSP}€", "30. November 2026, 10:00"),
    ],
)
def test_admin_pages_write_money_and_dates_in_the_staff_members_language(client, clock, language, price, placed):
    # Given a product worth more than a thousand and an order placed at 10:00 Berlin time
    product = ProductFactory(sku="LAMP-1", price=Decimal("4713.50"))
    order = place((product, 1))
    client.force_login(UserFactory(is_superuser=True))

    # When staff read the product list and the order page in their language
    products = client.get(reverse("admin:inventory_product_changelist"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    order_page = client.get(
        reverse("admin:orders_order_change", args=[order.pk]), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()

    # Then money carries its currency the way the language writes it, and dates are in words
    assert price in products and "4713.50" not in products
    assert placed in order_page and price in order_page  # the line's unit price and the amount authorised
    assert "11/30/2026" not in order_page and "Nov. 30" not in order_page


@pytest.mark.parametrize(
    ("language", "expected", "cost"),
    [
        ("en", "expected 10 Dec 2026", "€5.00 each"),
        ("de", "erwartet 10. Dezember 2026", f"5,00{NBSP}€ je"),
    ],
)
def test_a_supplier_reads_an_unambiguous_date_and_its_price_in_its_language(clock, language, expected, cost):
    item = SupplierItemFactory(
        supplier=SupplierFactory(language=language), unit_cost=Decimal("5.00"), lead_time_days=10
    )
    place((item.product, 2))
    batching.batch_backorders()

    lifecycle.send_purchase_order(PurchaseOrder.objects.get().number)

    [message] = mail.outbox
    assert expected in message.body and cost in message.body
    assert "12/10/2026" not in message.body and "10/12/2026" not in message.body


@pytest.mark.parametrize(("language", "refund"), [("en", "€17.00"), ("de", f"17,00{NBSP}€")])
def test_the_status_page_and_the_cancellation_email_write_the_refund_in_the_customers_language(
    client, clock, language, refund
):
    # Given a customer waiting for an item worth 17.00
    order = place((ProductFactory(price=Decimal("17.00")), 1), customer=CustomerFactory.build(language=language))
    line = order.lines.get()
    cancel = status_url(order) + "cancel/"

    # When they ask to cancel it, then confirm
    review = client.post(cancel, {f"line-{line.pk}": "1", "step": "review", "lang": language}).content.decode()
    client.post(cancel, {f"line-{line.pk}": "1", "step": "confirm", "lang": language})

    # Then the page and the email both write the amount as their language does
    assert refund in review
    assert refund in CustomerMessage.objects.get(order=order, kind="cancellation").content().text
