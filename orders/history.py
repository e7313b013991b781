"""The order's history: one place where what the customer or staff changed is written
(policy switched, units cancelled), for admin and the status page."""

from kernel import clock
from kernel.permissions import acting_user

from .models import OrderEvent


def record_event(order, kind, user, by_customer, **data):
    OrderEvent.objects.create(
        order=order,
        kind=kind,
        at=clock.now(),
        by_customer=by_customer,
        user=acting_user(user),
        data=data,
    )
