from rest_framework import serializers

from kernel.fields import (
    ChoiceField,
    MoneyField,
    StrictBooleanField,
    StrictIntegerField,
)

from .models import SKU_VALIDATOR, Product, StockMovement

MAX_UNITS = 1_000_000


class ProductSerializer(serializers.ModelSerializer):
    price = MoneyField()
    backorderable = StrictBooleanField(default=True)
    dropship = StrictBooleanField(default=False)

    class Meta:
        model = Product
        fields = ["sku", "name", "price", "backorderable", "dropship"]
        # The SKU's uniqueness is the service's to name (409), not a 400 here.
        extra_kwargs = {"sku": {"validators": [SKU_VALIDATOR]}}


class StockChangeSerializer(serializers.Serializer):
    quantity = StrictIntegerField(
        min_value=-MAX_UNITS, max_value=MAX_UNITS,
        help_text="receipt: units received (> 0); adjustment: signed change (≠ 0); count: units on the shelf (≥ 0).",
    )
    reason = ChoiceField(choices=["receipt", "adjustment", "count"])
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class StockMovementSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku")

    class Meta:
        model = StockMovement
        fields = ["id", "sku", "reason", "quantity", "on_hand_after", "note", "reference", "created_at"]
