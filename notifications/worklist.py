"""Customer service's worklist: orders at risk of an unhappy customer, filtered with
django-filter, exportable as CSV.

Rules: an order is at risk while anything of it waits, or while its customer is to be
called. The figures come from a summary (WorklistEntry) that refresh_worklist rebuilds in
one transaction from set-based SQL: by the beat job every SUMMARY_REFRESH_MINUTES, and when
the page finds it older than that; the page says "as of". The order's status and customer
are read live."""

import csv
import datetime

import django_filters
from django import forms
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from kernel import clock
from kernel.errors import InvalidInput
from kernel.filters import CountFilter
from kernel.locks import advisory_lock
from kernel.parsers import parse_count
from orders.models import Order
from orders.selectors import matching_customers, numbered_order_ids

from .models import CustomerMessage, WorklistEntry, WorklistRefresh
from .rendering import UPDATE_TEMPLATES
from .updates import ready_text_unfit, unfit_message

# Set-based, portable (SQLite and PostgreSQL): one row per order with anything waiting, then
# the orders of customers to call that wait for nothing.
REFRESH = """
INSERT INTO notifications_worklistentry (order_id, customer_id, waiting_units, next_eta, latest_eta, promised, waiting_since,
                                         eta_slipped, po_late, message_count, last_message_at)
SELECT w.order_id, w.customer_id, w.units, w.next_eta, w.latest_eta, w.promised, w.since, w.slipped = 1, w.late = 1,
       COALESCE(m.n, 0), m.last_at
FROM (
    SELECT b.order_id, o.customer_id, SUM(b.quantity - b.filled - b.cancelled) AS units, MIN(b.eta) AS next_eta, MAX(b.eta) AS latest_eta,
           MIN(b.promised_date) AS promised, MIN(b.created_at) AS since,
           MAX(CASE WHEN b.eta > b.promised_date THEN 1 ELSE 0 END) AS slipped,
           MAX(CASE WHEN l.late THEN 1 ELSE 0 END) AS late
    FROM orders_backorder b JOIN orders_order o ON o.id = b.order_id
    LEFT JOIN purchasing_purchaseorderline l ON l.id = b.po_line_id
    WHERE b.status IN ('open', 'on_order')
    GROUP BY b.order_id, o.customer_id
    UNION ALL
    SELECT o.id, o.customer_id, 0, NULL, NULL, NULL, NULL, 0, 0
    FROM orders_order o JOIN orders_customer c ON c.id = o.customer_id
    WHERE c.call_reason <> '' AND NOT EXISTS (
        SELECT 1 FROM orders_backorder b WHERE b.order_id = o.id AND b.status IN ('open', 'on_order'))
) w
LEFT JOIN (
    SELECT order_id, COUNT(*) AS n, MAX(created_at) AS last_at FROM notifications_customermessage GROUP BY order_id
) m ON m.order_id = w.order_id
"""


def refresh_worklist():
    """Rebuild the summary in one transaction (readers see the old one until it commits);
    two refreshes at once take turns. Returns the number of orders at risk."""
    with transaction.atomic():
        advisory_lock("refresh-worklist")
        WorklistEntry.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(REFRESH)
        count = WorklistEntry.objects.count()
        WorklistRefresh.objects.update_or_create(pk=1, defaults={"refreshed_at": clock.now(), "orders": count})
    return count


def worklist_as_of():
    """When the summary was refreshed; refreshed now if it is older than SUMMARY_REFRESH_MINUTES."""
    last = WorklistRefresh.objects.filter(pk=1).first()
    if clock.stale(last and last.refreshed_at, settings.SUMMARY_REFRESH_MINUTES):
        refresh_worklist()
        last = WorklistRefresh.objects.get(pk=1)
    return last.refreshed_at


def at_risk_orders():
    """The summary's orders, most at risk first: the soonest date a waiting unit is due (a
    passed one first), then the oldest promise; the customers to call who wait for nothing last."""
    return WorklistEntry.objects.select_related("order__customer").order_by(
        F("next_eta").asc(nulls_last=True), F("promised").asc(nulls_last=True), "waiting_since", "order_id"
    )


def _yes_no(**kwargs):
    """A yes/no filter that says "any" when it is not used (not django-filter's "Unknown")."""
    choices = [("", _("any")), ("true", _("yes")), ("false", _("no"))]
    return django_filters.BooleanFilter(widget=forms.Select(choices=choices), **kwargs)


class WorklistFilter(django_filters.FilterSet):
    eta_slipped = _yes_no(method="filter_eta_slipped", label=_("ETA later than promised"))
    past_promised = _yes_no(method="filter_past_promised", label=_("past the promised date"))
    due_within = CountFilter(
        method="filter_due_within", label=_("ETA passed or due within (days)"), min_value=0, max_value=365,
    )
    po_late = _yes_no(field_name="po_late", label=_("purchase order late"))
    waiting_days = CountFilter(
        method="filter_waiting_days", label=_("waiting longer than (days)"), min_value=0, max_value=3650,
    )
    bounced = _yes_no(method="filter_bounced", label=_("email bounced or customer to call"))
    min_messages = CountFilter(
        field_name="message_count", lookup_expr="gte", label=_("at least this many messages"), min_value=0, max_value=10000,
    )
    q = django_filters.CharFilter(
        method="filter_q", label=_("order number, email (exact) or part of a name"), max_length=200,
    )

    class Meta:
        model = WorklistEntry
        fields = []

    def _flag(self, queryset, value, condition):
        if value is None:
            return queryset
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_eta_slipped(self, queryset, name, value):
        return self._flag(queryset, value, Q(eta_slipped=True))

    def filter_due_within(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(next_eta__lte=clock.today() + datetime.timedelta(days=value))

    def filter_past_promised(self, queryset, name, value):
        return self._flag(queryset, value, Q(promised__lt=clock.today()))

    def filter_waiting_days(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(waiting_since__lt=clock.now() - datetime.timedelta(days=value))

    def filter_bounced(self, queryset, name, value):
        bounced = CustomerMessage.objects.filter(
            order=OuterRef("order_id"), status__in=[CustomerMessage.Status.BOUNCED, CustomerMessage.Status.COMPLAINED]
        )
        return self._flag(queryset, value, Exists(bounced) | ~Q(order__customer__call_reason=""))

    def filter_q(self, queryset, name, value):
        if not value.strip():
            return queryset
        return queryset.filter(Q(order_id__in=numbered_order_ids(value)) | Q(customer__in=matching_customers(value)))


COLUMNS = [
    ("number", _("order")), ("customer", _("customer")), ("email", _("email")), ("status", _("status")),
    ("waiting_units", _("units waiting")), ("latest_eta", _("ETA")), ("promised", _("promised date")),
    ("waiting_since", _("waiting since")), ("po_late", _("purchase order late")),
    ("message_count", _("messages")), ("last_message_at", _("last message")), ("call_reason", _("call the customer")),
]


def row(entry):
    order = entry.order
    return {
        "number": order.number, "customer": order.customer.name, "email": order.customer.email,
        "status": order.get_status_display(), "waiting_units": entry.waiting_units,
        "latest_eta": entry.latest_eta, "promised": entry.promised, "waiting_since": entry.waiting_since,
        "po_late": entry.po_late, "message_count": entry.message_count, "last_message_at": entry.last_message_at,
        "call_reason": order.customer.call_reason,
    }


def csv_response(entries):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="worklist-{clock.today().isoformat()}.csv"'
    writer = csv.writer(response)
    writer.writerow([str(label) for _, label in COLUMNS])
    for entry in entries.iterator(chunk_size=2000):
        values = row(entry)
        writer.writerow(["" if values[key] is None else values[key] for key, _ in COLUMNS])
    return response


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
    title = forms.CharField(label=_("subject"), required=False, max_length=200,
                            help_text=_("Empty: “About your order …” in the customer's language."))
    text = forms.CharField(label=_("your text"), required=False, widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
                           help_text=_("Free text, sent as written; leave empty to use the ready text in each customer's language."))

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
