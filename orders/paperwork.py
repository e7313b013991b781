"""The warehouse's paper: the pick list of the orders ready to ship and a packing slip per
shipment. Reads only; each in a fixed number of queries, whatever the number of orders.

Rules:
- The pick list is every line of an order ready to ship with units allocated to it (what
  `fulfilment.ship_order` will take out): per SKU the units to pick in all, and which order
  takes how many (oldest order first); SKUs in order, so a picker walks the shelves once.
- A packing slip is one shipment: the address it goes to (the order's shipping address, else
  the customer's name), the order number the customer knows, what is in the parcel, and what
  of the order still follows with the date the customer was told (each waiting backorder's
  ETA; units on the same date and line summed)."""

from dataclasses import dataclass, field

from django.db.models import Sum

from .models import WAITING, WAITING_UNITS, Backorder, Order, OrderLine, Shipment


@dataclass
class Pick:
    sku: str
    name: str
    units: int = 0
    orders: list = field(default_factory=list)  # [(order number, units)]


def pick_list():
    """The SKUs to pick for the orders ready to ship, as [Pick], and the number of orders."""
    lines = (
        OrderLine.objects.filter(order__status=Order.Status.READY_TO_SHIP, allocated__gt=0)
        .order_by("product__sku", "order__placed_at", "order_id")
        .values_list("product__sku", "product__name", "order__number", "allocated")
    )
    picks, orders = {}, set()
    for sku, name, number, units in lines:
        pick = picks.setdefault(sku, Pick(sku, name))
        pick.units += units
        pick.orders.append((number, units))
        orders.add(number)
    return list(picks.values()), len(orders)


@dataclass
class PackingSlip:
    shipment: Shipment
    order: Order
    address: list
    lines: list  # [(sku, name, units)]
    follows: list  # [(sku, name, units, expected date)]


def packing_slip(shipment_id):
    """One shipment's packing slip (Shipment.DoesNotExist when there is none)."""
    shipment = Shipment.objects.select_related("order__customer").get(pk=shipment_id)
    order = shipment.order
    lines = list(
        shipment.lines.order_by("line__position").values_list("line__product__sku", "line__product__name", "quantity")
    )
    follows = list(
        Backorder.objects.filter(order=order, status__in=WAITING)
        .values("product__sku", "product__name", "eta")
        .annotate(units=Sum(WAITING_UNITS))
        .order_by("product__sku", "eta")
        .values_list("product__sku", "product__name", "units", "eta")
    )
    address = order.address_lines or [order.customer.name]
    return PackingSlip(shipment, order, address, lines, [row for row in follows if row[2]])
