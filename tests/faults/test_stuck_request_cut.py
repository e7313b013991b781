"""A request stuck where no bound of its own applies (here: a row lock waited for with the
database bounds switched off) is cut by gunicorn after GUNICORN_TIMEOUT, logged with the
request it was serving, and the web app serves the next request. The bounds of their own
(row locks, statements, the broker) answer sooner with a 503; this is the net under them."""

import time

import pytest
import requests
from django.db import transaction

from inventory.models import StockLevel
from tests.factories import ProductFactory, receive

from .conftest import post_order, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.postgres]

TIMEOUT_SECONDS = 2
# The arbiter checks once a second, then aborts the worker (and kills it a second later if need be).
CUT_WITHIN_SECONDS = TIMEOUT_SECONDS + 5


def test_gunicorn_cuts_a_stuck_request_logs_it_and_serves_the_next(faults, shop_token):
    # Given gunicorn with a 2 s timeout, and no database bound to answer first
    product = ProductFactory(sku="TEA-STUCK")
    receive(product, 10)
    web = faults.web(
        gunicorn=True,
        GUNICORN_TIMEOUT=str(TIMEOUT_SECONDS),
        REQUEST_LOCK_TIMEOUT_SECONDS="0",
        REQUEST_STATEMENT_TIMEOUT_SECONDS="0",
    )
    session = requests.Session()
    assert post_order(session, web, shop_token, "WARM-1", "TEA-STUCK")[0].status_code == 201

    # When an order waits on a stock row another connection holds
    with transaction.atomic():
        StockLevel.objects.select_for_update().get(product=product)
        started = time.monotonic()
        # Then the request is cut before the client's own timeout: gunicorn answers 500 for the
        # aborted worker (or, had the abort not been heard, the killed one's connection closes)
        try:
            answer = post_order(
                requests.Session(), web, shop_token, "STUCK-1", "TEA-STUCK", timeout=CUT_WITHIN_SECONDS
            )[0].status_code
        except requests.ConnectionError:
            answer = "connection closed"
        seconds = time.monotonic() - started
        assert answer in (500, "connection closed")

    # ...logged with the request it was serving
    wait_for(lambda: "Request cut after" in web.log.read_text(), "gunicorn to log the cut request")
    log = web.log.read_text()
    assert "WORKER TIMEOUT" in log and "POST /api/v1/orders/" in log
    # ...and the next request is served by the worker that replaced it
    assert post_order(session, web, shop_token, "NEXT-1", "TEA-STUCK")[0].status_code == 201
    print(f"\nstuck request cut by gunicorn after {seconds:.2f} s (timeout {TIMEOUT_SECONDS} s): {answer}")
