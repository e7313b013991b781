import logging

from celery import shared_task

from .selectors import stock_discrepancies

log = logging.getLogger(__name__)


@shared_task
def check_stock_ledger():
    """Nightly audit: read-only, so safe to run twice or retry."""
    found = stock_discrepancies()
    for row in found:
        log.error(
            "Stock of %(sku)s disagrees: %(on_hand)s on hand vs ledger %(ledger)s; "
            "%(allocated)s allocated vs %(held_by_lines)s held by order lines",
            row,
        )
    return {"products_checked_ok": not found, "discrepancies": found}
