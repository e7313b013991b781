import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, Subquery, Sum
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from inventory.models import StockMovement
from kernel import clock
from kernel.admin_tools import (
    LargeTableAdmin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    admin_link,
    admin_page,
    changelist_link,
    confirm_action,
    money_column,
    role_permission,
)
from kernel.errors import DomainError

from .cancellation import cancel_units
from .forms import PlaceOrderForm, ShipOrderForm
from .fulfilment import change_preferences, ship_order, shippable
from .models import (
    WAITING,
    Backorder,
    Customer,
    EtaChange,
    Order,
    OrderEvent,
    OrderLine,
    Shipment,
    ShipmentLine,
)
from .paperwork import packing_slip, pick_list
from .placement import CustomerDetails, place_order
from .selectors import (
    matching_backorder_ids,
    matching_customers,
    matching_order_ids,
    numbered_order_ids,
)


class WaitingSinceFilter(admin.SimpleListFilter):
    """Orders (or backorders) whose oldest waiting unit has waited at least N days: for each
    order listed, newest first, one probe of the index of what waits (not a join that repeats orders)."""

    title = _("waiting since")
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [("0", _("any time")), ("7", _("over 7 days")), ("14", _("over 14 days")), ("30", _("over 30 days"))]

    def queryset(self, request, queryset):
        if self.value() not in {"0", "7", "14", "30"}:
            return queryset
        since = clock.now() - datetime.timedelta(days=int(self.value()))
        return self.waiting_before(queryset, since)

    def waiting_before(self, queryset, since):
        # An order waiting since before `since` was placed before it (backorders are never older
        # than their order): the scan starts there instead of probing every newer order first.
        return queryset.filter(
            Exists(Backorder.objects.filter(order=OuterRef("pk"), status__in=WAITING, created_at__lte=since)),
            placed_at__lte=since,
        )


class BackorderWaitingSinceFilter(WaitingSinceFilter):
    def waiting_before(self, queryset, since):
        return queryset.filter(status__in=WAITING, created_at__lte=since)


def ready_to_ship_url():
    """The warehouse's shipping list (the daily job): where shipping starts and comes back to."""
    return reverse("admin:orders_order_changelist") + "?status__exact=" + Order.Status.READY_TO_SHIP


def pick_list_url():
    return reverse("admin:orders_order_pick_list")


def packing_slip_url(shipment):
    return reverse("admin:orders_shipment_packing_slip", args=[shipment.pk])


def next_ready_order(after=None):
    """The next order to ship: expedited first, then the oldest (None when none is ready)."""
    return (
        Order.objects.filter(status=Order.Status.READY_TO_SHIP)
        .exclude(pk=getattr(after, "pk", None))
        .order_by("-expedite", "placed_at", "id")
        .only("pk", "number")
        .first()
    )


def customer_cell(customer):
    """A customer in a list: the name (narrow enough for a laptop screen), the email on hover."""
    return format_html('<span title="{}">{}</span>', customer.email, customer.name)


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = [
        "line_number",
        "product",
        "quantity",
        "unit_price_money",
        "allocated",
        "backordered",
        "shipped",
        "cancelled",
    ]
    readonly_fields = fields
    show_change_link = False
    unit_price_money = money_column("unit_price", _("unit price"))

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product")

    @admin.display(description=_("line"))
    def line_number(self, line):
        return line.position + 1  # people count lines from 1


class BackorderInline(ReadOnlyInline):
    model = Backorder
    fields = ["product", "quantity", "filled", "cancelled", "status", "created_at", "eta", "promised_date", "filled_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product")


class ShipmentInline(ReadOnlyInline):
    model = Shipment
    fields = ["shipped_at", "captured", "tracking_number", "created_by", "slip"]
    readonly_fields = fields
    captured = money_column("amount_captured", _("captured"))

    @admin.display(description=_("packing slip"))
    def slip(self, shipment):
        return format_html('<a href="{}">{}</a>', packing_slip_url(shipment), _("Print"))


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ["at", "kind", "by_customer", "user", "data"]
    readonly_fields = fields
    show_change_link = False


@admin.register(Order)
class OrderAdmin(LargeTableAdmin):
    list_display = [
        "number",
        "customer_name",
        "status",
        "fulfilment_policy",
        "expedite",
        "placed_at",
        "units_waiting",
        "waiting_since",
    ]
    list_select_related = ["customer"]
    list_filter = ["status", "fulfilment_policy", "expedite", WaitingSinceFilter, "placed_at"]
    search_fields = ["number"]  # shows the box; get_search_results says what it finds
    search_help_text = _(
        "Order number or customer's email address (exact), part of a customer's name, or part of a SKU"
    )
    date_hierarchy = "placed_at"
    inlines = [OrderLineInline, BackorderInline, ShipmentInline, OrderEventInline]
    fields = [
        "number",
        "customer_link",
        "status",
        "fulfilment_policy",
        "expedite",
        "placed_at",
        "authorised",
        "captured",
        "voided",
        "stock_ledger",
        "shop",
        "shop_number",
        "currency",
        "ship_to",
        "payment_problem",
    ]
    # Staff change an order's policy and expedite flag here; the rest is the order's record.
    readonly_fields = [name for name in fields if name not in ("fulfilment_policy", "expedite")]
    authorised = money_column("amount_authorised", _("authorised"))
    captured = money_column("amount_captured", _("captured"))
    voided = money_column("amount_voided", _("voided"))
    actions = ["ship_ready_orders", "cancel_unshipped"]
    change_form_template = "admin/orders/order/change_form.html"

    def get_urls(self):
        return [
            path(
                "<int:pk>/ship/",
                admin_page(self.admin_site, self.ship_view, *self.has_ship_permission.required_perms),
                name="orders_order_ship",
            ),
            path(
                "pick-list/",
                admin_page(self.admin_site, self.pick_list_view, "orders.view_order"),
                name="orders_order_pick_list",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("shipping address"))
    def ship_to(self, order):
        lines = order.address_lines
        if not lines:
            return _("none given: the customer's name only (%(name)s)") % {"name": order.customer.name}
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))

    def pick_list_view(self, request):
        """The pick list of every order ready to ship, to print (orders.paperwork)."""
        picks, order_count = pick_list()
        context = {
            "title": _("Pick list"),
            "picks": picks,
            "order_count": order_count,
            "now": clock.now(),
            "back": ready_to_ship_url(),
        }
        return TemplateResponse(request, "orders/print/pick_list.html", context)

    def ship_view(self, request, pk):
        """Ship one order from its page, with the carrier's tracking number."""
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:orders_order_change", args=[pk]))
        order = get_object_or_404(Order, pk=pk)
        try:
            shipment = ship_order(
                order.number, user=request.user, tracking_number=request.POST.get("tracking_number", "")
            )
        except DomainError as error:
            self.message_user(request, str(error), messages.WARNING)
        else:
            shipped = _("Order %(number)s shipped: %(lines)s.") % {
                "number": order.number,
                "lines": ", ".join(
                    f"{row.quantity} × {row.line.product.sku}" for row in shipment.lines.select_related("line__product")
                ),
            }
            self.message_user(request, self.after_shipping(shipped, [shipment], next_ready_order(after=order)))
        return HttpResponseRedirect(reverse("admin:orders_order_change", args=[pk]))

    def after_shipping(self, text, shipments, following=None):
        """What was shipped, with a packing slip link per shipment and the next order to ship."""
        slips = format_html_join(
            " ",
            '<a class="packing-slip" href="{}">{}</a>',
            ((packing_slip_url(s), _("Packing slip %(number)s") % {"number": s.order.number}) for s in shipments),
        )
        if following is None:
            return format_html("{} {} · {}", text, slips, _("No other order is ready to ship."))
        return format_html(
            '{} {} · <a id="next-ready-order" href="{}">{}</a>',
            text,
            slips,
            reverse("admin:orders_order_change", args=[following.pk]),
            _("Next order ready to ship: %(number)s") % {"number": following.number},
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The order the change view already read: what it could ship now, for the Ship form.
        ready = ""
        if obj is not None and self.has_ship_permission(request):
            plan, _reason = shippable(obj, list(obj.lines.select_related("product")))
            ready = ", ".join(f"{units} × {line.product.sku}" for line, units in plan)
        return super().render_change_form(request, {**context, "ready_to_ship": ready}, add, change, form_url, obj)

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return queryset.filter(pk__in=matching_order_ids(search_term)), False

    def get_queryset(self, request):
        # Subqueries, not joins: joining lines and backorders at once would multiply the sums.
        lines = OrderLine.objects.filter(order=OuterRef("pk")).values("order")
        waiting = Backorder.objects.filter(order=OuterRef("pk"), status__in=WAITING).order_by("created_at")
        return (
            super()
            .get_queryset(request)
            .select_related("customer")
            .annotate(  # the page links the customer
                waiting_units=Subquery(lines.annotate(units=Sum("backordered")).values("units")),
                oldest_waiting=Subquery(waiting.values("created_at")[:1]),
            )
        )

    @admin.display(description=_("units waiting"), ordering="waiting_units")
    def units_waiting(self, order):
        return order.waiting_units

    @admin.display(description=_("waiting since"), ordering="oldest_waiting")
    def waiting_since(self, order):
        return order.oldest_waiting

    @admin.display(description=_("stock ledger"))
    def stock_ledger(self, order):
        return changelist_link(StockMovement, _("stock movements of this order"), reference=order.number)

    @admin.display(description=_("customer"))
    def customer_link(self, order):
        return admin_link(order.customer)

    @admin.display(description=_("customer"))
    def customer_name(self, order):
        return customer_cell(order.customer)

    def has_delete_permission(self, request, obj=None):
        return False  # an order's history is kept; cancel its units instead

    def add_view(self, request, form_url="", extra_context=None):
        """Staff place orders (phone, e-mail) through the same service as the shop's API, with
        the permission the API asks (orders.add_order): this view stands in for Django's,
        which would have checked it."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = PlaceOrderForm(request.POST or None, initial={"fulfilment_policy": Order.Policy.SHIP_PARTIAL})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                order, created = place_order(
                    number=data["number"],
                    customer=CustomerDetails(data["email"], data["name"], data["language"]),
                    fulfilment_policy=data["fulfilment_policy"],
                    expedite=data["expedite"],
                    lines=data["lines"],
                )
            except DomainError as error:
                for problem in error.problems:
                    form.add_error(None, problem.message)
            else:
                if created:
                    self.message_user(
                        request,
                        _("Order %(number)s placed: %(status)s.")
                        % {"number": order.number, "status": order.get_status_display()},
                    )
                else:
                    self.message_user(
                        request,
                        _("Order %(number)s already existed; nothing changed.") % {"number": order.number},
                        messages.WARNING,
                    )
                return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Place order"),
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "admin/orders/order/place_order.html", context)

    def save_model(self, request, obj, form, change):
        # Policy and expedite are the editable fields; the service recomputes the status.
        change_preferences(
            obj.number, fulfilment_policy=obj.fulfilment_policy, expedite=obj.expedite, user=request.user
        )

    has_ship_permission = role_permission("orders.add_shipment")
    has_cancel_permission = role_permission("orders.cancel_units")

    @admin.action(description=_("Ship ready orders"), permissions=["ship"])
    def ship_ready_orders(self, request, queryset):
        """Ship the chosen orders, a tracking number per order (a form row each; blank: none)."""
        orders = {order.pk: order for order in queryset.prefetch_related("lines__product")}
        rows = []
        for order in sorted(orders.values(), key=lambda order: order.number):
            plan, reason = shippable(order, list(order.lines.all()))
            what = ", ".join(f"{units} × {line.product.sku}" for line, units in plan)
            rows.append({"order": order.pk, "what": f"{order.number}: {what}" if plan else reason})
        applied = "apply" in request.POST
        formset = forms.formset_factory(ShipOrderForm, extra=0)(request.POST if applied else None, initial=rows)
        if not applied or not formset.is_valid():
            return confirm_action(
                self, request, queryset, title=_("Ship these orders?"), items=None, formset=formset, button=_("Ship")
            )
        shipments, refused = [], []
        for row in formset.cleaned_data:
            order = orders.get(row["order"])
            if order is None:
                continue  # not among the chosen orders: a tampered form ships nothing else
            try:
                shipments.append(ship_order(order.number, user=request.user, tracking_number=row["tracking_number"]))
            except DomainError as error:
                refused.append(str(error))
        if shipments:
            numbers = ", ".join(shipment.order.number for shipment in shipments)
            text = _("Shipped %(count)d orders: %(numbers)s.") % {"count": len(shipments), "numbers": numbers}
            self.message_user(request, self.after_shipping(text, shipments, next_ready_order()))
        for reason in refused:
            self.message_user(request, reason, messages.WARNING)
        return None

    @admin.action(description=_("Cancel all unshipped units"), permissions=["cancel"])
    def cancel_unshipped(self, request, queryset):
        orders = list(queryset)
        if "apply" not in request.POST:
            items = [f"{order.number} ({order.customer.email}): {order.get_status_display()}" for order in orders]
            return confirm_action(
                self,
                request,
                queryset,
                title=_("Cancel every unshipped unit of these orders? Shipped units stay shipped."),
                items=items,
                button=_("Cancel units"),
            )
        for order in orders:
            try:
                cancel_units(order.number, None, user=request.user)
                self.message_user(request, _("Order %(number)s: unshipped units cancelled.") % {"number": order.number})
            except DomainError as error:
                self.message_user(request, str(error), messages.WARNING)
        return None


class EtaChangeInline(ReadOnlyInline):
    model = EtaChange
    fields = ["changed_at", "old_eta", "new_eta", "cause"]
    readonly_fields = fields
    show_change_link = False


@admin.register(Backorder)
class BackorderAdmin(ReadOnlyAdmin):
    list_display = [
        "order",
        "customer",
        "product",
        "quantity",
        "waiting_units",
        "status",
        "created_at",
        "eta",
        "promised_date",
    ]
    list_select_related = ["order__customer", "product"]
    list_filter = ["status", BackorderWaitingSinceFilter, "order__expedite", "created_at"]
    search_fields = ["order__number"]  # shows the box; get_search_results says what it finds
    search_help_text = _(
        "Order number or customer's email address (exact), part of a customer's name, or part of a SKU"
    )
    date_hierarchy = "created_at"
    # The manager's dashboard links each figure to the backorders behind it (backoffice.dashboard).
    DRILLDOWN_LOOKUPS = {"product__id__exact", "cancelled__gt", "filled_at__gte", "status__in"}
    readonly_fields = [
        "order",
        "line",
        "product",
        "quantity",
        "filled",
        "cancelled",
        "status",
        "created_at",
        "filled_at",
        "eta",
        "promised_date",
    ]
    inlines = [EtaChangeInline]

    def lookup_allowed(self, lookup, value, request=None):
        return lookup in self.DRILLDOWN_LOOKUPS or super().lookup_allowed(lookup, value, request)

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return queryset.filter(pk__in=matching_backorder_ids(search_term)), False

    @admin.display(description=_("customer"))
    def customer(self, backorder):
        return customer_cell(backorder.order.customer)

    @admin.display(description=_("waiting"))
    def waiting_units(self, backorder):
        return backorder.waiting


class OrderOfCustomerInline(ReadOnlyInline):
    model = Order
    fields = ["number", "status", "fulfilment_policy", "placed_at"]
    readonly_fields = fields


@admin.register(Customer)
class CustomerAdmin(LargeTableAdmin):
    list_display = ["email", "name", "language", "call_reason", "created_at"]
    list_filter = [("call_reason", admin.EmptyFieldListFilter), "language"]
    search_fields = ["email"]  # shows the box; get_search_results says what it finds
    search_help_text = _("Email address (exact) or part of the name")
    inlines = [OrderOfCustomerInline]

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return queryset.filter(pk__in=matching_customers(search_term).values("pk")), False

    def has_delete_permission(self, request, obj=None):
        return False


class ShipmentLineInline(ReadOnlyInline):
    model = ShipmentLine
    fields = ["line", "quantity", "movement_link"]
    readonly_fields = fields
    show_change_link = False

    @admin.display(description=_("stock movement"))
    def movement_link(self, shipment_line):
        return admin_link(shipment_line.movement)


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdmin):  # shipping goes through "Ship ready orders"
    list_display = ["order", "shipped_at", "captured", "tracking_number", "created_by", "slip"]

    def get_urls(self):
        return [
            path(
                "<int:pk>/packing-slip/",
                admin_page(self.admin_site, self.packing_slip_view, "orders.view_shipment"),
                name="orders_shipment_packing_slip",
            ),
            *super().get_urls(),
        ]

    def packing_slip_view(self, request, pk):
        """A shipment's packing slip, to print, in the customer's language (orders.paperwork)."""
        try:
            slip = packing_slip(pk)
        except Shipment.DoesNotExist:
            raise Http404 from None
        context = {
            "title": _("Packing slip %(number)s") % {"number": slip.order.number},
            "slip": slip,
            "customer_language": slip.order.customer.language,
            "staff_note": _("Printed in the customer's language."),
            "back": reverse("admin:orders_order_change", args=[slip.order.pk]),
        }
        return TemplateResponse(request, "orders/print/packing_slip.html", context)

    @admin.display(description=_("packing slip"))
    def slip(self, shipment):
        return format_html('<a href="{}">{}</a>', packing_slip_url(shipment), _("Print"))

    list_select_related = ["order", "created_by"]
    search_fields = ["tracking_number"]  # shows the box; get_search_results says what it finds
    search_help_text = _("Order number or tracking number (exact)")
    list_filter = ["shipped_at"]
    date_hierarchy = "shipped_at"

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(Q(order_id__in=numbered_order_ids(term)) | Q(tracking_number=term)), False

    readonly_fields = ["order", "shipped_at", "captured", "tracking_number", "created_by", "slip"]
    captured = money_column("amount_captured", _("captured"))
    inlines = [ShipmentLineInline]
