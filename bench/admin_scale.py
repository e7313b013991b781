"""A year of data in the admin, on PostgreSQL.

Fills the database by set-based SQL with a year of a busy shop: 200,000 customers,
400,000 orders, 1,000,000 order lines, 100,000 open backorders (and 150,000 filled ones),
200,000 customer messages, 100,000 ETA changes, 5,000 products from 200 suppliers with
200 purchase orders. Then loads every page staff use daily as a superuser (the test client,
the real views and middleware) and prints the median and slowest of five loads and the
queries of one, next to the goal.

    DATABASE_URL=postgres://USER:PASS@HOST/DB python bench/admin_scale.py [--loads 5] [--keep]

Runs in a throwaway database (bench_<name>); `--keep` fills it once and keeps it for
the next run (migrations still apply), to measure again without refilling.
"""

import argparse
import statistics
import time

from common import in_throwaway_database  # sets Django up
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

FILL = [
    # Products, their stock and one preferred supplier item each; 200 suppliers.
    """INSERT INTO inventory_product (id, sku, name, price, backorderable, dropship, created_at)
       SELECT i, 'SKU-' || lpad(i::text, 5, '0'),
              (ARRAY['Teapot','Kettle','Mug','Cup','Plate','Bowl','Jug','Vase','Saucer','Tray'])[1 + i % 10] || ' ' ||
              (ARRAY['blue','red','green','white','black','grey','amber'])[1 + i % 7] || ' ' || i,
              5.90 + i % 50, true, false, now() - interval '400 days'
       FROM generate_series(1, 5000) i""",
    "INSERT INTO inventory_stocklevel (product_id, on_hand, allocated) SELECT i, i % 7, 0 FROM generate_series(1, 5000) i",
    """INSERT INTO purchasing_supplier (id, code, name, email, language, lead_time_days, min_order_value, max_wait_hours,
                                       auto_send, learned_lateness_days, pad_with_lateness)
       SELECT i, 's' || i, 'Supplier ' || i, 'po@s' || i || '.example', 'de', 7 + i % 14, 0, 72, false, i % 4, true
       FROM generate_series(1, 200) i""",
    """INSERT INTO purchasing_supplieritem (supplier_sku, unit_cost, min_order_quantity, pack_size, lead_time_days,
                                           preferred, product_id, supplier_id)
       SELECT 'S-' || i, 3.20, 1 + i % 3, 1 + i % 2, NULL, true, i, 1 + i % 200 FROM generate_series(1, 5000) i""",
    """INSERT INTO purchasing_purchaseorder (id, number, status, created_at, sent_at, confirmed_at, supplier_id)
       SELECT i, 'PO-' || lpad(i::text, 6, '0'), 'confirmed', now() - interval '20 days', now() - interval '20 days',
              now() - interval '19 days', i FROM generate_series(1, 200) i""",
    """INSERT INTO purchasing_purchaseorderline (id, supplier_sku, quantity, stock_units, received, unit_cost, expected_date,
                                                late, product_id, purchase_order_id, first_expected_date)
       SELECT i, 'S-' || i, 40, 0, 0, 3.20, current_date + 5 + i % 20, i % 17 = 0, i, 1 + i % 200, current_date + 3 + i % 20
       FROM generate_series(1, 5000) i""",
    # Customers: first and last names people search for.
    """INSERT INTO orders_customer (id, email, name, language, created_at, call_reason)
       SELECT i, 'c' || i || '@example.org',
              (ARRAY['Anna','Ben','Clara','David','Emma','Felix','Greta','Hannah','Jonas','Lena','Lukas','Mia','Noah','Paul','Sophie'])[1 + i % 15]
              || ' ' ||
              (ARRAY['Müller','Schmidt','Schneider','Fischer','Weber','Meyer','Wagner','Becker','Schulz','Hoffmann','Koch','Richter',
                     'Klein','Wolf','Schröder','Neumann','Schwarz','Zimmermann','Braun','Krüger'])[1 + (i / 15) % 20]
              || CASE WHEN i % 3 = 0 THEN '-' || i ELSE '' END,
              CASE WHEN i % 3 = 0 THEN 'en' ELSE 'de' END, now() - interval '400 days',
              CASE WHEN i % 2000 = 0 THEN 'Email bounced' ELSE '' END
       FROM generate_series(1, 200000) i""",
    # Orders over the last 365 days, the newest with the highest id; the last 60,000 wait for stock.
    """INSERT INTO orders_order (id, number, public_id, customer_id, fulfilment_policy, expedite, status, placed_at,
                                amount_authorised, amount_captured, amount_voided)
       SELECT i, 'W' || lpad(i::text, 7, '0'), md5(i::text)::uuid, 1 + (i::bigint * 7919) % 200000,
              CASE WHEN i % 4 = 0 THEN 'ship_complete' ELSE 'ship_partial' END, i % 50 = 0,
              CASE WHEN i > 340000 THEN 'awaiting_stock' WHEN i % 40 = 0 THEN 'cancelled' ELSE 'shipped' END,
              now() - (400000 - i) * interval '78.84 seconds', 100, CASE WHEN i > 340000 THEN 0 ELSE 100 END, 0
       FROM generate_series(1, 400000) i""",
    # Two or three lines an order (1,000,000 in all); of the waiting orders, two lines in three wait.
    """INSERT INTO orders_orderline (id, order_id, position, product_id, quantity, unit_price, allocated, backordered,
                                    shipped, cancelled)
       SELECT o * 3 + p, o, p, 1 + (o * 31 + p * 977) % 5000, 1 + (o + p) % 3, 12.90, 0,
              CASE WHEN o > 340000 AND (o + p) % 3 <> 0 THEN 1 + (o + p) % 3 ELSE 0 END,
              CASE WHEN o > 340000 AND (o + p) % 3 <> 0 THEN 0 ELSE 1 + (o + p) % 3 END, 0
       FROM generate_series(1, 400000) o, generate_series(0, 2) p WHERE p < 2 + o % 2""",
    # The open backorders: half still open, half on the purchase order line of their product.
    """INSERT INTO orders_backorder (order_id, line_id, product_id, quantity, filled, cancelled, status, created_at, eta,
                                    promised_date, told_eta, po_line_id)
       SELECT l.order_id, l.id, l.product_id, l.backordered, 0, 0,
              CASE WHEN l.id % 2 = 0 THEN 'on_order' ELSE 'open' END, o.placed_at,
              (o.placed_at + interval '14 days')::date + (l.id % 9)::int, (o.placed_at + interval '14 days')::date,
              (o.placed_at + interval '14 days')::date + (l.id % 9)::int, CASE WHEN l.id % 2 = 0 THEN l.product_id END
       FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id WHERE l.backordered > 0""",
    # A year of filled backorders behind the shipped lines.
    """INSERT INTO orders_backorder (order_id, line_id, product_id, quantity, filled, cancelled, status, created_at,
                                    filled_at, eta, promised_date, told_eta)
       SELECT l.order_id, l.id, l.product_id, l.quantity, l.quantity, 0, 'shipped', o.placed_at,
              o.placed_at + (8 + l.id % 12) * interval '1 day', (o.placed_at + interval '14 days')::date,
              (o.placed_at + interval '14 days')::date, (o.placed_at + interval '14 days')::date
       FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
       WHERE l.backordered = 0 AND l.order_id <= 340000 AND l.id % 6 = 0""",
    """INSERT INTO orders_etachange (backorder_id, old_eta, new_eta, cause, changed_at)
       SELECT id, eta - 5, eta, 'redated', created_at + interval '3 days' FROM orders_backorder WHERE id % 2 = 0 LIMIT 100000""",
    # 200,000 messages over the year, to the customers of every second order.
    """INSERT INTO notifications_customermessage (kind, to_email, language, data, subject, text, html, dedupe_key, status,
                                                 esp_message_id, attempts, possible_duplicate, last_error, created_at,
                                                 send_after, sent_at, status_changed_at, customer_id, order_id)
       SELECT (ARRAY['backorder_notice','delay_notice','shipped','apology'])[1 + o.id % 4], c.email, c.language, '{}',
              'About your order ' || o.number, 'Text', '<p>Text</p>', 'bench:' || o.id,
              CASE WHEN o.id % 500 = 0 THEN 'bounced' ELSE 'delivered' END, 'esp-' || o.id, 1, false, '',
              o.placed_at + interval '1 hour', o.placed_at + interval '1 hour', o.placed_at + interval '1 hour',
              o.placed_at + interval '2 hours', c.id, o.id
       FROM orders_order o JOIN orders_customer c ON c.id = o.customer_id WHERE o.id % 2 = 0""",
]
SEQUENCES = [
    "inventory_product",
    "purchasing_supplier",
    "purchasing_purchaseorder",
    "purchasing_purchaseorderline",
    "orders_customer",
    "orders_order",
    "orders_orderline",
]


def fill():
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in FILL:
            cursor.execute(statement)
        for table in SEQUENCES:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def pages():
    from django.urls import reverse
    from django.utils import timezone

    from orders.models import Order

    order = Order.objects.filter(status="awaiting_stock").order_by("-pk").first()
    month = timezone.localdate()
    orders, backorders = reverse("admin:orders_order_changelist"), reverse("admin:orders_backorder_changelist")
    messages = reverse("admin:notifications_customermessage_changelist")
    worklist = reverse("admin:notifications_customermessage_worklist")
    return [
        # (page, url, goal in ms)
        ("order list", orders, 150),
        ("order list, search an email", f"{orders}?q=c4711@example.org", 150),
        ("order list, search a number", f"{orders}?q=W0123456", 150),
        ("order list, search a SKU", f"{orders}?q=SKU-00042", 300),
        ("order list, search a name", f"{orders}?q=Greta Krüger", 300),
        ("order list, awaiting stock", f"{orders}?status__exact=awaiting_stock", 150),
        ("order list, waiting over 14 days", f"{orders}?waiting=14", 150),
        (
            "order list, one month (date drill-down)",
            f"{orders}?placed_at__year={month.year}&placed_at__month={month.month}",
            150,
        ),
        ("order page", reverse("admin:orders_order_change", args=[order.pk]), 100),
        ("backorder list, open", f"{backorders}?status__exact=open", 150),
        ("backorder list", backorders, 150),
        ("backorder list, search a SKU", f"{backorders}?q=SKU-00042", 300),
        ("customer list, search a name", f"{reverse('admin:orders_customer_changelist')}?q=Krüger", 150),
        ("customer message list", messages, 150),
        ("customer message list, bounced", f"{messages}?status__exact=bounced", 150),
        ("customer message list, search an email", f"{messages}?q=c4711@example.org", 150),
        ("customer-service worklist", worklist, 300),
        ("worklist, past the promised date", f"{worklist}?past_promised=true", 300),
        ("worklist, search a name", f"{worklist}?q=Krüger", 300),
        ("managers' dashboard", reverse("dashboard"), 300),
        ("purchase order list", reverse("admin:purchasing_purchaseorder_changelist"), 150),
        ("product list, search a name", f"{reverse('admin:inventory_product_changelist')}?q=teapot blue", 150),
    ]


def run(args):
    from django.contrib.auth.models import User

    from orders.models import OrderLine

    if not OrderLine.objects.exists():
        started = time.perf_counter()
        fill()
        print(f"filled in {time.perf_counter() - started:.1f} s")
    counts = {}
    with connection.cursor() as cursor:
        for table in [
            "orders_customer",
            "orders_order",
            "orders_orderline",
            "orders_backorder",
            "notifications_customermessage",
        ]:
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM orders_backorder WHERE status IN ('open', 'on_order')")
        counts["open backorders"] = cursor.fetchone()[0]
    print("  ".join(f"{name} {count:,}" for name, count in counts.items()))

    from backoffice.dashboard import refresh_dashboard
    from notifications.worklist import refresh_worklist

    for name, refresh in [("worklist", refresh_worklist), ("dashboard", refresh_dashboard)]:
        started = time.perf_counter()
        refresh()
        print(
            f"{name} summary refreshed in {(time.perf_counter() - started) * 1000:.0f} ms (the job, every few minutes)"
        )

    user = User.objects.filter(username="bench-admin").first() or User.objects.create_superuser(
        "bench-admin", "a@example.org", "x"
    )
    client = Client()
    client.force_login(user)
    print(f"{'page':44} {'median':>8} {'max':>8} {'queries':>8} {'goal':>8}")
    missed = 0
    for name, url, goal in pages():
        client.get(url)  # warm: templates, caches, the plan
        times = []
        for _ in range(args.loads):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        median = statistics.median(times)
        missed += median > goal
        flag = "" if response.status_code == 200 else f"  HTTP {response.status_code}"
        print(
            f"{name:44} {median:6.0f} ms {max(times):5.0f} ms {len(captured):8} {'< ' + str(goal) + ' ms':>8}"
            f"{'  MISSED' if median > goal else ''}{flag}"
        )
    print(f"pages over their goal: {missed}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the filled database for the next run")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    in_throwaway_database(lambda: run(args), "admin_scale.py", keep=args.keep)


if __name__ == "__main__":
    main()
