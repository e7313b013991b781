from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator


class StrictIntegerField(serializers.IntegerField):
    """A JSON number without a fraction: "5", 5.5 and true are refused, not coerced."""

    default_error_messages = {"invalid": "A whole number is required."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        if isinstance(data, float):
            if not data.is_integer():
                self.fail("invalid")
            data = int(data)
        return super().to_internal_value(data)


class NaturalKeyField(serializers.SlugRelatedField):
    """An object by its code or SKU. The value is checked like any text field before it
    reaches the database, which refuses NUL bytes and lone surrogates with an error.
    `ignore_case`: the key matches in any case (SKUs)."""

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
        try:
            return self.get_queryset().get(**{f"{self.slug_field}__iexact": data})
        except self.get_queryset().model.DoesNotExist:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false: 0, "yes" and "on" are refused, not guessed at."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


MONEY_PATTERN = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"


@extend_schema_field({"type": "string", "format": "decimal", "pattern": MONEY_PATTERN, "example": "12.50"})
class MoneyField(serializers.DecimalField):
    """An amount of at least 0 with at most two decimals, sent as a string ("12.50"): a JSON
    number is refused, because a client's float may not be the amount it meant."""

    default_error_messages = {"invalid": 'Send the amount as a string with at most two decimals, e.g. "12.50".'}

    def __init__(self, **kwargs):
        super().__init__(max_digits=12, decimal_places=2, min_value=0, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
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
