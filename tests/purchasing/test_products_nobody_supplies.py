"""Purchasing hears first of what customers wait for that nobody supplies: a daily job with its
count on the admin index, rows in the reorder review (units waiting, oldest wait), a figure on
the dashboard, a line in the morning digest, the SKUs in the batch's message; and a supplier
item added there gets them ordered by the next batch."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from backoffice.dashboard import refresh_dashboard
from notifications.digest import send_digest
from purchasing.batching import batch_backorders
from purchasing.models import BatchRun, PurchaseOrder, describe_batch
from tests.factories import ProductFactory, SupplierFactory, SupplierItemFactory, UserFactory, place

pytestmark = pytest.mark.django_db

MONDAY = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def nobody_supplies_scales(settings):
    """SCL-070, which nobody supplies, waited for by two orders (3 units) since Monday;
    a teapot whose supplier orders it."""
    settings.STAFF_LANGUAGE = "en"
    scales = ProductFactory(sku="SCL-070", name="Kitchen scales")
    teapot = SupplierItemFactory(supplier=SupplierFactory(max_wait_hours=0)).product
    with time_machine.travel(MONDAY, tick=False):
        place((scales, 2), (teapot, 1))
    with time_machine.travel(MONDAY + datetime.timedelta(days=2), tick=False):
        place((scales, 1))
    return scales


def test_purchasing_sees_the_job_and_its_rows(client, nobody_supplies_scales):
    client.force_login(UserFactory(roles=["Purchasing"]))

    index = client.get(reverse("admin:index")).content.decode()
    review = client.get(reverse("admin:purchasing_purchaseorder_reorder"))

    assert "Waiting for a product without a supplier</a> (1)" in index
    [row] = review.context["without_supplier"]
    assert (row["product__sku"], row["units"], row["backorders"]) == ("SCL-070", 3, 2)
    assert row["since"] == MONDAY
    html = review.content.decode()
    assert "SCL-070" in html and "Add a supplier item" in html and "2 Mar 2026" in html


def test_the_dashboard_the_digest_and_the_batch_name_it(client, nobody_supplies_scales):
    UserFactory(roles=["Purchasing"], email="buyer@example.org")
    client.force_login(UserFactory(roles=["Manager"]))

    refresh_dashboard()
    dashboard = client.get(reverse("dashboard")).content.decode()
    result = batch_backorders()
    send_digest()

    assert "1 product without a supplier, 3 units waiting for it." in dashboard
    assert (result["without_supplier"], result["without_supplier_skus"]) == (2, ["SCL-070"])
    assert "2 backorders without a supplier (SCL-070)" in describe_batch(BatchRun.objects.get().result)
    [digest] = mail.outbox
    assert "buyer@example.org" in digest.to
    assert "- SCL-070 Kitchen scales: 3 units waiting since 2 Mar 2026" in digest.body


def test_a_supplier_item_added_gets_them_ordered_by_the_next_batch(nobody_supplies_scales):
    batch_backorders()
    supplier = SupplierFactory(max_wait_hours=0)

    SupplierItemFactory(product=nobody_supplies_scales, supplier=supplier, preferred=True)
    result = batch_backorders()

    assert result["without_supplier"] == 0
    po = PurchaseOrder.objects.get(supplier=supplier)
    assert po.lines.get().product == nobody_supplies_scales and po.lines.get().quantity >= 3
