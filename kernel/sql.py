"""Small SQL helpers that run the same on PostgreSQL and SQLite."""

from django.db import connection
from django.db.models import DateField, Func


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


def chunks(items, size):
    """`items` in lists of at most `size`: bounded statements, bounded parameters per statement."""
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def compiled(queryset, expression=None):
    """The SQL text and parameters the ORM writes for `expression` on `queryset`'s rows (for
    the queryset's filter when no expression is given): for a statement the ORM cannot write
    (an UPDATE … FROM), so that a rule stated once as an ORM expression is not written again
    as SQL. Columns come out named by their table's name (the ORM's alias for a table's first
    join), so the statement names its tables that way, without aliases of its own."""
    query = (queryset if expression is None else queryset.annotate(compiled_=expression)).query
    compiler = query.get_compiler(connection=connection)
    return compiler.compile(query.where if expression is None else query.annotations["compiled_"])
