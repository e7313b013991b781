"""Deployment check (`manage.py check --deploy`): shop secrets cannot be read without their key."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError


@register(Tags.security, deploy=True)
def shop_secrets_have_a_key(app_configs, **kwargs):
    from .models import ShopConnection

    if settings.SHOP_SECRETS_KEY:
        return []
    try:
        connected = ShopConnection.objects.exists()
    except DatabaseError:  # not migrated yet: no connection can exist
        return []
    if not connected:
        return []
    return [
        Error(
            "A shop is connected but SHOP_SECRETS_KEY is not set: its secrets (webhook signature, API access) "
            "cannot be read, so its webhooks are refused and nothing reaches it.",
            hint="Set SHOP_SECRETS_KEY to the key the secrets were stored with.",
            id="shops.E001",
        )
    ]
