from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kernel.errors import NotFound

from . import stock
from .models import SKU_PATTERN, Product
from .serializers import (
    STOCK_CHANGE_SCHEMA,
    ProductSerializer,
    StockMovementSerializer,
    stock_change,
)


class ProductViewSet(
    mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    queryset = Product.objects.order_by("sku")
    serializer_class = ProductSerializer
    lookup_field = "sku"
    lookup_value_regex = SKU_PATTERN.pattern
    filterset_fields = ["backorderable", "dropship"]
    required_perms = {
        "list": ["inventory.view_product"],
        "retrieve": ["inventory.view_product"],
        "create": ["inventory.add_product"],
        "stock": ["inventory.add_stockmovement"],
    }

    def get_object(self):
        """The product as products_by_sku finds it: its SKU in any case."""
        sku = self.kwargs["sku"]
        product = stock.products_by_sku([sku]).get(sku)
        if product is None:
            raise NotFound.one(f"Unknown SKU {sku}.", field="sku", sku=sku, code="unknown_sku")
        self.check_object_permissions(self.request, product)
        return product

    def perform_create(self, serializer):
        serializer.instance = stock.create_product(**serializer.validated_data)

    @extend_schema(request=STOCK_CHANGE_SCHEMA, responses={201: StockMovementSerializer})
    @action(detail=True, methods=["post"])
    def stock(self, request, sku=None):
        """Record a receipt (units received, at least 1), an adjustment (a signed change, not 0)
        or a count (units on the shelf). Arriving units go straight to waiting orders."""
        stock.stock_level(sku)  # 404 for an unknown SKU before reading the body
        serializer = stock_change(request.data)
        serializer.is_valid(raise_exception=True)
        change = stock.StockChange(sku=sku, **serializer.validated_data)
        [movement] = stock.change_stock([change], user=request.user)
        return Response(StockMovementSerializer(movement).data, status=status.HTTP_201_CREATED)
