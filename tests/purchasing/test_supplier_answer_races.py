"""The supplier answers through its link while purchasing records a date for the same line,
each in its own thread and connection: one wins, the other is told "changed meanwhile" and
changes nothing. On PostgreSQL, where the row locks are real."""

import datetime

import pytest
from django.core import mail

from purchasing import answers, lifecycle
from purchasing.models import SupplierAnswer
from tests.orders.test_races import at_once
from tests.purchasing.supplier_answers import sent_order, token_in

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# Real time: the threads' connections do not share a travelled clock.
SUPPLIERS_DATE = datetime.date.today() + datetime.timedelta(days=40)
PURCHASINGS_DATE = datetime.date.today() + datetime.timedelta(days=60)


@pytest.mark.parametrize("round", range(4))
def test_supplier_and_purchasing_on_the_same_line_one_wins_the_other_is_told(round):
    po, [item], orders = sent_order(2, 3)
    token = token_in(mail.outbox[-1])
    line = po.lines.get()
    # Both opened their form on the same order.
    version, shown = answers.page(token)["version"], line.expected_date

    def work(index):
        if index == 0:
            return answers.redate(token, version, {line.pk: SUPPLIERS_DATE}).kind
        return lifecycle.confirm_purchase_order(
            po.number, {item.product.sku: PURCHASINGS_DATE}, was={item.product.sku: shown}
        ).number

    outcomes = at_once(2, work)

    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["Conflict", "ok"], outcomes
    [(_kind, told)] = [outcome for outcome in outcomes if outcome[0] == "Conflict"]
    assert "changed meanwhile" in told
    line.refresh_from_db()
    supplier_won = outcomes[0][0] == "ok"
    assert line.expected_date == (SUPPLIERS_DATE if supplier_won else PURCHASINGS_DATE)
    assert SupplierAnswer.objects.count() == (1 if supplier_won else 0)
    # The customers' dates follow the winner's date, not the loser's.
    assert {
        backorder.eta > line.expected_date - datetime.timedelta(days=1) for backorder in po.lines.get().backorders.all()
    } == {True}
