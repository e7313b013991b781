"""Beat keeps its schedule in the database (django-celery-beat), so staff can change it in
admin; the jobs the code defines are written there when beat starts."""

import datetime

import pytest
import time_machine
from django_celery_beat.models import PeriodicTask

from backoffice.beat import Scheduler
from backoffice.celery import app
from backoffice.models import Heartbeat

# The scheduler closes stale connections as beat does, so the test cannot sit inside a
# transaction of its own.
pytestmark = pytest.mark.django_db(transaction=True)


def test_beat_writes_the_jobs_into_the_database_schedule():
    Scheduler(app=app)

    tasks = dict(PeriodicTask.objects.values_list("name", "task"))
    assert tasks["batch-backorders"] == "purchasing.tasks.batch_backorders"
    assert tasks["mark-late-purchase-order-lines"] == "purchasing.tasks.mark_late_lines"
    assert tasks["check-stock-ledger"] == "inventory.tasks.check_stock_ledger"
    assert tasks["send-customer-messages"] == "notifications.tasks.send_messages"
    assert tasks["customer-service-digest"] == "notifications.tasks.send_digest"
    assert tasks["send-auto-purchase-orders"] == "purchasing.tasks.send_auto_purchase_orders"
    # django-celery-beat's database scheduler, which also says it is alive
    assert app.conf.beat_scheduler == "backoffice.beat:Scheduler"


def test_beat_writes_a_heartbeat_as_it_ticks():
    moment = datetime.datetime(2026, 3, 2, 6, 0, tzinfo=datetime.UTC)
    scheduler = Scheduler(app=app)

    with time_machine.travel(moment, tick=False):
        scheduler.tick()

    assert Heartbeat.objects.get(name="beat").at == moment


def test_every_scheduled_task_exists():
    app.loader.import_default_modules()
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks
