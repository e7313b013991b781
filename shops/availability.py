"""What a product page may show, one rule for the public `/availability/{sku}.json` and for
what is pushed to the shops: units free to sell (on hand less what orders hold, never below
zero), whether it may be sold beyond stock, and the next restock date (the earliest date
units on purchase orders can arrive: purchasing.selectors.incoming, never a date passed)."""

from dataclasses import dataclass

from inventory.models import StockLevel
from inventory.stock import stock_level
from purchasing.selectors import incoming_by_product


@dataclass(frozen=True)
class SellState:
    sku: str
    free: int
    backorderable: bool
    restock_date: object  # a date, or None when nothing is on order

    def as_pushed(self):
        """As the outbox remembers what a shop shows."""
        return {
            "free": self.free,
            "backorderable": self.backorderable,
            "restock_date": self.restock_date.isoformat() if self.restock_date else None,
        }


def _state(level, arriving):
    return SellState(
        sku=level.product.sku,
        free=max(level.available, 0),
        backorderable=level.product.backorderable,
        restock_date=arriving[0]["expected_date"] if arriving else None,
    )


def sell_state(sku):
    """One SKU (any case); NotFound for an unknown one."""
    level = stock_level(sku)
    return _state(level, incoming_by_product([level.product_id]).get(level.product_id))


def sell_states(product_ids):
    """{product id: SellState} for these products."""
    levels = StockLevel.objects.select_related("product").filter(product_id__in=set(product_ids))
    arriving = incoming_by_product(product_ids)  # one query for all, not one per product
    return {level.product_id: _state(level, arriving.get(level.product_id)) for level in levels}
