"""Moving many backorders' ETAs at once, with their history, in a fixed number of
statements: one INSERT … SELECT writes the history rows of the backorders whose date
really changes, one UPDATE moves them. Used by purchasing for pegging, re-dating and late
lines, where a single event can touch tens of thousands of backorders."""

from collections import defaultdict

from django.db import connection
from django.db.models import DateField, F, Func, Value
from django.db.models.fields import DateTimeField

from backoffice import clock

from .models import EtaChange


# The history columns, in the order both bulk writers below select them.
HISTORY_INSERT = f"INSERT INTO {EtaChange._meta.db_table} (backorder_id, old_eta, new_eta, cause, changed_at) "


def add_days_sql(sql, days):
    """SQL for date + n days, as a date, on PostgreSQL and SQLite alike."""
    if connection.vendor == "postgresql":
        return f"({sql} + {int(days)})"
    return f"date({sql}, '{int(days):+d} days')"


class AddDays(Func):
    output_field = DateField()

    def __init__(self, expression, days):
        super().__init__(expression)
        self.days = days

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return add_days_sql(sql, self.days), params


def set_etas(backorders, new_eta, cause, **also):
    """Set each backorder's ETA to `new_eta` (an expression evaluated per row, e.g. a
    subquery on its purchase order line) and any other fields in `also`. Returns the ids of
    the backorders whose ETA changed."""
    changing = (
        backorders.annotate(
            h_backorder=F("id"), h_old=F("eta"), h_new=new_eta,
            h_cause=Value(cause), h_at=Value(clock.now(), output_field=DateTimeField()),
        )
        .exclude(eta=F("h_new"))
        .values_list("h_backorder", "h_old", "h_new", "h_cause", "h_at")
    )
    sql, params = changing.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"{HISTORY_INSERT}{sql} RETURNING backorder_id",
            params,
        )
        moved = [row[0] for row in cursor.fetchall()]
    backorders.update(eta=new_eta, **also)
    return moved


def peg_to_lines(line_ids, handling_days, *, same_order=False):
    """Peg every open, unpegged backorder to the new purchase order line of its product
    among `line_ids` (for dropship lines also of its order), with the ETA that line gives
    (expected date + handling days). A join, not a subquery per row: one INSERT … SELECT
    for the history and one UPDATE … FROM, on PostgreSQL and SQLite (3.33+) alike.
    Returns the ids of the backorders whose ETA changed, and the units pegged per line."""
    if not line_ids:
        return [], {}
    eta = add_days_sql("l.expected_date", handling_days)
    match = "l.product_id = b.product_id" + (" AND po.dropship_order_id = b.order_id" if same_order else "")
    lines = "purchasing_purchaseorderline l, purchasing_purchaseorder po"
    where = (
        f"po.id = l.purchase_order_id AND {match} AND l.id IN ({', '.join(['%s'] * len(line_ids))}) "
        "AND b.status = 'open' AND b.po_line_id IS NULL"
    )
    now = connection.ops.adapt_datetimefield_value(clock.now())
    # PostgreSQL's RETURNING sees the joined line table too (which also has a quantity);
    # SQLite's sees only the updated table and refuses the alias.
    returned = "po_line_id, quantity - filled - cancelled"
    if connection.vendor == "postgresql":
        returned = "b.po_line_id, b.quantity - b.filled - b.cancelled"
    with connection.cursor() as cursor:
        cursor.execute(
            f"{HISTORY_INSERT}SELECT b.id, b.eta, {eta}, %s, %s FROM orders_backorder b, {lines} "
            f"WHERE {where} AND b.eta <> {eta} RETURNING backorder_id",
            [EtaChange.Cause.PURCHASE_ORDER, now, *line_ids],
        )
        moved = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"UPDATE orders_backorder AS b SET po_line_id = l.id, eta = {eta}, status = 'on_order' "
            f"FROM {lines} WHERE {where} RETURNING {returned}",
            line_ids,
        )
        units = defaultdict(int)
        for line_id, waiting in cursor.fetchall():
            units[line_id] += waiting
    return moved, units
