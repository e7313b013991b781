"""Customers: who customer service should phone."""

from .models import Customer


def flag_for_call(customer_ids, reason):
    """Customer service should phone these customers (an email bounced, or they complained)."""
    Customer.objects.filter(pk__in=customer_ids).update(call_reason=reason[:200])
