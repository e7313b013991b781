"""What inventory asks of the apps above it (filled in their AppConfig.ready)."""

from kernel.hooks import Hook

# stock_changed(levels, priority): the locked stock rows of a change, their on hand already
# moved. Orders give arriving units to waiting customers and take back allocations a count
# found missing, by changing each level's `allocated` before it is saved. `priority` is
# passed through from the caller (the purchase order lines being received).
stock_changed = Hook("inventory.stock_changed", default=lambda levels, priority: None)

# held_units(): a subquery, correlated on `product`, of the units the apps above hold
# allocated per product; the nightly audit compares it with the stock rows.
held_units = Hook("inventory.held_units", default=lambda: None)
