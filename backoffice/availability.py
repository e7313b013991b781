"""Availability of a SKU, as the shop asks for it: stock (inventory), units customers wait
for (orders) and units incoming on purchase orders (purchasing). The staff figures over the
API, and the public answer a product page may show."""

from django.http import JsonResponse
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.stock import stock_level
from kernel.errors import DomainError
from orders.selectors import waiting_units
from purchasing.selectors import incoming
from shops.availability import sell_state


def availability(sku):
    level = stock_level(sku)
    arriving = incoming(level.product_id)
    return {
        "sku": level.product.sku,
        "on_hand": level.on_hand,
        "allocated": level.allocated,
        "available": level.available,
        "backorderable": level.product.backorderable,
        "backordered": waiting_units(level.product_id),
        "incoming": arriving,
        "next_restock_date": arriving[0]["expected_date"] if arriving else None,
    }


def public_availability(sku):
    """What a product page may show: in stock or not, backorderable, the next restock date;
    no stock figures. The same rule as what the connected shops are sent (shops.availability)."""
    state = sell_state(sku)
    return {
        "sku": state.sku,
        "available": state.free > 0,
        "backorderable": state.backorderable,
        "next_restock_date": state.restock_date,
    }


class IncomingSerializer(serializers.Serializer):
    quantity = serializers.IntegerField()
    expected_date = serializers.DateField()


class AvailabilitySerializer(serializers.Serializer):
    sku = serializers.CharField()
    on_hand = serializers.IntegerField()
    allocated = serializers.IntegerField()
    available = serializers.IntegerField()
    backorderable = serializers.BooleanField()
    backordered = serializers.IntegerField(help_text="Units of this SKU waiting on backorders.")
    incoming = IncomingSerializer(many=True, help_text="Units on purchase orders not yet received.")
    next_restock_date = serializers.DateField(allow_null=True)


class AvailabilityView(APIView):
    required_perms = {"GET": ["inventory.view_stocklevel"]}

    @extend_schema(responses=AvailabilitySerializer, operation_id="products_availability_retrieve")
    def get(self, request, sku):
        """Stock, units waiting and units incoming of one SKU."""
        return Response(AvailabilitySerializer(availability(sku)).data)


@require_GET
def public_availability_view(request, sku):
    """Public and cacheable: a product page may ask for every visitor."""
    try:
        response = JsonResponse(public_availability(sku))
    except DomainError as error:
        response = JsonResponse(error.as_body(), status=error.status)
    # Any page may ask, and read a 404 too (the shop's snippet shows "unknown product").
    response["Cache-Control"] = "public, max-age=60"
    response["Access-Control-Allow-Origin"] = "*"
    return response
