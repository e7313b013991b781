"""Thin Celery wrappers; every task is safe to run twice."""

from celery import shared_task

from . import inbox, pushes, sync
from .models import ShopConnection


@shared_task
def process_event(event_id):
    return inbox.process_event(event_id)


@shared_task
def process_inbox():
    """Beat's sweep: webhooks stored but never queued (the broker was away), or whose task was lost."""
    return inbox.process_open(held=False, older_than_seconds=30)


@shared_task
def push_shop(connection_id):
    """What is due for one shop: asked after a change commits (stock after the push delay)."""
    connection = ShopConnection.objects.filter(pk=connection_id, active=True).first()
    return pushes.push_due(connection) if connection else None


@shared_task
def push_to_shops():
    """Beat's sweep: pushes due whose task was lost or that wait out a backoff."""
    return pushes.push_all()


@shared_task
def sync_shops(code=None):
    return sync.sync_shops(code)
