from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopsConfig(AppConfig):
    """The merchant's shops (Shopify, WooCommerce, Shopware 6): orders in, stock and restock dates out,
    shipments and cancellations back. Between backoffice and notifications in the layers:
    it calls orders' placement and cancellation and listens to the signals of inventory,
    orders and purchasing; no app below imports it."""

    name = "shops"
    verbose_name = _("Shops")

    def ready(self):
        from . import checks, receivers  # noqa: F401  (the deployment check; the listeners)

        receivers.connect()
