"""One meaning of "a supplier delivers what this backorder waits for" (purchasing.selectors.
has_supplier: it is on a purchase order, or its product has a preferred supplier), read the
same by the backorder list's supplier filter, the batch's count and the ready texts."""

import pytest

from notifications.updates import ready_text_unfit
from purchasing.batching import batch_backorders
from purchasing.models import SupplierItem
from tests.factories import ProductFactory, SupplierItemFactory, UserFactory, place

pytestmark = pytest.mark.django_db


def test_a_backorder_on_a_purchase_order_has_a_supplier_even_when_its_item_is_no_longer_preferred(client):
    # Given one order waiting for an item with a preferred supplier, one on a purchase order
    # whose item is no longer preferred, and one for a product nobody supplies
    supplied = SupplierItemFactory(supplier__min_order_value=10_000)  # waits for its quota
    ordered = SupplierItemFactory()
    waits_for_supplier, waits_on_order, waits_for_nobody = (
        place((supplied.product, 1)),
        place((ordered.product, 1)),
        place((ProductFactory(), 1)),
    )
    batch_backorders()
    assert waits_on_order.backorders.get().po_line is not None
    SupplierItem.objects.filter(pk=ordered.pk).update(preferred=False)

    # When the batch counts, the list filters and customer service picks a ready text
    without = batch_backorders()["without_supplier"]
    client.force_login(UserFactory(is_superuser=True))
    listed = client.get("/admin/orders/backorder/", {"supplier": "none"}).context["cl"].result_list
    unfit = ready_text_unfit("supplier_delay", [waits_for_supplier.pk, waits_on_order.pk, waits_for_nobody.pk])

    # Then only the product nobody supplies is without a supplier, everywhere
    assert without == 1
    assert [backorder.order_id for backorder in listed] == [waits_for_nobody.pk]
    assert unfit == [waits_for_nobody.number]
