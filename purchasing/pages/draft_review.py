"""The draft review: purchasing looks over what the batch drafted before it goes out."""

from decimal import Decimal

from django.contrib import admin
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from kernel.admin_tools import require

from ..batching import batch_backorders
from ..models import PurchaseOrder, PurchaseOrderLine, describe_batch
from ..pegging import PEGGED_UNITS


def units_for_stock(line):
    """The surplus from minimum order quantities and packs, and from cancellations (needs
    the pegging.PEGGED_UNITS annotation)."""
    return max(line.outstanding - line.pegged_units, 0)


class DraftReview:
    """Drafts to review, with "Run the batch now"; send or cancel them from here."""

    def drafts_view(self, request):
        """Purchasing's review of what the batch job drafted: per draft, its lines, the
        customers' units and the surplus, its value against the supplier's minimum."""
        if request.method == "POST" and "action" in request.POST:
            # Send or cancel a draft here: the list's actions, coming back to this page after.
            return self.changelist_view(request)
        if request.method == "POST" and "run_batch" in request.POST:
            require(request, "purchasing.add_purchaseorder")  # what the API's batch endpoint asks
            result = batch_backorders(trigger=f"admin:{request.user.get_username()}")
            self.message_user(request, _("Batch run: %(result)s") % {"result": describe_batch(result)})
            return HttpResponseRedirect(request.path)
        drafts = list(
            PurchaseOrder.objects.filter(status=PurchaseOrder.Status.DRAFT)
            .select_related("supplier", "dropship_order")
            .prefetch_related(
                Prefetch(
                    "lines",
                    PurchaseOrderLine.objects.select_related("product")
                    .annotate(pegged_units=PEGGED_UNITS)
                    .order_by("product__sku"),
                )
            )
            .order_by("supplier__code", "created_at")
        )
        for po in drafts:
            for line in po.lines.all():
                line.for_stock = units_for_stock(line)
            po.value = sum((line.quantity * line.unit_cost for line in po.lines.all()), Decimal("0"))
            po.below_minimum = po.value < po.supplier.min_order_value
        context = {
            **self.admin_site.each_context(request),
            "title": _("Draft purchase orders to review"),
            "opts": self.model._meta,
            "drafts": drafts,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "can_run_batch": request.user.has_perm("purchasing.add_purchaseorder"),
        }
        return TemplateResponse(request, "admin/purchasing/purchaseorder/drafts.html", context)
