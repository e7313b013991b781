from django import forms
from django.contrib import admin, messages
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from kernel.admin_tools import (
    ImportExportByRole,
    ReadOnlyAdmin,
    changelist_link,
    confirm_action,
    money_column,
    role_permission,
)
from kernel.errors import DomainError
from kernel.filters import CountField

from . import stock
from .models import Product, StockLevel, StockMovement
from .resources import ProductResource
from .serializers import MAX_UNITS
from .stock import StockChange


class StockStateFilter(admin.SimpleListFilter):
    title = _("stock")
    parameter_name = "stock"

    def lookups(self, request, model_admin):
        return [
            ("available", _("available")),
            ("out", _("nothing available")),
        ]

    def queryset(self, request, queryset):
        available = F("stock__on_hand") - F("stock__allocated")
        if self.value() == "available":
            return queryset.alias(free=available).filter(free__gt=0)
        if self.value() == "out":
            return queryset.alias(free=available).filter(free__lte=0)
        return queryset


class StockLevelInline(admin.StackedInline):
    model = StockLevel
    can_delete = False
    readonly_fields = ["on_hand", "allocated", "available"]
    fields = readonly_fields

    @admin.display(description=_("available"))
    def available(self, level):
        return level.available

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StockRowForm(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.all(), widget=forms.HiddenInput)
    sku = forms.CharField(label=_("SKU"), disabled=True, required=False)
    quantity = CountField(
        label=_("units"), min_value=0, max_value=MAX_UNITS, required=False, help_text=_("Leave empty to skip.")
    )
    note = forms.CharField(label=_("note"), max_length=255, required=False)


StockFormSet = forms.formset_factory(StockRowForm, extra=0)


@admin.register(Product)
class ProductAdmin(ImportExportByRole, admin.ModelAdmin):
    list_display = [
        "sku",
        "name",
        "price_money",
        "on_hand",
        "allocated",
        "available",
        "backorderable",
        "dropship",
        "ledger",
    ]
    list_select_related = ["stock"]
    list_filter = ["backorderable", "dropship", StockStateFilter]
    search_fields = ["sku", "name"]  # parts of either; trigram indexes on PostgreSQL
    search_help_text = _("Part of a SKU or product name")
    price_money = money_column("price", _("price"))
    inlines = [StockLevelInline]
    actions = ["receive_stock", "count_stock"]
    resource_classes = [ProductResource]
    list_per_page = 100

    def get_readonly_fields(self, request, obj=None):
        return ["sku"] if obj else []

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        stock.ensure_stock_levels([obj.pk])

    @admin.display(description=_("on hand"), ordering="stock__on_hand")
    def on_hand(self, product):
        return product.stock.on_hand

    @admin.display(description=_("allocated"), ordering="stock__allocated")
    def allocated(self, product):
        return product.stock.allocated

    @admin.display(description=_("available"))
    def available(self, product):
        return product.stock.available

    @admin.display(description=_("stock ledger"))
    def ledger(self, product):
        return changelist_link(StockMovement, _("movements"), product__id__exact=product.pk)

    has_receive_permission = role_permission("inventory.add_stockmovement")  # the API's stock endpoint asks the same

    @admin.action(description=_("Receive stock"), permissions=["receive"])
    def receive_stock(self, request, queryset):
        return self._stock_action(
            request, queryset, reason="receipt", title=_("Receive stock: units that arrived"), button=_("Receive")
        )

    @admin.action(description=_("Count stock"), permissions=["receive"])
    def count_stock(self, request, queryset):
        return self._stock_action(
            request, queryset, reason="count", title=_("Count stock: units on the shelf"), button=_("Record count")
        )

    def _stock_action(self, request, queryset, *, reason, title, button):
        initial = [{"product": product, "sku": product.sku} for product in queryset.order_by("sku")]
        formset = StockFormSet(request.POST if "apply" in request.POST else None, initial=initial)
        if "apply" in request.POST and formset.is_valid():
            changes = [
                StockChange(sku=row["product"].sku, quantity=row["quantity"], reason=reason, note=row["note"])
                for row in formset.cleaned_data
                if row["quantity"] is not None and (row["quantity"] or reason == "count")
            ]
            if not changes:
                self.message_user(request, _("No units entered; nothing was recorded."), messages.WARNING)
                return None
            try:
                stock.change_stock(changes, user=request.user)
            except DomainError as error:
                formset._non_form_errors = formset.error_class([problem.message for problem in error.problems])
            else:
                done = ", ".join(f"{change.sku}: {change.quantity}" for change in changes)
                self.message_user(
                    request, _("Recorded %(changes)s. Waiting orders were filled first.") % {"changes": done}
                )
                return None
        return confirm_action(self, request, queryset, title=title, items=None, formset=formset, button=button)


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):  # stock changes go through "Receive stock" or the API
    list_display = ["created_at", "product", "quantity", "on_hand_after", "what", "created_by"]
    list_select_related = ["product", "created_by"]
    list_filter = ["reason", "created_at"]
    search_help_text = _("Part of a SKU, or an order or purchase order number (exact)")
    search_fields = ["product__sku", "reference__exact"]
    date_hierarchy = "created_at"

    @admin.display(description=_("what happened"))
    def what(self, movement):
        return movement.description()
