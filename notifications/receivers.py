"""Receivers: how customer messages listen to the events of the apps below (connected in
apps.py). Each runs inside the event's transaction, so a change and the notice of it
commit together; except that a change moving more than NOTIFY_INLINE_BACKORDERS backorders
(a supplier slipping for thousands) commits at once and its customers are told by a worker
in transactions of their own (rules.tell_delayed), asked after commit and swept by beat,
so a lost task delays the telling by minutes and loses nothing (told_eta remembers what
each customer was told)."""

from django.conf import settings

from kernel.queue import enqueue_after_commit

from .models import MessagePolicy
from .outbox import Kind, queue_one
from .rules import delayed_order_ids, notify_orders


def on_backorders_created(sender, order_ids, backorder_ids, new_orders=False, **kwargs):
    notify_orders(order_ids, new_backorder_ids=backorder_ids, new_orders=new_orders)


def on_etas_changed(sender, backorder_ids, **kwargs):
    if len(backorder_ids) > settings.NOTIFY_INLINE_BACKORDERS:
        from .tasks import tell_delayed

        enqueue_after_commit(tell_delayed)  # not even the query: the transaction ends now
        return
    policy = MessagePolicy.current()
    if order_ids := delayed_order_ids(policy, backorder_ids):
        notify_orders(order_ids, policy=policy)


def on_order_shipped(sender, shipment, **kwargs):
    shipped = [
        {"units": row.quantity, "sku": row.line.product.sku, "name": row.line.product.name}
        for row in shipment.lines.select_related("line__product").order_by("line__position")
    ]
    queue_one(
        Kind.SHIPPED,
        shipment.order_id,
        f"shipped:{shipment.pk}",
        shipped_lines=shipped,
        tracking_number=shipment.tracking_number,
    )


def on_units_cancelled(sender, order, cancelled, voided, **kwargs):
    lines = [{"units": units, "sku": line.product.sku, "name": line.product.name} for line, units in cancelled]
    # The order's total of cancelled units only grows: it names this cancellation.
    total = sum(line.cancelled for line in order.lines.all())
    queue_one(Kind.CANCELLATION, order.pk, f"cancellation:{order.pk}:{total}", cancelled_lines=lines, refund=voided)
