"""Shop webhooks under load, on PostgreSQL.

8 clients (processes, each with its own database connection) post 2,000 signed WooCommerce
order webhooks to the real view (WSGI, signature check, inbox row, task queued after commit on
the configured broker) -> webhooks answered per second and the p99 answer time (goal: >= 300/s,
p99 <= 100 ms). Beside it, the floor: the same clients inserting the same inbox rows with bare
SQL (one INSERT ... ON CONFLICT DO NOTHING each). Then 8 worker processes apply the inbox ->
seconds until every order is placed, beside placing the same orders through the JSON API from 8
clients. Last, 1,000 stock changes over 50 SKUs with a fake WooCommerce shop over real HTTP and
a worker pushing every second -> calls the shop received (goal <= 100).

    DATABASE_URL=postgres://USER:PASS@HOST/DB [CELERY_BROKER_URL=redis://...] python bench/webhooks.py

Runs in a throwaway database (bench_webhooks), created and dropped here. Without a
CELERY_BROKER_URL the queued tasks go to a throwaway folder (kombu's filesystem transport).
"""

import argparse
import base64
import hashlib
import hmac
import json
import logging
import multiprocessing
import os
import random
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

os.environ.setdefault("BACKOFFICE_VAR_DIR", tempfile.mkdtemp(prefix="bench-webhooks-"))
os.environ.setdefault("SHOP_SECRETS_KEY", "t6Xz8Vq3Zq1pC0p2m3n4b5v6c7x8z9a0s1d2f3g4h5I=")

from common import in_throwaway_database  # noqa: E402  (sets Django up)
from django.conf import settings  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402

logging.getLogger("django.request").setLevel(logging.ERROR)
SECRET = "bench-webhook-secret"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--webhooks", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--skus", type=int, default=50)
    parser.add_argument("--stock-changes", type=int, default=1000)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    in_throwaway_database(lambda: run(args), "webhooks.py")


def woo_order(number, rng, skus):
    return {
        "id": number,
        "number": str(number),
        "status": "processing",
        "currency": "EUR",
        "date_modified_gmt": "2026-03-01T10:00:00",
        "billing": {"first_name": "Bench", "last_name": str(number % 50), "email": f"c{number % 400}@example.org"},
        "shipping": {
            "first_name": "Bench",
            "address_1": "Marktplatz 1",
            "postcode": "10115",
            "city": "Berlin",
            "country": "DE",
        },
        "line_items": [
            {"id": i, "name": sku, "sku": sku, "quantity": rng.randint(1, 3), "total": "19.80"}
            for i, sku in enumerate(rng.sample(skus, rng.randint(1, 4)))
        ],
    }


def race(context, target, clients):
    barrier = context.Barrier(clients + 1)
    results = context.Queue()
    processes = [context.Process(target=target, args=(i, barrier, results)) for i in range(clients)]
    for process in processes:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    outcomes = [results.get() for _ in processes]
    elapsed = time.perf_counter() - started
    for process in processes:
        process.join()
    return outcomes, elapsed


def run(args):
    from django.contrib.auth.models import Group, User
    from rest_framework.authtoken.models import Token

    from inventory.stock import StockChange, change_stock, create_product
    from orders.models import Order
    from shops import inbox, pushes
    from shops.connections import connect_shop
    from shops.models import InboxEvent

    skus = [f"HOT-{i:03d}" for i in range(args.skus)]
    for sku in skus:
        create_product(sku=sku, name=sku, price="9.90")
    change_stock([StockChange(sku, 30, "receipt") for sku in skus])
    shop, _ = connect_shop(
        "WOO",
        platform="woocommerce",
        url="http://127.0.0.1:9",
        webhook_secret=SECRET,
        consumer_key="ck",
        consumer_secret="cs",
    )
    user = User.objects.create_user("bench-shop")
    user.groups.add(Group.objects.get(name="Shop"))
    token = Token.objects.create(user=user).key
    per_client = args.webhooks // args.clients
    bodies = {}
    for index in range(args.clients):
        rng = random.Random(index)
        bodies[index] = [
            json.dumps(woo_order(index * per_client + n + 1, rng, skus), separators=(",", ":")).encode()
            for n in range(per_client)
        ]
    connections.close_all()
    context = multiprocessing.get_context("fork")

    def webhook_client(index, barrier, results):
        http, times, codes = Client(), [], {}
        barrier.wait()
        for body in bodies[index]:
            signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
            started = time.perf_counter()
            response = http.post(
                "/shops/WOO/webhook/",
                body,
                content_type="application/json",
                HTTP_X_WC_WEBHOOK_SIGNATURE=signature,
                HTTP_X_WC_WEBHOOK_TOPIC="order.created",
            )
            times.append(time.perf_counter() - started)
            codes[response.status_code] = codes.get(response.status_code, 0) + 1
        connections.close_all()
        results.put((times, codes))

    def floor_client(index, barrier, results):
        times = []
        barrier.wait()
        with connection.cursor() as cursor:
            for body in bodies[index]:
                order = json.loads(body)
                started = time.perf_counter()
                cursor.execute(
                    "INSERT INTO shops_inboxevent (connection_id, delivery_key, topic, shop_order_id, body, received_at, "
                    "status, reason, attempts) VALUES (%s, %s, 'order.created', %s, %s, now(), 'floor', '', 0) "
                    "ON CONFLICT DO NOTHING",
                    [shop.pk, f"floor:{order['id']}", str(order["id"]), body.decode()],
                )
                times.append(time.perf_counter() - started)
        connections.close_all()
        results.put((times, {200: len(times)}))

    def worker(index, barrier, results):
        barrier.wait()
        applied = 0
        while True:
            ids = list(InboxEvent.objects.filter(status="pending").order_by("?").values_list("pk", flat=True)[:50])
            if not ids:
                break
            applied += sum(1 for pk in ids if inbox.process_event(pk))
        connections.close_all()
        results.put(([], {"applied": applied}))

    def api_client(index, barrier, results):
        http = Client(HTTP_AUTHORIZATION=f"Token {token}")
        codes = {}
        barrier.wait()
        for body in bodies[index]:
            order = json.loads(body)
            response = http.post(
                "/api/v1/orders/",
                {
                    "number": f"API-{order['id']}",
                    "customer": {"email": order["billing"]["email"], "name": "Bench"},
                    "fulfilment_policy": "ship_partial",
                    "lines": [{"sku": line["sku"], "quantity": line["quantity"]} for line in order["line_items"]],
                },
                content_type="application/json",
            )
            codes[response.status_code] = codes.get(response.status_code, 0) + 1
        connections.close_all()
        results.put(([], codes))

    def figures(outcomes, elapsed):
        times = sorted(t for ts, _ in outcomes for t in ts)
        codes = {}
        for _, counted in outcomes:
            for key, value in counted.items():
                codes[key] = codes.get(key, 0) + value
        return len(times) / elapsed, times[int(len(times) * 0.99) - 1] * 1000, codes

    outcomes, elapsed = race(context, webhook_client, args.clients)
    rate, p99, codes = figures(outcomes, elapsed)
    floor_rate, floor_p99, _ = figures(*race(context, floor_client, args.clients))
    InboxEvent.objects.filter(status="floor").delete()
    print(f"broker                      {settings.CELERY_BROKER_URL.split('://')[0]}")
    print(f"webhooks answered           {sum(codes.values())} in {elapsed:.2f} s, answers {codes}")
    print(f"answered per second         {rate:.0f}   (goal >= 300)")
    print(f"p99 answer time             {p99:.1f} ms   (goal <= 100)")
    print(
        f"floor, bare SQL insert      {floor_rate:.0f} rows/s, p99 {floor_p99:.1f} ms  ->  view / floor {100 * rate / floor_rate:.0f} %"
    )

    connections.close_all()
    _, drained = race(context, worker, args.clients)
    placed = Order.objects.filter(shop="WOO").count()
    print(
        f"all placed by {args.clients} workers    {placed} orders in {drained:.2f} s ({placed / drained:.0f} orders/s)"
    )
    held = InboxEvent.objects.exclude(status__in=["done", "ignored"]).count()
    connections.close_all()
    api_outcomes, api_elapsed = race(context, api_client, args.clients)
    _, _, api_codes = figures([([1], c) for _, c in api_outcomes], api_elapsed)
    print(
        f"same orders, JSON API       {api_codes.get(201, 0)} placed in {api_elapsed:.2f} s "
        f"({api_codes.get(201, 0) / api_elapsed:.0f} orders/s); answers {api_codes}"
    )
    print(
        f"webhooks + workers          {elapsed + drained:.2f} s until all placed vs {api_elapsed:.2f} s through the API"
    )

    # Stock pushes: a fake WooCommerce shop counting calls, a worker pushing every second.
    calls = {"count": 0}

    class Shop(BaseHTTPRequestHandler):
        def do_GET(self):  # products?sku=...: every SKU sold, product id = its index
            calls["count"] += 1
            asked = parse_qs(urlsplit(self.path).query)["sku"][0].split(",")
            self._json([{"id": int(sku.split("-")[1]) + 1, "sku": sku} for sku in asked])

        def do_POST(self):  # products/batch
            calls["count"] += 1
            update = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["update"]
            self._json({"update": [{"id": item["id"]} for item in update]})

        def _json(self, data):
            body = json.dumps(data).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    shop.url = f"http://127.0.0.1:{server.server_port}"
    shop.save()
    pushes.push_due(shop)  # what the orders above left: looked up and pushed before counting
    calls["count"] = 0
    stop = threading.Event()

    def pusher():
        while not stop.is_set():
            pushes.push_due(shop)
            time.sleep(1)
        connections.close_all()

    thread = threading.Thread(target=pusher)
    thread.start()
    rng, started = random.Random(7), time.perf_counter()
    for _ in range(args.stock_changes):
        change_stock([StockChange(rng.choice(skus), rng.randint(1, 5), "receipt")])
    changed = time.perf_counter() - started
    time.sleep(settings.SHOP_PUSH_DELAY_SECONDS + 2)
    stop.set()
    thread.join()
    pushes.push_due(shop)
    server.shutdown()
    print(
        f"stock changes               {args.stock_changes} over {args.skus} SKUs in {changed:.1f} s "
        f"(push delay {settings.SHOP_PUSH_DELAY_SECONDS} s)"
    )
    print(f"shop calls                  {calls['count']}   (goal <= 100)")
    if held or codes.keys() != {200}:
        print(f"FAILED: {held} events not applied, answers {codes}")
        sys.exit(1)


if __name__ == "__main__":
    main()
