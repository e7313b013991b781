from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KernelConfig(AppConfig):
    """An app so that Django finds its template tags (money, the date drill-down), the sign-in
    throttle hears every sign-in, and every admin's choice filters refuse what is not a choice
    (admin_tools.ChoicesListFilter); it has no models of its own."""

    name = "kernel"
    verbose_name = _("Kernel")

    def ready(self):
        from django.contrib.admin import FieldListFilter
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from kernel import signin

        from .admin_tools import ChoicesListFilter

        user_login_failed.connect(signin.on_failure, dispatch_uid="kernel.signin.failure")
        user_logged_in.connect(signin.on_sign_in, dispatch_uid="kernel.signin.sign_in")
        FieldListFilter.register(lambda field: bool(field.choices), ChoicesListFilter, take_priority=True)
