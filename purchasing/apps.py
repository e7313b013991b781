from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PurchasingConfig(AppConfig):
    name = "purchasing"
    verbose_name = _("Purchasing")

    def ready(self):
        from django.db.models.signals import post_migrate

        from orders import hooks

        from . import demand, lifecycle, pegging

        hooks.backorder_etas.provide(pegging.unpegged_etas)
        hooks.pegs_released.provide(pegging.release_pegs)
        hooks.fills_taken_back.provide(lifecycle.repeg_taken_back)
        post_migrate.connect(demand.build_after_migrate, sender=self)
