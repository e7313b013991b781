"""The 5-minute sweep (rules.tell_delayed) passes over orders waiting for a personal word: no
email tells them, so they are left out by the query that finds the delayed orders, for any
number of them, instead of being read and turned down every five minutes until customer
service writes."""

import datetime

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from kernel.sql import AddDays
from notifications.models import CustomerMessage
from notifications.rules import needs_personal_word, tell_delayed
from orders.models import Backorder
from tests.factories import ProductFactory, place

from .conftest import MONDAY

pytestmark = pytest.mark.django_db


def orders_whose_emails_are_spent(count, policy):
    """Orders told three times already whose date has since moved a week: the budget is spent."""
    orders = [place((ProductFactory(), 1)) for _ in range(count)]
    CustomerMessage.objects.filter(order__in=orders).delete()  # their backorder notices: not this story
    for order in orders:
        CustomerMessage.objects.bulk_create(
            CustomerMessage(
                order=order,
                customer=order.customer,
                kind=CustomerMessage.Kind.DELAY_NOTICE,
                to_email=order.customer.email,
                language="en",
                dedupe_key=f"spent:{order.pk}:{n}",
                status=CustomerMessage.Status.SENT,
                created_at=MONDAY - datetime.timedelta(days=7 * n),
                send_after=MONDAY - datetime.timedelta(days=7 * n),
                sent_at=MONDAY - datetime.timedelta(days=7 * n),
            )
            for n in range(1, policy.proactive_emails_per_order + 1)
        )
    Backorder.objects.filter(order__in=orders).update(eta=AddDays(F("told_eta"), 7))
    return orders


def sweep():
    chunks = []
    found = tell_delayed(chunked=chunks.append)
    return found, chunks


def test_orders_waiting_for_a_personal_word_are_not_swept_however_many(clock, policy, django_assert_max_num_queries):
    # Given one order whose emails are spent and whose date moved, waiting for a personal word
    [one] = orders_whose_emails_are_spent(1, policy)
    assert [row["order_id"] for row in needs_personal_word(policy)] == [one.pk]
    # (what the sweep costs for one: the policy and the one query finding the delayed orders)
    with CaptureQueriesContext(connection) as for_one:
        assert sweep() == (0, [])

    # When forty more wait for one
    orders_whose_emails_are_spent(40, policy)
    assert needs_personal_word(policy).count() == 41

    # Then the sweep finds none of them, in as many queries as for one: none is read to be turned down
    with django_assert_max_num_queries(len(for_one)):
        assert sweep() == (0, [])


def test_an_order_the_rules_would_still_email_is_swept(clock, policy):
    # Given an order told twice whose date moved a week: one email of its budget is left
    [order] = orders_whose_emails_are_spent(1, policy)
    CustomerMessage.objects.filter(order=order).order_by("sent_at").first().delete()

    # When the sweep runs, then it tells it
    assert sweep() == (1, [[order.pk]])
