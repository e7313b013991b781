"""Shared setup of the supplier answer tests: a sent purchase order with waiting customers."""

import datetime
import re

import time_machine
from django.core import mail

from purchasing import batching, lifecycle
from purchasing.models import PurchaseOrder
from tests.factories import SupplierFactory, SupplierItemFactory, place

MONDAY = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)


def travel(moment=MONDAY):
    return time_machine.travel(moment, tick=False)


def sent_order(*quantities, language="de", items=1, **supplier):
    """Orders of `quantities` units for each of `items` products of one supplier, batched and
    sent: the purchase order, its items and the customers' orders."""
    supplier = SupplierFactory(language=language, **supplier)
    products = [SupplierItemFactory(supplier=supplier) for _ in range(items)]
    orders = [place(*[(item.product, quantity) for item in products]) for quantity in quantities]
    batching.batch_backorders()
    po = PurchaseOrder.objects.get(supplier=supplier, status="draft")
    mail.outbox.clear()
    lifecycle.send_purchase_order(po.number)
    po.refresh_from_db()
    return po, products, orders


def token_in(message):
    """The supplier link's token as the purchase order email carries it."""
    return re.search(r"/supplier/([A-Za-z0-9_-]+)/", message.body).group(1)
