"""Order intake under contention, on PostgreSQL.

8 concurrent clients (processes, as a multi-worker web server has them, each with its own
database connection) post orders of 1-4 lines to the real API view (WSGI, token auth, JSON)
for 50 hot SKUs with 30 units each; every fifth SKU is not backorderable, so clients fight
over its last units. Prints requests and orders per second and the oversell count (units
promised beyond stock, or allocations the stock rows do not know), which must be 0; then the
floor measured in the same run: the same clients placing the same orders on a second set of
SKUs with bare SQL (the stock rows locked in SKU order, customer, order, lines, backorders,
stock update, one transaction each), and the API's share of it.

    DATABASE_URL=postgres://USER:PASS@HOST/DB python bench/order_intake.py [--orders 4000] [--clients 8]

Runs in a throwaway database (bench_<name>), created and dropped here.
"""

import argparse
import logging
import multiprocessing
import random
import sys
import time

from common import in_throwaway_database  # sets Django up
from django.conf import settings
from django.db import connection, connections
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


def floor_order(cursor, number, email, lines):
    """One order in bare SQL with the locks and writes placement makes; False when a SKU that
    cannot be backordered is short (rolled back, as the API refuses it)."""
    cursor.execute("BEGIN")
    skus = sorted(sku for sku, _ in lines)
    cursor.execute(
        "SELECT p.id, p.sku, p.price, p.backorderable, s.on_hand - s.allocated FROM inventory_product p "
        "JOIN inventory_stocklevel s ON s.product_id = p.id WHERE p.sku = ANY(%s) ORDER BY p.sku FOR UPDATE OF s",
        [skus],
    )
    stock = {row[1]: row for row in cursor.fetchall()}
    plan = []
    for sku, quantity in lines:
        product_id, _, price, backorderable, free = stock[sku]
        allocated = min(quantity, max(free, 0))
        if allocated < quantity and not backorderable:
            cursor.execute("ROLLBACK")
            return False
        plan.append((product_id, quantity, price, allocated))
    cursor.execute(
        "INSERT INTO orders_customer (email, name, language, created_at, call_reason) VALUES (%s, 'Bench', 'de', now(), '') "
        "ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name RETURNING id",
        [email],
    )
    customer_id = cursor.fetchone()[0]
    cursor.execute(
        "INSERT INTO orders_order (number, public_id, customer_id, fulfilment_policy, expedite, status, placed_at, "
        "amount_authorised, amount_captured, amount_voided) VALUES (%s, gen_random_uuid(), %s, 'ship_partial', false, "
        "'awaiting_stock', now(), %s, 0, 0) RETURNING id",
        [number, customer_id, sum(price * quantity for _, quantity, price, _ in plan)],
    )
    order_id = cursor.fetchone()[0]
    for position, (product_id, quantity, price, allocated) in enumerate(plan):
        cursor.execute(
            "UPDATE inventory_stocklevel SET allocated = allocated + %s WHERE product_id = %s", [allocated, product_id]
        )
        cursor.execute(
            "INSERT INTO orders_orderline (order_id, position, product_id, quantity, unit_price, allocated, backordered, "
            "shipped, cancelled) VALUES (%s, %s, %s, %s, %s, %s, %s, 0, 0) RETURNING id",
            [order_id, position, product_id, quantity, price, allocated, quantity - allocated],
        )
        line_id = cursor.fetchone()[0]
        if quantity > allocated:
            cursor.execute(
                "INSERT INTO orders_backorder (order_id, line_id, product_id, quantity, filled, cancelled, status, "
                "created_at, eta, promised_date, told_eta) VALUES (%s, %s, %s, %s, 0, 0, 'open', now(), "
                "current_date + 14, current_date + 14, current_date + 14)",
                [order_id, line_id, product_id, quantity - allocated],
            )
    cursor.execute("COMMIT")
    return True


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
    floor_products = [
        create_product(sku=f"FLOOR-{p.sku}", name=p.name, price="9.90", backorderable=p.backorderable) for p in products
    ]
    change_stock([StockChange(p.sku, 30, "receipt") for p in products + floor_products])
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
        counts = {"201": 0, "409": 0, "other": 0}
        barrier.wait()
        for n in range(per_client):
            lines = [{"sku": p.sku, "quantity": rng.randint(1, 3)} for p in rng.sample(products, rng.randint(1, 4))]
            response = http.post(
                "/api/v1/orders/",
                {
                    "number": f"B{index}-{n}",
                    "customer": {"email": f"c{index}-{n % 50}@example.org", "name": "Bench"},
                    "fulfilment_policy": "ship_partial",
                    "lines": lines,
                },
                content_type="application/json",
            )
            key = str(response.status_code) if response.status_code in (201, 409) else "other"
            counts[key] += 1
        connections.close_all()
        results.put(counts)

    def floor_client(index):
        rng = random.Random(index)
        counts = {"201": 0, "409": 0, "other": 0}
        barrier.wait()
        with connection.cursor() as cursor:
            for n in range(per_client):
                lines = [(f"FLOOR-{p.sku}", rng.randint(1, 3)) for p in rng.sample(products, rng.randint(1, 4))]
                counts[
                    "201" if floor_order(cursor, f"F{index}-{n}", f"c{index}-{n % 50}@example.org", lines) else "409"
                ] += 1
        connections.close_all()
        results.put(counts)

    def race(target):
        processes = [context.Process(target=target, args=(i,)) for i in range(args.clients)]
        for process in processes:
            process.start()
        barrier.wait()
        started = time.perf_counter()
        outcomes = {"201": 0, "409": 0, "other": 0}
        for _ in processes:
            for key, value in results.get().items():
                outcomes[key] += value
        elapsed = time.perf_counter() - started
        for process in processes:
            process.join()
        return outcomes, elapsed

    outcomes, elapsed = race(client)
    floor_outcomes, floor_elapsed = race(floor_client)

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
    print(f"refused, short (409)    {outcomes['409']}")
    print(f"other responses         {outcomes['other']}")
    print(f"oversold units          {oversold}")
    floor_rate, rate = floor_outcomes["201"] / floor_elapsed, outcomes["201"] / elapsed
    print(
        f"floor, bare SQL         {floor_outcomes['201']} orders placed, {floor_outcomes['409']} refused in {floor_elapsed:.2f} s "
        f"->  {floor_rate:.1f} orders/s"
    )
    print(f"API / floor             {100 * rate / floor_rate:.1f} %")
    if oversold or outcomes["other"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
