"""The per-line form of the purchase order actions that take a value per line (the supplier's
dates, the units received): one formset over the lines of the selected orders, applied to
all of them or, when one is refused, to none."""

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from kernel.admin_tools import confirm_action
from kernel.errors import DomainError

from ..models import PurchaseOrderLine


class LineForms:
    """The engine of the "Record the supplier's dates" and "Receive goods" actions."""

    def _lines_action(self, request, queryset, form_class, field, initial, apply, title, button, done, extra_form=None):
        """A form row per line of the selected purchase orders, `field` prefilled with
        initial(line); on submit, each order gets its {SKU: value} (empty rows skipped)
        through `apply`."""
        lines = PurchaseOrderLine.objects.filter(purchase_order__in=queryset).select_related(
            "purchase_order", "product"
        )
        rows = [
            {
                "line": line,
                "what": _(
                    "%(number)s: %(quantity)s × %(sku)s %(name)s (%(received)s received, %(outstanding)s to come)"
                )
                % {
                    "number": line.purchase_order.number,
                    "quantity": line.quantity,
                    "sku": line.product.sku,
                    "name": line.product.name,
                    "received": line.received,
                    "outstanding": line.outstanding,
                },
                "sku": line.product.sku,
                field: initial(line),
                "was": line.expected_date,
            }
            for line in lines.order_by("purchase_order", "product__sku")
        ]
        formset = forms.formset_factory(form_class, extra=0)(
            request.POST if "apply" in request.POST else None, initial=rows
        )
        extra = extra_form(request.POST if "apply" in request.POST else None) if extra_form else None
        if "apply" in request.POST and formset.is_valid() and (extra is None or extra.is_valid()):
            by_po, was = {}, {}
            for row in formset.cleaned_data:
                if row[field]:
                    number, sku = row["line"].purchase_order.number, row["line"].product.sku
                    by_po.setdefault(number, {})[sku] = row[field]
                    if row.get("was"):  # what the form showed, for a compare-and-set
                        was.setdefault(number, {})[sku] = row["was"]
            try:
                with transaction.atomic():  # all selected orders, or none when one is refused
                    for number, values in by_po.items():
                        apply(number, values, {**(extra.cleaned_data if extra else {}), "was": was.get(number)})
            except DomainError as error:
                formset._non_form_errors = formset.error_class([problem.message for problem in error.problems])
            else:
                self.message_user(request, done % {"numbers": ", ".join(by_po) or "-"})
                return None
        return confirm_action(
            self,
            request,
            queryset,
            title=title,
            items=None,
            formset=formset,
            form=extra,
            button=button,
            scan="sku" in form_class.base_fields,
        )
