from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KernelConfig(AppConfig):
    """An app so that Django finds its template tags (money, the date drill-down) and every
    admin's choice filters refuse what is not a choice (admin_tools.ChoicesListFilter); it has
    no models of its own."""

    name = "kernel"
    verbose_name = _("Kernel")

    def ready(self):
        from django.contrib.admin import FieldListFilter

        from .admin_tools import ChoicesListFilter

        FieldListFilter.register(lambda field: bool(field.choices), ChoicesListFilter, take_priority=True)
