"""Purchasing and the warehouse work purchase orders in admin: send with a confirmation,
record the supplier's dates, receive per line (more than ordered only when confirmed)."""

import datetime
import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.urls import reverse

from purchasing.batching import batch_backorders
from purchasing.lifecycle import send_purchase_order
from purchasing.models import PurchaseOrder, PurchaseOrderLine
from tests.factories import SupplierItemFactory, UserFactory, line_of, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def po():
    item = SupplierItemFactory(pack_size=5)
    order = place((item.product, 3), number="O-1")
    batch_backorders()
    return PurchaseOrder.objects.get(), item, order


def login(client, role):
    client.force_login(UserFactory(roles=[role]))
    return client


def test_purchase_order_pages_open_and_show_the_last_batch_run(client, po):
    purchase_order, item, _ = po
    login(client, "Purchasing")

    page = client.get(reverse("admin:purchasing_purchaseorder_changelist")).content.decode()
    detail = client.get(reverse("admin:purchasing_purchaseorder_change", args=[purchase_order.pk]))

    assert "Batch job last ran" in page and "(by hand): 1 purchase order created (PO-" in page
    assert detail.status_code == 200
    detail = detail.content.decode()
    assert "O-1" in detail  # the waiting customer pegged to it
    cells = dict(re.findall(r'<td class="field-(for_\w+)">\s*<p>(\d+)</p>', detail))
    assert cells == {"for_customers": "3", "for_stock": "2"}  # 3 waiting, packs of 5
    for url in [
        "/admin/purchasing/supplier/",
        "/admin/purchasing/supplieritem/",
        "/admin/purchasing/batchrun/",
        "/admin/purchasing/purchaseorder/?late=yes",
        "/admin/orders/backorder/?supplier=none",
        "/admin/purchasing/supplier/import/",
        "/admin/django_celery_beat/periodictask/",
    ]:
        assert client.get(url).status_code in (200, 403), url


def test_sending_asks_first_then_emails(client, po):
    purchase_order, _, _ = po
    login(client, "Purchasing")
    url = reverse("admin:purchasing_purchaseorder_changelist")
    selection = {"action": "send", ACTION_CHECKBOX_NAME: [purchase_order.pk]}

    assert "Email these purchase orders?" in client.post(url, selection).content.decode()
    assert not mail.outbox
    client.post(url, {**selection, "apply": "1"})

    assert len(mail.outbox) == 1
    purchase_order.refresh_from_db()
    assert purchase_order.status == "sent"


def test_receiving_per_line_fills_the_waiting_order_and_over_receipt_needs_a_tick(client, po):
    purchase_order, item, order = po
    send_purchase_order(purchase_order.number)
    login(client, "Warehouse")
    url = reverse("admin:purchasing_purchaseorder_changelist")
    line = purchase_order.lines.get()
    form = {
        "action": "receive",
        ACTION_CHECKBOX_NAME: [purchase_order.pk],
        "apply": "1",
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-line": line.pk,
    }

    refused = client.post(url, {**form, "form-0-quantity": "7"})
    assert "would exceed the 5 still outstanding" in refused.content.decode()
    assert line_of(order, item.product).allocated == 0

    client.post(url, {**form, "form-0-quantity": "7", "allow_over": "on"})
    assert line_of(order, item.product).allocated == 3
    purchase_order.refresh_from_db()
    assert purchase_order.status == "received"


def test_recording_the_suppliers_date_moves_the_customers_eta(client, po):
    purchase_order, item, order = po
    send_purchase_order(purchase_order.number)
    login(client, "Purchasing")
    line = purchase_order.lines.get()

    client.post(
        reverse("admin:purchasing_purchaseorder_changelist"),
        {
            "action": "confirm",
            ACTION_CHECKBOX_NAME: [purchase_order.pk],
            "apply": "1",
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-line": line.pk,
            "form-0-expected_date": "2030-01-10",
        },
    )

    line.refresh_from_db()
    assert line.expected_date == datetime.date(2030, 1, 10)
    assert order.backorders.get().eta > datetime.date(2030, 1, 9)


def test_the_warehouse_cannot_send_and_purchasing_cannot_receive(client, po):
    login(client, "Warehouse")
    warehouse_page = client.get(reverse("admin:purchasing_purchaseorder_changelist")).content.decode()
    assert 'value="receive"' in warehouse_page and 'value="send"' not in warehouse_page

    login(client, "Purchasing")
    purchasing_page = client.get(reverse("admin:purchasing_purchaseorder_changelist")).content.decode()
    assert 'value="send"' in purchasing_page and 'value="receive"' not in purchasing_page


def test_receiving_on_several_orders_changes_none_of_them_when_one_is_refused(client):
    first, second = SupplierItemFactory(), SupplierItemFactory()
    place((first.product, 2))
    place((second.product, 2))
    batch_backorders()
    pos = list(PurchaseOrder.objects.order_by("id"))
    for purchase_order in pos:
        send_purchase_order(purchase_order.number)
    lines = [purchase_order.lines.get() for purchase_order in pos]
    login(client, "Warehouse")

    response = client.post(
        reverse("admin:purchasing_purchaseorder_changelist"),
        {
            "action": "receive",
            ACTION_CHECKBOX_NAME: [po.pk for po in pos],
            "apply": "1",
            "form-TOTAL_FORMS": "2",
            "form-INITIAL_FORMS": "2",
            "form-0-line": lines[0].pk,
            "form-0-quantity": "2",
            "form-1-line": lines[1].pk,
            "form-1-quantity": "9",  # more than ordered, not ticked
        },
    )

    assert "would exceed" in response.content.decode()
    assert [line.received for line in PurchaseOrderLine.objects.order_by("purchase_order_id")] == [0, 0]
    first.product.stock.refresh_from_db()
    assert first.product.stock.on_hand == 0
