"""Admin pages that show several apps at once. Each app's admin shows its own data; here the
top layer re-registers a lower app's page with what the apps above add to it: the customer
messages and vouchers of an order, the purchase order a backorder waits for, the "send an
update" actions of customer service, the products customers wait for. One way, everywhere:
subclass the lower app's ModelAdmin and register it in its place."""

from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from inventory import admin as inventory
from inventory.models import Product
from kernel.admin_tools import ReadOnlyInline
from notifications.admin import SendMessagePermission, send_update_action
from notifications.models import CustomerMessage, Voucher
from orders import admin as orders
from orders.models import Backorder, Order
from purchasing import admin as purchasing
from purchasing.models import PurchaseOrder
from purchasing.pegging import pegged_to
from purchasing.selectors import has_supplier

# Staff see the shop's back office, not "Django administration"; there is no public site to view.
admin.site.site_header = admin.site.site_title = format_lazy(_("{shop} back office"), shop=settings.SHOP_NAME)
admin.site.site_url = None
# A laptop screen (1366 px) cannot spare a third of its width for the app list beside every
# table; the daily jobs and every list are one click away on the index (breadcrumb "Home").
admin.site.enable_nav_sidebar = False


def replace(model, model_admin):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)


class MessageInline(ReadOnlyInline):
    model = CustomerMessage
    fields = ["created_at", "kind", "status", "subject", "sent_at", "created_by"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order__customer", "created_by")

    @admin.display(description=_("subject"))
    def subject(self, message):
        return message.content().subject

    ordering = ["created_at", "id"]
    show_change_link = True
    verbose_name_plural = _("messages to the customer")


class VoucherInline(ReadOnlyInline):
    model = Voucher
    fields = ["code", "kind", "worth", "valid_until", "issued_at"]
    readonly_fields = fields


class OrderAdmin(SendMessagePermission, orders.OrderAdmin):
    inlines = [
        orders.OrderLineInline,
        orders.BackorderInline,
        orders.ShipmentInline,
        MessageInline,
        VoucherInline,
        orders.OrderEventInline,
    ]
    fields = [*orders.OrderAdmin.fields, "write_to_customer"]
    readonly_fields = [*orders.OrderAdmin.readonly_fields, "write_to_customer"]
    actions = [
        *orders.OrderAdmin.actions,
        send_update_action(
            _("Send an update to the customers of the selected orders"),
            lambda orders: orders.values_list("pk", flat=True),
        ),
    ]

    @admin.display(description=_("personal message"))
    def write_to_customer(self, order):
        url = reverse("admin:notifications_customermessage_send_update")
        return format_html('<a class="button" href="{}?order={}">{}</a>', url, order.pk, _("Send a personal message"))


class SupplierFilter(admin.SimpleListFilter):
    title = _("supplier")
    parameter_name = "supplier"

    def lookups(self, request, model_admin):
        return [("none", _("no supplier")), ("pegged", _("on a purchase order")), ("unpegged", _("not yet ordered"))]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.exclude(has_supplier())
        if self.value() == "pegged":
            return queryset.filter(po_line__isnull=False)
        if self.value() == "unpegged":
            return queryset.not_ordered()
        return queryset


class BackorderAdmin(SendMessagePermission, orders.BackorderAdmin):
    list_display = [*orders.BackorderAdmin.list_display, "purchase_order"]
    list_select_related = [*orders.BackorderAdmin.list_select_related, "po_line__purchase_order", "po_line__product"]
    list_filter = ["status", SupplierFilter, *orders.BackorderAdmin.list_filter[1:]]
    readonly_fields = [*orders.BackorderAdmin.readonly_fields, "po_line"]
    actions = [
        send_update_action(
            _("Send an update to the customers of the selected backorders"),
            lambda backorders: backorders.values_list("order_id", flat=True),
        )
    ]

    @admin.display(description=_("purchase order"))
    def purchase_order(self, backorder):
        # The number only: the whole line ("PO-000002: 6 × TEA-003 …") is on the backorder's page.
        return backorder.po_line.purchase_order.number if backorder.po_line else "-"


class PurchaseOrderAdmin(SendMessagePermission, purchasing.PurchaseOrderAdmin):
    actions = [
        *purchasing.PurchaseOrderAdmin.actions,
        send_update_action(
            _("Send an update to every customer waiting on the selected purchase orders"),
            lambda pos: pegged_to(purchase_orders=pos).values_list("order_id", flat=True),
        ),
    ]


class StockStateFilter(inventory.StockStateFilter):
    def lookups(self, request, model_admin):
        return [*super().lookups(request, model_admin), ("backordered", _("customers waiting"))]

    def queryset(self, request, queryset):
        if self.value() == "backordered":
            return queryset.filter(order_lines__backordered__gt=0).distinct()
        return super().queryset(request, queryset)


class ProductAdmin(inventory.ProductAdmin):
    list_filter = [*inventory.ProductAdmin.list_filter[:-1], StockStateFilter]


replace(Order, OrderAdmin)
replace(Backorder, BackorderAdmin)
replace(PurchaseOrder, PurchaseOrderAdmin)
replace(Product, ProductAdmin)
