"""What a product page may show, one rule for the public `/availability/{sku}.json` and for
what is pushed to the shops: units free to sell (on hand less what orders hold, never below
zero), whether it may be sold beyond stock, and the next restock date (the earliest date
units on purchase orders can arrive: purchasing.selectors.incoming, never a date passed).
A shop that shows the date as days from today (Shopware's restockTime) gets `restock_days`,
whole days from today to that date: it is part of what a shop is remembered to show, so when
the days shrink overnight the sync's comparison (every 10 minutes, shops/sync.py) finds the
difference and pushes it each morning, for every platform whose date is pushed as days."""

from dataclasses import dataclass

from inventory.models import StockLevel
from inventory.stock import stock_level
from kernel import clock
from purchasing.selectors import incoming_by_product


@dataclass(frozen=True)
class SellState:
    sku: str
    free: int
    backorderable: bool
    restock_date: object  # a date, or None when nothing is on order

    @property
    def restock_days(self):
        """Whole days from today (the back office's time zone) to the restock date; None without one."""
        return max((self.restock_date - clock.today()).days, 0) if self.restock_date else None

    def as_pushed(self):
        """As the outbox remembers what a shop shows (the days only where there is a date)."""
        shown = {
            "free": self.free,
            "backorderable": self.backorderable,
            "restock_date": self.restock_date.isoformat() if self.restock_date else None,
        }
        if self.restock_date:
            shown["restock_days"] = self.restock_days
        return shown


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
