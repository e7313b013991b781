"""What still waits of a backorder, stated once (orders.models: its quantity, neither filled nor
cancelled) and read the same by every page and job that counts it: the backorder itself, the
backorder queryset, purchasing's pegged need and draft line, the customer's email, the
worklist and availability."""

import pytest

from backoffice.availability import availability
from notifications.models import WorklistEntry
from notifications.selectors import order_states
from notifications.worklist import refresh_worklist
from orders.cancellation import CancelRequest, cancel_units
from orders.models import Backorder
from purchasing.batching import batch_backorders
from purchasing.models import PurchaseOrderLine
from purchasing.pegging import pegged_need
from tests.factories import SupplierItemFactory, line_of, place, receive

pytestmark = pytest.mark.django_db


def test_units_waiting_across_a_partial_fill_and_cancellations():
    """Order A waits for 10 units, order B for 4; the batch puts all 14 on a draft.
    3 units arrive: A, the older, is filled 3, so 10 - 3 = 7 wait. A cancels 2: 7 - 2 = 5 wait.
    B cancels all 4: 4 - 4 = 0, B waits for nothing. In all 5 units wait, all of them A's;
    the draft line shrinks from 14 to those 5."""
    item = SupplierItemFactory()
    product = item.product
    a = place((product, 10))
    b = place((product, 4))
    batch_backorders()
    assert PurchaseOrderLine.objects.get().quantity == 14

    # When 3 units arrive, A cancels 2 and B cancels everything
    receive(product, 3)
    cancel_units(a.number, [CancelRequest(product.sku, 2)])
    cancel_units(b.number, [CancelRequest(product.sku, 4)])

    # Then every count says 5, all of them A's
    waiting_of_a, waiting_of_b = a.backorders.get(), b.backorders.get()
    assert (waiting_of_a.filled, waiting_of_a.cancelled, waiting_of_a.waiting) == (3, 2, 5)
    assert (waiting_of_b.cancelled, waiting_of_b.waiting, waiting_of_b.status) == (4, 0, Backorder.Status.CANCELLED)
    assert list(Backorder.objects.waiting()) == [waiting_of_a]
    assert Backorder.objects.units_waiting() == 5
    assert list(Backorder.objects.waiting().units_waiting_by("order_id")) == [{"order_id": a.pk, "units": 5}]
    line = PurchaseOrderLine.objects.get()
    assert (line.quantity, pegged_need([line])) == (5, {line.pk: 5})
    assert order_states([a.pk], delay_days=7)[a.pk].line(line_of(a, product).pk).waiting == 5
    refresh_worklist()
    assert list(WorklistEntry.objects.values_list("order_id", "waiting_units")) == [(a.pk, 5)]
    assert availability(product.sku)["backordered"] == 5
