"""Several changes of one order within the quiet window become one email; a cancellation is
never held back or dropped (the week between proactive emails: test_notice_budget)."""

import datetime

import pytest

from notifications.models import CustomerMessage
from notifications.sending import send_due_messages
from orders.cancellation import CancelRequest, cancel_units
from orders.models import Backorder
from purchasing import batching
from purchasing.models import PurchaseOrder
from tests.factories import CustomerFactory, SupplierItemFactory, place

from .conftest import MONDAY, messages_of, redate, waiting_on_a_purchase_order

pytestmark = pytest.mark.django_db


def test_two_lines_slipping_within_the_quiet_window_make_one_email(clock, policy, mailoutbox):
    policy.quiet_window_minutes = 30
    policy.save()
    kettle, teapot = SupplierItemFactory(), SupplierItemFactory()
    order = place((kettle.product, 1), (teapot.product, 1), customer=CustomerFactory.build(language="en"))
    batching.batch_backorders()
    PurchaseOrder.objects.update(status="sent")
    told = Backorder.objects.filter(order=order).first().told_eta
    kettle_po, teapot_po = (PurchaseOrder.objects.get(supplier=item.supplier) for item in (kettle, teapot))
    CustomerMessage.objects.filter(order=order).update(status="sent", sent_at=MONDAY - datetime.timedelta(days=8))

    redate(kettle, kettle_po, told + datetime.timedelta(days=3))
    clock.shift(datetime.timedelta(minutes=10))
    redate(teapot, teapot_po, told + datetime.timedelta(days=4))

    [delay] = messages_of(order, status="queued")
    assert delay.send_after == MONDAY + datetime.timedelta(minutes=30)
    assert kettle.product.name in delay.content().text and teapot.product.name in delay.content().text
    assert send_due_messages()["sent"] == 0  # still within the window
    clock.shift(datetime.timedelta(minutes=20))
    assert send_due_messages()["sent"] == 1
    assert len(mailoutbox) == 1


def test_a_cancellation_goes_at_once_even_right_after_a_delay_email(clock, policy, mailoutbox):
    policy.quiet_window_minutes = 0
    policy.save()
    item, [order], po = waiting_on_a_purchase_order(CustomerFactory.build(language="en"), quantity=2)
    redate(item, po, Backorder.objects.get(order=order).told_eta + datetime.timedelta(days=5))
    send_due_messages()

    cancel_units(order.number, [CancelRequest(item.product.sku, 1)])

    [cancellation] = messages_of(order, kind="cancellation")
    assert cancellation.send_after == MONDAY
    assert "€10.00" in cancellation.content().text and f"1 × {item.product.name}" in cancellation.content().text
    assert send_due_messages()["sent"] == 1
    assert [m.subject for m in mailoutbox][-1] == f"Your order {order.number}: cancellation confirmed"


def test_every_cancellation_is_its_own_message(clock):
    item, [order], po = waiting_on_a_purchase_order(None, quantity=3)

    cancel_units(order.number, [CancelRequest(item.product.sku, 1)])
    cancel_units(order.number, [CancelRequest(item.product.sku, 1)])

    assert len(messages_of(order, kind="cancellation")) == 2
