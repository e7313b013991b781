"""Deployment checks (`manage.py check --deploy`): shop secrets cannot be read without their key;
a connected Shopware shop cannot register again without the app secret."""

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


@register(Tags.security, deploy=True)
def shopware_shops_have_the_app_secret(app_configs, **kwargs):
    from .models import ShopConnection

    if settings.SHOPWARE_APP_SECRET:
        return []
    try:
        connected = ShopConnection.objects.filter(platform=ShopConnection.Platform.SHOPWARE, active=True).exists()
    except DatabaseError:
        return []
    if not connected:
        return []
    return [
        Error(
            "A Shopware shop is connected but SHOPWARE_APP_SECRET is not set: the shop cannot register again "
            "(a new address, a renewed secret, an update of the app) and stays on its old secret.",
            hint="Set SHOPWARE_APP_SECRET to the secret in the app's manifest.xml.",
            id="shops.E002",
        )
    ]
