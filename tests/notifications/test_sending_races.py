"""Races on PostgreSQL, each thread on its own connection: workers sending the same outbox,
and two re-dates of one customer's order committing at the same moment."""

import datetime
import threading

import pytest
from django.core import mail

from notifications import receivers
from notifications.models import CustomerMessage
from notifications.sending import send_due_messages
from orders.models import Backorder
from purchasing import batching, lifecycle
from purchasing.models import PurchaseOrder
from purchasing.signals import etas_changed
from tests.factories import CustomerFactory, SupplierItemFactory, place
from tests.orders.test_races import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    return mail.outbox


def test_four_workers_sending_200_messages_send_each_exactly_once(settings, locmem):
    settings.BACKORDER_DEFAULT_LEAD_TIME_DAYS = 30
    item = SupplierItemFactory()
    for index in range(200):
        place((item.product, 1), customer=CustomerFactory.build(email=f"c{index}@example.org"))
    CustomerMessage.objects.update(send_after=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))

    def worker(index):
        sent = 0
        while True:
            counts = send_due_messages(limit=7)
            sent += counts["sent"]
            if not counts["claimed"]:
                return sent

    outcomes = at_once(4, worker)

    assert [kind for kind, _ in outcomes] == ["ok"] * 4
    assert sum(sent for _, sent in outcomes) == 200
    assert sorted(email.to[0] for email in locmem) == sorted(f"c{index}@example.org" for index in range(200))
    assert CustomerMessage.objects.filter(status="sent", attempts=1).count() == 200


def test_two_purchase_orders_slipping_at_once_for_one_order_queue_one_email():
    kettle, teapot = SupplierItemFactory(), SupplierItemFactory()
    order = place((kettle.product, 1), (teapot.product, 1), customer=CustomerFactory.build())
    batching.batch_backorders()
    PurchaseOrder.objects.update(status="sent")
    CustomerMessage.objects.all().delete()
    told = Backorder.objects.filter(order=order).first().told_eta
    # Pegging moved both ETAs a day since the customer was told: each re-date's transaction
    # wants to mark the other line as told too, while the other transaction holds it.
    Backorder.objects.filter(order=order).update(eta=told + datetime.timedelta(days=1))
    pos = [(PurchaseOrder.objects.get(supplier=item.supplier), item) for item in (kettle, teapot)]

    def redate(index):
        po, item = pos[index]
        lifecycle.confirm_purchase_order(po.number, {item.product.sku: told + datetime.timedelta(days=5 + index)})

    # Both transactions have moved their own backorders before either writes its message:
    # the interleaving that deadlocks if one waits for rows the other holds.
    both_moved = threading.Barrier(2, timeout=20)
    etas_changed.disconnect(dispatch_uid="notifications.etas_changed")
    etas_changed.connect(lambda **kwargs: both_moved.wait(), weak=False, dispatch_uid="test.barrier")
    etas_changed.connect(receivers.on_etas_changed, dispatch_uid="notifications.etas_changed")
    try:
        outcomes = at_once(2, redate)
    finally:
        etas_changed.disconnect(dispatch_uid="test.barrier")

    assert [kind for kind, _ in outcomes] == ["ok", "ok"]
    [message] = CustomerMessage.objects.filter(order=order)
    assert message.status == "queued"
    # Whichever committed second merged its line into the first one's message.
    assert kettle.product.name in message.content().text and teapot.product.name in message.content().text
    assert set(Backorder.objects.filter(order=order).values_list("told_eta", flat=True)) == {
        told + datetime.timedelta(days=7),
        told + datetime.timedelta(days=8),
    }
