"""Every change of stock on hand is a ledger row; the database refuses impossible stock."""

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum

from inventory.models import StockLevel, StockMovement
from inventory.stock import StockChange, change_stock
from kernel.errors import Conflict, InvalidInput, NotFound
from tests.factories import ProductFactory, place

pytestmark = pytest.mark.django_db


def ledger_sum(product):
    return product.movements.aggregate(total=Sum("quantity"))["total"] or 0


def test_receipt_adjustment_and_count_each_write_a_movement_and_move_on_hand():
    product = ProductFactory()

    change_stock([StockChange(product.sku, 10, "receipt", "delivery 4711")])
    change_stock([StockChange(product.sku, -3, "adjustment", "broken in transit")])
    change_stock([StockChange(product.sku, 5, "count", "stocktake")])

    product.stock.refresh_from_db()
    assert product.stock.on_hand == 5
    movements = list(product.movements.order_by("id").values_list("reason", "quantity", "on_hand_after", "note"))
    assert movements == [
        ("receipt", 10, 10, "delivery 4711"),
        ("adjustment", -3, 7, "broken in transit"),
        ("count", -2, 5, "stocktake"),
    ]
    assert ledger_sum(product) == product.stock.on_hand


def test_a_count_that_confirms_the_shelf_is_recorded_with_zero_change():
    product = ProductFactory()
    change_stock([StockChange(product.sku, 4, "receipt")])

    [movement] = change_stock([StockChange(product.sku, 4, "count")])

    assert (movement.reason, movement.quantity, movement.on_hand_after) == ("count", 0, 4)


@pytest.mark.parametrize(
    "change, refusal, field, fragment",
    [
        (StockChange("NOPE-1", 1, "receipt"), NotFound, "sku", "Unknown SKU NOPE-1"),
        (StockChange("{sku}", 0, "receipt"), InvalidInput, "quantity", "at least 1 unit"),
        (StockChange("{sku}", -1, "receipt"), InvalidInput, "quantity", "at least 1 unit"),
        (StockChange("{sku}", 0, "adjustment"), InvalidInput, "quantity", "changes nothing"),
        (StockChange("{sku}", -1, "count"), InvalidInput, "quantity", "cannot be negative"),
        (StockChange("{sku}", -3, "adjustment"), Conflict, "quantity", "only 2 are on hand"),
        (StockChange("{sku}", 1, "shipment"), InvalidInput, "reason", "receipt, adjustment or count"),
    ],
)
def test_a_bad_stock_change_names_what_is_wrong_and_changes_nothing(change, refusal, field, fragment):
    product = ProductFactory()
    change_stock([StockChange(product.sku, 2, "receipt")])
    change = StockChange(change.sku.format(sku=product.sku), change.quantity, change.reason)

    with pytest.raises(refusal) as raised:
        change_stock([change])

    assert raised.value.problems[0].field == field
    assert fragment in raised.value.problems[0].message
    assert raised.value.problems[0].sku == change.sku
    assert StockMovement.objects.count() == 1
    product.stock.refresh_from_db()
    assert product.stock.on_hand == 2


def test_one_bad_line_in_a_multi_product_receipt_rejects_all_of_it():
    good, dropshipped = ProductFactory(), ProductFactory(dropship=True)

    with pytest.raises(Conflict) as raised:
        change_stock([StockChange(good.sku, 5, "receipt"), StockChange(dropshipped.sku, 5, "receipt")])

    assert raised.value.problems[0].line == 1
    assert raised.value.problems[0].sku == dropshipped.sku
    good.stock.refresh_from_db()
    assert good.stock.on_hand == 0


def test_the_database_refuses_negative_stock_and_over_allocation():
    product = ProductFactory()
    change_stock([StockChange(product.sku, 2, "receipt")])
    level = StockLevel.objects.filter(product=product)

    for values in ({"on_hand": -1, "allocated": 0}, {"allocated": -1}, {"on_hand": 2, "allocated": 3}):
        with pytest.raises(IntegrityError), transaction.atomic():
            level.update(**values)


def test_movements_are_append_only_in_the_orm_and_in_the_database():
    product = ProductFactory()
    [movement] = change_stock([StockChange(product.sku, 2, "receipt")])

    with pytest.raises(ValueError):
        movement.save()
    with pytest.raises(ValueError):
        movement.delete()
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        StockMovement.objects.filter(pk=movement.pk).update(quantity=50)
    movement.refresh_from_db()
    assert movement.quantity == 2


def test_shipments_are_in_the_ledger_too():
    from orders.fulfilment import ship_order

    product = ProductFactory()
    change_stock([StockChange(product.sku, 5, "receipt")])
    order = place((product, 3))

    ship_order(order.number)

    product.stock.refresh_from_db()
    assert (product.stock.on_hand, product.stock.allocated) == (2, 0)
    assert ledger_sum(product) == 2
    shipment_movement = product.movements.get(reason="shipment")
    assert (shipment_movement.quantity, shipment_movement.reference) == (-3, order.number)
