"""The shop reads what was written to its customer: the order's messages and vouchers."""

import datetime

import pytest

from notifications.models import Voucher
from orders.models import Backorder
from tests.factories import CustomerFactory

from .conftest import mark_sent, messages_of, redate, waiting_on_a_purchase_order

pytestmark = pytest.mark.django_db


def test_an_orders_messages_and_vouchers_through_the_api(clock, shop):
    item, [order], po = waiting_on_a_purchase_order(CustomerFactory.build(language="en"))
    redate(item, po, Backorder.objects.get(order=order).promised_date + datetime.timedelta(days=20))
    [apology] = messages_of(order)
    mark_sent(apology)

    messages = shop.get(f"/api/v1/orders/{order.number}/messages/")
    detail = shop.get(f"/api/v1/orders/{order.number}/")

    assert messages.status_code == 200
    assert messages.json() == [
        {
            "kind": "apology",
            "status": "sent",
            "language": "en",
            "subject": apology.content().subject,
            "created_at": "2026-03-02T09:00:00+01:00",
            "sent_at": "2026-03-02T09:00:00+01:00",
        }
    ]
    voucher = Voucher.objects.get(order=order)
    assert detail.json()["vouchers"] == [
        {"code": voucher.code, "kind": "percent", "value": "10.00", "valid_until": "2026-05-31"}
    ]


def test_messages_of_an_unknown_order_are_a_404_naming_it(shop):
    response = shop.get("/api/v1/orders/NOPE-1/messages/")

    assert response.status_code == 404
    assert response.json()["errors"][0]["message"] == "No order with number NOPE-1."


def test_a_role_without_message_access_is_refused(api_as, clock):
    item, [order], po = waiting_on_a_purchase_order(None)

    assert api_as("Purchasing").get(f"/api/v1/orders/{order.number}/messages/").status_code == 403
