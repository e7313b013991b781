"""Webhooks are taken only as the platform signed them: base64 HMAC-SHA256 of the raw bytes
with the shop's secret. Forged, re-serialised and unsigned ones are 401 and store nothing; an
unknown shop is a 404; WooCommerce's ping when a webhook is saved gets its 200."""

import json

import pytest

from shops import secrets
from shops.models import InboxEvent, ShopConnection

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


@pytest.mark.parametrize("tamper", ["forged", "re-serialised", "unsigned", "other secret", "not base64"])
def test_a_webhook_not_signed_over_these_bytes_is_401_and_stores_nothing(client, shopify, tamper):
    body = body_of(shopify_order())
    headers = shopify_headers(body)
    if tamper == "forged":
        body = body.replace(b'"price":"89.99"', b'"price":"0.01"')
    elif tamper == "re-serialised":  # the same JSON, written out again by a proxy
        body = json.dumps(json.loads(body), indent=2, sort_keys=True).encode()
    elif tamper == "unsigned":
        del headers["HTTP_X_SHOPIFY_HMAC_SHA256"]
    elif tamper == "not base64":  # a header WSGI hands over as Latin-1 text
        headers["HTTP_X_SHOPIFY_HMAC_SHA256"] = "é" * 44
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


def post(client, payload, webhook_id, secret=SHOPIFY_SECRET):
    body = body_of(payload)
    return client.post(
        "/shops/SHOP/webhook/",
        body,
        content_type="application/json",
        **shopify_headers(body, webhook_id=webhook_id, secret=secret),
    ).status_code


def changed_elsewhere(connection, **fields):
    """As admin in another process changes it: no signal reaches this one."""
    ShopConnection.objects.filter(pk=connection.pk).update(**fields)


def test_a_secret_changed_in_another_process_counts_from_the_next_webhook(client, shopify):
    # Given this process has answered a webhook of the shop (and keeps the connection it read)
    assert post(client, shopify_order(), "first") == 200

    # When the app's secret is changed elsewhere, then webhooks come signed with either
    changed_elsewhere(shopify, secrets=secrets.seal({"webhook_secret": "rotated", "access_token": "shpat_token"}))
    old = post(client, shopify_order(id=2), "old secret")
    new = post(client, shopify_order(id=3), "new secret", secret="rotated")

    # Then only the one signed with the new secret is taken
    assert (old, new) == (401, 200)
    assert set(InboxEvent.objects.values_list("delivery_key", flat=True)) == {"first", "new secret"}


def test_a_shop_switched_off_in_another_process_takes_nothing_more(client, shopify):
    assert post(client, shopify_order(), "first") == 200

    changed_elsewhere(shopify, active=False)

    assert post(client, shopify_order(id=2), "second") == 404
    assert list(InboxEvent.objects.values_list("delivery_key", flat=True)) == ["first"]
