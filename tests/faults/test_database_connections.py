"""PostgreSQL drops the web app's connections (a restart, a failover; here
pg_terminate_backend) while the shop posts orders. A request that lost its connection is
answered 503 with Retry-After in the API's error shape, never a 500 page; every order
answered 201 exists; the next request works without restarting anything."""

import threading

import pytest
import requests
from django.db import connection

from orders.models import Order
from tests.factories import ProductFactory, receive

from .conftest import post_order

pytestmark = [pytest.mark.faults, pytest.mark.postgres]


def terminate(application_name):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [application_name],
        )
        return cursor.fetchone()[0]


def test_connections_killed_during_200_order_posts_give_503s_and_lose_no_order(faults, shop_token):
    # Given the web app and a product partly in stock
    receive(ProductFactory(sku="MUG-1"), 50)
    web = faults.web()
    assert requests.get(f"{web.url}/api/v1/orders/", headers={"Authorization": f"Token {shop_token}"}, timeout=30).ok

    # When four clients post 200 orders while the database keeps dropping the app's connections
    results, done = [], threading.Event()

    def client(offset):
        session = requests.Session()
        for index in range(offset, 200, 4):
            results.append((f"DB-{index}", post_order(session, web, shop_token, f"DB-{index}", "MUG-1")[0]))

    def killer():
        killed = 0
        while not done.wait(0.25):  # a short outage four times a second
            killed += terminate("faults-web")
        results.append(("killed", killed))

    clients = [threading.Thread(target=client, args=(offset,)) for offset in range(4)]
    chaos = threading.Thread(target=killer)
    chaos.start()
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join()
    done.set()
    chaos.join()

    # Then every answer is a 201 or a 503 in the error shape with Retry-After, never a 500
    killed = dict(results).pop("killed")
    answers = [(number, response) for number, response in results if number != "killed"]
    codes = [response.status_code for _, response in answers]
    assert set(codes) <= {201, 503} and len(codes) == 200
    unavailable = [response for _, response in answers if response.status_code == 503]
    assert unavailable, f"no request lost its connection ({killed} killed): the test did not exercise the fault"
    for response in unavailable:
        assert response.json()["errors"][0]["code"] == "unavailable" and response.headers["Retry-After"] == "1"
    # ...no order answered 201 is lost
    created = {number for number, response in answers if response.status_code == 201}
    assert created <= set(Order.objects.values_list("number", flat=True))
    print(f"\n200 posts, {killed} connections killed: {len(created)} × 201, {len(unavailable)} × 503, 0 × 500")

    # And the next request works, without restarting anything
    retry = post_order(requests.Session(), web, shop_token, "DB-AFTER", "MUG-1")[0]
    assert retry.status_code == 201
