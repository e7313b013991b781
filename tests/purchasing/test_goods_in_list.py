"""The goods-in list is what will arrive at the warehouse: no dropship orders (they go to the
customer), each with the date its first outstanding line is expected; the receive form asks for
the units that arrived (typed or scanned), it does not pre-fill what was ordered."""

import pytest

from purchasing.batching import batch_backorders
from purchasing.lifecycle import send_purchase_order
from purchasing.models import PurchaseOrder
from purchasing.pages.goods_in import receive_list_url
from tests.factories import ProductFactory, SupplierItemFactory, UserFactory, place


@pytest.fixture
def sent(db):
    """A sent stock purchase order (lamps) and a sent dropship one (a sofa)."""
    lamp = SupplierItemFactory(product=ProductFactory(sku="LAMP-G"))
    sofa = SupplierItemFactory(product=ProductFactory(sku="SOFA-G", dropship=True))
    place((lamp.product, 4))
    place((sofa.product, 1))
    batch_backorders()
    for po in PurchaseOrder.objects.all():
        send_purchase_order(po.number)
    stock = PurchaseOrder.objects.get(dropship_order__isnull=True)
    dropship = PurchaseOrder.objects.get(dropship_order__isnull=False)
    return stock, dropship


def test_the_receive_list_leaves_out_dropship_orders_and_shows_the_expected_date(client, sent):
    stock, dropship = sent
    client.force_login(UserFactory(roles=["Warehouse"]))

    page = client.get(receive_list_url()).content.decode()
    rows = page.split('id="result_list"')[1].split("</table>")[0]

    assert stock.number in rows and dropship.number not in rows
    expected = stock.lines.get().expected_date
    assert "column-expected" in page
    row = rows.split(f">{stock.number}<")[1].split("</tr>")[0]
    assert f"{expected:%Y}" in row.split("field-expected")[1]


def test_the_receive_form_asks_for_the_units_that_arrived(client, sent):
    stock, _dropship = sent
    client.force_login(UserFactory(roles=["Warehouse"]))

    page = client.get(f"/admin/purchasing/purchaseorder/{stock.pk}/receive/").content.decode()

    assert "4 × LAMP-G" in page and "(0 received, 4 to come)" in page
    assert 'name="form-0-quantity"' in page
    assert 'name="form-0-quantity" value=' not in page  # nothing pre-filled
    assert 'id="scan"' in page and 'name="form-0-sku" value="LAMP-G"' in page
