from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inventory.models import Product
from inventory.serializers import MAX_UNITS
from kernel.fields import (
    CharField,
    ChoiceField,
    ModelSerializer,
    MoneyField,
    NaturalKeyField,
    StrictBooleanField,
    StrictIntegerField,
)

from .models import PurchaseOrder, Supplier, SupplierItem
from .supplier_links import link_url


class SupplierSerializer(ModelSerializer):
    serializer_choice_field = ChoiceField

    min_order_value = MoneyField(default="0")
    auto_send = StrictBooleanField(default=False)
    lead_time_days = serializers.IntegerField(min_value=0, max_value=3650, default=7)
    max_wait_hours = serializers.IntegerField(min_value=0, max_value=24 * 365, default=72)

    class Meta:
        model = Supplier
        fields = [
            "code",
            "name",
            "email",
            "language",
            "lead_time_days",
            "min_order_value",
            "max_wait_hours",
            "auto_send",
        ]
        # The code's uniqueness is the service's to name (409), not a 400 here.
        extra_kwargs = {"code": {"validators": []}}


class SupplierItemSerializer(ModelSerializer):
    supplier = NaturalKeyField(slug_field="code", queryset=Supplier.objects.all())
    sku = NaturalKeyField(source="product", slug_field="sku", queryset=Product.objects.all(), ignore_case=True)
    unit_cost = MoneyField()
    preferred = StrictBooleanField(default=False)
    min_order_quantity = serializers.IntegerField(min_value=1, max_value=MAX_UNITS, default=1)
    pack_size = serializers.IntegerField(min_value=1, max_value=MAX_UNITS, default=1)
    lead_time_days = serializers.IntegerField(min_value=0, max_value=3650, required=False, allow_null=True)

    class Meta:
        model = SupplierItem
        fields = [
            "supplier",
            "sku",
            "supplier_sku",
            "unit_cost",
            "min_order_quantity",
            "pack_size",
            "lead_time_days",
            "preferred",
        ]
        validators = []  # the pair and the one preferred supplier: purchasing.catalog names them


class PeggedBackorderSerializer(serializers.Serializer):
    order = serializers.CharField(source="order.number")
    quantity = serializers.IntegerField(source="waiting")


class PurchaseOrderLineSerializer(serializers.Serializer):
    sku = serializers.CharField(source="product.sku")
    supplier_sku = serializers.CharField()
    quantity = serializers.IntegerField()
    received = serializers.IntegerField()
    unit_cost = serializers.DecimalField(max_digits=12, decimal_places=2)
    expected_date = serializers.DateField()
    late = serializers.BooleanField()
    backorders = PeggedBackorderSerializer(many=True, source="waiting_backorders")


class PurchaseOrderSerializer(serializers.ModelSerializer):
    supplier = serializers.CharField(source="supplier.code")
    dropship = serializers.BooleanField()
    lines = PurchaseOrderLineSerializer(many=True)
    supplier_link = serializers.SerializerMethodField(
        help_text="The supplier's personal link to answer this order (absolute URL); only for roles that may send "
        "purchase orders, and only while the order waits for goods and the link is not revoked."
    )

    class Meta:
        model = PurchaseOrder
        fields = [
            "number",
            "supplier",
            "status",
            "dropship",
            "created_at",
            "sent_at",
            "confirmed_at",
            "lines",
            "supplier_link",
        ]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_supplier_link(self, po):
        request = self.context.get("request")
        if request is None or not request.user.has_perm("purchasing.change_purchaseorder"):
            return None
        if po.status not in PurchaseOrder.RECEIVABLE:
            return None
        links = getattr(po, "active_links", None)
        if links is None:
            links = list(po.supplier_links.filter(revoked_at__isnull=True))
        return link_url(links[0]) if links else None


class ConfirmLineSerializer(serializers.Serializer):
    sku = CharField(max_length=64)
    expected_date = serializers.DateField()


class ConfirmSerializer(serializers.Serializer):
    lines = ConfirmLineSerializer(many=True, allow_empty=False, min_length=1, max_length=1000)


class ReceiveLineSerializer(serializers.Serializer):
    sku = CharField(max_length=64)
    quantity = StrictIntegerField(min_value=1, max_value=MAX_UNITS)


class ReceiveSerializer(serializers.Serializer):
    lines = ReceiveLineSerializer(many=True, allow_empty=False, min_length=1, max_length=1000)
