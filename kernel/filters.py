"""List filters (django-filter): the API's, held to the schema they publish, and a whole-number
filter for pages that read one from the query string."""

import re

import django_filters
from django import forms
from django_filters import BooleanFilter, IsoDateTimeFilter
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

from kernel.errors import InvalidInput
from kernel.parsers import FLAGS, parse_count, query_value


class CountField(forms.IntegerField):
    """A whole number typed into a form, read by kernel.parsers.parse_count: "٣" and "1e3" are
    no number of days (Django's IntegerField took the first, the DecimalField behind
    django-filter's NumberFilter both)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_count(str(value).strip(), str(self.label or "number"))
        except InvalidInput:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class CountFilter(django_filters.NumberFilter):
    field_class = CountField


# A date and time as RFC 3339 (the schema's "date-time") writes it: with a zone, in ASCII digits.
RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})")


class FilterBackend(DjangoFilterBackend):
    """django-filter held to the schema it publishes: each filter once and not empty, yes/no
    filters true or false, date-times as RFC 3339 writes them. django-filter ignored an empty
    value or an unknown word ("expedite=null") and listed everything."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            errors = {
                name: [problem]
                for name, kind in filterset.filters.items()
                if (problem := _problem(request, name, kind))
            }
            if not filterset.is_valid():
                for name, messages in filterset.errors.items():
                    errors.setdefault(name, messages)
            if errors:
                raise ValidationError(errors)
        return filterset


def _problem(request, name, kind):
    value = query_value(request, name)
    if value is None:
        return None
    if not value.strip():  # django-filter trims it to nothing and filters nothing
        return f"Give {name} a value, or leave it out."
    if isinstance(kind, BooleanFilter) and value not in FLAGS:
        return f"Give {name} as true or false."
    if isinstance(kind, IsoDateTimeFilter) and not RFC3339.fullmatch(value):
        return f"Give {name} as a date and time with its zone, e.g. 2026-03-01T08:00:00+01:00."
    return None
