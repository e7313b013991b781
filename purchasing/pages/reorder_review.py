"""The reorder review page: the figures of purchasing/reorder.py with a demand sparkline per
product, and the chosen products put on the drafts. Nothing is chosen for the buyer: they tick
the products and may change each suggested quantity first. The history's "as of" is shown,
with "Refresh now"."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from inventory.serializers import MAX_UNITS
from kernel.admin_tools import require
from kernel.errors import InvalidInput
from kernel.parsers import parse_count

from ..demand import current_history, refresh_demand
from ..models import ReorderPolicy, Supplier
from ..reorder import add_to_drafts, review
from ..selectors import unreviewed_products, without_supplier


def sparkline(units, width=84, height=20):
    """SVG polyline points for a row of daily units (server-rendered, no script)."""
    if len(units) < 2:
        return ""
    top = max(units) or 1
    step = width / (len(units) - 1)
    return " ".join(
        f"{index * step:.1f},{height - 1 - (height - 2) * value / top:.1f}" for index, value in enumerate(units)
    )


class ReorderReview:
    """The reorder review page."""

    def reorder_view(self, request):
        """Purchasing's reorder review: first what customers wait for that nobody supplies (units
        waiting, oldest wait: add a supplier item and the next batch orders it), then products
        below their reorder point, by days of cover; products backordered too often flagged;
        the suggestions go to the drafts."""
        can_add = request.user.has_perm("purchasing.add_purchaseorder")
        if request.method == "POST" and "refresh" in request.POST:
            refresh_demand()  # what the night job does, now: a read, no permission beyond the page's
            self.message_user(request, _("The demand history is up to date."))
            return HttpResponseRedirect(request.get_full_path())
        if request.method == "POST":
            require(request, "purchasing.add_purchaseorder")
            skus = request.POST.getlist("sku")
            if not skus:
                self.message_user(request, _("Choose at least one product."), messages.WARNING)
                return HttpResponseRedirect(request.get_full_path())
            units, wrong = {}, []
            for sku in skus:
                text = request.POST.get(f"units:{sku}", "").strip()
                try:
                    units[sku] = parse_count(text, "units", minimum=1, maximum=MAX_UNITS) if text else 0
                except InvalidInput:
                    wrong.append(sku)
            if wrong:
                self.message_user(
                    request,
                    _("Nothing added: give the units of %(skus)s as a whole number from 1 to %(most)s.")
                    % {"skus": ", ".join(wrong), "most": number_format(MAX_UNITS, force_grouping=True)},
                    messages.ERROR,
                )
                return HttpResponseRedirect(request.get_full_path())
            added = add_to_drafts(skus=skus, units={sku: count for sku, count in units.items() if count})
            if not added:
                self.message_user(
                    request,
                    _("Nothing to add: no chosen product needs more now; type the units to order it anyway."),
                    messages.WARNING,
                )
                return HttpResponseRedirect(request.get_full_path())
            for number, pairs in added.items():
                self.message_user(
                    request,
                    _("%(number)s: added for stock %(lines)s.")
                    % {"number": number, "lines": ", ".join(f"{units} × {sku}" for sku, units in pairs)},
                )
            return HttpResponseRedirect(reverse("admin:purchasing_purchaseorder_drafts"))
        supplier = request.GET.get("supplier", "")
        below = request.GET.get("below") == "1"
        figures = review(supplier=supplier or None)  # the history is built first when missing
        if below:
            figures = [f for f in figures if f.below_reorder_point]
        policy = ReorderPolicy.current()
        page = Paginator(figures, 100).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reorder review"),
            "opts": self.model._meta,
            "rows": [(f, sparkline(f.history)) for f in page],
            "page": page,
            "query": query.urlencode(),
            "suppliers": Supplier.objects.order_by("code").values_list("code", "name"),
            "supplier": supplier,
            "below": below,
            "policy": policy,
            "service_level_percent": policy.service_level * 100,
            "history_as_of": current_history(),
            "can_add": can_add,
            "without_supplier": without_supplier(),
            "unreviewed": unreviewed_products(),
        }
        return TemplateResponse(request, "admin/purchasing/reorder_review.html", context)
