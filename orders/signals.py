"""Order events other apps react to (customer messages). Sent inside the transaction that
made the change, so what a receiver writes commits or rolls back with it."""

from django.dispatch import Signal

# order_ids, backorder_ids: orders that got new backorders (placed, or stock found missing).
# backorders_created(order_ids, backorder_ids, new_orders=False): `new_orders` when the orders
# were placed in this transaction (nothing was told, queued or issued for them yet).
backorders_created = Signal()
# shipment: a Shipment just recorded, its lines written.
order_shipped = Signal()
# order, cancelled: [(line, units)] just cancelled, voided: the amount released.
units_cancelled = Signal()
