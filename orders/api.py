import datetime

import django_filters
from django import forms
from django.db.models.functions import Upper
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kernel.api import problems_of
from kernel.errors import NotFound, refuse
from kernel.parsers import case_key

from . import selectors
from .cancellation import CancelRequest, cancel_units
from .fulfilment import ship_order
from .models import Backorder, Order
from .placement import CustomerDetails, LineRequest, place_order, unknown_skus
from .serializers import (
    ORDER_NUMBER,
    BackorderSerializer,
    CancelSerializer,
    OrderInSerializer,
    OrderOutSerializer,
    ShipmentSerializer,
    ShipSerializer,
)


def _skus(body):
    """The SKU text each line of an order's body names (None where it names none)."""
    lines = body.get("lines") if isinstance(body, dict) else None
    if not isinstance(lines, list):
        return []
    return [
        line["sku"] if isinstance(line, dict) and isinstance(line.get("sku"), str) and len(line["sku"]) <= 64 else None
        for line in lines[:500]
    ]


class OrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Order.Status.choices)
    fulfilment_policy = django_filters.ChoiceFilter(choices=Order.Policy.choices)
    customer = django_filters.CharFilter(field_name="customer__email", lookup_expr="iexact")
    shop = django_filters.CharFilter(help_text="The connected shop's code.")
    shop_order_id = django_filters.CharFilter(help_text="The shop's id of the order (with shop).")

    class Meta:
        model = Order
        fields = ["status", "fulfilment_policy", "expedite", "customer", "shop", "shop_order_id"]


class OrderViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    lookup_field = "number"
    lookup_value_regex = ORDER_NUMBER.strip("^$")
    filterset_class = OrderFilter
    required_perms = {
        "list": ["orders.view_order"],
        "retrieve": ["orders.view_order"],
        "create": ["orders.add_order"],
        "ship": ["orders.add_shipment"],
        "cancel": ["orders.cancel_units"],
    }
    serializer_class = OrderOutSerializer

    def get_queryset(self):
        return selectors.orders_with_lines().order_by("-placed_at", "-id")

    def _order(self, number):
        order = self.get_queryset().filter(number=number).first()
        if order is None:
            raise NotFound.one(f"No order with number {number}.", field="number", code="not_found")
        return order

    def _respond(self, number, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self._order(number)).data, status=code)

    def retrieve(self, request, number=None):
        return self._respond(number)

    @extend_schema(
        request=OrderInSerializer,
        responses={
            201: OrderOutSerializer,
            200: OpenApiResponse(OrderOutSerializer, description="The order already existed."),
        },
    )
    def create(self, request):
        """Place an order. Posting an order number again returns that order (200) and changes nothing."""
        data = OrderInSerializer(data=request.data)
        if not data.is_valid():
            # Every problem in one answer: the unknown SKUs too, not only after the rest is fixed.
            invalid = problems_of(data.errors, request.data)
            malformed = {problem.field for problem in invalid}  # a SKU that is no text is not also unknown
            skus = [
                None if f"lines[{index}].sku" in malformed else sku for index, sku in enumerate(_skus(request.data))
            ]
            refuse(invalid=invalid, unknown=unknown_skus(skus))
        values = data.validated_data
        order, created = place_order(
            number=values["number"],
            customer=CustomerDetails(**values["customer"]),
            fulfilment_policy=values["fulfilment_policy"],
            expedite=values["expedite"],
            lines=[LineRequest(**line) for line in values["lines"]],
        )
        if not created:
            return self._respond(order.number)
        return Response(self.get_serializer(self.as_placed(order)).data, status=status.HTTP_201_CREATED)

    def as_placed(self, order):
        """The order placement just wrote, shown from what placement holds instead of read back
        (a quarter of the request's time): its lines stand in for the prefetch a read makes."""
        order._prefetched_objects_cache = {"lines": order.placed_lines}
        return order

    @extend_schema(
        request=ShipSerializer,
        responses={201: ShipmentSerializer, 409: OpenApiResponse(description="Nothing can ship; the body says why.")},
    )
    @action(detail=True, methods=["post"])
    def ship(self, request, number=None):
        """Ship what the order's policy allows now; the carrier's tracking number is optional."""
        selectors.get_order(number)  # 404 before reading the body
        data = ShipSerializer(data=request.data or {})
        data.is_valid(raise_exception=True)
        shipment = ship_order(number, user=request.user, tracking_number=data.validated_data["tracking_number"])
        return Response(ShipmentSerializer(shipment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CancelSerializer, responses=OrderOutSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, number=None):
        """Cancel unshipped units, waiting ones first; their authorisation is voided."""
        selectors.get_order(number)  # 404 before reading the body
        data = CancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        requests = [CancelRequest(**line) for line in data.validated_data["lines"]]
        cancel_units(number, requests, user=request.user)
        return self._respond(number)


class UtcIsoDateTimeField(IsoDateTimeField):
    """ISO 8601 with any offset Python accepts (up to ±23:59), turned into UTC: PostgreSQL
    refuses offsets beyond ±15:59, and a refused value must be a 400, not a 500."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return value
        try:
            return value.astimezone(datetime.UTC)
        except OverflowError:
            raise forms.ValidationError("Date and time out of range.", code="invalid") from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class BackorderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Backorder.Status.choices)
    sku = django_filters.CharFilter(method="filter_sku")
    customer = django_filters.CharFilter(field_name="order__customer__email", lookup_expr="iexact")
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Backorder
        fields = ["status", "sku", "customer", "created_after", "created_before"]

    def filter_sku(self, queryset, name, value):
        # In any case, as inventory.stock.products_by_sku finds a SKU.
        return queryset.annotate(sku_key=Upper("product__sku")).filter(sku_key=case_key(value))


class BackorderViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = BackorderSerializer
    filterset_class = BackorderFilter
    required_perms = {"list": ["orders.view_backorder"]}

    def get_queryset(self):
        return selectors.backorders()
