"""The reorder review over a year of history, on PostgreSQL.

5,000 stocked products from 200 suppliers, a year of daily demand (every product sells on
about two days in three), 2,000 delivered purchase order lines for the suppliers' records,
open purchase orders and waiting backorders. Prints the seconds and queries of one full
review (every product's figures), next to the floor: bare SQL reading the same rows
(the last 28 days of demand, the 90-day sums, stock, incoming, waiting, deliveries), timed
in the same run.

    DATABASE_URL=postgres://USER:PASS@HOST/DB python bench/reorder.py [--products 5000]

Runs in a throwaway database (bench_<name>), created and dropped here.
"""

import argparse
import time

from common import in_throwaway_database  # sets Django up
from django.db import connection
from django.test.utils import CaptureQueriesContext

FILL = [
    """INSERT INTO inventory_product (id, sku, name, price, backorderable, dropship, created_at)
       SELECT i, 'R-' || lpad(i::text, 5, '0'), 'Item ' || i, 9.90, true, false, now() - interval '400 days'
       FROM generate_series(1, {products}) i""",
    "INSERT INTO inventory_stocklevel (product_id, on_hand, allocated) SELECT i, i % 40, 0 FROM generate_series(1, {products}) i",
    """INSERT INTO purchasing_supplier (id, code, name, email, language, lead_time_days, min_order_value, max_wait_hours,
                                       auto_send, learned_lateness_days, pad_with_lateness)
       SELECT i, 's' || i, 'Supplier ' || i, 'po@s' || i || '.example', 'de', 5 + i % 10, 0, 72, false, 0, true
       FROM generate_series(1, 200) i""",
    """INSERT INTO purchasing_supplieritem (supplier_sku, unit_cost, min_order_quantity, pack_size, lead_time_days,
                                           preferred, product_id, supplier_id)
       SELECT 'S-' || i, 3.20, 1 + i % 5, 1 + i % 6, NULL, true, i, 1 + i % 200 FROM generate_series(1, {products}) i""",
    # A year of demand: a weekly rhythm, a slow drift, nothing on some days.
    """INSERT INTO purchasing_demandday (product_id, day, units_ordered, lines, lines_backordered, units_cancelled)
       SELECT p, current_date - d, 1 + (p + d) % 7 + (CASE WHEN extract(dow FROM current_date - d) = 1 THEN 3 ELSE 0 END),
              1 + (p + d) % 3, CASE WHEN (p * d) % 11 = 0 THEN 1 ELSE 0 END, 0
       FROM generate_series(1, {products}) p, generate_series(1, 365) d WHERE (p + d) % 3 <> 0""",
    # Each supplier's deliveries: ten received lines in the last 180 days.
    """INSERT INTO purchasing_purchaseorder (id, number, status, created_at, sent_at, supplier_id)
       SELECT i, 'PO-' || i, CASE WHEN i <= 2000 THEN 'received' ELSE 'confirmed' END, now() - interval '60 days',
              now() - (i % 120 + 10) * interval '1 day', 1 + i % 200
       FROM generate_series(1, 3000) i""",
    """INSERT INTO purchasing_purchaseorderline (supplier_sku, quantity, stock_units, received, unit_cost, expected_date,
                                                late, product_id, purchase_order_id, first_expected_date, received_at)
       SELECT 'S', 20, 0, CASE WHEN i <= 2000 THEN 20 ELSE 0 END, 3.20, current_date + 5, false, 1 + (i * 7) % {products}, i,
              current_date - (i % 120), CASE WHEN i <= 2000 THEN now() - (i % 120) * interval '1 day' END
       FROM generate_series(1, 3000) i""",
]

FLOOR = [
    """SELECT product_id, day, units_ordered FROM purchasing_demandday
       WHERE day >= current_date - 28 AND day < current_date""",
    """SELECT product_id, min(day), sum(lines), sum(lines_backordered) FROM purchasing_demandday
       WHERE day >= current_date - 90 AND day < current_date GROUP BY product_id""",
    """SELECT product_id, sum(quantity - filled - cancelled) FROM orders_backorder
       WHERE status IN ('open', 'on_order') GROUP BY product_id""",
    """SELECT si.id, si.product_id, si.supplier_id, s.lead_time_days, st.on_hand, st.allocated
       FROM purchasing_supplieritem si JOIN purchasing_supplier s ON s.id = si.supplier_id
       JOIN inventory_stocklevel st ON st.product_id = si.product_id WHERE si.preferred""",
    """SELECT l.product_id, sum(l.quantity - l.received) FROM purchasing_purchaseorderline l
       JOIN purchasing_purchaseorder po ON po.id = l.purchase_order_id
       WHERE po.status IN ('draft', 'sent', 'confirmed', 'partially_received') GROUP BY l.product_id""",
    """SELECT po.supplier_id, po.sent_at, l.received_at FROM purchasing_purchaseorderline l
       JOIN purchasing_purchaseorder po ON po.id = l.purchase_order_id
       WHERE l.received_at >= now() - interval '180 days' AND l.received >= l.quantity""",
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=5000)
    args = parser.parse_args()
    in_throwaway_database(lambda: run(args), "reorder.py")


def run(args):
    from purchasing.reorder import review

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for statement in FILL:
            cursor.execute(statement.replace("{products}", str(args.products)))
        cursor.execute("SELECT count(*) FROM purchasing_demandday")
        days = cursor.fetchone()[0]
        cursor.execute("ANALYZE")
    print(
        f"history                 {args.products} products, {days} product-days over a year "
        f"(built in {time.perf_counter() - started:.1f} s)"
    )

    started = time.perf_counter()
    with connection.cursor() as cursor:
        rows = 0
        for statement in FLOOR:
            cursor.execute(statement)
            rows += len(cursor.fetchall())
    floor = time.perf_counter() - started

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        figures = review()
        elapsed = time.perf_counter() - started
    below = sum(f.below_reorder_point for f in figures)
    print(f"floor (bare SQL)        {floor:.3f} s reading the same {rows} rows")
    print(
        f"review                  {elapsed:.3f} s, {len(captured)} queries, {len(figures)} products, "
        f"{below} below their reorder point, {sum(f.suggested_quantity for f in figures)} units suggested"
    )
    print(f"ratio to floor          {elapsed / floor:.1f}×")


if __name__ == "__main__":
    main()
