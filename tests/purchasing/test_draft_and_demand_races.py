"""On PostgreSQL with separate connections: readers that all find the demand history missing
build it once over (the same rows, no error); a draft's lines changed while it is being sent
either change before it goes or are refused after, never a sent order changed."""

import pytest

from purchasing import batching, lifecycle
from purchasing.demand import current_history
from purchasing.models import DemandDay, DemandRefresh, PurchaseOrder
from tests.factories import ProductFactory, SupplierItemFactory, place
from tests.orders.test_races import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_four_readers_finding_no_history_build_it_without_error():
    item = SupplierItemFactory(product=ProductFactory(sku="RACE-D"))
    for _ in range(3):
        place((item.product, 2))

    outcomes = at_once(4, lambda index: current_history())

    assert {kind for kind, _ in outcomes} == {"ok"}, outcomes
    assert DemandRefresh.objects.count() == 1
    assert list(DemandDay.objects.values_list("units_ordered", "lines")) == [(6, 3)]


def test_a_draft_changed_while_it_is_sent_is_changed_before_or_refused_after():
    item = SupplierItemFactory(product=ProductFactory(sku="RACE-P"))
    place((item.product, 2))
    batching.batch_backorders()
    po = PurchaseOrder.objects.get()

    def act(index):
        if index == 0:
            return lifecycle.send_purchase_order(po.number)
        return lifecycle.change_draft(po.number, {"RACE-P": {"quantity": 9}})

    outcomes = at_once(2, act)

    po.refresh_from_db()
    assert po.status == "sent"
    assert outcomes[0][0] == "ok", outcomes
    kind, result = outcomes[1]
    if kind == "ok":
        assert po.lines.get().quantity == 9  # changed first, then sent with it
    else:
        assert (kind, po.lines.get().quantity) == ("Conflict", 2), outcomes
        assert "only a draft's lines can change" in result
