from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import stock
from .models import SKU_PATTERN, Product
from .serializers import (
    ProductSerializer,
    StockChangeSerializer,
    StockMovementSerializer,
)


class ProductViewSet(mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = Product.objects.order_by("sku")
    serializer_class = ProductSerializer
    lookup_field = "sku__iexact"  # SKUs match in any case
    lookup_url_kwarg = "sku"
    lookup_value_regex = SKU_PATTERN.pattern
    filterset_fields = ["backorderable", "dropship"]
    required_perms = {
        "list": ["inventory.view_product"],
        "retrieve": ["inventory.view_product"],
        "create": ["inventory.add_product"],
        "stock": ["inventory.add_stockmovement"],
    }

    def perform_create(self, serializer):
        serializer.instance = stock.create_product(**serializer.validated_data)

    @extend_schema(request=StockChangeSerializer, responses={201: StockMovementSerializer})
    @action(detail=True, methods=["post"])
    def stock(self, request, sku=None):
        """Record a receipt, adjustment or count. Arriving units go straight to waiting orders."""
        stock.stock_level(sku)  # 404 for an unknown SKU before reading the body
        serializer = StockChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change = stock.StockChange(sku=sku, **serializer.validated_data)
        [movement] = stock.change_stock([change], user=request.user)
        return Response(StockMovementSerializer(movement).data, status=status.HTTP_201_CREATED)
