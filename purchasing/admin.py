from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponseRedirect
from django.middleware.csrf import get_token
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ImportExportMixin

from kernel.admin_tools import (
    LargeTableAdmin,
    SingleRowAdmin,
    admin_link,
    confirm_action,
    money_column,
)
from kernel.errors import DomainError
from orders.admin import ready_to_ship_url
from orders.models import WAITING, Backorder, Order

from .batching import batch_backorders
from .dates import ON_TIME_WINDOW_DAYS
from .forms import ConfirmLineForm, OverReceiptForm, ReceiveLineForm
from .lifecycle import (
    cancel_purchase_order,
    confirm_purchase_order,
    send_purchase_order,
)
from .models import (
    BatchRun,
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderPolicy,
    Supplier,
    SupplierItem,
    describe_batch,
)
from .pegging import PEGGED_UNITS, pegged_to
from .receiving import receive_purchase_order
from .record import lead_times
from .reorder import add_to_drafts, review
from .resources import SupplierItemResource, SupplierResource


def receive_list_url():
    """The warehouse's goods-in list (the daily job): where receiving starts and comes back to."""
    return reverse("admin:purchasing_purchaseorder_changelist") + "?status__in=" + ",".join(PurchaseOrder.RECEIVABLE)


class SupplierItemInline(admin.TabularInline):
    model = SupplierItem
    extra = 0
    autocomplete_fields = ["product"]
    fields = ["product", "supplier_sku", "unit_cost", "min_order_quantity", "pack_size", "lead_time_days", "preferred"]


@admin.register(Supplier)
class SupplierAdmin(ImportExportMixin, admin.ModelAdmin):
    resource_classes = [SupplierResource]
    list_display = [
        "code", "name", "lead_time_days", "learned_lateness_days", "minimum", "max_wait_hours", "auto_send",
    ]
    minimum = money_column("min_order_value", _("minimum order value"))
    list_filter = ["language", "auto_send", "pad_with_lateness"]
    search_fields = ["code", "name", "email"]
    readonly_fields = ["learned_lateness_days", "observed_lead_time", "on_time_rate"]
    inlines = [SupplierItemInline]

    def _record(self, supplier):
        return lead_times({supplier.pk: supplier.lead_time_days})[supplier.pk] if supplier.pk else None

    @admin.display(description=_("observed lead time"))
    def observed_lead_time(self, supplier):
        record = self._record(supplier)
        if record is None or record.source == "nominal":
            return _("too few deliveries in 180 days (%(count)s); the review plans with %(days)s days") % {
                "count": record.receipts if record else 0, "days": supplier.lead_time_days}
        return _("median %(days)s days, 90th percentile %(p90)s days (%(count)s deliveries in 180 days)") % {
            "days": record.days, "p90": record.p90, "count": record.receipts}

    @admin.display(description=_("on time"))
    def on_time_rate(self, supplier):
        record = self._record(supplier)
        if record is None or record.on_time_rate is None:
            return "-"
        return _("%(rate)s (deliveries of the last %(days)s days)") % {
            "rate": f"{record.on_time_rate:.0%}", "days": ON_TIME_WINDOW_DAYS}


@admin.register(ReorderPolicy)
class ReorderPolicyAdmin(SingleRowAdmin):
    fields = ["service_level", "review_period_days", "often_backordered_rate", "add_to_batch"]


@admin.register(SupplierItem)
class SupplierItemAdmin(ImportExportMixin, admin.ModelAdmin):
    resource_classes = [SupplierItemResource]
    list_display = ["product", "supplier", "supplier_sku", "cost", "min_order_quantity", "pack_size", "lead_time_days", "preferred"]
    cost = money_column("unit_cost", _("unit cost"))
    list_select_related = ["product", "supplier"]
    list_filter = ["preferred", "supplier"]
    search_fields = ["product__sku", "product__name", "supplier_sku", "supplier__code"]
    autocomplete_fields = ["product", "supplier"]
    show_full_result_count = False


class LateFilter(admin.SimpleListFilter):
    title = _("late")
    parameter_name = "late"

    def lookups(self, request, model_admin):
        return [("yes", _("has late lines")), ("no", _("on time"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(lines__late=True).distinct()
        if self.value() == "no":
            return queryset.exclude(lines__late=True)
        return queryset


def sparkline(units, width=84, height=20):
    """SVG polyline points for a row of daily units (server-rendered, no script)."""
    if len(units) < 2:
        return ""
    top = max(units) or 1
    step = width / (len(units) - 1)
    return " ".join(f"{index * step:.1f},{height - 1 - (height - 2) * value / top:.1f}" for index, value in enumerate(units))


def units_for_stock(line):
    """The surplus from minimum order quantities and packs, and from cancellations (needs
    the pegging.PEGGED_UNITS annotation)."""
    return max(line.outstanding - line.pegged_units, 0)


class PurchaseOrderLineInline(admin.TabularInline):
    model = PurchaseOrderLine
    extra = 0
    can_delete = False
    fields = ["product", "supplier_sku", "quantity", "received", "cost", "expected_date", "lateness", "for_customers", "for_stock"]
    readonly_fields = fields
    cost = money_column("unit_cost", _("unit cost"))

    @admin.display(description=_("late"))
    def lateness(self, line):
        # Words, not Django's boolean icons: a green tick under "late" reads as "all good".
        if line.late:
            return format_html('<strong class="late">{}</strong>', _("late"))
        return _("on time")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product").annotate(pegged_units=PEGGED_UNITS)

    @admin.display(description=_("for waiting customers"))
    def for_customers(self, line):
        return line.pegged_units

    @admin.display(description=_("for stock"))
    def for_stock(self, line):
        return units_for_stock(line)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(LargeTableAdmin):
    list_display = ["number", "supplier", "status", "dropship_order", "created_at", "sent_at", "late_lines"]
    list_select_related = ["supplier", "dropship_order"]
    list_filter = ["status", LateFilter, "supplier"]
    search_fields = ["number", "supplier__code", "supplier__name", "lines__product__sku"]
    date_hierarchy = "created_at"
    readonly_fields = ["number", "supplier", "status", "dropship_order", "created_at", "sent_at", "confirmed_at", "waiting_customers"]
    inlines = [PurchaseOrderLineInline]
    actions = ["send", "confirm", "receive", "cancel"]

    @admin.display(description=_("waiting customers"))
    def waiting_customers(self, po):
        backorders = (
            pegged_to(purchase_orders=[po])
            .select_related("order__customer", "product").order_by("product__sku", "created_at")
        )
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((admin_link(b.order), b.order.customer.email, b.product.sku, b.waiting, b.eta, b.promised_date) for b in backorders),
        )
        head = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("order"), _("customer"), _("SKU"), _("waiting"), _("ETA"), _("promised date"),
        )
        return format_html("<table>{}{}</table>", head, rows) if rows else "-"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(late_count=Count("lines", filter=Q(lines__late=True)))

    @admin.display(description=_("late lines"), ordering="late_count")
    def late_lines(self, po):
        return po.late_count

    def has_add_permission(self, request):
        return False  # the batch job drafts purchase orders

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "last_batch_run": BatchRun.objects.first()})

    def has_receive_permission(self, request):
        return request.user.has_perm("purchasing.receive_purchaseorder")

    def get_list_display(self, request):
        if self.has_receive_permission(request):
            return [*self.list_display, "receive_button"]
        return self.list_display

    @admin.display(description=_("goods in"))
    def receive_button(self, po):
        if po.status not in PurchaseOrder.RECEIVABLE:
            return ""
        url = reverse("admin:purchasing_purchaseorder_receive", args=[po.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Receive"))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/receive/", view(self.receive_view), name="purchasing_purchaseorder_receive"),
            path("drafts/", view(self.drafts_view), name="purchasing_purchaseorder_drafts"),
            path("reorder/", view(self.reorder_view), name="purchasing_purchaseorder_reorder"),
            *super().get_urls(),
        ]

    def back_url(self, request):
        # Receiving one purchase order from its own page comes back to the goods-in list.
        if request.resolver_match.url_name == "purchasing_purchaseorder_receive":
            return receive_list_url()
        return request.get_full_path()

    def receive_view(self, request, pk):
        """Goods in for one purchase order: the warehouse's page, one click from the list."""
        if not self.has_receive_permission(request):
            raise PermissionDenied
        queryset = PurchaseOrder.objects.filter(pk=pk, status__in=PurchaseOrder.RECEIVABLE)
        if not queryset.exists():
            self.message_user(request, _("This purchase order has nothing left to receive."), messages.WARNING)
            return HttpResponseRedirect(receive_list_url())
        response = self.receive(request, queryset)
        return response or HttpResponseRedirect(receive_list_url())

    def drafts_view(self, request):
        """Purchasing's review of what the batch job drafted: per draft, its lines, the
        customers' units and the surplus, its value against the supplier's minimum."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        if request.method == "POST" and "action" in request.POST:
            # Send or cancel a draft here: the list's actions, coming back to this page after.
            return self.changelist_view(request)
        if request.method == "POST" and "run_batch" in request.POST:
            if not request.user.has_perm("purchasing.add_purchaseorder"):
                raise PermissionDenied
            result = batch_backorders(trigger=f"admin:{request.user.get_username()}")
            self.message_user(request, _("Batch run: %(result)s") % {"result": describe_batch(result)})
            return HttpResponseRedirect(request.path)
        drafts = list(
            PurchaseOrder.objects.filter(status=PurchaseOrder.Status.DRAFT).select_related("supplier", "dropship_order")
            .prefetch_related(Prefetch(
                "lines", PurchaseOrderLine.objects.select_related("product").annotate(pegged_units=PEGGED_UNITS).order_by("product__sku"),
            ))
            .order_by("supplier__code", "created_at")
        )
        for po in drafts:
            for line in po.lines.all():
                line.for_stock = units_for_stock(line)
            po.value = sum((line.quantity * line.unit_cost for line in po.lines.all()), Decimal("0"))
            po.below_minimum = po.value < po.supplier.min_order_value
        context = {
            **self.admin_site.each_context(request), "title": _("Draft purchase orders to review"),
            "opts": self.model._meta, "drafts": drafts, "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "can_run_batch": request.user.has_perm("purchasing.add_purchaseorder"),
        }
        return TemplateResponse(request, "admin/purchasing/purchaseorder/drafts.html", context)

    def reorder_view(self, request):
        """Purchasing's reorder review: products below their reorder point first, by days of
        cover; products backordered too often flagged; the suggestions go to the drafts."""
        if not request.user.has_perm("purchasing.view_reorderpolicy"):
            raise PermissionDenied
        can_add = request.user.has_perm("purchasing.add_purchaseorder")
        if request.method == "POST":
            if not can_add:
                raise PermissionDenied
            skus = request.POST.getlist("sku")
            if not skus:
                self.message_user(request, _("Choose at least one product."), messages.WARNING)
                return HttpResponseRedirect(request.get_full_path())
            added = add_to_drafts(skus=skus)
            if not added:
                self.message_user(request, _("Nothing to add: no chosen product is below its reorder point any more."), messages.WARNING)
                return HttpResponseRedirect(request.get_full_path())
            for number, pairs in added.items():
                self.message_user(request, _("%(number)s: added for stock %(lines)s.") % {
                    "number": number, "lines": ", ".join(f"{units} × {sku}" for sku, units in pairs)})
            return HttpResponseRedirect(reverse("admin:purchasing_purchaseorder_drafts"))
        supplier = request.GET.get("supplier", "")
        below = request.GET.get("below") == "1"
        figures = review(supplier=supplier or None)
        if below:
            figures = [f for f in figures if f.below_reorder_point]
        page = Paginator(figures, 100).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            **self.admin_site.each_context(request), "title": _("Reorder review"), "opts": self.model._meta,
            "rows": [(f, sparkline(f.history)) for f in page], "page": page, "query": query.urlencode(),
            "suppliers": Supplier.objects.order_by("code").values_list("code", "name"), "supplier": supplier,
            "below": below, "policy": ReorderPolicy.current(), "can_add": can_add,
        }
        return TemplateResponse(request, "admin/purchasing/reorder_review.html", context)

    @admin.action(description=_("Cancel purchase order"), permissions=["change"])
    def cancel(self, request, queryset):
        if "apply" not in request.POST:
            items = [f"{po.number} ({po.supplier.code}, {po.get_status_display()})" for po in queryset]
            return confirm_action(
                self, request, queryset, items=items, button=_("Cancel purchase orders"),
                title=_("Cancel these purchase orders? Their waiting customers go back to the batch job."),
            )
        for po in queryset:
            try:
                cancel_purchase_order(po.number)
                self.message_user(request, _("%(number)s cancelled.") % {"number": po.number})
            except DomainError as error:
                self.message_user(request, str(error), messages.WARNING)
        return None

    @admin.action(description=_("Send to supplier"), permissions=["change"])
    def send(self, request, queryset):
        if "apply" not in request.POST:
            items = [f"{po.number} → {po.supplier.email} ({po.get_status_display()})" for po in queryset]
            return confirm_action(self, request, queryset, title=_("Email these purchase orders?"), items=items, button=_("Send"))
        for po in queryset:
            try:
                send_purchase_order(po.number)
                self.message_user(request, _("%(number)s sent to %(email)s.") % {"number": po.number, "email": po.supplier.email})
            except DomainError as error:
                self.message_user(request, str(error), messages.WARNING)
        return None

    def _lines_action(self, request, queryset, form_class, field, initial, apply, title, button, done, extra_form=None):
        """A form row per line of the selected purchase orders, `field` prefilled with
        initial(line); on submit, each order gets its {SKU: value} (empty rows skipped)
        through `apply`."""
        lines = PurchaseOrderLine.objects.filter(purchase_order__in=queryset).select_related("purchase_order", "product")
        rows = [{"line": line, "what": _("%(number)s: %(quantity)s × %(sku)s %(name)s (%(received)s received)") % {
                    "number": line.purchase_order.number, "quantity": line.quantity, "sku": line.product.sku,
                    "name": line.product.name, "received": line.received}, field: initial(line)}
                for line in lines.order_by("purchase_order", "product__sku")]
        formset = forms.formset_factory(form_class, extra=0)(request.POST if "apply" in request.POST else None, initial=rows)
        extra = extra_form(request.POST if "apply" in request.POST else None) if extra_form else None
        if "apply" in request.POST and formset.is_valid() and (extra is None or extra.is_valid()):
            by_po = {}
            for row in formset.cleaned_data:
                if row[field]:
                    by_po.setdefault(row["line"].purchase_order.number, {})[row["line"].product.sku] = row[field]
            try:
                with transaction.atomic():  # all selected orders, or none when one is refused
                    for number, values in by_po.items():
                        apply(number, values, extra.cleaned_data if extra else {})
            except DomainError as error:
                formset._non_form_errors = formset.error_class([problem.message for problem in error.problems])
            else:
                self.message_user(request, done % {"numbers": ", ".join(by_po) or "-"})
                return None
        return confirm_action(self, request, queryset, title=title, items=None, formset=formset, form=extra, button=button)

    @admin.action(description=_("Record the supplier's dates"), permissions=["change"])
    def confirm(self, request, queryset):
        return self._lines_action(
            request, queryset, ConfirmLineForm, "expected_date", lambda line: line.expected_date,
            lambda number, dates, extra: confirm_purchase_order(number, dates),
            _("Supplier's expected dates"), _("Record dates"),
            _("Dates recorded for %(numbers)s; waiting customers' dates follow."),
        )

    @admin.action(description=_("Receive goods"), permissions=["receive"])
    def receive(self, request, queryset):
        # The orders that wait for these goods: after receiving, those now ready to ship are
        # offered to the warehouse as its next step.
        waiting = list(Backorder.objects.filter(
            status__in=WAITING, product__in=PurchaseOrderLine.objects.filter(purchase_order__in=queryset).values("product"),
        ).values_list("order_id", flat=True).distinct())
        response = self._lines_action(
            request, queryset, ReceiveLineForm, "quantity", lambda line: line.outstanding or None,
            lambda number, quantities, extra: receive_purchase_order(
                number, quantities, user=request.user, allow_over=extra.get("allow_over", False)
            ),
            _("Receive goods: units that arrived per line"), _("Receive"),
            _("Received against %(numbers)s; waiting orders were filled first."), extra_form=OverReceiptForm,
        )
        if response is None:
            self.offer_shipping(request, waiting)
        return response

    def offer_shipping(self, request, order_ids):
        """The next step after goods in: the orders they made ready, with a button that opens
        the ship confirmation for exactly those (people without the right see the numbers)."""
        ready = list(Order.objects.filter(pk__in=order_ids, status=Order.Status.READY_TO_SHIP)
                     .order_by("number").values_list("pk", "number"))
        if not ready:
            return
        numbers = ", ".join(number for _pk, number in ready)
        text = ngettext("%(count)s order is ready to ship now: %(numbers)s.",
                        "%(count)s orders are ready to ship now: %(numbers)s.", len(ready)) % {"count": len(ready), "numbers": numbers}
        if not request.user.has_perm("orders.add_shipment"):
            self.message_user(request, text)
            return
        button = ngettext("Ship this order", "Ship these %(count)s orders", len(ready)) % {"count": len(ready)}
        self.message_user(request, format_html(
            '{} <form method="post" action="{}" class="next-step"><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
            '<input type="hidden" name="action" value="ship_ready_orders">{}<button type="submit" class="button">{}</button></form>',
            text, ready_to_ship_url(), get_token(request),
            format_html_join("", '<input type="hidden" name="{}" value="{}">',
                             ((admin.helpers.ACTION_CHECKBOX_NAME, pk) for pk, _number in ready)),
            button,
        ))


@admin.register(BatchRun)
class BatchRunAdmin(admin.ModelAdmin):
    list_display = ["started_at", "finished_at", "started_by", "summary"]
    fields = ["started_at", "finished_at", "started_by", "summary"]
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
