"""Redis hangs (SIGSTOP: a frozen host, whose kernel still accepts connections) while the
shop places orders and the load balancer probes. Each order is answered 201 within seconds
(the enqueue gives up after BROKER_TIMEOUT_SECONDS and the beat sweep sends later), the
readiness probe says the broker is unreachable within seconds, and the status page, whose
rate limit lives in that Redis, is answered 503 instead of hanging."""

import secrets
import time

import pytest
import requests
from django.test import override_settings

from notifications.models import CustomerMessage, MessagePolicy
from orders.models import Order
from orders.status_links import status_token
from tests.factories import ProductFactory

from .conftest import post_order, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.postgres]

# The client's own timeout is the bound each answer is held to.
ANSWER_WITHIN_SECONDS = 5


def test_orders_probes_and_status_pages_are_answered_within_seconds_while_redis_is_frozen(faults, shop_token):
    # Given backorder notices due at once (each order asks a worker to send), and the web app
    # with its broker and its shared cache on that Redis
    MessagePolicy.objects.update_or_create(pk=1, defaults={"quiet_window_minutes": 0, "backorder_notice_after_days": 0})
    ProductFactory(sku="KETTLE-1")
    secret_key = secrets.token_urlsafe(50)
    web = faults.web(CACHE_URL=faults.redis.url, SECRET_KEY=secret_key)
    session = requests.Session()
    assert post_order(session, web, shop_token, "WARM-1", "KETTLE-1")[0].status_code == 201
    with override_settings(SECRET_KEY=secret_key):
        status_page = f"{web.url}/status/{status_token(Order.objects.get(number='WARM-1'))}/"
    assert session.get(status_page, timeout=ANSWER_WITHIN_SECONDS).status_code == 200

    # When Redis freezes
    faults.redis.freeze()
    try:
        # Then each order is committed and answered 201 within the bound
        orders = [
            post_order(session, web, shop_token, f"FROZEN-{index}", "KETTLE-1", timeout=ANSWER_WITHIN_SECONDS)
            for index in range(5)
        ]
        assert [response.status_code for response, _ in orders] == [201] * 5
        assert Order.objects.filter(number__startswith="FROZEN-").count() == 5
        # ...readiness names the broker unreachable within the bound
        started = time.monotonic()
        ready = session.get(f"{web.url}/health/ready", timeout=ANSWER_WITHIN_SECONDS)
        ready_seconds = time.monotonic() - started
        assert ready.status_code == 503 and ready.json()["checks"]["broker"] == "unreachable"
        # ...and the status page answers, its rate limit letting it through (the cache is optional)
        started = time.monotonic()
        page = session.get(status_page, timeout=ANSWER_WITHIN_SECONDS)
        page_seconds = time.monotonic() - started
        assert page.status_code == 200
    finally:
        faults.redis.thaw()

    # And each enqueue that gave up was logged; the notices wait in the database for the sweep
    wait_for(
        lambda: web.log.read_text().count("Could not queue notifications.tasks.send_messages") >= 5,
        "the web app to log the enqueues it gave up",
    )
    assert CustomerMessage.objects.filter(order__number__startswith="FROZEN-", status="queued").count() == 5
    seconds = sorted(duration for _, duration in orders)
    print(
        f"\nRedis frozen: 5 orders answered 201 in {seconds[0]:.2f}–{seconds[-1]:.2f} s, "
        f"/health/ready 503 in {ready_seconds:.2f} s, status page 200 in {page_seconds:.2f} s"
    )
