"""Moving many backorders' ETAs at once, with their history, in a fixed number of
statements: one INSERT … SELECT writes the history rows of the backorders whose date
really changes, one UPDATE moves them. Used by purchasing for pegging, re-dating and late
lines, where a single event can touch tens of thousands of backorders.

Rule: a backorder's ETA never changes without an EtaChange row naming the cause."""

from django.db import connection
from django.db.models import F, Value
from django.db.models.fields import DateTimeField

from kernel import clock

from .models import EtaChange

# The history columns, in the order both bulk writers below select them.
HISTORY_INSERT = f"INSERT INTO {EtaChange._meta.db_table} (backorder_id, old_eta, new_eta, cause, changed_at) "


def set_etas(backorders, new_eta, cause, **also):
    """Set each backorder's ETA to `new_eta` (an expression evaluated per row, e.g. a
    subquery on its purchase order line) and any other fields in `also`. Returns the ids of
    the backorders whose ETA changed."""
    changing = (
        backorders.annotate(
            h_backorder=F("id"),
            h_old=F("eta"),
            h_new=new_eta,
            h_cause=Value(cause),
            h_at=Value(clock.now(), output_field=DateTimeField()),
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
