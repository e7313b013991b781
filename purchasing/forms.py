"""Forms of the purchase order pages in admin."""

from django import forms
from django.utils.translation import gettext_lazy as _

from inventory.serializers import MAX_UNITS
from kernel.admin_tools import Text
from kernel.filters import CountField

from .models import PurchaseOrderLine


class ReceiveLineForm(forms.Form):
    line = forms.ModelChoiceField(queryset=PurchaseOrderLine.objects.all(), widget=forms.HiddenInput)
    # The row a scanned SKU counts on (the page's scan box); not read back.
    sku = forms.CharField(widget=forms.HiddenInput, required=False)
    what = forms.CharField(label=_("line"), disabled=True, required=False, widget=Text)
    quantity = CountField(label=_("units received"), min_value=0, max_value=MAX_UNITS, required=False)


class ConfirmLineForm(forms.Form):
    line = forms.ModelChoiceField(queryset=PurchaseOrderLine.objects.all(), widget=forms.HiddenInput)
    what = forms.CharField(label=_("line"), disabled=True, required=False, widget=Text)
    expected_date = forms.DateField(label=_("expected date"))
    # The date the form showed: recording compares it, so a supplier's answer meanwhile is not overwritten.
    was = forms.DateField(widget=forms.HiddenInput, required=False)


class OverReceiptForm(forms.Form):
    allow_over = forms.BooleanField(
        label=_("Yes, more than ordered arrived: book it all"),
        required=False,
        help_text=_("Needed when a line receives more than is outstanding; the surplus goes to stock."),
    )
