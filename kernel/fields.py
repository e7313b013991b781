import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import models
from django.db.models.functions import Upper
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from kernel.parsers import FLAGS, MONEY_PATTERN, case_key, is_amount


class StrictIntegerField(serializers.IntegerField):
    """A JSON number without a fraction: "5", 5.5 and true are refused, not coerced."""

    default_error_messages = {"invalid": "Give a whole number, e.g. 3."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        if isinstance(data, float):
            if not data.is_integer():
                self.fail("invalid")
            data = int(data)
        return super().to_internal_value(data)


class TextMixin:
    """Text as JSON sends it: a string (a number is refused, not turned into "0"), no longer than
    max_length as sent (DRF measured it after trimming the spaces around it, so the schema's
    maxLength and the server disagreed)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class CharField(TextMixin, serializers.CharField):
    pass


class EmailField(TextMixin, serializers.EmailField):
    """An address exactly as sent: one with spaces around it is no address (the schema's
    format says so), not trimmed into one."""

    default_error_messages = {"invalid": "Give an email address, e.g. name@example.org."}

    def __init__(self, **kwargs):
        super().__init__(trim_whitespace=False, **kwargs)


class RegexField(TextMixin, serializers.RegexField):
    """Text matching a pattern ("^…$", as the schema publishes it) exactly as sent: the pattern
    says whether spaces belong, and its end is the end of the text (Python's "$" also matches
    before a final newline, so "A-1\n" passed)."""

    def __init__(self, regex, **kwargs):
        super().__init__(re.sub(r"\$$", r"\\Z", regex), trim_whitespace=False, **kwargs)


class SlugField(RegexField):
    def __init__(self, **kwargs):
        kwargs.pop("allow_unicode", None)
        super().__init__(r"^[-a-zA-Z0-9_]+$", **kwargs)


class ModelSerializer(serializers.ModelSerializer):
    """A model's input with the strict text fields above."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: CharField,
        models.TextField: CharField,
        models.EmailField: EmailField,
        models.SlugField: SlugField,
    }


class NaturalKeyField(serializers.SlugRelatedField):
    """An object by its code or SKU. The value is checked like any text field before it
    reaches the database, which refuses NUL bytes and lone surrogates with an error.
    `ignore_case`: the key matches in any case under kernel.parsers.case_key (SKUs)."""

    def __init__(self, *, ignore_case=False, **kwargs):
        self.ignore_case = ignore_case
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        for validator in (ProhibitNullCharactersValidator(), ProhibitSurrogateCharactersValidator()):
            try:
                validator(data)
            except DjangoValidationError as error:
                raise serializers.ValidationError(error.messages) from None
        if not self.ignore_case:
            return super().to_internal_value(data)
        key = case_key(data)
        found = key and self.get_queryset().annotate(natural_key=Upper(self.slug_field)).filter(natural_key=key).first()
        if not found:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return found


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false: 0, "yes" and "on" are refused, not guessed at."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class QueryBooleanField(serializers.BooleanField):
    """A yes/no in a query string: true or false (DRF also took "1", "yes", "on" and more)."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if data not in FLAGS:
            self.fail("invalid")
        return FLAGS[data]


@extend_schema_field({"type": "string", "format": "decimal", "pattern": MONEY_PATTERN, "example": "12.50"})
class MoneyField(serializers.DecimalField):
    """An amount of at least 0 with at most two decimals, sent as a string ("12.50"): a JSON
    number is refused, because a client's float may not be the amount it meant."""

    default_error_messages = {"invalid": 'Send the amount as a string with at most two decimals, e.g. "12.50".'}

    def __init__(self, **kwargs):
        super().__init__(max_digits=12, decimal_places=2, min_value=0, **kwargs)

    def to_internal_value(self, data):
        if not is_amount(data):  # "1e3" is a Decimal, not an amount
            self.fail("invalid")
        return super().to_internal_value(data)


class ChoiceField(serializers.ChoiceField):
    """A choice whose error names the valid ones ("asap" is not one of ship_partial, ship_complete)."""

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError:
            valid = ", ".join(self.choice_strings_to_values)
            raise serializers.ValidationError(
                f"{str(data)[:64]!r} is not one of the valid choices: {valid}.", code="invalid_choice"
            ) from None
