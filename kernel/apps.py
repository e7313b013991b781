from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KernelConfig(AppConfig):
    """An app only so that Django finds its template tags (money, the date drill-down);
    it has no models of its own."""

    name = "kernel"
    verbose_name = _("Kernel")
