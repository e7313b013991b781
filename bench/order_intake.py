"""Order intake under contention, on PostgreSQL.

8 concurrent clients (processes, as a multi-worker web server has them, each with its own
database connection) post orders of 1-4 lines to the real API view (WSGI, token auth, JSON)
for 50 hot SKUs with 30 units each; every fifth SKU is not backorderable, so clients fight
over its last units. Prints requests and orders per second and the oversell count (units
promised beyond stock, or allocations the stock rows do not know), which must be 0.

    DATABASE_URL=postgres://USER:PASS@HOST/DB python bench/order_intake.py [--orders 4000] [--clients 8]

Runs in a throwaway test database (test_<name>), created and dropped here.
"""

import argparse
import logging
import multiprocessing
import random
import sys
import time

from common import in_throwaway_database  # sets Django up
from django.conf import settings
from django.db import connections
from django.db.models import Sum
from django.test import Client

logging.getLogger("django.request").setLevel(logging.ERROR)  # refusals are expected here


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--skus", type=int, default=50)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    in_throwaway_database(lambda: run(args), "order_intake.py")


def run(args):
    from django.contrib.auth.models import Group, User
    from rest_framework.authtoken.models import Token

    from inventory.models import StockLevel
    from inventory.stock import StockChange, change_stock, create_product
    from orders.models import OrderLine

    products = [
        create_product(sku=f"HOT-{i:03d}", name=f"Hot {i}", price="9.90", backorderable=i % 5 != 0)
        for i in range(args.skus)
    ]
    change_stock([StockChange(p.sku, 30, "receipt") for p in products])
    shop = User.objects.create_user("bench-shop")
    shop.groups.add(Group.objects.get(name="Shop"))
    token = Token.objects.create(user=shop).key

    per_client = args.orders // args.clients
    connections.close_all()  # each forked client opens its own connection
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(args.clients + 1)
    results = context.Queue()

    def client(index):
        rng = random.Random(index)
        http = Client(HTTP_AUTHORIZATION=f"Token {token}")
        counts = {"201": 0, "400": 0, "other": 0}
        barrier.wait()
        for n in range(per_client):
            lines = [{"sku": p.sku, "quantity": rng.randint(1, 3)} for p in rng.sample(products, rng.randint(1, 4))]
            response = http.post("/api/v1/orders/", {
                "number": f"B{index}-{n}", "customer": {"email": f"c{index}-{n % 50}@example.org", "name": "Bench"},
                "fulfilment_policy": "ship_partial", "lines": lines,
            }, content_type="application/json")
            key = str(response.status_code) if response.status_code in (201, 400) else "other"
            counts[key] += 1
        connections.close_all()
        results.put(counts)

    clients = [context.Process(target=client, args=(i,)) for i in range(args.clients)]
    for process in clients:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    outcomes = {"201": 0, "400": 0, "other": 0}
    for _ in clients:
        for key, value in results.get().items():
            outcomes[key] += value
    elapsed = time.perf_counter() - started
    for process in clients:
        process.join()

    oversold = 0
    for level in StockLevel.objects.select_related("product"):
        held = OrderLine.objects.filter(product=level.product).aggregate(units=Sum("allocated"))["units"] or 0
        oversold += max(0, held - level.on_hand) + abs(held - level.allocated)
        if not level.product.backorderable:
            waiting = OrderLine.objects.filter(product=level.product).aggregate(units=Sum("backordered"))["units"] or 0
            oversold += waiting
    total = sum(outcomes.values())
    print(f"clients                 {args.clients}")
    print(f"hot SKUs                {args.skus} (every fifth not backorderable)")
    print(f"requests                {total} in {elapsed:.2f} s")
    print(f"requests per second     {total / elapsed:.1f}")
    print(f"orders placed (201)     {outcomes['201']}  ->  {outcomes['201'] / elapsed:.1f} orders/s")
    print(f"refused, short (400)    {outcomes['400']}")
    print(f"other responses         {outcomes['other']}")
    print(f"oversold units          {oversold}")
    if oversold or outcomes["other"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
