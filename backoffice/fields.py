from rest_framework import serializers


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
