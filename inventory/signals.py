"""Inventory's events other apps react to (the shops show what is free to sell). Sent inside
the transaction that made the change, so what a receiver writes commits or rolls back with it."""

from django.dispatch import Signal

# product_ids: products whose stock rows were just written (on hand or allocated moved):
# what is free to sell may have changed.
stock_saved = Signal()
