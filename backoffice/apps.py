from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    """The top layer: pages, endpoints and commands that show or drive several apps at
    once. Listed last in INSTALLED_APPS, so its admin composes the others' pages."""

    name = "backoffice"
    verbose_name = _("Back office")

    def ready(self):
        from . import checks  # noqa: F401  (registers the deployment checks)
        from .observability import connect_task_logging

        connect_task_logging()
