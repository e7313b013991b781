from celery import shared_task

from notifications.worklist import refresh_worklist

from .dashboard import refresh_dashboard


@shared_task
def refresh_summaries():
    """The summaries pages read instead of aggregating a year of data per load: the worklist
    and the dashboard. Safe to run twice (each rebuilds in one transaction)."""
    refresh_dashboard()
    return {"worklist_orders": refresh_worklist()}
