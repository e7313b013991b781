from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from inventory import hooks

        from . import allocation

        hooks.stock_changed.provide(allocation.on_stock_changed)
        hooks.held_units.provide(allocation.held_units)
