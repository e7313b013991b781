"""Deployment checks (`manage.py check --deploy`) for what Django's own do not know."""

from django.conf import settings
from django.core import checks
from django.core.checks import Error, Tags, register

from notifications.webhooks import configured_esp, webhook_secret


@register(Tags.security, deploy=True)
def tracking_webhook_has_a_secret(app_configs, **kwargs):
    if configured_esp() and not webhook_secret():
        return [
            Error(
                f"Email goes through {configured_esp()} but ANYMAIL_WEBHOOK_SECRET is not set: its tracking "
                "webhook would let anyone forge bounces, so it stays closed (403).",
                hint="Set ANYMAIL_WEBHOOK_SECRET=user:password and give the same in the ESP's webhook URL.",
                id="backoffice.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def links_in_emails_are_https(app_configs, **kwargs):
    # The status and supplier links are the only key to their pages: never sent in clear text.
    if not settings.SITE_URL.startswith("https://"):
        return [
            checks.Warning(
                f"SITE_URL is {settings.SITE_URL}: the links in emails (order status, supplier answers) are the "
                "only key to their pages and must use HTTPS.",
                hint="Set SITE_URL=https://your-host.",
                id="backoffice.W026",
            )
        ]
    return []
