"""Purchasing events other apps react to (customer messages). Sent inside the transaction
that made the change, so what a receiver writes commits or rolls back with it."""

from django.dispatch import Signal

# backorder_ids, cause: backorders whose ETA moved (pegged, re-dated, late, un-pegged),
# sent once per change set with the EtaChange cause.
etas_changed = Signal()


def announce(backorder_ids, cause):
    if backorder_ids:
        from .models import PurchaseOrder

        etas_changed.send(sender=PurchaseOrder, backorder_ids=list(backorder_ids), cause=cause)
