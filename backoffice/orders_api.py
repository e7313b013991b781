"""The order endpoints as the shop sees them: orders' own API, with what customer messages
add to an order (its vouchers, the emails sent about it). Shows two apps, so it lives in
the top layer and takes the place of orders' viewset in the URL map."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from orders import api as orders
from orders.selectors import get_order
from orders.serializers import OrderInSerializer
from orders.serializers import OrderOutSerializer as OrderOnlySerializer


class VoucherSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=["percent", "fixed", "free_shipping"])
    value = serializers.DecimalField(max_digits=10, decimal_places=2, help_text="Percent or EUR; 0 for free shipping.")
    valid_until = serializers.DateField()


class MessageSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["backorder_notice", "delay_notice", "apology", "shipped", "cancellation", "personal"]
    )
    status = serializers.ChoiceField(
        choices=["queued", "sending", "sent", "failed", "delivered", "bounced", "complained"]
    )
    language = serializers.CharField()
    subject = serializers.CharField(source="content.subject", help_text="As sent, or as it will be sent.")
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)


class OrderOutSerializer(OrderOnlySerializer):
    vouchers = VoucherSerializer(many=True, help_text="Vouchers issued to the customer with an apology for this order.")


@extend_schema_view(
    create=extend_schema(
        request=OrderInSerializer,
        responses={
            201: OrderOutSerializer,
            200: OpenApiResponse(OrderOutSerializer, description="The order already existed."),
        },
    ),
    cancel=extend_schema(request=orders.CancelSerializer, responses=OrderOutSerializer),
)
class OrderViewSet(orders.OrderViewSet):
    serializer_class = OrderOutSerializer
    required_perms = {
        **orders.OrderViewSet.required_perms,
        "messages": ["orders.view_order", "notifications.view_customermessage"],
    }

    def get_queryset(self):
        return super().get_queryset().prefetch_related("vouchers")

    def as_placed(self, order):
        order = super().as_placed(order)
        order._prefetched_objects_cache["vouchers"] = []  # vouchers come with apologies, never with a new order
        return order

    @extend_schema(responses=MessageSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def messages(self, request, number=None):
        """Every email to the customer about this order, oldest first, with its delivery status."""
        order = get_order(number)
        return Response(MessageSerializer(order.messages.order_by("created_at", "id"), many=True).data)
