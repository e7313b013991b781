from django.db.models import OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from . import hooks
from .models import StockLevel, StockMovement


def stock_discrepancies():
    """Products whose cached stock disagrees with the ledger or with what the apps above hold
    allocated (order lines, through `hooks.held_units`).
    The services keep these equal in every transaction; this is the auditor's check."""
    ledger = StockMovement.objects.filter(product=OuterRef("product")).values("product").annotate(units=Sum("quantity"))
    held = hooks.held_units()
    levels = StockLevel.objects.select_related("product").annotate(
        ledger=Coalesce(Subquery(ledger.values("units")), Value(0)),
        held=Coalesce(Subquery(held), Value(0)) if held is not None else Value(0),
    )
    return [
        {
            "sku": level.product.sku,
            "on_hand": level.on_hand,
            "ledger": level.ledger,
            "allocated": level.allocated,
            "held_by_lines": level.held,
        }
        for level in levels
        if level.on_hand != level.ledger or level.allocated != level.held
    ]
