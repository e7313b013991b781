"""The worklist's filters (django-filter), on the summary worklist.py keeps."""

import datetime

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from kernel import clock
from kernel.filters import CountFilter
from orders.selectors import matching_customers, numbered_order_ids

from .models import CustomerMessage, WorklistEntry


def _yes_no(**kwargs):
    """A yes/no filter that says "any" when it is not used (not django-filter's "Unknown")."""
    choices = [("", _("any")), ("true", _("yes")), ("false", _("no"))]
    return django_filters.BooleanFilter(widget=forms.Select(choices=choices), **kwargs)


class WorklistFilter(django_filters.FilterSet):
    eta_slipped = _yes_no(method="filter_eta_slipped", label=_("ETA later than promised"))
    past_promised = _yes_no(method="filter_past_promised", label=_("past the promised date"))
    due_within = CountFilter(
        method="filter_due_within",
        label=_("ETA passed or due within (days)"),
        min_value=0,
        max_value=365,
    )
    po_late = _yes_no(field_name="po_late", label=_("purchase order late"))
    needs_personal_word = _yes_no(field_name="needs_personal_word", label=_("needs a personal word"))
    waiting_days = CountFilter(
        method="filter_waiting_days",
        label=_("waiting longer than (days)"),
        min_value=0,
        max_value=3650,
    )
    bounced = _yes_no(method="filter_bounced", label=_("email bounced or customer to call"))
    min_messages = CountFilter(
        field_name="message_count",
        lookup_expr="gte",
        label=_("at least this many messages"),
        min_value=0,
        max_value=10000,
    )
    q = django_filters.CharFilter(
        method="filter_q",
        label=_("order number, email (exact) or part of a name"),
        max_length=200,
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
