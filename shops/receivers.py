"""How shops listen to the apps below (connected in apps.py). Each receiver runs inside the
event's transaction and only writes outbox rows (pushes), which commit with the event; a
worker makes the calls after commit."""

from django.db.models.signals import post_delete, post_save
from django.utils import translation
from django.utils.translation import gettext as _

from inventory import signals as inventory_signals
from inventory.models import Product
from kernel import clock
from kernel.parsers import case_key
from kernel.queue import enqueue_after_commit
from orders import signals as orders_signals
from orders.models import Backorder
from purchasing import signals as purchasing_signals

from .intake import applying
from .models import OrderPush, ShopConnection, ShopOrder
from .pushes import forget_connections, mark_changed


def connect():
    inventory_signals.stock_saved.connect(on_stock_saved, dispatch_uid="shops.stock_saved")
    post_save.connect(on_product_saved, sender=Product, dispatch_uid="shops.product_saved")
    purchasing_signals.etas_changed.connect(on_etas_changed, dispatch_uid="shops.etas_changed")
    post_save.connect(forget_connections, sender=ShopConnection, dispatch_uid="shops.connection_saved")
    post_delete.connect(forget_connections, sender=ShopConnection, dispatch_uid="shops.connection_deleted")
    orders_signals.order_shipped.connect(on_order_shipped, dispatch_uid="shops.order_shipped")
    orders_signals.units_cancelled.connect(on_units_cancelled, dispatch_uid="shops.units_cancelled")


def on_stock_saved(sender, product_ids, **kwargs):
    """An order, a receipt, a count, a shipment, a cancellation: what is free to sell moved."""
    mark_changed(product_ids)


def on_product_saved(sender, instance, **kwargs):
    """Backorderable or not (a product edited in admin or imported)."""
    mark_changed([instance.pk])


def on_etas_changed(sender, backorder_ids, **kwargs):
    """A purchase order made, re-dated, late, reviewed: the next restock date may have moved."""
    mark_changed(Backorder.objects.filter(pk__in=backorder_ids).values_list("product_id", flat=True).distinct())


def _shop_order(order):
    """The shop's side of an order, or None for one placed here (no query for those)."""
    if not order.shop:
        return None
    return ShopOrder.objects.select_related("connection").filter(order=order).first()


def _queue(shop_order, order, kind, reference, data):
    order_lines = list(order.lines.select_related("product"))
    data.update(
        shop_order_id=shop_order.shop_order_id,
        payment=shop_order.payment,
        currency=order.currency,
        nothing_left=not any(line.unshipped for line in order_lines),
        anything_shipped=any(line.shipped for line in order_lines),
        # Units the shop's order still counts that will never ship (cancelled here): not to be charged.
        kept_back={
            line.product.sku: kept
            for line in order_lines
            if (kept := shop_order.quantities.get(case_key(line.product.sku), 0) - line.shipped - line.unshipped) > 0
        },
        note=f"{data['note']} {OrderPush.marker_of(reference)}",
    )
    now = clock.now()
    _push, created = OrderPush.objects.get_or_create(
        connection=shop_order.connection,
        kind=kind,
        reference=reference,
        defaults={"order": order, "data": data, "due_at": now, "created_at": now},
    )
    if created:
        from .tasks import push_shop

        enqueue_after_commit(push_shop, shop_order.connection_id)


def _lines(pairs):
    return ", ".join(f"{units} × {line.product.sku} ({line.product.name})" for line, units in pairs)


def on_order_shipped(sender, shipment, **kwargs):
    order = shipment.order
    if (shop_order := _shop_order(order)) is None:
        return
    rows = list(shipment.lines.select_related("line__product"))
    with translation.override(shop_order.connection.language):
        note = _("Shipped from the back office: %(lines)s.") % {
            "lines": _lines((row.line, row.quantity) for row in rows)
        }
        if shipment.tracking_number:
            note += " " + _("Tracking number: %(number)s.") % {"number": shipment.tracking_number}
    _queue(
        shop_order,
        order,
        OrderPush.Kind.SHIPMENT,
        f"shipment:{shipment.pk}",
        {
            "lines": [{"sku": row.line.product.sku, "quantity": row.quantity} for row in rows],
            "tracking_number": shipment.tracking_number,
            "amount": str(shipment.amount_captured),
            "note": note,
        },
    )


def on_units_cancelled(sender, order, cancelled, voided, **kwargs):
    if applying.get() or (shop_order := _shop_order(order)) is None:
        return  # the shop cancelled them itself, or the order is not a shop's
    with translation.override(shop_order.connection.language):
        note = _("Cancelled in the back office: %(lines)s; not to be charged: %(amount)s %(currency)s.") % {
            "lines": _lines(cancelled),
            "amount": voided,
            "currency": order.currency,
        }
    total = sum(line.cancelled for line in order.lines.all())  # only grows: names this cancellation
    _queue(
        shop_order,
        order,
        OrderPush.Kind.CANCELLATION,
        f"cancellation:{total}",
        {
            "lines": [{"sku": line.product.sku, "quantity": units} for line, units in cancelled],
            "amount": str(voided),
            "note": note,
        },
    )
