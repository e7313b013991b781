"""Customer service's worklist: orders at risk of an unhappy customer, filtered with
django-filter, exportable as CSV."""

import csv
import datetime

import django_filters
from django import forms
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from backoffice import clock
from orders.models import WAITING, WAITING_UNITS, Backorder, Order

from .models import CustomerMessage


def _waiting():
    return Backorder.objects.filter(order=OuterRef("pk"), status__in=WAITING)


def at_risk_orders():
    """Orders with anything waiting, or whose customer is to be called; one row each with
    the figures the worklist shows, all as subqueries (no per-row queries). Most at risk
    first: the soonest date a waiting unit is due (a passed one first), then the oldest
    promise."""
    waiting = _waiting()
    messages = CustomerMessage.objects.filter(order=OuterRef("pk"))
    return (
        Order.objects.filter(Exists(waiting) | ~Q(customer__call_reason=""))
        .select_related("customer")
        .annotate(
            waiting_units=Subquery(waiting.order_by().values("order").annotate(units=Sum(WAITING_UNITS)).values("units")),
            latest_eta=Subquery(waiting.order_by("-eta").values("eta")[:1]),
            next_eta=Subquery(waiting.order_by("eta").values("eta")[:1]),
            promised=Subquery(waiting.order_by("promised_date").values("promised_date")[:1]),
            waiting_since=Subquery(waiting.order_by("created_at").values("created_at")[:1]),
            po_late=Exists(waiting.filter(po_line__late=True)),
            message_count=Coalesce(
                Subquery(messages.order_by().values("order").annotate(n=Count("id")).values("n")), 0
            ),
            last_message_at=Subquery(messages.order_by("-created_at").values("created_at")[:1]),
        )
        .order_by(F("next_eta").asc(nulls_last=True), F("promised").asc(nulls_last=True), "waiting_since", "pk")
    )


def _yes_no(**kwargs):
    """A yes/no filter that says "any" when it is not used (not django-filter's "Unknown")."""
    choices = [("", _("any")), ("true", _("yes")), ("false", _("no"))]
    return django_filters.BooleanFilter(widget=forms.Select(choices=choices), **kwargs)


class WorklistFilter(django_filters.FilterSet):
    eta_slipped = _yes_no(method="filter_eta_slipped", label=_("ETA later than promised"))
    past_promised = _yes_no(method="filter_past_promised", label=_("past the promised date"))
    due_within = django_filters.NumberFilter(
        method="filter_due_within", label=_("ETA passed or due within (days)"), min_value=0, max_value=365,
    )
    po_late = _yes_no(field_name="po_late", label=_("purchase order late"))
    waiting_days = django_filters.NumberFilter(
        method="filter_waiting_days", label=_("waiting longer than (days)"), min_value=0, max_value=3650,
    )
    bounced = _yes_no(method="filter_bounced", label=_("email bounced or customer to call"))
    min_messages = django_filters.NumberFilter(
        field_name="message_count", lookup_expr="gte", label=_("at least this many messages"), min_value=0, max_value=10000,
    )
    q = django_filters.CharFilter(method="filter_q", label=_("order number or customer"), max_length=200)

    class Meta:
        model = Order
        fields = []

    def _flag(self, queryset, value, condition):
        if value is None:
            return queryset
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_eta_slipped(self, queryset, name, value):
        return self._flag(queryset, value, Exists(_waiting().filter(eta__gt=F("promised_date"))))

    def filter_due_within(self, queryset, name, value):
        if value is None:
            return queryset
        soon = clock.today() + datetime.timedelta(days=int(value))
        return queryset.filter(Exists(_waiting().filter(eta__lte=soon)))

    def filter_past_promised(self, queryset, name, value):
        return self._flag(queryset, value, Exists(_waiting().filter(promised_date__lt=clock.today())))

    def filter_waiting_days(self, queryset, name, value):
        if value is None:
            return queryset
        since = clock.now() - datetime.timedelta(days=int(value))
        return queryset.filter(Exists(_waiting().filter(created_at__lt=since)))

    def filter_bounced(self, queryset, name, value):
        bounced = CustomerMessage.objects.filter(
            order=OuterRef("pk"), status__in=[CustomerMessage.Status.BOUNCED, CustomerMessage.Status.COMPLAINED]
        )
        return self._flag(queryset, value, Exists(bounced) | ~Q(customer__call_reason=""))

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value) | Q(customer__email__icontains=value) | Q(customer__name__icontains=value)
        )


COLUMNS = [
    ("number", _("order")), ("customer", _("customer")), ("email", _("email")), ("status", _("status")),
    ("waiting_units", _("units waiting")), ("latest_eta", _("ETA")), ("promised", _("promised date")),
    ("waiting_since", _("waiting since")), ("po_late", _("purchase order late")),
    ("message_count", _("messages")), ("last_message_at", _("last message")), ("call_reason", _("call the customer")),
]


def row(order):
    return {
        "number": order.number, "customer": order.customer.name, "email": order.customer.email,
        "status": order.get_status_display(), "waiting_units": order.waiting_units or 0,
        "latest_eta": order.latest_eta, "promised": order.promised, "waiting_since": order.waiting_since,
        "po_late": order.po_late, "message_count": order.message_count, "last_message_at": order.last_message_at,
        "call_reason": order.customer.call_reason,
    }


def csv_response(orders):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="worklist-{clock.today().isoformat()}.csv"'
    writer = csv.writer(response)
    writer.writerow([str(label) for _, label in COLUMNS])
    for order in orders.iterator(chunk_size=2000):
        values = row(order)
        writer.writerow(["" if values[key] is None else values[key] for key, _ in COLUMNS])
    return response


class SendUpdateForm(forms.Form):
    orders = forms.CharField(widget=forms.HiddenInput)
    request_key = forms.UUIDField(widget=forms.HiddenInput)
    template = forms.ChoiceField(label=_("ready text"), required=False)
    title = forms.CharField(label=_("subject"), required=False, max_length=200,
                            help_text=_("Empty: “About your order …” in the customer's language."))
    text = forms.CharField(label=_("your text"), required=False, widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
                           help_text=_("Free text, sent as written; leave empty to use the ready text in each customer's language."))

    def __init__(self, *args, **kwargs):
        from .updates import UPDATE_TEMPLATES

        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [("", "—")] + [(key, text) for key, text in UPDATE_TEMPLATES.items()]

    def clean_orders(self):
        try:
            ids = sorted({int(pk) for pk in self.cleaned_data["orders"].split(",") if pk.strip()})
        except ValueError:
            raise forms.ValidationError(_("The list of orders is damaged; start again from the list.")) from None
        found = sorted(Order.objects.filter(pk__in=ids).values_list("pk", flat=True))
        if not found:
            raise forms.ValidationError(_("None of these orders exists."))
        return found

    def clean(self):
        data = super().clean()
        if not (data.get("text") or "").strip() and not data.get("template"):
            raise forms.ValidationError(_("Write a text or choose a ready text."))
        return data
