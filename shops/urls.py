from django.urls import path

from . import webhooks

urlpatterns = [
    path("<str:code>/webhook/", webhooks.webhook, name="shop-webhook"),
]
