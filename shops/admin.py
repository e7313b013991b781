"""Admin "Shops": connect a shop (secrets write-only: never shown again, stored encrypted),
see what it sent that could not be applied and what could not be pushed, and retry."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from kernel.admin_tools import ReadOnlyInline, admin_page

from . import secrets
from .connections import webhook_url
from .inbox import OPEN, process_open
from .models import InboxEvent, OrderPush, ShopConnection, ShopProduct

# The retry button applies held events for this long at most (gunicorn cuts a request at 30 s).
RETRY_BUDGET_SECONDS = 10

SECRET_LABELS = {
    "webhook_secret": _("webhook secret"),
    "access_token": _("Shopify Admin API access token"),
    "consumer_key": _("WooCommerce consumer key"),
    "consumer_secret": _("WooCommerce consumer secret"),
}


def secret_field(label):
    """Write-only: never rendered with its value; empty keeps what is stored."""
    return forms.CharField(
        label=label,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted and never shown again; leave empty to keep the stored one."),
    )


class ShopConnectionForm(forms.ModelForm):
    """The connection with one write-only field per secret: empty keeps what is stored."""

    webhook_secret = secret_field(SECRET_LABELS["webhook_secret"])
    access_token = secret_field(SECRET_LABELS["access_token"])
    consumer_key = secret_field(SECRET_LABELS["consumer_key"])
    consumer_secret = secret_field(SECRET_LABELS["consumer_secret"])

    url = forms.URLField(
        label=_("shop URL"), assume_scheme="https", help_text=ShopConnection._meta.get_field("url").help_text
    )

    class Meta:
        model = ShopConnection
        fields = ["code", "platform", "url", "language", "ship_policy", "active"]

    def clean(self):
        data = super().clean()
        platform = data.get("platform")
        if platform == ShopConnection.Platform.SHOPWARE and not self.instance.pk:
            # Its secrets come only with the app's registration (shops/shopware_app.py).
            self.add_error("platform", _("A Shopware shop connects by installing the app in the shop."))
        if platform:
            stored = secrets.unseal(self.instance.secrets) if self.instance.secrets else {}
            for name in secrets.NEEDED[platform]:
                if not data.get(name) and not stored.get(name):
                    self.add_error(name, _("This shop needs it."))
        return data

    def save(self, commit=True):
        connection = super().save(commit=False)
        secrets.store(connection, **{name: self.cleaned_data.get(name, "") for name in SECRET_LABELS})
        if commit:
            connection.save()
        return connection


class HeldEventInline(ReadOnlyInline):
    model = InboxEvent
    fields = ["received_at", "topic", "shop_order_id", "reason", "attempts"]
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = _("held events: what the shop sent that could not be applied")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=InboxEvent.Status.HELD).order_by("received_at")


class FailedProductInline(ReadOnlyInline):
    model = ShopProduct
    fields = ["product", "attempts", "due_at", "last_error"]
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = _("stock not pushed: the last error per product")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product").exclude(last_error="")


class FailedOrderPushInline(ReadOnlyInline):
    model = OrderPush
    fields = ["order", "kind", "status", "attempts", "due_at", "last_error"]
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = _("order updates not pushed")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("order")
            .exclude(last_error="")
            .exclude(status=OrderPush.Status.DONE)
        )


@admin.register(ShopConnection)
class ShopConnectionAdmin(admin.ModelAdmin):
    form = ShopConnectionForm
    list_display = ["code", "platform", "url", "active", "last_sync_at", "held_events", "sync_problem"]
    list_filter = ["platform", "language", "ship_policy", "active"]
    readonly_fields = ["webhook", "watermark", "last_sync_at", "last_sync_error"]
    inlines = [HeldEventInline, FailedProductInline, FailedOrderPushInline]
    change_form_template = "admin/shops/shopconnection/change_form.html"

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ["code", "platform", "url", "language", "ship_policy", "active"]}),
            (_("Secrets"), {"fields": list(SECRET_LABELS)}),
        ]
        if obj is not None:
            fieldsets.append((_("Connection"), {"fields": self.readonly_fields}))
        return fieldsets

    def get_queryset(self, request):
        from django.db.models import Count, Q

        return (
            super()
            .get_queryset(request)
            .annotate(held=Count("events", filter=Q(events__status=InboxEvent.Status.HELD)))
        )

    @admin.display(description=_("held events"), ordering="held")
    def held_events(self, connection):
        return connection.held

    @admin.display(description=_("last sync error"))
    def sync_problem(self, connection):
        return connection.last_sync_error[:80]

    @admin.display(description=_("webhook URL"))
    def webhook(self, connection):
        return webhook_url(connection.code, connection.platform)

    def get_urls(self):
        return [
            path(
                "<int:pk>/retry/",
                admin_page(self.admin_site, self.retry_view, "shops.change_shopconnection"),
                name="shops_shopconnection_retry",
            ),
            *super().get_urls(),
        ]

    def retry_view(self, request, pk):
        """Try the held events again now (the sync does it every 10 minutes)."""
        connection = get_object_or_404(ShopConnection, pk=pk)
        if request.method == "POST":
            # Bounded, as a page is: what is left the sync retries (every 10 minutes).
            counts = process_open(connection, budget_seconds=RETRY_BUDGET_SECONDS)
            held = counts.get(InboxEvent.Status.HELD, 0)
            left = InboxEvent.objects.filter(connection=connection, status__in=OPEN).count() - held
            text = _("Tried again: %(applied)s applied, %(held)s still held.") % {
                "applied": sum(counts.values()) - held,
                "held": held,
            }
            if left > 0:
                text += " " + _("%(left)s more are left for the next sync.") % {"left": left}
            self.message_user(request, text, messages.WARNING if held or left > 0 else messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:shops_shopconnection_change", args=[pk]))
