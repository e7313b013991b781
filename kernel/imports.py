"""Shared parts of the catalogue import (django-import-export): errors that name the
column and the value at fault."""

from decimal import InvalidOperation

from django.db.models.functions import Upper
from import_export import resources, widgets

from kernel.parsers import case_key


class MissingReference(ValueError):
    def __init__(self, message, column):
        super().__init__(message)
        self.column = column


class LookupWidget(widgets.ForeignKeyWidget):
    """A foreign key by its natural key, with an error that names the column and value.
    `ignore_case`: the key matches in any case under kernel.parsers.case_key (SKUs)."""

    def __init__(self, model, field, column, ignore_case=False):
        super().__init__(model, field)
        self.column = column
        self.ignore_case = ignore_case

    def get_queryset(self, value, row, *args, **kwargs):
        if not self.ignore_case:
            return super().get_queryset(value, row, *args, **kwargs)
        return self.model.objects.annotate(natural_key=Upper(self.field))

    def get_lookup_kwargs(self, value, row=None, **kwargs):
        return {"natural_key": case_key(str(value))} if self.ignore_case else {self.field: value}

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist:
            raise MissingReference(
                f"no {self.model._meta.verbose_name} with {self.field} {value!r}", self.column
            ) from None


class MoneyWidget(widgets.DecimalWidget):
    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except InvalidOperation:
            raise ValueError(f"{value!r} is not an amount") from None


class CatalogResource(resources.ModelResource):
    @classmethod
    def widget_from_django_field(cls, f, default=widgets.Widget):
        if f.get_internal_type() == "DecimalField":
            return MoneyWidget
        return super().widget_from_django_field(f, default)

    def column_of(self, attribute):
        if attribute == "__all__":
            return "-"
        for field in self.get_import_fields():
            if field.attribute == attribute:
                return field.column_name
        return attribute
