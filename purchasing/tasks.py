from celery import shared_task

from backoffice.errors import Conflict

from . import batching, lifecycle
from .models import PurchaseOrder


@shared_task
def batch_backorders():
    return batching.batch_backorders(trigger="beat")


@shared_task
def mark_late_lines():
    return lifecycle.mark_late_lines()


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def send_purchase_order(po_id):
    """Retried on mail server errors; the draft → sent claim keeps a retry from sending twice."""
    number = PurchaseOrder.objects.values_list("number", flat=True).get(pk=po_id)
    try:
        lifecycle.send_purchase_order(number)
    except Conflict:
        pass  # already sent by an earlier attempt or by hand
