"""The worklist is live where it matters: an order that shipped or stopped waiting leaves it at
once (the summary of dates and counts may be minutes old), each row says why it is at risk,
and the most urgent reason comes first."""

import datetime

import pytest

from notifications.worklist import refresh_worklist
from orders.cancellation import CancelRequest, cancel_units
from orders.fulfilment import ship_order
from orders.models import Backorder, Customer
from purchasing.receiving import receive_purchase_order
from tests.factories import UserFactory

from .conftest import TODAY, waiting_on_a_purchase_order

pytestmark = pytest.mark.django_db

WORKLIST = "/admin/notifications/customermessage/worklist/"


@pytest.fixture
def service(client):
    client.force_login(UserFactory(roles=["Customer service"]))
    return client


def listed(client, **query):
    return [row["number"] for _, row in client.get(WORKLIST, query).context["rows"]]


def test_an_order_that_received_its_goods_and_shipped_leaves_the_worklist_at_once(service, clock):
    item, [ann, jo], po = waiting_on_a_purchase_order(None, None)
    refresh_worklist()
    assert sorted(listed(service)) == sorted([ann.number, jo.number])

    # Given the goods for both arrive and Ann's order ships, with the summary still as it was
    receive_purchase_order(po.number, {item.product.sku: 2})
    ship_order(ann.number)

    # Then neither order is listed (nothing of theirs waits any more), and the CSV agrees
    assert listed(service) == []
    assert service.get(WORKLIST, {"format": "csv"}).content.decode().count("\n") == 1


def test_a_cancelled_order_leaves_and_a_partly_cancelled_one_shows_its_units_now(service, clock):
    item, [ann, jo], po = waiting_on_a_purchase_order(None, None, quantity=3)
    refresh_worklist()

    cancel_units(ann.number)
    cancel_units(jo.number, [CancelRequest(item.product.sku, 1)])

    rows = dict(service.get(WORKLIST).context["rows"])
    assert [row["number"] for row in rows.values()] == [jo.number]
    assert rows[jo.pk]["waiting_units"] == 2


def test_each_row_says_why_and_the_most_urgent_comes_first(service, clock):
    item, [slipped, late_po, to_call, waiting], po = waiting_on_a_purchase_order(None, None, None, None)
    Backorder.objects.filter(order=slipped).update(eta=TODAY + datetime.timedelta(days=40))
    Backorder.objects.filter(order=late_po).update(promised_date=TODAY - datetime.timedelta(days=1))
    Customer.objects.filter(pk=to_call.customer_id).update(call_reason="Email bounced")
    refresh_worklist()

    rows = [row for _, row in service.get(WORKLIST).context["rows"]]

    assert [row["number"] for row in rows] == [to_call.number, late_po.number, slipped.number, waiting.number]
    assert [row["risk"] for row in rows] == [
        "customer to call",
        "past the promised date, ETA later than promised",
        "ETA later than promised",
        "waiting",
    ]
    assert "Email bounced" in service.get(WORKLIST).content.decode()


def test_the_index_counts_what_the_worklist_lists(service, clock):
    item, [ann, jo], po = waiting_on_a_purchase_order(None, None)
    refresh_worklist()
    cancel_units(ann.number)

    index = service.get("/admin/").content.decode()

    assert "Worklist: orders at risk</a> (1)" in index
