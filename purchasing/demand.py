"""Demand history: what customers ordered of each product per day, kept cheap to read.

Rules: a day is the shop's local date of the order; a line counts on the day its order was
placed, with its units, whether it went to backorder (it has a backorder) and what of it was
cancelled. The nightly job rebuilds the last REBUILD_DAYS days (cancellations come in after
the day), from the last rebuild's day when that is older, and everything when there is no
history yet; one transaction, set-based, so two runs at once take turns and a run twice
writes the same rows. Each rebuild records when it ran (`DemandRefresh`).
- The history is read current: a history not rebuilt today (never, on a fresh install or a
  fresh demo) is rebuilt at once by the first reader (`current_history`), so the reorder
  review and its API work from the first day, not only after the night job. A migrate that
  finds orders and no rebuild yet (an installation taking this version) builds it then."""

import datetime

from django.db import connection, connections, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from kernel import clock
from kernel.locks import advisory_lock
from orders.models import Backorder, OrderLine

from .models import DemandDay, DemandRefresh

REBUILD_DAYS = 7


def refresh_demand(since=None):
    """Rebuild the history from `since` (a date; default: the last REBUILD_DAYS days, or all
    of it when there is none yet). Returns the number of product-days written."""
    with transaction.atomic():
        advisory_lock("purchasing.refresh_demand")
        if since is None and DemandDay.objects.exists():
            since = clock.today() - datetime.timedelta(days=REBUILD_DAYS)
            last = DemandRefresh.objects.filter(pk=1).values_list("as_of", flat=True).first()
            if last is not None:
                since = min(since, timezone.localdate(last))
        lines = OrderLine.objects.all()
        if since is not None:
            midnight = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
            lines = lines.filter(order__placed_at__gte=midnight)
            DemandDay.objects.filter(day__gte=since).delete()
        else:
            DemandDay.objects.all().delete()
        short = Exists(Backorder.objects.filter(line=OuterRef("pk")))
        rows = (
            lines.annotate(day=TruncDate("order__placed_at"))
            .values("product_id", "day")
            .annotate(
                units=Sum("quantity"),
                count=Count("id"),
                short=Sum(Case(When(short, then=Value(1)), default=Value(0), output_field=IntegerField())),
                cancelled=Sum("cancelled"),
            )
            .order_by()
            .values_list("product_id", "day", "units", "count", "short", "cancelled")
        )
        sql, params = rows.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {DemandDay._meta.db_table} "
                "(product_id, day, units_ordered, lines, lines_backordered, units_cancelled) " + sql,
                params,
            )
            written = cursor.rowcount
        DemandRefresh.objects.update_or_create(pk=1, defaults={"as_of": clock.now()})
        return written


def current_history():
    """When the history was rebuilt, rebuilding it first when that was not today (a fresh
    install, a fresh demo, a night job that did not run)."""
    last = DemandRefresh.objects.filter(pk=1).values_list("as_of", flat=True).first()
    # Not today: before it, or (a clock set back, as in tests) after it.
    if last is None or timezone.localdate(last) != clock.today():
        refresh_demand()
        last = DemandRefresh.objects.get(pk=1).as_of
    return last


def build_after_migrate(using="default", **kwargs):
    """post_migrate: the history built when there are orders and it never was (an upgrade);
    a fresh database has no orders, and its first reader builds it."""
    if using != "default" or DemandRefresh._meta.db_table not in connections[using].introspection.table_names():
        return  # migrated back below the table, or another database
    if not DemandRefresh.objects.exists() and OrderLine.objects.exists():
        refresh_demand()
