"""What the shops are shown is read in a fixed number of queries, however many products a push
or a sync compares (it was one query per product)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from purchasing.batching import batch_backorders
from shops.availability import sell_states
from tests.factories import SupplierItemFactory, place

pytestmark = pytest.mark.django_db


def states_queries(product_ids):
    with CaptureQueriesContext(connection) as captured:
        states = sell_states(product_ids)
    assert set(states) == set(product_ids)
    return len(captured)


def test_the_sell_states_of_50_products_on_order_cost_what_those_of_2_cost():
    # Given 50 products waited for and put on purchase orders by the batch
    items = [SupplierItemFactory() for _ in range(50)]
    for item in items:
        place((item.product, 1))
    batch_backorders()
    ids = [item.product_id for item in items]

    # When the states of 2, then of all 50, are read
    few, many = states_queries(ids[:2]), states_queries(ids)

    # Then the 50 cost no more queries than the 2, and each has its restock date
    assert many == few
    assert all(state.restock_date for state in sell_states(ids).values())
