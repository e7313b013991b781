"""Purchasing's pages beyond the model lists, each in its own module: goods in, the draft
review, the reorder review, and the per-line forms of the purchase order actions. Each is a
mixin of admin.PurchaseOrderAdmin, which maps their URLs."""
