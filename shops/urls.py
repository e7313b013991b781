from django.urls import path

from . import shopware_views, webhooks

urlpatterns = [
    # Before the per-code webhook: the Shopware app has one door for every shop it is installed in.
    path("shopware/register/", shopware_views.register, name="shopware-register"),
    path("shopware/register/confirm/", shopware_views.confirm, name="shopware-confirm"),
    path("shopware/webhook/", shopware_views.webhook, name="shopware-webhook"),
    path("<str:code>/webhook/", webhooks.webhook, name="shop-webhook"),
]
