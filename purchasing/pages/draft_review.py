"""The draft review: purchasing looks over what the batch drafted before it goes out, and
changes its lines (units, date asked) or takes lines off until it is sent
(lifecycle.change_draft): the form's values are read here, the rules are the service's."""

import datetime
from decimal import Decimal

from django.contrib import admin, messages
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from inventory.serializers import MAX_UNITS
from kernel import clock
from kernel.admin_tools import require
from kernel.errors import DomainError, InvalidInput
from kernel.parsers import parse_count

from ..batching import batch_backorders
from ..lifecycle import change_draft
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
        if request.method == "POST" and "save_lines" in request.POST:
            require(request, "purchasing.change_purchaseorder")
            self.save_draft_lines(request)
            return HttpResponseRedirect(request.path)
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
            "can_change": request.user.has_perm("purchasing.change_purchaseorder"),
            "today": clock.today().isoformat(),
        }
        return TemplateResponse(request, "admin/purchasing/purchaseorder/drafts.html", context)

    def save_draft_lines(self, request):
        """One draft's lines as the form gives them: units and date asked per line, lines ticked
        to remove; only what differs is sent to the service. A value that is not a number or a
        date is named (SKU and field) and nothing changes."""
        po = PurchaseOrder.objects.filter(pk=request.POST.get("draft"), status=PurchaseOrder.Status.DRAFT).first()
        if po is None:
            self.message_user(request, _("This purchase order is no longer a draft."), messages.WARNING)
            return
        removed = set(request.POST.getlist("remove"))
        changes, wrong = {}, []
        for line in po.lines.select_related("product"):
            sku = line.product.sku
            if sku in removed:
                continue
            change = {}
            try:
                units = parse_count(request.POST.get(f"quantity:{sku}", "").strip(), "quantity", 1, MAX_UNITS)
            except InvalidInput:
                wrong.append(_("%(sku)s: units as a whole number from 1") % {"sku": sku})
            else:
                if units != line.quantity:
                    change["quantity"] = units
            try:
                asked = datetime.date.fromisoformat(request.POST.get(f"expected_date:{sku}", "").strip())
            except ValueError:
                wrong.append(_("%(sku)s: the date asked as a date") % {"sku": sku})
            else:
                if asked != line.expected_date:
                    change["expected_date"] = asked
            if change:
                changes[sku] = change
        if wrong:
            self.message_user(
                request, _("Nothing changed; give %(what)s.") % {"what": "; ".join(wrong)}, messages.ERROR
            )
            return
        if not changes and not removed:
            self.message_user(request, _("%(number)s: nothing to change.") % {"number": po.number}, messages.WARNING)
            return
        try:
            change_draft(po.number, changes, sorted(removed))
        except DomainError as error:
            self.message_user(
                request,
                _("Nothing changed: %(problems)s") % {"problems": " ".join(p.message for p in error.problems)},
                messages.ERROR,
            )
        else:
            self.message_user(request, _("%(number)s: lines saved.") % {"number": po.number})
