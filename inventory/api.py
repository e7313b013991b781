from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from orders import selectors
from orders import services as orders

from . import services
from .models import Product
from .serializers import AvailabilitySerializer, ProductSerializer, StockChangeSerializer, StockMovementSerializer


class ProductViewSet(mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = Product.objects.order_by("sku")
    serializer_class = ProductSerializer
    lookup_field = "sku"
    lookup_value_regex = r"[A-Za-z0-9][A-Za-z0-9._-]*"
    filterset_fields = ["backorderable", "dropship"]
    required_perms = {
        "list": ["inventory.view_product"],
        "retrieve": ["inventory.view_product"],
        "create": ["inventory.add_product"],
        "availability": ["inventory.view_stocklevel"],
        "stock": ["inventory.add_stockmovement"],
    }

    def perform_create(self, serializer):
        serializer.instance = services.create_product(**serializer.validated_data)

    @extend_schema(responses=AvailabilitySerializer)
    @action(detail=True, methods=["get"])
    def availability(self, request, sku=None):
        return Response(AvailabilitySerializer(selectors.availability(sku)).data)

    @extend_schema(request=StockChangeSerializer, responses={201: StockMovementSerializer})
    @action(detail=True, methods=["post"])
    def stock(self, request, sku=None):
        """Record a receipt, adjustment or count. Arriving units go straight to waiting orders."""
        services.stock_level(sku)  # 404 for an unknown SKU before reading the body
        serializer = StockChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change = services.StockChange(sku=sku, **serializer.validated_data)
        [movement] = orders.change_stock([change], user=request.user)
        return Response(StockMovementSerializer(movement).data, status=status.HTTP_201_CREATED)
