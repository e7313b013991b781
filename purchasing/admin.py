from django.contrib import admin, messages
from django.db.models import Count, Q
from django.urls import path
from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from kernel.admin_tools import (
    ImportExportByRole,
    LargeTableAdmin,
    SingleRowAdmin,
    admin_link,
    admin_page,
    confirm_action,
    money_column,
    role_permission,
)
from kernel.errors import DomainError

from .answers import mark_reviewed
from .dates import ON_TIME_WINDOW_DAYS
from .forms import ConfirmLineForm
from .lifecycle import (
    cancel_purchase_order,
    confirm_purchase_order,
    send_purchase_order,
)
from .models import (
    BatchRun,
    DropshipCancellation,
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderPolicy,
    Supplier,
    SupplierAnswer,
    SupplierItem,
)
from .pages.draft_review import DraftReview, units_for_stock
from .pages.goods_in import NEXT_EXPECTED, DropshipFilter, GoodsIn
from .pages.line_forms import LineForms
from .pages.reorder_review import ReorderReview
from .pages.supplier_answers import SupplierAnswers, WaitingForSupplierFilter
from .pegging import PEGGED_UNITS, pegged_to
from .record import lead_times
from .resources import SupplierItemResource, SupplierResource
from .selectors import answers_to_review


class SupplierItemInline(admin.TabularInline):
    model = SupplierItem
    extra = 0
    autocomplete_fields = ["product"]
    fields = ["product", "supplier_sku", "unit_cost", "min_order_quantity", "pack_size", "lead_time_days", "preferred"]


@admin.register(Supplier)
class SupplierAdmin(ImportExportByRole, admin.ModelAdmin):
    resource_classes = [SupplierResource]
    list_display = [
        "code",
        "name",
        "lead_time_days",
        "learned_lateness_days",
        "minimum",
        "max_wait_hours",
        "auto_send",
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
                "count": record.receipts if record else 0,
                "days": supplier.lead_time_days,
            }
        return _("median %(days)s days, 90th percentile %(p90)s days (%(count)s deliveries in 180 days)") % {
            "days": record.days,
            "p90": record.p90,
            "count": record.receipts,
        }

    @admin.display(description=_("on time"))
    def on_time_rate(self, supplier):
        record = self._record(supplier)
        if record is None or record.on_time_rate is None:
            return "-"
        return _("%(rate)s (deliveries of the last %(days)s days)") % {
            "rate": f"{record.on_time_rate:.0%}",
            "days": ON_TIME_WINDOW_DAYS,
        }


@admin.register(ReorderPolicy)
class ReorderPolicyAdmin(SingleRowAdmin):
    fields = ["service_level", "review_period_days", "often_backordered_rate", "add_to_batch", "answer_review_days"]


@admin.register(SupplierItem)
class SupplierItemAdmin(ImportExportByRole, admin.ModelAdmin):
    resource_classes = [SupplierItemResource]
    list_display = [
        "product",
        "supplier",
        "supplier_sku",
        "cost",
        "min_order_quantity",
        "pack_size",
        "lead_time_days",
        "preferred",
    ]
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


class PurchaseOrderLineInline(admin.TabularInline):
    model = PurchaseOrderLine
    extra = 0
    can_delete = False
    fields = [
        "product",
        "supplier_sku",
        "quantity",
        "received",
        "cost",
        "expected_date",
        "lateness",
        "for_customers",
        "for_stock",
    ]
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


class DropshipCancellationInline(admin.TabularInline):
    """What the customer's cancellations took off a dropship order the supplier already had."""

    model = DropshipCancellation
    extra = 0
    can_delete = False
    fields = ["product", "supplier_sku", "units", "units_left", "cancelled_at", "who", "supplier_emailed"]
    readonly_fields = fields
    verbose_name_plural = _("cancelled after it was sent")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product", "cancelled_by")

    @admin.display(description=_("cancelled by"))
    def who(self, cancellation):
        if cancellation.by_customer:
            return _("the customer")
        user = cancellation.cancelled_by
        return (user.get_full_name() or user.get_username()) if user else _("the shop or a job")

    @admin.display(description=_("supplier emailed at"))
    def supplier_emailed(self, cancellation):
        if cancellation.emailed_at:
            return formats.date_format(localtime(cancellation.emailed_at), "DATETIME_FORMAT")
        return format_html('<strong class="late">{}</strong>', _("not emailed: tell the supplier"))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _day(date):
    """A date as the reader's language writes it (format_html would print it as ISO)."""
    return formats.date_format(date) if date else "-"


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(SupplierAnswers, GoodsIn, DraftReview, ReorderReview, LineForms, LargeTableAdmin):
    list_display = [
        "number",
        "supplier",
        "status",
        "dropship_order",
        "created_at",
        "sent_at",
        "late_lines",
        "announced",
    ]
    list_select_related = ["supplier", "dropship_order"]
    list_filter = ["status", LateFilter, WaitingForSupplierFilter, DropshipFilter, "supplier"]
    search_fields = ["number", "supplier__code", "supplier__name", "lines__product__sku"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "number",
        "supplier",
        "status",
        "dropship_order",
        "created_at",
        "sent_at",
        "confirmed_at",
        "waiting_customers",
        *SupplierAnswers.supplier_fields,
    ]
    inlines = [PurchaseOrderLineInline]
    actions = ["send", "confirm", "receive", "cancel"]

    def get_inlines(self, request, obj):
        # Only a dropship order is changed at the supplier by its customer's cancellations.
        return [*self.inlines, DropshipCancellationInline] if obj and obj.dropship else self.inlines

    @admin.display(description=_("waiting customers"))
    def waiting_customers(self, po):
        backorders = (
            pegged_to(purchase_orders=[po])
            .select_related("order__customer", "product")
            .order_by("product__sku", "created_at")
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    admin_link(b.order),
                    b.order.customer.email,
                    b.product.sku,
                    b.waiting,
                    _day(b.eta),
                    _day(b.promised_date),
                )
                for b in backorders
            ),
        )
        head = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("order"),
            _("customer"),
            _("SKU"),
            _("waiting"),
            _("ETA"),
            _("promised date"),
        )
        return format_html("<table>{}{}</table>", head, rows) if rows else "-"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(late_count=Count("lines", filter=Q(lines__late=True)), next_expected=NEXT_EXPECTED)
        )

    @admin.display(description=_("late lines"), ordering="late_count")
    def late_lines(self, po):
        return po.late_count

    def has_add_permission(self, request):
        return False  # the batch job drafts purchase orders

    def has_delete_permission(self, request, obj=None):
        return False

    change_form_template = "admin/purchasing/purchaseorder/change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Every field here is the order's record: no Save buttons under them. A draft's lines
        # change on the draft review; the rest through the actions.
        buttons = {"show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **buttons})

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "last_batch_run": BatchRun.objects.first()})

    def get_urls(self):
        site = self.admin_site
        return [
            path(
                "<int:pk>/receive/",
                admin_page(site, self.receive_view, *self.has_receive_permission.required_perms),
                name="purchasing_purchaseorder_receive",
            ),
            path(
                "drafts/",
                admin_page(site, self.drafts_view, "purchasing.change_purchaseorder"),
                name="purchasing_purchaseorder_drafts",
            ),
            path(
                "reorder/",
                admin_page(site, self.reorder_view, "purchasing.view_reorderpolicy"),
                name="purchasing_purchaseorder_reorder",
            ),
            *super().get_urls(),
        ]

    @admin.action(description=_("Cancel purchase order"), permissions=["change"])
    def cancel(self, request, queryset):
        if "apply" not in request.POST:
            items = [f"{po.number} ({po.supplier.code}, {po.get_status_display()})" for po in queryset]
            return confirm_action(
                self,
                request,
                queryset,
                items=items,
                button=_("Cancel purchase orders"),
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
            return confirm_action(
                self, request, queryset, title=_("Email these purchase orders?"), items=items, button=_("Send")
            )
        for po in queryset:
            try:
                send_purchase_order(po.number)
                self.message_user(
                    request, _("%(number)s sent to %(email)s.") % {"number": po.number, "email": po.supplier.email}
                )
            except DomainError as error:
                self.message_user(request, str(error), messages.WARNING)
        return None

    @admin.action(description=_("Record the supplier's dates"), permissions=["change"])
    def confirm(self, request, queryset):
        return self._lines_action(
            request,
            queryset,
            ConfirmLineForm,
            "expected_date",
            lambda line: line.expected_date,
            lambda number, dates, extra: confirm_purchase_order(number, dates, was=extra["was"]),
            _("Supplier's expected dates"),
            _("Record dates"),
            _("Dates recorded for %(numbers)s; waiting customers' dates follow."),
        )


class ToReviewFilter(admin.SimpleListFilter):
    title = _("review")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("due", _("to review"))]

    def queryset(self, request, queryset):
        if self.value() == "due":
            return queryset.filter(pk__in=answers_to_review().values("pk"))
        return queryset


@admin.register(SupplierAnswer)
class SupplierAnswerAdmin(admin.ModelAdmin):
    """Answers suppliers gave through their links: read-only, appended by the link only."""

    list_display = ["answered_at", "purchase_order", "supplier", "kind", "days_moved", "what_changed", "reviewed_at"]
    list_select_related = ["purchase_order__supplier"]
    list_filter = [ToReviewFilter, "kind"]
    search_fields = ["purchase_order__number", "purchase_order__supplier__code"]
    fields = [
        "purchase_order",
        "link",
        "kind",
        "answered_at",
        "what_changed",
        "days_moved",
        "reviewed_at",
        "reviewed_by",
    ]
    readonly_fields = fields
    actions = ["mark_reviewed"]
    show_full_result_count = False

    @admin.display(description=_("supplier"))
    def supplier(self, answer):
        return answer.purchase_order.supplier

    @admin.display(description=_("what changed"))
    def what_changed(self, answer):
        return (
            "; ".join(
                f"{change['sku']} {change['field']}: {change['was'] or '-'} → {change['now']}"
                for change in answer.changes
            )
            or "-"
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    # Marking reviewed is purchasing's: the same permission as recording a supplier's dates.
    has_review_permission = role_permission("purchasing.change_purchaseorder")

    @admin.action(description=_("Mark as reviewed"), permissions=["review"])
    def mark_reviewed(self, request, queryset):
        if "apply" not in request.POST:
            items = [f"{answer.purchase_order.number}: {answer.get_kind_display()}" for answer in queryset]
            return confirm_action(
                self, request, queryset, title=_("Mark these answers as reviewed?"), items=items, button=_("Reviewed")
            )
        count = mark_reviewed(list(queryset.values_list("pk", flat=True)), request.user.get_username())
        self.message_user(request, _("%(count)s answers marked as reviewed.") % {"count": count})
        return None


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
