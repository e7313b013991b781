"""The purchase order page's waiting customers show their dates as the reader's language writes
them (they were ISO dates, 2026-03-14, on a German page)."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from orders.models import Backorder
from purchasing import batching
from purchasing.models import PurchaseOrder
from tests.factories import ProductFactory, SupplierItemFactory, UserFactory, place

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language, eta", [("de", "14. März 2026"), ("en", "14 Mar 2026")])
def test_the_waiting_customers_dates_are_written_in_the_readers_language(client, language, eta):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 8, tzinfo=datetime.UTC), tick=False):
        place((SupplierItemFactory(product=ProductFactory(sku="KAN-1")).product, 1))
        batching.batch_backorders()
        Backorder.objects.update(eta=datetime.date(2026, 3, 14))
        client.force_login(UserFactory(roles=["Purchasing"]))

        page = client.get(
            reverse("admin:purchasing_purchaseorder_change", args=[PurchaseOrder.objects.get().pk]),
            HTTP_ACCEPT_LANGUAGE=language,
        )

    html = page.content.decode()
    waiting = html[html.index("field-waiting_customers") :]
    assert eta in waiting and "2026-03-14" not in waiting
