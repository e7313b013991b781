"""Thin Celery wrappers. No task waits in the broker with a countdown: what fails is found
again in the database by a beat sweep (send_auto_purchase_orders)."""

import logging

from celery import shared_task

from kernel.errors import Conflict

from . import batching, demand, lifecycle, review, supplier_links
from .models import PurchaseOrder

log = logging.getLogger(__name__)


@shared_task
def batch_backorders():
    return batching.batch_backorders(trigger="beat")


@shared_task
def mark_late_lines():
    return lifecycle.mark_late_lines()


@shared_task
def review_etas():
    return review.review_etas()


@shared_task
def send_auto_purchase_orders():
    return lifecycle.send_auto_purchase_orders()


@shared_task
def send_purchase_order(po_id):
    """The draft → sent claim keeps a second send (this task twice, the sweep) from sending twice."""
    number = PurchaseOrder.objects.values_list("number", flat=True).get(pk=po_id)
    try:
        lifecycle.send_purchase_order(number)
    except Conflict:
        pass  # already sent by an earlier attempt or by hand
    except OSError as error:  # the mail server: the beat sweep tries again
        log.warning("Sending purchase order %s failed: %s", number, error)


@shared_task
def refresh_demand():
    """Nightly: the demand history's last days again (all of it the first time)."""
    return {"product_days": demand.refresh_demand()}


@shared_task
def send_supplier_reminders():
    """Daily: one reminder per purchase order its supplier has not confirmed in time."""
    return supplier_links.send_reminders()
