"""The nightly audit finds stock that disagrees with the ledger or with order lines."""

import pytest

from inventory.models import StockLevel
from inventory.tasks import check_stock_ledger
from tests.factories import ProductFactory, place, receive

pytestmark = pytest.mark.django_db


def test_consistent_stock_has_no_discrepancies():
    lamp = ProductFactory()
    receive(lamp, 4)
    place((lamp, 6))

    assert check_stock_ledger() == {"products_checked_ok": True, "discrepancies": []}


def test_a_level_changed_behind_the_services_back_is_reported(caplog):
    lamp = ProductFactory(sku="LAMP-9")
    receive(lamp, 4)
    place((lamp, 1))
    StockLevel.objects.filter(product=lamp).update(on_hand=7, allocated=2)  # not through a service

    result = check_stock_ledger()

    assert result["discrepancies"] == [{"sku": "LAMP-9", "on_hand": 7, "ledger": 4, "allocated": 2, "held_by_lines": 1}]
    assert "Stock of LAMP-9 disagrees" in caplog.text
