from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Customer messages")

    def ready(self):
        # Customer messages only listen: to the orders' and purchasing's events, and to the
        # ESP's tracking events. Nothing below imports this app.
        from anymail.signals import tracking

        from orders import signals as orders
        from purchasing import signals as purchasing

        from . import receivers
        from . import tracking as delivery

        orders.backorders_created.connect(
            receivers.on_backorders_created, dispatch_uid="notifications.backorders_created"
        )
        orders.order_shipped.connect(receivers.on_order_shipped, dispatch_uid="notifications.order_shipped")
        orders.units_cancelled.connect(receivers.on_units_cancelled, dispatch_uid="notifications.units_cancelled")
        purchasing.etas_changed.connect(receivers.on_etas_changed, dispatch_uid="notifications.etas_changed")
        tracking.connect(
            lambda sender, event, esp_name, **kwargs: delivery.record_tracking_event(event, esp_name),
            weak=False,
            dispatch_uid="notifications.tracking",
        )
