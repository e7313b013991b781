"""Purchasing changes a draft's lines until it is sent: units (never below what waiting
customers need), the date asked (their dates follow), lines taken off (not those customers wait
on); every problem named at once, nothing changed; the purchase order page has no Save button
under fields nobody can change."""

import datetime

import pytest

from kernel import clock
from kernel.errors import Conflict, InvalidInput
from orders.models import Backorder, EtaChange
from purchasing import batching, lifecycle
from purchasing.models import PurchaseOrder, PurchaseOrderLine
from purchasing.reorder import add_to_drafts
from tests.factories import ProductFactory, SupplierItemFactory, UserFactory, place

DRAFTS = "/admin/purchasing/purchaseorder/drafts/"


@pytest.fixture
def draft(db):
    """A draft with 3 lamps for a waiting customer and 20 vases for stock."""
    lamp = SupplierItemFactory(product=ProductFactory(sku="LAMP-1"))
    SupplierItemFactory(product=ProductFactory(sku="VASE-1"), supplier=lamp.supplier)
    place((lamp.product, 3))
    batching.batch_backorders()  # the supplier has no minimum: drafted at once
    add_to_drafts(skus=["VASE-1"], units={"VASE-1": 20})
    return PurchaseOrder.objects.get(status="draft", supplier=lamp.supplier)


def line(po, sku):
    return PurchaseOrderLine.objects.get(purchase_order=po, product__sku=sku)


def test_more_units_go_to_stock_and_fewer_than_customers_need_are_refused(draft):
    lifecycle.change_draft(draft.number, {"lamp-1": {"quantity": 10}})
    assert (line(draft, "LAMP-1").quantity, line(draft, "LAMP-1").stock_units) == (10, 7)

    with pytest.raises(Conflict) as refused:
        lifecycle.change_draft(draft.number, {"LAMP-1": {"quantity": 2}, "VASE-1": {"quantity": 5}})
    assert "SKU LAMP-1: at least 3 units (waiting customers need 3)" in str(refused.value)
    assert line(draft, "VASE-1").quantity == 20  # nothing changed


def test_a_new_date_asked_moves_the_waiting_customers_dates(draft):
    later = clock.today() + datetime.timedelta(days=40)
    lifecycle.change_draft(draft.number, {"LAMP-1": {"expected_date": later}})

    lamp = line(draft, "LAMP-1")
    assert lamp.expected_date == lamp.first_expected_date == later
    backorder = Backorder.objects.get(product__sku="LAMP-1")
    assert backorder.eta >= later
    assert EtaChange.objects.filter(backorder=backorder, cause="purchase_order", new_eta=backorder.eta).exists()

    with pytest.raises(InvalidInput, match="SKU VASE-1: the date asked cannot be before today"):
        lifecycle.change_draft(draft.number, {"VASE-1": {"expected_date": clock.today() - datetime.timedelta(days=1)}})


def test_a_stock_line_comes_off_a_line_customers_wait_on_does_not(draft):
    with pytest.raises(Conflict, match="SKU LAMP-1: 3 units are for waiting customers"):
        lifecycle.change_draft(draft.number, {}, ["LAMP-1", "VASE-1"])
    assert draft.lines.count() == 2

    lifecycle.change_draft(draft.number, {}, ["VASE-1"])
    assert [line.product.sku for line in draft.lines.all()] == ["LAMP-1"]


def test_a_sent_order_keeps_its_lines(draft):
    lifecycle.send_purchase_order(draft.number)
    with pytest.raises(Conflict, match="only a draft's lines can change"):
        lifecycle.change_draft(draft.number, {"LAMP-1": {"quantity": 9}})


def test_the_draft_review_saves_the_lines_and_names_a_bad_value(draft, client):
    client.force_login(UserFactory(roles=["Purchasing"]))
    later = (clock.today() + datetime.timedelta(days=30)).isoformat()
    lamp, _vase = line(draft, "LAMP-1"), line(draft, "VASE-1")
    form = {
        "save_lines": "1",
        "draft": draft.pk,
        "quantity:LAMP-1": "12",
        "expected_date:LAMP-1": lamp.expected_date.isoformat(),
        "quantity:VASE-1": "x",
        "expected_date:VASE-1": later,
    }
    page = client.post(DRAFTS, form, follow=True).content.decode()
    assert "Nothing changed; give VASE-1: units as a whole number from 1." in page
    assert line(draft, "LAMP-1").quantity == 3

    form["quantity:VASE-1"] = "20"
    page = client.post(DRAFTS, {**form, "remove": []}, follow=True).content.decode()
    assert f"{draft.number}: lines saved." in page
    assert line(draft, "LAMP-1").quantity == 12 and line(draft, "VASE-1").expected_date.isoformat() == later

    page = client.post(DRAFTS, {**form, "remove": ["VASE-1"]}, follow=True).content.decode()
    assert list(draft.lines.values_list("product__sku", flat=True)) == ["LAMP-1"]

    change = client.get(f"/admin/purchasing/purchaseorder/{draft.pk}/change/").content.decode()
    assert 'name="_save"' not in change and 'name="_continue"' not in change
    assert "on the draft review" in change


def test_the_draft_review_reads_in_the_same_queries_for_2_or_8_lines(draft, client, django_assert_max_num_queries):
    client.force_login(UserFactory(roles=["Purchasing"]))
    with django_assert_max_num_queries(30) as few:
        client.get(DRAFTS)
    supplier = draft.supplier
    more = [SupplierItemFactory(supplier=supplier, product=ProductFactory(sku=f"MORE-{n}")) for n in range(6)]
    add_to_drafts(skus=[item.product.sku for item in more], units={item.product.sku: 4 for item in more})
    assert draft.lines.count() == 8
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(DRAFTS)
