import datetime

import pytest
import time_machine

from kernel import clock as kernel_clock
from notifications.models import CustomerMessage, MessagePolicy
from purchasing import batching, lifecycle
from purchasing.models import PurchaseOrder
from tests.factories import CustomerFactory, ProductFactory, SupplierFactory, SupplierItemFactory, place

MONDAY = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)
TODAY = MONDAY.date()


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def policy(db):
    return MessagePolicy.current()


def days(n):
    return TODAY + datetime.timedelta(days=n)


def waiting_on_a_purchase_order(*customers, quantity=1, lead_time_days=10):
    """Orders of one backordered product, pegged to a sent purchase order of its supplier, which
    orders at once (no batching window): each customer is told the supplier's lead time of 10
    days plus 2 handling days, 12 days out, and being put on the line moves nothing."""
    item = SupplierItemFactory(supplier=SupplierFactory(lead_time_days=lead_time_days, max_wait_hours=0))
    orders = [place((item.product, quantity), customer=customer or CustomerFactory.build()) for customer in customers]
    batching.batch_backorders()
    po = PurchaseOrder.objects.get(supplier=item.supplier)
    PurchaseOrder.objects.filter(pk=po.pk).update(status=PurchaseOrder.Status.SENT)
    return item, orders, po


def redate(item, po, expected):
    lifecycle.confirm_purchase_order(po.number, {item.product.sku: expected})


def messages_of(order, **filters):
    return list(CustomerMessage.objects.filter(order=order, **filters).order_by("created_at", "id"))


def mark_sent(*messages, at=None):
    """As if a worker had sent them (the sending itself is tested in test_sending)."""
    at = at or MONDAY
    for message in CustomerMessage.objects.filter(pk__in=[m.pk for m in messages]).select_related("order__customer"):
        content = message.content()  # a worker keeps what it sent
        CustomerMessage.objects.filter(pk=message.pk).update(
            status="sent",
            sent_at=at,
            subject=content.subject,
            text=content.text,
            html=content.html,
        )


@pytest.fixture
def postmark(settings):
    """Email goes through Postmark: its tracking webhook is the one mounted."""
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hooks:s3cret", "POSTMARK_SERVER_TOKEN": "test"}
    return settings


@pytest.fixture
def sent_message(postmark, clock):
    """A backorder notice to bo@example.org, sent through Postmark as pm-123."""
    postmark.BACKORDER_DEFAULT_LEAD_TIME_DAYS = 20
    order = place((ProductFactory(), 1), customer=CustomerFactory.build(email="bo@example.org"))
    message = CustomerMessage.objects.get(order=order)
    CustomerMessage.objects.filter(pk=message.pk).update(
        status="sent", sent_at=kernel_clock.now(), esp_message_id="pm-123"
    )
    return message
