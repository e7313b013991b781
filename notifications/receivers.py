"""Receivers: how customer messages listen to the events of the apps below (connected in
apps.py). Each runs inside the event's transaction, so a change and the notice of it
commit together."""


from django.db.models import F, Q

from orders.etas import AddDays
from orders.models import WAITING, Backorder

from .models import MessagePolicy
from .outbox import CHUNK, Kind, chunks, queue_one
from .rules import notify_orders
from .selectors import about_to_pass


def on_backorders_created(sender, order_ids, backorder_ids, **kwargs):
    notify_orders(order_ids, new_backorder_ids=backorder_ids)


def on_etas_changed(sender, backorder_ids, **kwargs):
    # Only orders with a backorder now later than the date told by the policy's days (or
    # later than a told date about to pass) can need a message; an ETA that moved earlier
    # (pegging, mostly) costs one query per chunk.
    policy = MessagePolicy.current()
    later = AddDays(F("told_eta"), policy.delay_notice_min_days)
    delayed = Q(eta__gte=later) | Q(eta__gt=F("told_eta"), told_eta__lte=about_to_pass())
    order_ids = set()
    for chunk in chunks(backorder_ids, 10 * CHUNK):
        order_ids.update(
            Backorder.objects.filter(delayed, id__in=chunk, status__in=WAITING)
            .values_list("order_id", flat=True).distinct()
        )
    if order_ids:
        notify_orders(order_ids, policy=policy)


def on_order_shipped(sender, shipment, **kwargs):
    shipped = [
        {"units": row.quantity, "sku": row.line.product.sku, "name": row.line.product.name}
        for row in shipment.lines.select_related("line__product").order_by("line__position")
    ]
    queue_one(Kind.SHIPPED, shipment.order_id, f"shipped:{shipment.pk}", shipped_lines=shipped)


def on_units_cancelled(sender, order, cancelled, voided, **kwargs):
    lines = [{"units": units, "sku": line.product.sku, "name": line.product.name} for line, units in cancelled]
    # The order's total of cancelled units only grows: it names this cancellation.
    total = sum(line.cancelled for line in order.lines.all())
    queue_one(Kind.CANCELLATION, order.pk, f"cancellation:{order.pk}:{total}", cancelled_lines=lines, refund=voided)
