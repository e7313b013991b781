"""Each answer through the supplier's link is the same event as purchasing typing it in admin:
the same lines re-dated, the same customers' dates moved with the same history, the same
messages queued. Two identical purchase orders, one answered by each path, side by side."""

import datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.urls import reverse

from notifications.models import CustomerMessage
from orders.models import Backorder, EtaChange
from purchasing import answers
from purchasing.models import SupplierAnswer
from tests.factories import UserFactory
from tests.purchasing.supplier_answers import sent_order, token_in, travel

pytestmark = pytest.mark.django_db

LATER = datetime.date(2026, 4, 6)


@pytest.fixture(autouse=True)
def clock():
    with travel() as traveller:
        yield traveller


def twin():
    """A sent purchase order with three waiting customers, and its link's token."""
    po, [item], orders = sent_order(1, 2, 3)
    return po, item, orders, token_in(mail.outbox[-1])


def outcome(po, orders):
    """What the customers of `orders` see: their dates, the history's causes, the messages."""
    return {
        "lines": sorted(po.lines.values_list("expected_date", "late", "quantity")),
        "status": type(po).objects.get(pk=po.pk).status,
        "backorders": [
            (b.quantity, b.eta, b.status, b.po_line_id is not None)
            for b in Backorder.objects.filter(order__in=orders).order_by("order__placed_at", "id")
        ],
        "history": sorted(
            EtaChange.objects.filter(backorder__order__in=orders).values_list("old_eta", "new_eta", "cause")
        ),
        "messages": sorted(
            CustomerMessage.objects.filter(order__in=orders).values_list("order__customer__email", "kind")
        ),
    }


def without_emails(result):
    return {**result, "messages": sorted(kind for _email, kind in result["messages"])}


def record_in_admin(client, po, item, date):
    line = po.lines.get()
    client.post(
        reverse("admin:purchasing_purchaseorder_changelist"),
        {
            "action": "confirm",
            ACTION_CHECKBOX_NAME: [po.pk],
            "apply": "1",
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-line": line.pk,
            "form-0-expected_date": date.isoformat(),
            "form-0-was": line.expected_date.isoformat(),
        },
    )


@pytest.mark.parametrize(
    "kind",
    ["confirmed as asked", "a later date", "an earlier date", "a shipment of everything left"],
)
def test_an_answer_through_the_link_moves_customers_as_purchasing_typing_it(client, kind):
    client.force_login(UserFactory(roles=["Purchasing"]))
    typed, typed_item, typed_orders, _token = twin()
    linked, linked_item, linked_orders, token = twin()
    asked = typed.lines.get().expected_date
    date = {
        "confirmed as asked": asked,
        "a later date": LATER,
        "an earlier date": asked - datetime.timedelta(days=3),
        "a shipment of everything left": LATER,
    }[kind]

    # Given purchasing types the supplier's answer into admin for one order,
    record_in_admin(client, typed, typed_item, date)
    # when the supplier gives the same answer through its link for the other,
    version = answers.page(token)["version"]
    line = linked.lines.get()
    if kind == "confirmed as asked":
        answers.confirm(token, version)
    elif kind == "a shipment of everything left":
        answers.announce_shipment(token, version, {line.pk: line.outstanding}, date, "DHL", "00340434")
    else:
        answers.redate(token, version, {line.pk: date})

    # then both orders' customers see exactly the same.
    assert without_emails(outcome(linked, linked_orders)) == without_emails(outcome(typed, typed_orders))
    if kind == "a later date":  # the slip was told, not only equal on both sides
        assert {kind for _email, kind in outcome(linked, linked_orders)["messages"]} & {"delay", "apology"}
    [answer] = SupplierAnswer.objects.filter(purchase_order=linked)
    assert answer.link.purchase_order == linked


def test_a_short_delivery_with_the_rest_later_tells_only_the_customers_beyond_it(client):
    po, [item], orders = sent_order(1, 2, 3)
    token = token_in(mail.outbox[-1])
    line = po.lines.get()
    first = Backorder.objects.get(order=orders[0]).eta

    # The supplier delivers 3 of 6 now, the rest by LATER.
    answers.short_delivery(token, answers.page(token)["version"], line.pk, 3, LATER)

    etas = [Backorder.objects.get(order=order).eta for order in orders]
    assert etas[:2] == [first, first]  # 1 + 2 units fit in the first 3
    assert etas[2] > LATER
    told = set(CustomerMessage.objects.filter(kind__in=["delay", "apology"]).values_list("order_id", flat=True))
    assert told == {orders[2].pk}
    line.refresh_from_db()
    assert (line.quantity, line.rest_expected_date) == (6, LATER)
    [answer] = SupplierAnswer.objects.all()
    assert answer.kind == "short"
    assert answer.changes == [
        {
            "sku": item.product.sku,
            "field": "rest_expected_date",
            "was": line.expected_date.isoformat(),
            "now": "2026-04-06",
        }
    ]
    assert answer.days_moved == (LATER - line.expected_date).days


def test_after_the_first_part_of_a_short_delivery_the_line_is_expected_by_the_rest_date():
    from purchasing import receiving

    po, [item], _orders = sent_order(1, 2, 3)
    token = token_in(mail.outbox[-1])
    line = po.lines.get()
    answers.short_delivery(token, answers.page(token)["version"], line.pk, 3, LATER)

    receiving.receive_purchase_order(po.number, {item.product.sku: 3})

    line.refresh_from_db()
    assert (line.expected_date, line.rest_expected_date, line.late) == (LATER, None, False)
