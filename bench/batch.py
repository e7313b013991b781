"""One batch run over a large backlog, on PostgreSQL.

100,000 open backorders over 5,000 SKUs and 200 suppliers (every supplier's quota met, so
all of them are ordered and pegged). Prints the seconds and queries of one batch run next
to two floors timed in the same run: reading (one SQL statement computing the same
per-supplier, per-product totals) and writing (hand-written SQL that writes the same
purchase orders, lines, pegs and ETA history in four statements, foreign keys checked,
then rolled back).

    DATABASE_URL=postgres://USER:PASS@HOST/DB python bench/batch.py [--backorders 100000] [--skus 5000] [--suppliers 200]

Runs in a throwaway database (bench_<name>), created and dropped here.
"""

import argparse
import datetime
import os
import random
import time
from decimal import Decimal

from common import in_throwaway_database  # sets Django up
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

WRITE_FLOOR = [
    "SET CONSTRAINTS ALL IMMEDIATE",  # the foreign key checks a commit would run
    """INSERT INTO purchasing_purchaseorder (number, status, created_at, supplier_id)
       SELECT 'FLOOR-' || s.id, 'draft', now(), s.id FROM purchasing_supplier s""",
    """INSERT INTO purchasing_purchaseorderline (supplier_sku, quantity, stock_units, received, unit_cost, expected_date,
                                                late, product_id, purchase_order_id, first_expected_date)
       SELECT si.supplier_sku, GREATEST(si.min_order_quantity, CEIL(t.units::numeric / si.pack_size) * si.pack_size),
              0, 0, si.unit_cost, current_date + s.lead_time_days, false, t.product_id, po.id, current_date + s.lead_time_days
       FROM (SELECT product_id, SUM(quantity - filled - cancelled) AS units FROM orders_backorder
             WHERE status = 'open' AND po_line_id IS NULL GROUP BY product_id) t
       JOIN purchasing_supplieritem si ON si.product_id = t.product_id AND si.preferred
       JOIN purchasing_supplier s ON s.id = si.supplier_id
       JOIN purchasing_purchaseorder po ON po.number = 'FLOOR-' || s.id""",
    """INSERT INTO orders_etachange (backorder_id, old_eta, new_eta, cause, changed_at)
       SELECT b.id, b.eta, l.expected_date + 2, 'purchase_order', now()
       FROM orders_backorder b JOIN purchasing_purchaseorderline l ON l.product_id = b.product_id
       JOIN purchasing_purchaseorder po ON po.id = l.purchase_order_id AND po.number LIKE 'FLOOR-%'
       WHERE b.status = 'open' AND b.po_line_id IS NULL AND b.eta <> l.expected_date + 2""",
    """UPDATE orders_backorder b SET po_line_id = l.id, eta = l.expected_date + 2, status = 'on_order'
       FROM purchasing_purchaseorderline l JOIN purchasing_purchaseorder po ON po.id = l.purchase_order_id
       WHERE po.number LIKE 'FLOOR-%' AND l.product_id = b.product_id AND b.status = 'open' AND b.po_line_id IS NULL""",
]

FLOOR = """
SELECT si.supplier_id, b.product_id, SUM(b.quantity - b.filled - b.cancelled), MIN(b.created_at)
FROM orders_backorder b
JOIN inventory_product p ON p.id = b.product_id AND NOT p.dropship
JOIN purchasing_supplieritem si ON si.product_id = b.product_id AND si.preferred
WHERE b.status = 'open' AND b.po_line_id IS NULL
GROUP BY si.supplier_id, b.product_id
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--backorders", type=int, default=100_000)
    parser.add_argument("--skus", type=int, default=5_000)
    parser.add_argument("--suppliers", type=int, default=200)
    args = parser.parse_args()
    in_throwaway_database(lambda: run(args), "batch.py")


def backlog(args):
    from inventory.models import Product, StockLevel
    from orders.models import Backorder, Customer, Order, OrderLine
    from purchasing.models import Supplier, SupplierItem

    rng = random.Random(7)
    now = datetime.datetime.now(datetime.UTC)
    eta = now.date() + datetime.timedelta(days=14)
    products = Product.objects.bulk_create(
        [Product(sku=f"B-{i:05d}", name=f"Item {i}", price=Decimal("20.00")) for i in range(args.skus)], batch_size=5000
    )
    StockLevel.objects.bulk_create([StockLevel(product=p) for p in products], batch_size=5000)
    suppliers = Supplier.objects.bulk_create(
        [
            Supplier(
                code=f"s{i:03d}", name=f"Supplier {i}", email=f"po@s{i}.example", min_order_value=0, max_wait_hours=72
            )
            for i in range(args.suppliers)
        ]
    )
    SupplierItem.objects.bulk_create(
        [
            SupplierItem(
                supplier=suppliers[i % len(suppliers)],
                product=p,
                supplier_sku=f"S{i}",
                unit_cost=Decimal("8.50"),
                min_order_quantity=rng.choice([1, 5, 10]),
                pack_size=rng.choice([1, 6, 12]),
                preferred=True,
            )
            for i, p in enumerate(products)
        ],
        batch_size=5000,
    )
    customers = Customer.objects.bulk_create(
        [Customer(email=f"c{i}@example.org", name=f"C {i}") for i in range(1000)], batch_size=5000
    )
    per_order = 2
    orders = Order.objects.bulk_create(
        [
            Order(
                number=f"BO-{i}",
                customer=customers[i % len(customers)],
                fulfilment_policy="ship_partial",
                status="awaiting_stock",
                placed_at=now - datetime.timedelta(hours=rng.randint(1, 200)),
                amount_authorised=Decimal("40.00"),
            )
            for i in range(args.backorders // per_order)
        ],
        batch_size=5000,
    )
    lines, backorders = [], []
    for order in orders:
        for position, product in enumerate(rng.sample(products, per_order)):
            lines.append(
                OrderLine(
                    order=order,
                    position=position,
                    product=product,
                    quantity=1,
                    unit_price=Decimal("20.00"),
                    backordered=1,
                )
            )
    OrderLine.objects.bulk_create(lines, batch_size=5000)
    for line in lines:
        backorders.append(
            Backorder(
                order_id=line.order_id,
                line=line,
                product_id=line.product_id,
                quantity=1,
                created_at=line.order.placed_at,
                eta=eta,
                promised_date=eta,
                told_eta=eta,
            )
        )
    Backorder.objects.bulk_create(backorders, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def run(args):
    from purchasing.batching import batch_backorders
    from purchasing.models import PurchaseOrder, PurchaseOrderLine

    started = time.perf_counter()
    backlog(args)
    print(
        f"backlog                 {args.backorders} backorders, {args.skus} SKUs, {args.suppliers} suppliers "
        f"(built in {time.perf_counter() - started:.1f} s)"
    )

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(FLOOR)
        groups = len(cursor.fetchall())
    floor = time.perf_counter() - started

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in WRITE_FLOOR:
            cursor.execute(statement)
        cursor.execute("SELECT count(*) FROM orders_backorder WHERE status = 'on_order'")
        floor_pegged = cursor.fetchone()[0]
        write_floor = time.perf_counter() - started
        transaction.set_rollback(True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        result = batch_backorders(trigger="bench")
        elapsed = time.perf_counter() - started

    print(f"read floor (one SQL)    {floor:.3f} s for {groups} supplier × product totals")
    print(f"write floor (4 SQL)     {write_floor:.3f} s: purchase orders, lines, {floor_pegged} pegs and their history")
    print(f"batch run               {elapsed:.3f} s, {len(captured)} queries")
    print(f"ratio to write floor    {elapsed / write_floor:.1f}×")
    if os.environ.get("BENCH_SLOWEST"):
        for query in sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:5]:
            print(f"  {query['time']} s  {query['sql'][: int(os.environ.get('BENCH_SQL_CHARS', 300))]}")
    print(
        f"purchase orders         {PurchaseOrder.objects.count()} created, {PurchaseOrderLine.objects.count()} lines, "
        f"{result['units_pegged']} units pegged"
    )


if __name__ == "__main__":
    main()
