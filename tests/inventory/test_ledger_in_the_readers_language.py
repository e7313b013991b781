"""The stock ledger stores facts (reason, reference) and says them in the reader's language:
a receipt against a purchase order was stored with the English note "purchase order PO-…"."""

import pytest
from django.urls import reverse
from django.utils import translation

from inventory.models import StockMovement
from purchasing import batching, lifecycle
from purchasing.models import PurchaseOrder
from purchasing.receiving import receive_purchase_order
from tests.factories import ProductFactory, SupplierItemFactory, UserFactory, place, receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    kettle = SupplierItemFactory(product=ProductFactory(sku="KAN-1")).product
    place((kettle, 1))
    batching.batch_backorders()
    po = PurchaseOrder.objects.get()
    lifecycle.send_purchase_order(po.number)
    receive_purchase_order(po.number, {"KAN-1": 1})
    receive(kettle, 2, note="Palette 7")  # a note a person wrote stays as written
    return po


def test_a_receipt_stores_its_purchase_order_as_a_fact_not_english_words(received):
    movement = StockMovement.objects.get(reference=received.number)

    assert movement.note == "" and movement.reason == "receipt"


@pytest.mark.parametrize(
    "language, says",
    [
        ("en", "received against purchase order {number}"),
        ("de", "Wareneingang zur Lieferantenbestellung {number}"),
    ],
)
def test_the_ledger_says_each_movement_in_the_readers_language(client, received, language, says):
    client.force_login(UserFactory(roles=["Warehouse"]))

    page = client.get(reverse("admin:inventory_stockmovement_changelist"), HTTP_ACCEPT_LANGUAGE=language)

    html = page.content.decode()
    assert says.format(number=received.number) in html
    assert ("Palette 7" in html) and (f"purchase order {received.number}" not in html or language == "en")


def test_an_english_note_an_older_version_wrote_is_shown_as_the_fact(received):
    older = StockMovement(reason="receipt", reference="PO-9", note="purchase order PO-9")

    with translation.override("de"):
        assert older.description() == "Wareneingang zur Lieferantenbestellung PO-9"
