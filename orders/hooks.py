"""What orders ask of the apps above them (purchasing fills these in its AppConfig.ready)."""

import datetime

from django.conf import settings

from kernel import clock
from kernel.hooks import Hook


def default_eta():
    """Without a supplier to ask: today + the default lead time."""
    return clock.today() + datetime.timedelta(days=settings.BACKORDER_DEFAULT_LEAD_TIME_DAYS)


def default_etas(product_ids):
    return dict.fromkeys(product_ids, default_eta())


# backorder_etas(product_ids) -> {product_id: date}: the date to tell a customer for a new
# backorder of each product, not yet on a purchase order.
backorder_etas = Hook("orders.backorder_etas", default=default_etas)

# pegs_released(po_line_ids, user, by_customer): waiting units pegged to these purchase order
# lines were cancelled (by `user`, or by the customer); a line not yet sent to the supplier
# may shrink, and so may a sent dropship line (recorded with who cancelled).
pegs_released = Hook("orders.pegs_released", default=lambda po_line_ids, user=None, by_customer=False: None)

# fills_taken_back(backorder_ids): a count took filled units back from these backorders; they
# wait again, open. The app that pegs them decides whether the purchase order line each was
# on can still bring its units (it stays on it) or not (it is ordered afresh).
fills_taken_back = Hook("orders.fills_taken_back", default=lambda backorder_ids: None)
