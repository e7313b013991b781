from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from kernel.fields import (
    CharField,
    ChoiceField,
    ModelSerializer,
    MoneyField,
    RegexField,
    StrictBooleanField,
    StrictIntegerField,
)

from .models import SKU_PATTERN, SKU_VALIDATOR, Product, StockMovement

MAX_UNITS = 1_000_000


class ProductSerializer(ModelSerializer):
    # The SKU's uniqueness is the service's to name (409), not a 400 here.
    sku = RegexField(rf"^{SKU_PATTERN.pattern}$", max_length=64, error_messages={"invalid": SKU_VALIDATOR.message})
    price = MoneyField()
    backorderable = StrictBooleanField(default=True)
    dropship = StrictBooleanField(default=False)

    class Meta:
        model = Product
        fields = ["sku", "name", "price", "backorderable", "dropship"]


class StockChangeSerializer(serializers.Serializer):
    """A stock change of any reason; each reason's own serializer below holds its quantity to
    what that reason allows, and the schema publishes the three."""

    quantity = StrictIntegerField(min_value=-MAX_UNITS, max_value=MAX_UNITS)
    reason = ChoiceField(choices=["receipt", "adjustment", "count"])
    note = CharField(max_length=255, required=False, allow_blank=True, default="")


class ReceiptSerializer(StockChangeSerializer):
    quantity = StrictIntegerField(min_value=1, max_value=MAX_UNITS, help_text="Units received.")
    reason = ChoiceField(choices=["receipt"])


@extend_schema_field({"type": "integer", "minimum": -MAX_UNITS, "maximum": MAX_UNITS, "not": {"enum": [0]}})
class ChangeField(StrictIntegerField):
    """A signed change of stock: 0 changes nothing and is refused."""

    default_error_messages = {"zero": "An adjustment changes stock: give a quantity other than 0."}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value == 0:
            self.fail("zero")
        return value


class AdjustmentSerializer(StockChangeSerializer):
    quantity = ChangeField(min_value=-MAX_UNITS, max_value=MAX_UNITS, help_text="Signed change of units on hand.")
    reason = ChoiceField(choices=["adjustment"])


class CountSerializer(StockChangeSerializer):
    quantity = StrictIntegerField(min_value=0, max_value=MAX_UNITS, help_text="Units counted on the shelf.")
    reason = ChoiceField(choices=["count"])


STOCK_CHANGES = {"receipt": ReceiptSerializer, "adjustment": AdjustmentSerializer, "count": CountSerializer}
STOCK_CHANGE_SCHEMA = PolymorphicProxySerializer(
    component_name="StockChange",
    serializers=STOCK_CHANGES,
    resource_type_field_name="reason",
)


def stock_change(data):
    """The serializer that reads `data` by its reason (any reason: StockChangeSerializer names what is wrong)."""
    reason = data.get("reason") if isinstance(data, dict) else None
    return STOCK_CHANGES.get(reason if isinstance(reason, str) else None, StockChangeSerializer)(data=data)


class StockMovementSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku")

    class Meta:
        model = StockMovement
        fields = ["id", "sku", "reason", "quantity", "on_hand_after", "note", "reference", "created_at"]
