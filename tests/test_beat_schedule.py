"""Beat keeps its schedule in the database (django-celery-beat), so staff can change it in
admin; the jobs the code defines are written there when beat starts."""

import pytest
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from backoffice.celery import app

# The scheduler closes stale connections as beat does, so the test cannot sit inside a
# transaction of its own.
pytestmark = pytest.mark.django_db(transaction=True)


def test_beat_writes_the_jobs_into_the_database_schedule():
    DatabaseScheduler(app=app)

    tasks = dict(PeriodicTask.objects.values_list("name", "task"))
    assert tasks["batch-backorders"] == "purchasing.tasks.batch_backorders"
    assert tasks["mark-late-purchase-order-lines"] == "purchasing.tasks.mark_late_lines"
    assert tasks["check-stock-ledger"] == "inventory.tasks.check_stock_ledger"
    assert tasks["send-customer-messages"] == "notifications.tasks.send_messages"
    assert tasks["customer-service-digest"] == "notifications.tasks.send_digest"
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"


def test_every_scheduled_task_exists():
    app.loader.import_default_modules()
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks
