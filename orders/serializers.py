from rest_framework import serializers

from inventory.serializers import MAX_UNITS
from kernel.fields import (
    CharField,
    ChoiceField,
    EmailField,
    MoneyField,
    RegexField,
    StrictBooleanField,
    StrictIntegerField,
)

from .models import Backorder, Customer, Order, Shipment

ORDER_NUMBER = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class CustomerSerializer(serializers.Serializer):
    email = EmailField(max_length=254)
    name = CharField(max_length=200)
    language = ChoiceField(choices=Customer.Language.choices, default=Customer.Language.DE)


class LineInSerializer(serializers.Serializer):
    sku = CharField(max_length=64)
    quantity = StrictIntegerField(min_value=1, max_value=MAX_UNITS)
    unit_price = MoneyField(required=False, help_text="Defaults to the product's price.")


class OrderInSerializer(serializers.Serializer):
    number = RegexField(ORDER_NUMBER, max_length=64, help_text="The shop's order number (unique).")
    customer = CustomerSerializer()
    fulfilment_policy = ChoiceField(choices=Order.Policy.choices)
    expedite = StrictBooleanField(default=False)
    lines = LineInSerializer(many=True, allow_empty=False, min_length=1, max_length=500)


class LineOutSerializer(serializers.Serializer):
    sku = serializers.CharField(source="product.sku")
    name = serializers.CharField(source="product.name")
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    allocated = serializers.IntegerField()
    backordered = serializers.IntegerField()
    shipped = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    eta = serializers.DateField(
        allow_null=True, help_text="When the last waiting unit is expected; null when none waits."
    )
    promised_date = serializers.DateField(allow_null=True, help_text="The first date the customer was given.")


class PaymentSerializer(serializers.Serializer):
    authorised = serializers.DecimalField(max_digits=14, decimal_places=2, source="amount_authorised")
    captured = serializers.DecimalField(max_digits=14, decimal_places=2, source="amount_captured")
    voided = serializers.DecimalField(max_digits=14, decimal_places=2, source="amount_voided")


class CustomerOutSerializer(serializers.Serializer):
    email = serializers.EmailField()
    name = serializers.CharField()
    language = serializers.CharField()


class OrderOutSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=Order.Status.choices)
    fulfilment_policy = serializers.ChoiceField(choices=Order.Policy.choices)
    expedite = serializers.BooleanField()
    customer = CustomerOutSerializer()
    placed_at = serializers.DateTimeField()
    lines = LineOutSerializer(many=True)
    payment = PaymentSerializer(source="*")
    currency = serializers.CharField()
    shop = serializers.CharField(help_text="The connected shop it came from; empty for orders placed here.")
    shop_order_id = serializers.CharField()
    customer_number = serializers.CharField(help_text="The number the customer knows (the shop's, e.g. #1001).")
    shipping_address = serializers.DictField(child=serializers.CharField())


class ShipSerializer(serializers.Serializer):
    tracking_number = CharField(max_length=64, required=False, default="", allow_blank=True)


class ShipmentLineSerializer(serializers.Serializer):
    sku = serializers.CharField(source="line.product.sku")
    quantity = serializers.IntegerField()


class ShipmentSerializer(serializers.ModelSerializer):
    order = serializers.CharField(source="order.number")
    lines = ShipmentLineSerializer(many=True)

    class Meta:
        model = Shipment
        fields = ["id", "order", "shipped_at", "amount_captured", "tracking_number", "lines"]


class CancelLineSerializer(serializers.Serializer):
    sku = CharField(max_length=64)
    quantity = StrictIntegerField(min_value=1, max_value=MAX_UNITS)


class CancelSerializer(serializers.Serializer):
    lines = CancelLineSerializer(many=True, allow_empty=False, min_length=1, max_length=500)


class BackorderSerializer(serializers.ModelSerializer):
    order = serializers.CharField(source="order.number")
    customer = serializers.EmailField(source="order.customer.email")
    sku = serializers.CharField(source="product.sku")
    waiting = serializers.IntegerField()

    class Meta:
        model = Backorder
        fields = [
            "id",
            "order",
            "customer",
            "sku",
            "quantity",
            "waiting",
            "filled",
            "cancelled",
            "status",
            "created_at",
            "eta",
            "promised_date",
        ]
