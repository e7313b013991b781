"""Webhooks are taken only as the platform signed them: base64 HMAC-SHA256 of the raw bytes
with the shop's secret. Forged, re-serialised and unsigned ones are 401 and store nothing; an
unknown shop is a 404; WooCommerce's ping when a webhook is saved gets its 200."""

import json

import pytest

from shops.models import InboxEvent

from .conftest import (
    SHOPIFY_SECRET,
    body_of,
    shopify_headers,
    shopify_order,
    woo_headers,
    woo_order,
)

pytestmark = pytest.mark.django_db


def test_a_shopify_webhook_signed_with_the_apps_secret_is_stored_and_answered_200(client, shopify):
    body = body_of(shopify_order())

    response = client.post("/shops/SHOP/webhook/", body, content_type="application/json", **shopify_headers(body))

    assert response.status_code == 200
    event = InboxEvent.objects.get()
    assert (event.delivery_key, event.topic, event.shop_order_id) == (
        "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "orders/create",
        "820982911946154508",
    )
    assert event.body.encode() == body


@pytest.mark.parametrize("tamper", ["forged", "re-serialised", "unsigned", "other secret", "not ascii"])
def test_a_webhook_not_signed_over_these_bytes_is_401_and_stores_nothing(client, shopify, tamper):
    body = body_of(shopify_order())
    headers = shopify_headers(body)
    if tamper == "forged":
        body = body.replace(b'"price":"89.99"', b'"price":"0.01"')
    elif tamper == "re-serialised":  # the same JSON, written out again by a proxy
        body = json.dumps(json.loads(body), indent=2, sort_keys=True).encode()
    elif tamper == "unsigned":
        del headers["HTTP_X_SHOPIFY_HMAC_SHA256"]
    elif tamper == "not ascii":
        headers["HTTP_X_SHOPIFY_HMAC_SHA256"] = "\xe9" + headers["HTTP_X_SHOPIFY_HMAC_SHA256"][1:]
    else:
        headers = shopify_headers(body, secret=SHOPIFY_SECRET + "x")

    response = client.post("/shops/SHOP/webhook/", body, content_type="application/json", **headers)

    assert response.status_code == 401
    assert not InboxEvent.objects.exists()


def test_a_woocommerce_webhook_is_checked_with_the_secret_as_wordpress_decodes_it(client, woo):
    # The connection holds "woo webhook secret &amp; more" (as WordPress stores it); WooCommerce signs with "&".
    body = body_of(woo_order())

    assert (
        client.post("/shops/WOO/webhook/", body, content_type="application/json", **woo_headers(body)).status_code
        == 200
    )
    forged = body.replace(b'"total":"29.35"', b'"total":"0.35"')
    assert (
        client.post("/shops/WOO/webhook/", forged, content_type="application/json", **woo_headers(body)).status_code
        == 401
    )
    assert InboxEvent.objects.get().delivery_key == "727:2017-03-22T19:28:08"


def test_woocommerces_ping_when_a_webhook_is_saved_gets_200_and_stores_nothing(client, woo):
    # class-wc-webhook.php deliver_ping(): 'body' => 'webhook_id=' . $this->get_id(), no signature header
    response = client.post("/shops/WOO/webhook/", "webhook_id=142", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 200
    assert not InboxEvent.objects.exists()


def test_an_unsigned_body_that_is_not_a_ping_is_401(client, woo):
    body = body_of(woo_order())

    assert client.post("/shops/WOO/webhook/", body, content_type="application/json").status_code == 401
    assert not InboxEvent.objects.exists()


def test_an_unknown_shop_code_is_404(client, shopify):
    body = body_of(shopify_order())

    response = client.post("/shops/NOPE/webhook/", body, content_type="application/json", **shopify_headers(body))

    assert response.status_code == 404
    assert response.json()["errors"][0]["message"] == "No shop NOPE."
