"""A supplier slips and tens of thousands of customers must hear of it, on PostgreSQL.

50,000 backorders over 25,000 orders (two products each, both on one sent purchase order)
are re-dated 10 days later in one confirmation. Prints the seconds and queries of the
transaction that moves the ETAs, then of telling every customer (the task's chunks of
orders, a transaction each, rendering nothing, on --workers worker processes side by side),
then how many messages one worker renders and sends per second through the outbox (claim,
render, send, record) with the locmem backend.

    DATABASE_URL=postgres://USER:PASS@HOST/DB python bench/fanout.py [--backorders 50000] [--send 5000]

Runs in a throwaway database (bench_<name>), created and dropped here.
"""

import argparse
import datetime
import multiprocessing
import os
import time
from decimal import Decimal

from common import in_throwaway_database  # sets Django up
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext, override_settings


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--backorders", type=int, default=50_000)
    parser.add_argument("--send", type=int, default=5_000, help="messages to send for the per-worker rate")
    parser.add_argument("--workers", type=int, default=2, help="worker processes telling the customers (a core each)")
    args = parser.parse_args()
    in_throwaway_database(lambda: run(args), "fanout.py")


def backlog(count):
    from inventory.models import Product, StockLevel
    from notifications.models import MessagePolicy
    from orders.models import Backorder, Customer, Order, OrderLine
    from purchasing.models import (
        PurchaseOrder,
        PurchaseOrderLine,
        Supplier,
        SupplierItem,
    )

    now = datetime.datetime.now(datetime.UTC)
    today = now.date()
    eta = today + datetime.timedelta(days=12)
    products = Product.objects.bulk_create(
        [Product(sku=f"F-{i}", name=f"Teapot {i}", price=Decimal("20.00")) for i in range(2)]
    )
    StockLevel.objects.bulk_create([StockLevel(product=p) for p in products])
    supplier = Supplier.objects.create(
        code="slow", name="Slow Ltd", email="po@slow.example", min_order_value=0, max_wait_hours=48
    )
    SupplierItem.objects.bulk_create(
        [
            SupplierItem(supplier=supplier, product=p, supplier_sku=f"S{i}", unit_cost=Decimal("8.50"), preferred=True)
            for i, p in enumerate(products)
        ]
    )
    po = PurchaseOrder.objects.create(number="PO-FANOUT", supplier=supplier, status="sent", created_at=now, sent_at=now)
    po_lines = PurchaseOrderLine.objects.bulk_create(
        [
            PurchaseOrderLine(
                purchase_order=po,
                product=p,
                quantity=count // 2,
                unit_cost=Decimal("8.50"),
                expected_date=today + datetime.timedelta(days=10),
                first_expected_date=today + datetime.timedelta(days=10),
            )
            for p in products
        ]
    )
    customers = Customer.objects.bulk_create(
        [
            Customer(email=f"c{i}@example.org", name=f"Customer {i}", language="de" if i % 2 else "en")
            for i in range(count // 2)
        ],
        batch_size=5000,
    )
    orders = Order.objects.bulk_create(
        [
            Order(
                number=f"FO-{i}",
                customer=customer,
                fulfilment_policy="ship_partial",
                status="awaiting_stock",
                placed_at=now,
                amount_authorised=Decimal("40.00"),
            )
            for i, customer in enumerate(customers)
        ],
        batch_size=5000,
    )
    lines = OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order, position=position, product=product, quantity=1, unit_price=Decimal("20.00"), backordered=1
            )
            for order in orders
            for position, product in enumerate(products)
        ],
        batch_size=5000,
    )
    Backorder.objects.bulk_create(
        [
            Backorder(
                order_id=line.order_id,
                line=line,
                product_id=line.product_id,
                quantity=1,
                created_at=now,
                eta=eta,
                promised_date=eta,
                told_eta=eta,
                status="on_order",
                po_line=po_lines[line.position],
            )
            for line in lines
        ],
        batch_size=5000,
    )
    policy = MessagePolicy.current()
    policy.quiet_window_minutes = 0
    policy.save()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return po, products


def tell_chunks(chunks):
    from notifications.rules import tell_orders

    for chunk in chunks:
        tell_orders(chunk)
    connections.close_all()


def run(args):
    from notifications.models import CustomerMessage
    from notifications.rules import tell_delayed
    from notifications.sending import send_due_messages
    from purchasing.lifecycle import confirm_purchase_order

    started = time.perf_counter()
    po, products = backlog(args.backorders)
    print(
        f"backlog                 {args.backorders} backorders over {args.backorders // 2} orders on one purchase order "
        f"(built in {time.perf_counter() - started:.1f} s)"
    )

    later = {p.sku: datetime.date.today() + datetime.timedelta(days=20) for p in products}
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        confirm_purchase_order(po.number, later)
        redate = time.perf_counter() - started
    print(
        f"re-date (transaction)   {redate:.2f} s, {len(captured)} queries, "
        f"{CustomerMessage.objects.count()} messages queued in it"
    )
    if os.environ.get("BENCH_SLOWEST"):
        for query in sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:6]:
            print(f"  {query['time']} s  {query['sql'][: int(os.environ.get('BENCH_SQL_CHARS', 300))]}")
    started = time.perf_counter()
    chunks = []
    orders = tell_delayed(chunked=chunks.append)  # what the task does: a chunk per worker task
    connections.close_all()  # each forked worker opens its own connection
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=tell_chunks, args=(chunks[index :: args.workers],)) for index in range(args.workers)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    telling = time.perf_counter() - started
    queued = CustomerMessage.objects.count()
    print(
        f"telling the customers   {telling:.2f} s, {orders} orders in {len(chunks)} chunks on {args.workers} workers, "
        f"{queued} messages queued ({queued / telling:.0f} per second)"
    )
    print(f"re-date to all queued   {redate + telling:.2f} s")

    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        sent, started = 0, time.perf_counter()
        while sent < min(args.send, queued):
            sent += send_due_messages(limit=200)["sent"]
        elapsed = time.perf_counter() - started
    print(f"sending, one worker     {sent} messages in {elapsed:.2f} s = {sent / elapsed:.0f} messages per second")


if __name__ == "__main__":
    main()
