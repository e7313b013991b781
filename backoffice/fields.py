from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
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
    reaches the database, which refuses NUL bytes and lone surrogates with an error."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        for validator in (ProhibitNullCharactersValidator(), ProhibitSurrogateCharactersValidator()):
            try:
                validator(data)
            except DjangoValidationError as error:
                raise serializers.ValidationError(error.messages) from None
        return super().to_internal_value(data)
