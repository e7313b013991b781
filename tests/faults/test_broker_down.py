"""Redis goes away while the shop places orders. Every committed order is answered 201 (the
worker could not be asked, so the beat sweep sends later); when Redis is back the emails the
orders owe go out exactly once, sent by the worker that was running all along, though it
held a task when Redis went away (kombu 5.7's worker died there)."""

import statistics

import pytest
import requests

from notifications.models import CustomerMessage, MessagePolicy
from notifications.tasks import send_messages
from orders.models import Order
from tests.factories import ProductFactory

from .conftest import post_order, publish, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.postgres]


def test_orders_placed_while_redis_is_down_are_201_and_their_emails_go_once_when_it_is_back(faults, shop_token):
    # Given backorder notices that are due at once, a worker and the web app on Redis
    MessagePolicy.objects.update_or_create(pk=1, defaults={"quiet_window_minutes": 0, "backorder_notice_after_days": 0})
    ProductFactory(sku="KETTLE-1")  # nothing in stock: every order waits and is owed a notice
    worker = faults.worker()
    web = faults.web()
    wait_for(lambda: " ready." in faults.worker_log(), "the worker to be ready")
    # ...and the worker holds an unacknowledged task when Redis goes away
    publish(faults.redis.url, send_messages, countdown=600)
    wait_for(lambda: "received" in faults.worker_log(), "the worker to hold the task")

    # When Redis stops and 50 orders come in
    faults.redis.stop()
    session = requests.Session()
    results = [post_order(session, web, shop_token, f"DOWN-{index}", "KETTLE-1") for index in range(50)]

    # Then each committed order is answered as a success, and each enqueue was tried once and logged
    assert [response.status_code for response, _ in results] == [201] * 50
    assert Order.objects.count() == 50
    web_log = (web.log).read_text()
    assert web_log.count("Could not queue notifications.tasks.send_messages") == 50
    durations = sorted(seconds for _, seconds in results)
    print(f"\n50 orders with Redis down: median {statistics.median(durations):.3f} s, max {durations[-1]:.3f} s")
    owed = {str(pk) for pk in CustomerMessage.objects.filter(kind="backorder_notice").values_list("pk", flat=True)}
    assert len(owed) == 50 and not CustomerMessage.objects.exclude(status="queued").exists()

    # When Redis is back and beat's minute sweep arrives
    faults.redis.start()
    publish(faults.redis.url, send_messages)
    wait_for(lambda: CustomerMessage.objects.filter(status="sent").count() == 50, "the owed emails to be sent")

    # Then every owed email left exactly once, sent by the worker that held a task through it all
    assert faults.sent() == {pk: 1 for pk in owed}
    assert worker.alive()
