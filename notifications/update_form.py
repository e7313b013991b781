"""Customer service's "send an update" form: free text or a ready text, offered only where it
is true (updates.ready_text_unfit)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kernel.errors import InvalidInput
from kernel.parsers import parse_count
from orders.models import Order

from .rendering import UPDATE_TEMPLATES
from .updates import ready_text_unfit, unfit_message

# The ready texts by a short name (the whole text would make the choice wider than a laptop screen).
READY_TEXT_NAMES = {
    "status": _("Where the order stands today"),
    "supplier_delay": _("Our supplier told us of a delay"),
    "partial_offer": _("Offer to send what is ready now"),
}


def _ids(text):
    try:
        return sorted({parse_count(pk.strip(), "orders", 1, 2**63 - 1) for pk in str(text).split(",") if pk.strip()})
    except InvalidInput:
        return None


class SendUpdateForm(forms.Form):
    orders = forms.CharField(widget=forms.HiddenInput)
    request_key = forms.UUIDField(widget=forms.HiddenInput)
    template = forms.ChoiceField(label=_("ready text"), required=False)
    title = forms.CharField(
        label=_("subject"),
        required=False,
        max_length=200,
        help_text=_("Empty: “About your order …” in the customer's language."),
    )
    text = forms.CharField(
        label=_("your text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        help_text=_("Free text, sent as written; leave empty to use the ready text in each customer's language."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ids = _ids(self.data.get("orders") or self.initial.get("orders") or "")
        # A ready text that is true for none of these orders is not offered at all.
        offered = [key for key in UPDATE_TEMPLATES if not ids or len(ready_text_unfit(key, ids)) < len(ids)]
        self.fields["template"].choices = [("", "—")] + [(key, READY_TEXT_NAMES[key]) for key in offered]

    def clean_orders(self):
        ids = _ids(self.cleaned_data["orders"])
        if ids is None:
            raise forms.ValidationError(_("The list of orders is damaged; start again from the list."))
        found = sorted(Order.objects.filter(pk__in=ids).values_list("pk", flat=True))
        if not found:
            raise forms.ValidationError(_("None of these orders exists."))
        return found

    def clean(self):
        data = super().clean()
        if not (data.get("text") or "").strip():
            if not data.get("template"):
                raise forms.ValidationError(_("Write a text or choose a ready text."))
            unfit = ready_text_unfit(data["template"], data.get("orders") or [])
            if unfit:
                self.add_error("template", unfit_message(unfit))
        return data
