from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PurchasingConfig(AppConfig):
    name = "purchasing"
    verbose_name = _("Purchasing")

    def ready(self):
        from orders import hooks

        from . import pegging

        hooks.backorder_etas.provide(pegging.unpegged_etas)
        hooks.pegs_released.provide(pegging.release_pegs)
