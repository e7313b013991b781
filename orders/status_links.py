"""Status links: the signed link to the customer's order status page, in every email.

Rules: the link carries the order's random public id, never its (guessable) number; it is
signed and expires after ORDER_STATUS_LINK_DAYS; a bad, tampered or expired link is NotFound."""

from django.conf import settings
from django.core import signing

from kernel.errors import NotFound

from .models import Order

STATUS_SALT = "orders.status-page"


def status_token(order):
    return signing.dumps(str(order.public_id), salt=STATUS_SALT)


def status_url(order):
    return f"{settings.SITE_URL}/status/{status_token(order)}/"


def order_for_status_token(token):
    try:
        public_id = signing.loads(token, salt=STATUS_SALT, max_age=settings.ORDER_STATUS_LINK_MAX_AGE)
        return Order.objects.select_related("customer").get(public_id=public_id)
    except (signing.BadSignature, Order.DoesNotExist, ValueError):
        raise NotFound.one("This link is not valid (any more).", code="bad_link") from None
