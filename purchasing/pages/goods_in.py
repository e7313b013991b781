"""Goods in: the warehouse receives a purchase order from its own page, one click from the
list, and is offered the orders the receipt made ready to ship.

The receive list is what the warehouse will see arrive: receivable orders the supplier sends
to us (dropship orders go to the customer, not through goods in), with the date the first
outstanding line is expected. Units received are typed or scanned, never pre-filled: a
pre-filled form books what was ordered, not what arrived."""

from django.contrib import admin, messages
from django.db.models import F, Min, Q
from django.http import HttpResponseRedirect
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kernel.admin_tools import role_permission
from orders.admin import pick_list_url, ready_to_ship_url
from orders.models import WAITING, Backorder, Order

from ..forms import OverReceiptForm, ReceiveLineForm
from ..models import PurchaseOrder, PurchaseOrderLine
from ..receiving import receive_purchase_order


def receive_list_url():
    """The warehouse's goods-in list (the daily job): where receiving starts and comes back to."""
    return (
        reverse("admin:purchasing_purchaseorder_changelist")
        + "?status__in="
        + ",".join(PurchaseOrder.RECEIVABLE)
        + f"&{DropshipFilter.parameter_name}=no"
    )


class DropshipFilter(admin.SimpleListFilter):
    """Dropship orders (the supplier ships to the customer) or those that come to us."""

    title = _("dropship")
    parameter_name = "dropship"

    def lookups(self, request, model_admin):
        return [("yes", _("to the customer (dropship)")), ("no", _("to our warehouse"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(dropship_order__isnull=self.value() == "no")
        return queryset


# The first date an outstanding line of the order is expected (received lines left out).
NEXT_EXPECTED = Min("lines__expected_date", filter=Q(lines__received__lt=F("lines__quantity")))


class GoodsIn:
    """The goods-in page, the "Receive" button on the list and the "Receive goods" action."""

    has_receive_permission = role_permission("purchasing.receive_purchaseorder")

    def get_list_display(self, request):
        if self.has_receive_permission(request):
            return [*self.list_display, "expected", "receive_button"]
        return self.list_display

    @admin.display(description=_("expected"), ordering="next_expected")
    def expected(self, po):
        return po.next_expected if po.status in PurchaseOrder.RECEIVABLE else None

    @admin.display(description=_("goods in"))
    def receive_button(self, po):
        if po.status not in PurchaseOrder.RECEIVABLE:
            return ""
        url = reverse("admin:purchasing_purchaseorder_receive", args=[po.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Receive"))

    def back_url(self, request):
        # Receiving one purchase order from its own page comes back to the goods-in list.
        if request.resolver_match.url_name == "purchasing_purchaseorder_receive":
            return receive_list_url()
        return request.get_full_path()

    def receive_view(self, request, pk):
        """Goods in for one purchase order: the warehouse's page, one click from the list."""
        queryset = PurchaseOrder.objects.filter(pk=pk, status__in=PurchaseOrder.RECEIVABLE)
        if not queryset.exists():
            self.message_user(request, _("This purchase order has nothing left to receive."), messages.WARNING)
            return HttpResponseRedirect(receive_list_url())
        response = self.receive(request, queryset)
        return response or HttpResponseRedirect(receive_list_url())

    @admin.action(description=_("Receive goods"), permissions=["receive"])
    def receive(self, request, queryset):
        # The orders that wait for these goods: after receiving, those now ready to ship are
        # offered to the warehouse as its next step.
        waiting = list(
            Backorder.objects.filter(
                status__in=WAITING,
                product__in=PurchaseOrderLine.objects.filter(purchase_order__in=queryset).values("product"),
            )
            .values_list("order_id", flat=True)
            .distinct()
        )
        response = self._lines_action(
            request,
            queryset,
            ReceiveLineForm,
            "quantity",
            lambda line: None,  # typed or scanned: what arrived, not what was ordered
            lambda number, quantities, extra: receive_purchase_order(
                number, quantities, user=request.user, allow_over=extra.get("allow_over", False)
            ),
            _("Receive goods: units that arrived per line"),
            _("Receive"),
            _("Received against %(numbers)s; waiting orders were filled first."),
            extra_form=OverReceiptForm,
        )
        if response is None:
            self.offer_shipping(request, waiting)
        return response

    def offer_shipping(self, request, order_ids):
        """The next step after goods in: the orders they made ready, with a button that opens
        the ship confirmation for exactly those (people without the right see the numbers)."""
        ready = list(
            Order.objects.filter(pk__in=order_ids, status=Order.Status.READY_TO_SHIP)
            .order_by("number")
            .values_list("pk", "number")
        )
        if not ready:
            return
        numbers = ", ".join(number for _pk, number in ready)
        text = ngettext(
            "%(count)s order is ready to ship now: %(numbers)s.",
            "%(count)s orders are ready to ship now: %(numbers)s.",
            len(ready),
        ) % {"count": len(ready), "numbers": numbers}
        if not request.user.has_perm("orders.add_shipment"):
            self.message_user(request, text)
            return
        button = ngettext("Ship this order", "Ship these %(count)s orders", len(ready)) % {"count": len(ready)}
        self.message_user(
            request,
            format_html(
                '{} <form method="post" action="{}" class="next-step"><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
                '<input type="hidden" name="action" value="ship_ready_orders">{}<button type="submit" class="button">{}</button>'
                ' <a href="{}" target="_blank" rel="noopener">{}</a></form>',  # a tab of its own: this offer stays
                text,
                ready_to_ship_url(),
                get_token(request),
                format_html_join(
                    "",
                    '<input type="hidden" name="{}" value="{}">',
                    ((admin.helpers.ACTION_CHECKBOX_NAME, pk) for pk, _number in ready),
                ),
                button,
                pick_list_url(),
                _("Print the pick list"),
            ),
        )
