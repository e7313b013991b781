"""Forms of the order pages in admin."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from inventory.serializers import MAX_UNITS
from kernel.admin_tools import Text
from kernel.errors import InvalidInput
from kernel.parsers import parse_amount, parse_count

from .models import Customer, Order
from .placement import LineRequest


class PlaceOrderForm(forms.Form):
    number = forms.RegexField(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=64, label=_("order number"))
    email = forms.EmailField(label=_("customer email"))
    name = forms.CharField(max_length=200, label=_("customer name"))
    language = forms.ChoiceField(choices=Customer.Language.choices, label=_("language"))
    fulfilment_policy = forms.ChoiceField(choices=Order.Policy.choices, label=_("fulfilment policy"))
    expedite = forms.BooleanField(required=False, label=_("expedite"))
    lines = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "cols": 40}),
        label=_("lines"),
        help_text=_("One line per SKU: SKU, quantity and optionally the unit price, e.g. “TEA-001 3 12.50”."),
    )

    def clean_lines(self):
        """Each row "SKU quantity [unit price]", read as the API reads them (kernel.parsers): a
        quantity in ASCII digits ("²" is not 2), a price with at most two decimals."""
        parsed = []
        for number, text in enumerate(self.cleaned_data["lines"].splitlines(), start=1):
            if not text.strip():
                continue
            parts = re.split(r"[\s;,]+", text.strip())
            try:
                quantity = parse_count(parts[1], "quantity", 0, MAX_UNITS) if len(parts) in (2, 3) else None
            except InvalidInput:
                quantity = None
            if quantity is None:
                raise forms.ValidationError(
                    _("Row %(row)s: write “SKU quantity [unit price]”, not “%(text)s”.") % {"row": number, "text": text}
                )
            try:
                price = parse_amount(parts[2], "unit price") if len(parts) == 3 else None
            except InvalidInput:
                raise forms.ValidationError(
                    _("Row %(row)s: “%(price)s” is not a price.") % {"row": number, "price": parts[2]}
                ) from None
            parsed.append(LineRequest(sku=parts[0], quantity=quantity, unit_price=price))
        if not parsed:
            raise forms.ValidationError(_("Enter at least one line."))
        return parsed


class ShipOrderForm(forms.Form):
    """A row of "Ship ready orders": the order (its id among the chosen ones) and its parcel's
    tracking number (blank: none)."""

    order = forms.IntegerField(widget=forms.HiddenInput)
    what = forms.CharField(label=_("order"), disabled=True, required=False, widget=Text)
    tracking_number = forms.CharField(
        label=_("tracking number"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 24}),
    )
