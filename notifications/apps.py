from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Customer messages")

    def ready(self):
        from anymail.signals import tracking

        from orders import signals as orders
        from purchasing.services import etas_changed

        from . import services

        orders.backorders_created.connect(services.on_backorders_created, dispatch_uid="notifications.backorders_created")
        orders.order_shipped.connect(services.on_order_shipped, dispatch_uid="notifications.order_shipped")
        orders.units_cancelled.connect(services.on_units_cancelled, dispatch_uid="notifications.units_cancelled")
        etas_changed.connect(services.on_etas_changed, dispatch_uid="notifications.etas_changed")
        tracking.connect(
            lambda sender, event, esp_name, **kwargs: services.record_tracking_event(event, esp_name),
            weak=False, dispatch_uid="notifications.tracking",
        )
