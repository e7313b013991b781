"""Customer service gets one digest a day: new backorders, slipped ETAs, bounces, whom to
call, and how many customers were just told of a delay."""

import datetime

import pytest
from django.core import mail

from notifications.digest import send_digest
from notifications.models import CustomerMessage
from orders.models import Backorder, Customer
from tests.factories import UserFactory

from .conftest import mark_sent, redate, waiting_on_a_purchase_order

pytestmark = pytest.mark.django_db


def test_the_daily_digest_sums_up_the_day_once(clock, settings):
    settings.STAFF_LANGUAGE = "en"
    UserFactory(roles=["Customer service"], email="cs@example.org")
    UserFactory(roles=["Warehouse"], email="wh@example.org")
    item, orders, po = waiting_on_a_purchase_order(None, None, None)
    redate(item, po, Backorder.objects.filter(order=orders[0]).first().told_eta + datetime.timedelta(days=3))
    mark_sent(*CustomerMessage.objects.all())
    Customer.objects.filter(pk=orders[0].customer_id).update(call_reason="Email bounced: mailbox full")

    figures = send_digest()
    again = send_digest()

    [digest] = mail.outbox
    assert digest.to == ["cs@example.org"]
    assert digest.subject == "Backorders on 2 Mar 2026: 3 customers told of a delay, 1 to call"
    assert "3 new backorders (3 orders)" in digest.body
    assert "3 backorders of 3 orders got a later ETA" in digest.body
    assert "mailbox full" in digest.body
    assert (figures["told_of_delay"], again) == (3, None)
