"""Work must not grow query by query with the number of lines or waiting orders."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.cancellation import CancelRequest, cancel_units
from orders.fulfilment import ship_order
from orders.models import Order
from tests.factories import ProductFactory, place, receive

pytestmark = pytest.mark.django_db


def queries_to_place(products):
    with CaptureQueriesContext(connection) as captured:
        place(*[(product, 3) for product in products])
    return len(captured)


def test_placing_an_order_costs_the_same_queries_for_1_line_as_for_50():
    products = ProductFactory.create_batch(51)
    for product in products[:25]:
        receive(product, 1)

    one_line = queries_to_place(products[:1])
    fifty_lines = queries_to_place(products[1:])

    assert fifty_lines == one_line


def test_placing_a_50_line_order_stays_within_a_fixed_budget(django_assert_max_num_queries):
    products = ProductFactory.create_batch(50)
    # 16 for the order, 11 for its backorder notice written in the same transaction.
    with django_assert_max_num_queries(27):
        place(*[(product, 2) for product in products])


def test_a_receipt_filling_200_backorders_uses_a_bounded_number_of_queries(django_assert_max_num_queries):
    kettle = ProductFactory()
    for _ in range(200):
        place((kettle, 1))

    with django_assert_max_num_queries(14):
        receive(kettle, 200)

    assert Order.objects.filter(status=Order.Status.READY_TO_SHIP).count() == 200


def test_shipping_and_cancelling_a_50_line_order_do_not_grow_per_line(django_assert_max_num_queries):
    products = ProductFactory.create_batch(50)
    for product in products:
        receive(product, 1)
    order = place(*[(product, 2) for product in products])

    # Each with its shipped or cancellation notice (8 queries) in the same transaction.
    with django_assert_max_num_queries(26):
        ship_order(order.number)
    with django_assert_max_num_queries(26):
        cancel_units(order.number, [CancelRequest(product.sku, 1) for product in products])
