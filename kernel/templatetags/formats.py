"""`money`: an amount as the active language writes it (kernel.formats). A builtin, so every
template (admin, emails, status page) writes money one way without loading it."""

from django import template

from kernel import formats

register = template.Library()


@register.filter
def money(amount, currency=None):
    """`amount|money`, or `amount|money:order.currency` for an amount in the order's currency."""
    return formats.money(amount, currency=currency)
