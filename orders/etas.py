"""Moving many backorders' ETAs at once, with their history, in a fixed number of
statements: one INSERT … SELECT writes the history rows of the backorders whose date
really changes, one UPDATE moves them. Used by purchasing for pegging, re-dating and late
lines, where a single event can touch tens of thousands of backorders.

Rule: a backorder's ETA never changes without an EtaChange row naming the cause."""

from django.db import connection
from django.db.models import DateField, F, Func, Value
from django.db.models.fields import DateTimeField

from backoffice import clock

from .models import EtaChange

# The history columns, in the order both bulk writers below select them.
HISTORY_INSERT = f"INSERT INTO {EtaChange._meta.db_table} (backorder_id, old_eta, new_eta, cause, changed_at) "


def add_days_sql(sql, days):
    """SQL for date + days (a whole number, or SQL giving one), as a date, on PostgreSQL
    and SQLite alike."""
    days = int(days) if isinstance(days, int) else days
    if connection.vendor == "postgresql":
        return f"({sql} + ({days}))"
    return f"date({sql}, ({days}) || ' days')"


class AddDays(Func):
    """date + days, where days is a whole number or an expression (a column, a CASE)."""

    output_field = DateField()

    def __init__(self, expression, days):
        # A whole number goes into the SQL as a literal (PostgreSQL has date + integer, not
        # date + a parameter of unknown type); an expression is compiled.
        if hasattr(days, "resolve_expression"):
            super().__init__(expression, days)
            self.days = None
        else:
            super().__init__(expression)
            self.days = int(days)

    def as_sql(self, compiler, connection, **extra):
        date_sql, params = compiler.compile(self.source_expressions[0])
        if self.days is not None:
            return add_days_sql(date_sql, self.days), params
        days_sql, days_params = compiler.compile(self.source_expressions[1])
        return add_days_sql(date_sql, f"CAST({days_sql} AS INTEGER)"), [*params, *days_params]


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
