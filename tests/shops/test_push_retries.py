"""A step the shop applied whose answer never came (the connection broke mid-answer) is not
repeated on retry: the retry first reads whether it went through. The fakes apply the call,
then break the connection; the sync's retry must find the note, fulfilment, capture or
cancellation there and not ask again, and the push ends done, not retried for ever."""

import json
from decimal import Decimal

import pytest
from werkzeug import Response

from orders.cancellation import cancel_units
from orders.fulfilment import ship_order
from orders.models import Order
from shops import pushes
from shops.http import ShopUnavailable
from shops.models import OrderPush
from tests.factories import ProductFactory, receive

from .conftest import body_of, on, shopify_headers, shopify_order, woo_headers, woo_order
from .shopify_fake import FakeShopify

pytestmark = pytest.mark.django_db


def retry(connection):
    """The first push loses the answer (the shop is taken as unavailable); the sync retries."""
    with pytest.raises(ShopUnavailable, match="ChunkedEncodingError"):
        pushes.push_orders(connection)
    pushes.push_orders(connection, force=True)


# --- WooCommerce --------------------------------------------------------------------------


class FakeWooNotes:
    """A WooCommerce order's notes (REST v3 orders/<id>/notes); the first note posted is stored,
    then the connection breaks before the answer is complete."""

    def __init__(self, server):
        self.notes, self.posts, self.broken = [], 0, False
        server.expect_request("/wp-json/wc/v3/orders/727/notes", method="POST").respond_with_handler(self.post)
        server.expect_request("/wp-json/wc/v3/orders/727/notes", method="GET").respond_with_handler(self.list)
        server.expect_request("/wp-json/wc/v3/orders/727", method="PUT").respond_with_json({"id": 727})

    def post(self, request):
        self.posts += 1
        self.notes.append({"id": 280 + len(self.notes), "note": request.get_json()["note"], "customer_note": False})
        body = json.dumps(self.notes[-1])
        if not self.broken:
            self.broken = True
            response = Response(body[:5], status=201, content_type="application/json")
            response.headers["Content-Length"] = "300"
            return response
        return Response(body, status=201, content_type="application/json")

    def list(self, request):
        return Response(json.dumps(self.notes), content_type="application/json")


def test_a_woocommerce_note_whose_answer_was_lost_is_not_posted_again(deliver, woo, httpserver):
    # Given a WooCommerce order placed and shipped
    on(woo, httpserver)
    receive(ProductFactory(sku="WOO-SINGLE-1"), 5)
    receive(ProductFactory(sku="BAR3"), 5)
    order = woo_order()
    order["line_items"][0]["sku"] = "WOO-SINGLE-1"
    body = body_of(order)
    deliver("WOO", body, woo_headers(body))
    shop = FakeWooNotes(httpserver)
    ship_order(Order.objects.get().number, tracking_number="JJD0099")

    # When the note is stored but its answer is lost, and the sync retries
    retry(woo)

    # Then the shop has the note once, and the push is done
    assert len(shop.notes) == 1 and shop.posts == 1
    assert OrderPush.objects.get().status == "done"


# --- Shopify ------------------------------------------------------------------------------


@pytest.fixture
def shopify_order_placed(deliver, shopify, httpserver):
    on(shopify, httpserver)
    for sku in ("SKU2006-001", "SKU2006-020", "SKU2006-035"):
        receive(ProductFactory(sku=sku, price=Decimal("10.00")), 5)
    body = body_of(shopify_order(financial_status="authorized"))
    deliver("SHOP", body, shopify_headers(body))
    return Order.objects.get()


def test_a_shopify_fulfilment_whose_answer_was_lost_counts_as_done(shopify_order_placed, shopify, httpserver):
    shop = FakeShopify(httpserver, drop={"Fulfil"})
    ship_order(shopify_order_placed.number)

    retry(shopify)

    assert len(shop.fulfillments) == 1 and len(shop.made("Fulfil")) == 1
    assert len(shop.made("Capture")) == 1
    assert OrderPush.objects.get().status == "done"


def test_lines_fulfilled_in_shopify_already_count_as_a_fulfilment_done(shopify_order_placed, shopify, httpserver):
    # Given the merchant fulfilled the lines in Shopify's admin before the push came
    shop = FakeShopify(httpserver, fulfilled=("SKU2006-001", "SKU2006-020", "SKU2006-035"))
    ship_order(shopify_order_placed.number)

    pushes.push_orders(shopify)

    assert shop.made("Fulfil") == []
    push = OrderPush.objects.get()
    assert (push.status, push.steps_done, push.last_error) == ("done", ["fulfilment", "capture"], "")


def test_a_shopify_capture_whose_answer_was_lost_is_not_made_again(shopify_order_placed, shopify, httpserver):
    shop = FakeShopify(httpserver, drop={"Capture"})
    ship_order(shopify_order_placed.number)

    retry(shopify)

    assert len(shop.captures) == 1 and len(shop.made("Capture")) == 1
    assert shop.captured == shop.total
    assert OrderPush.objects.get().status == "done"


def test_a_shopify_note_and_cancellation_whose_answers_were_lost_are_not_made_again(
    shopify_order_placed, shopify, httpserver
):
    # Given the note and the cancellation both applied, each answer lost
    shop = FakeShopify(httpserver, drop={"SetNote", "Cancel"})

    # When every unit is cancelled here, and the pushes lose an answer each before the sync's retry
    cancel_units(shopify_order_placed.number)
    for _lost in ("SetNote", "Cancel"):
        with pytest.raises(ShopUnavailable, match="ChunkedEncodingError"):
            pushes.push_orders(shopify, force=True)
    pushes.push_orders(shopify, force=True)

    # Then the note line is there once, the order cancelled once, and the push done
    push = OrderPush.objects.get()
    assert shop.note.count(push.marker) == 1 and len(shop.made("SetNote")) == 1
    assert len(shop.made("Cancel")) == 1 and shop.cancelled_at
    assert push.status == "done"
