"""Units the supplier will not deliver release their customers to the next batch; a stale or
replayed answer changes nothing."""

import pytest
from django.core import mail

from kernel.errors import Conflict, InvalidInput
from orders.models import Backorder
from purchasing import answers, batching
from purchasing.models import PurchaseOrder, SupplierAnswer
from tests.purchasing.supplier_answers import sent_order, token_in, travel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with travel() as traveller:
        yield traveller


def test_units_that_will_not_come_send_their_backorders_to_the_next_batch():
    po, [item], orders = sent_order(1, 2, 3)
    token = token_in(mail.outbox[-1])
    line = po.lines.get()

    # The supplier can deliver 3 of 6, the rest not at all.
    answers.short_delivery(token, answers.page(token)["version"], line.pk, 3)

    line.refresh_from_db()
    assert line.quantity == 3
    first, second, third = (Backorder.objects.get(order=order) for order in orders)
    assert (first.status, second.status) == ("on_order", "on_order")
    assert (third.status, third.po_line_id) == ("open", None)
    # The next batch orders them afresh, on a new purchase order.
    batching.batch_backorders()
    third.refresh_from_db()
    assert third.status == "on_order" and third.po_line.purchase_order != po


def test_a_line_nothing_of_which_will_come_goes_and_so_does_an_order_left_empty():
    po, [item], orders = sent_order(2)
    token = token_in(mail.outbox[-1])

    answers.short_delivery(token, answers.page(token)["version"], po.lines.get().pk, 0)

    po.refresh_from_db()
    assert po.status == "cancelled" and not po.lines.exists()
    assert Backorder.objects.get().status == "open"


def test_a_quantity_outside_what_was_ordered_is_refused_naming_the_sku():
    po, [item], _orders = sent_order(2)
    token = token_in(mail.outbox[-1])

    with pytest.raises(InvalidInput, match=f"SKU {item.product.sku}: give a quantity from 0"):
        answers.short_delivery(token, answers.page(token)["version"], po.lines.get().pk, 2)
    assert not SupplierAnswer.objects.exists()


def test_a_replayed_answer_changes_nothing_and_says_the_order_changed():
    po, [item], _orders = sent_order(2)
    token = token_in(mail.outbox[-1])
    version = answers.page(token)["version"]
    answers.confirm(token, version)

    with pytest.raises(Conflict, match="changed meanwhile"):
        answers.confirm(token, version)
    assert SupplierAnswer.objects.count() == 1


def test_a_page_opened_before_purchasing_recorded_a_date_changes_nothing(client):
    po, [item], orders = sent_order(2)
    token = token_in(mail.outbox[-1])
    line = po.lines.get()
    page = client.get(f"/supplier/{token}/?lang=en")
    version = page.context["version"]

    import datetime

    from purchasing import lifecycle

    lifecycle.confirm_purchase_order(po.number, {item.product.sku: datetime.date(2026, 4, 1)})
    answer = client.post(
        f"/supplier/{token}/",
        {"version": version, "answer": "redate", f"date-{line.pk}": "2026-05-01", f"was-{line.pk}": "x", "lang": "en"},
    )

    assert answer.status_code == 409
    assert "changed meanwhile" in answer.content.decode()
    line.refresh_from_db()
    assert line.expected_date == datetime.date(2026, 4, 1)
    assert PurchaseOrder.objects.get().status == "confirmed"


def test_purchasing_is_told_when_the_supplier_answered_while_its_form_was_open():
    import datetime

    from purchasing import lifecycle

    po, [item], _orders = sent_order(2)
    token = token_in(mail.outbox[-1])
    shown = po.lines.get().expected_date
    answers.redate(token, answers.page(token)["version"], {po.lines.get().pk: datetime.date(2026, 4, 20)})

    with pytest.raises(Conflict, match="changed meanwhile"):
        lifecycle.confirm_purchase_order(
            po.number, {item.product.sku: datetime.date(2026, 4, 1)}, was={item.product.sku: shown}
        )
    assert po.lines.get().expected_date == datetime.date(2026, 4, 20)
