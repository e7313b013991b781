"""Thin Celery wrappers; every task is safe to run twice."""

from celery import shared_task

from . import inbox


@shared_task
def process_event(event_id):
    return inbox.process_event(event_id)


@shared_task
def process_inbox():
    """Beat's sweep: webhooks stored but never queued (the broker was away), or whose task was lost."""
    return inbox.process_open(held=False, older_than_seconds=30)
