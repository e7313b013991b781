import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.models import SKU_PATTERN
from kernel.errors import InvalidInput, NotFound, Problem
from kernel.fields import QueryBooleanField, SlugField
from kernel.parsers import query_dict, repeated

from .batching import batch_backorders
from .catalog import create_supplier, create_supplier_item
from .lifecycle import (
    cancel_purchase_order,
    confirm_purchase_order,
    get_purchase_order,
    send_purchase_order,
)
from .models import PurchaseOrder, PurchaseOrderLine, Supplier, SupplierItem, SupplierLink
from .pegging import pegged_to
from .receiving import receive_purchase_order
from .reorder import review
from .serializers import (
    ConfirmSerializer,
    PurchaseOrderSerializer,
    ReceiveSerializer,
    SupplierItemSerializer,
    SupplierSerializer,
)


class SupplierViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = Supplier.objects.order_by("code")
    serializer_class = SupplierSerializer
    lookup_field = "code"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"  # a slug: anything else (a NUL, say) is a 404 before the database
    required_perms = {
        "list": ["purchasing.view_supplier"],
        "retrieve": ["purchasing.view_supplier"],
        "create": ["purchasing.add_supplier"],
    }

    def perform_create(self, serializer):
        serializer.instance = create_supplier(**serializer.validated_data)


class SupplierItemViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet):
    queryset = SupplierItem.objects.select_related("supplier", "product")
    serializer_class = SupplierItemSerializer
    required_perms = {"create": ["purchasing.add_supplieritem"]}

    def perform_create(self, serializer):
        serializer.instance = create_supplier_item(**serializer.validated_data)


class PurchaseOrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PurchaseOrder.Status.choices)
    supplier = django_filters.CharFilter(field_name="supplier__code")

    class Meta:
        model = PurchaseOrder
        fields = ["status", "supplier"]


class PurchaseOrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = PurchaseOrderSerializer
    lookup_field = "number"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    filterset_class = PurchaseOrderFilter
    required_perms = {
        "list": ["purchasing.view_purchaseorder"],
        "retrieve": ["purchasing.view_purchaseorder"],
        "send": ["purchasing.change_purchaseorder"],
        "confirm": ["purchasing.change_purchaseorder"],
        "receive": ["purchasing.receive_purchaseorder"],
        "cancel": ["purchasing.change_purchaseorder"],
    }

    def get_queryset(self):
        waiting = pegged_to().select_related("order").order_by("created_at", "id")
        lines = (
            PurchaseOrderLine.objects.select_related("product")
            .order_by("product__sku")
            .prefetch_related(Prefetch("backorders", queryset=waiting, to_attr="waiting_backorders"))
        )
        return (
            PurchaseOrder.objects.select_related("supplier")
            .prefetch_related(
                Prefetch("lines", queryset=lines),
                Prefetch(
                    "supplier_links",
                    queryset=SupplierLink.objects.filter(revoked_at__isnull=True),
                    to_attr="active_links",
                ),
            )
            .order_by("-created_at", "-id")
        )

    def _respond(self, number):
        # One query when it exists; the service names the missing order otherwise.
        po = self.get_queryset().filter(number=number).first() or get_purchase_order(number)
        return Response(PurchaseOrderSerializer(po, context={"request": self.request}).data)

    def retrieve(self, request, number=None):
        return self._respond(number)

    @extend_schema(request=None, responses=PurchaseOrderSerializer)
    @action(detail=True, methods=["post"])
    def send(self, request, number=None):
        """Email the purchase order to the supplier (draft → sent)."""
        send_purchase_order(number)
        return self._respond(number)

    @extend_schema(request=None, responses=PurchaseOrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, number=None):
        """Cancel an order nothing was received on; its waiting customers go back to the batch job."""
        cancel_purchase_order(number)
        return self._respond(number)

    def _per_sku(self, number, serializer_class, value):
        """Read {lines: [{sku, …}]} into {sku: value(line)}, 404 first for an unknown order."""
        get_purchase_order(number)
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        lines = data.validated_data["lines"]
        skus = [line["sku"] for line in lines]
        duplicates = [
            Problem(
                f"Line {index + 1}: SKU {skus[index]} appears more than once.",
                field="sku",
                line=index,
                sku=skus[index],
                code="duplicate",
            )
            for index in repeated(skus)  # SKUs match in any case
        ]
        if duplicates:
            raise InvalidInput(duplicates)
        return {line["sku"]: value(line) for line in lines}

    @extend_schema(request=ConfirmSerializer, responses=PurchaseOrderSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, number=None):
        """Record the supplier's expected date per line; pegged customers' ETAs follow."""
        dates = self._per_sku(number, ConfirmSerializer, lambda line: line["expected_date"])
        confirm_purchase_order(number, dates)
        return self._respond(number)

    @extend_schema(request=ReceiveSerializer, responses=PurchaseOrderSerializer)
    @action(detail=True, methods=["post"])
    def receive(self, request, number=None):
        """Goods in: fills the pegged backorders first. More than ordered is refused."""
        quantities = self._per_sku(number, ReceiveSerializer, lambda line: line["quantity"])
        receive_purchase_order(number, quantities, user=request.user)
        return self._respond(number)


class BatchResultSerializer(serializers.Serializer):
    created = serializers.ListField(child=serializers.CharField())
    topped_up = serializers.ListField(child=serializers.CharField())
    units_pegged = serializers.IntegerField()
    waiting_for_quota = serializers.ListField(child=serializers.DictField())
    without_supplier = serializers.IntegerField()
    without_supplier_skus = serializers.ListField(child=serializers.CharField())


class BatchBackordersView(APIView):
    required_perms = {"POST": ["purchasing.add_purchaseorder"]}

    @extend_schema(request=None, responses=BatchResultSerializer)
    def post(self, request):
        """Run the batch job now and return what it did."""
        return Response(batch_backorders(trigger=f"api:{request.user.username}"))


class ReorderSerializer(serializers.Serializer):
    sku = serializers.CharField()
    daily_demand = serializers.FloatField(help_text="Forecast units per day over the lead time and review period.")
    demand_std = serializers.FloatField(help_text="Standard deviation of daily demand around the forecast.")
    lead_time_days = serializers.IntegerField()
    lead_time_source = serializers.ChoiceField(choices=["observed", "nominal"])
    service_level = serializers.FloatField()
    safety_stock = serializers.IntegerField()
    reorder_point = serializers.IntegerField()
    order_up_to = serializers.IntegerField()
    projected_available = serializers.IntegerField(help_text="On hand − allocated + incoming − waiting.")
    suggested_quantity = serializers.IntegerField(
        help_text="Rounded to the supplier's minimum and packs; 0 above the reorder point."
    )
    days_of_cover = serializers.FloatField(allow_null=True)
    backorder_rate_90d = serializers.FloatField(allow_null=True)


class ReorderFilterSerializer(serializers.Serializer):
    below_reorder_point = QueryBooleanField(required=False, default=False)
    supplier = SlugField(required=False)


class ProductReorderView(APIView):
    required_perms = {"GET": ["purchasing.view_reorderpolicy"]}

    @extend_schema(responses=ReorderSerializer, operation_id="products_reorder_retrieve")
    def get(self, request, sku):
        """One product's reorder figures (purchasing.reorder)."""
        figures = (
            review(skus=[sku]) if SKU_PATTERN.fullmatch(sku) else []
        )  # no such SKU can exist (nor a NUL reach PostgreSQL)
        if not figures:
            raise NotFound.one(
                f"No product with SKU {sku} and a preferred supplier (dropship products are not stocked).",
                field="sku",
                code="not_found",
            )
        return Response(ReorderSerializer(figures[0]).data)


class ReorderListView(APIView):
    required_perms = {"GET": ["purchasing.view_reorderpolicy"]}

    @extend_schema(parameters=[ReorderFilterSerializer], responses=ReorderSerializer(many=True))
    def get(self, request):
        """Every stocked product's reorder figures, below the reorder point first, by days of cover."""
        query = ReorderFilterSerializer(data=query_dict(request))
        query.is_valid(raise_exception=True)
        figures = review(supplier=query.validated_data.get("supplier") or None)
        if query.validated_data["below_reorder_point"]:
            figures = [f for f in figures if f.below_reorder_point]
        return Response(ReorderSerializer(figures, many=True).data)
