"""A customer cancelling units of a dropship line: before its purchase order went out, the
draft shrinks; after, the purchase order line shrinks (or goes), the supplier is emailed once
in their language, the purchase order's page shows the cancellation (line, units, when, by
whom, when the supplier was emailed), and what the supplier still sends can be received."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from orders.cancellation import CancelRequest, cancel_units
from purchasing import batching, lifecycle, receiving
from purchasing.models import DropshipCancellation, PurchaseOrder
from tests.factories import ProductFactory, SupplierFactory, SupplierItemFactory, UserFactory, line_of, place

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False) as traveller:
        yield traveller


def clock_now():
    return datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def dropship_order(units, language="de"):
    item = SupplierItemFactory(
        product=ProductFactory(sku="DROP-1", dropship=True, price=Decimal("99.00")),
        supplier=SupplierFactory(language=language),
        supplier_sku="S-DROP-1",
    )
    order = place((item.product, units))
    batching.batch_backorders()
    return item, order, PurchaseOrder.objects.get(dropship_order=order)


def test_cancelling_part_of_a_sent_dropship_line_shrinks_it_and_tells_the_supplier_once(
    django_capture_on_commit_callbacks,
):
    # Given a dropship order of 3, its purchase order sent to a German supplier
    item, order, po = dropship_order(3)
    lifecycle.send_purchase_order(po.number)
    mail.outbox.clear()

    # When the customer cancels 2 of them
    with django_capture_on_commit_callbacks(execute=True):
        cancel_units(order.number, [CancelRequest("DROP-1", 2)], by_customer=True)

    # Then the line asks for 1, and the supplier got one email, in German, naming the PO and line
    assert po.lines.get().quantity == 1
    [email] = mail.outbox
    assert email.to == [po.supplier.email]
    assert po.number in email.subject and "Stornierung" in email.subject
    assert "2 × S-DROP-1" in email.body and "1 noch zu liefern" in email.body

    # And the purchase order keeps a record of it: the line, the units, by whom, when emailed
    [record] = DropshipCancellation.objects.filter(purchase_order=po)
    assert (record.product, record.supplier_sku, record.units, record.units_left) == (item.product, "S-DROP-1", 2, 1)
    assert record.by_customer and record.cancelled_by is None
    assert record.cancelled_at == record.emailed_at == clock_now()

    # And the one the supplier still sends is received as the customer's shipment
    receiving.receive_purchase_order(po.number, {"DROP-1": 1})
    po.refresh_from_db()
    line = line_of(order, item.product)
    assert (po.status, line.shipped, line.cancelled) == ("received", 1, 2)
    assert len(mail.outbox) == 1  # the supplier was told once


def test_cancelling_all_of_a_sent_dropship_order_cancels_it_at_the_supplier(django_capture_on_commit_callbacks):
    item, order, po = dropship_order(2, language="en")
    lifecycle.send_purchase_order(po.number)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        cancel_units(order.number, None, by_customer=True)

    po.refresh_from_db()
    assert po.status == "cancelled" and not po.lines.exists()
    [email] = mail.outbox
    assert "2 × S-DROP-1" in email.body and "the line is cancelled" in email.body


def test_before_the_purchase_order_went_out_the_draft_simply_shrinks(django_capture_on_commit_callbacks):
    item, order, po = dropship_order(3)

    with django_capture_on_commit_callbacks(execute=True):
        cancel_units(order.number, [CancelRequest("DROP-1", 2)], by_customer=True)

    assert po.lines.get().quantity == 1 and mail.outbox == []
    lifecycle.send_purchase_order(po.number)
    assert "1 × S-DROP-1" in mail.outbox[0].body


def test_the_purchase_order_page_shows_a_staff_cancellation_and_an_email_that_did_not_go(
    client, django_capture_on_commit_callbacks, monkeypatch
):
    # Given a dropship order of 2 sent to the supplier, and a mail server that is down
    item, order, po = dropship_order(2, language="en")
    lifecycle.send_purchase_order(po.number)
    staff = UserFactory(first_name="Greta", last_name="Berg", roles=["Customer service"])

    def refused(self, *args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refused)

    # When customer service cancels one of them
    with django_capture_on_commit_callbacks(execute=True):
        cancel_units(order.number, [CancelRequest("DROP-1", 1)], user=staff)

    # Then the cancellation stands, recorded with who did it and that no email went
    [record] = DropshipCancellation.objects.filter(purchase_order=po)
    assert (record.units, record.units_left, record.cancelled_by, record.emailed_at) == (1, 1, staff, None)

    # And purchasing sees it on the purchase order's page, with the supplier still to be told
    client.force_login(UserFactory(roles=["Purchasing"]))
    page = client.get(f"/admin/purchasing/purchaseorder/{po.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Cancelled after it was sent" in text
    assert "Greta Berg" in text and "S-DROP-1" in text and "not emailed: tell the supplier" in text
