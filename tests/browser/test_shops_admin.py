"""The manager's "Shops" page in Chromium at 1366 px, in English and German: the secrets are
write-only, the held events are listed with their reason, and "Retry held events" places the
order once the product exists."""

import json

import pytest
from cryptography.fernet import Fernet

from kernel import clock
from orders.models import Order
from shops.connections import connect_shop
from shops.models import InboxEvent
from tests.factories import ProductFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

WORDS = {
    "en": {
        "held": "Held events: what the shop sent that could not be applied",
        "retry": "Retry held events",
        "secret": "Stored encrypted and never shown again",
        "policy": "Fulfilment policy of its orders",
    },
    "de": {
        "held": "Zurückgehaltene Ereignisse: was der Shop sandte und nicht übernommen werden konnte",
        "retry": "Zurückgehaltene Ereignisse erneut versuchen",
        "secret": "Wird verschlüsselt gespeichert",
        "policy": "Lieferweise seiner Bestellungen",
    },
}


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_manager_sees_a_held_order_and_retries_it_once_the_product_exists(
    page, login, live_server, settings, language
):
    settings.SHOP_SECRETS_KEY = Fernet.generate_key().decode()
    page.set_viewport_size({"width": 1366, "height": 768})
    connection, _ = connect_shop(
        "TEEHAUS",
        platform="woocommerce",
        url="https://teehaus.example",
        language="de",
        webhook_secret="whsec-visible-nowhere",
        consumer_key="ck_x",
        consumer_secret="cs_y",
    )
    order = {
        "id": 727,
        "number": "727",
        "status": "processing",
        "currency": "EUR",
        "date_modified_gmt": "2026-03-01T10:00:00",
        "billing": {"first_name": "Eva", "last_name": "Berg", "email": "eva@example.org"},
        "shipping": {},
        "line_items": [{"id": 1, "name": "Sencha", "sku": "TEA-404", "quantity": 2, "total": "19.80"}],
    }
    InboxEvent.objects.create(
        connection=connection,
        delivery_key="727:2026-03-01T10:00:00",
        topic="order.created",
        shop_order_id="727",
        body=json.dumps(order),
        received_at=clock.now(),
        status="held",
        reason="Line 1: unknown SKU TEA-404.",
        attempts=1,
    )
    login("Manager")

    # When the manager opens the shop's page from the admin index
    page.goto(f"{live_server.url}/admin/shops/shopconnection/{connection.pk}/change/")
    page.shot(f"shop-{language}")

    # Then the held event is listed with its reason, the secrets' fields are empty, and the page fits
    assert WORDS[language]["held"] in page.content()
    assert "Line 1: unknown SKU TEA-404." in page.content()
    assert "whsec-visible-nowhere" not in page.content() and "cs_y" not in page.content()
    assert page.locator("#id_webhook_secret").input_value() == ""
    assert WORDS[language]["secret"] in page.content()
    # and the policy its orders are placed with is there to choose (the current one: ship what is available)
    assert WORDS[language]["policy"] in page.content()
    assert page.locator("#id_ship_policy").input_value() == "ship_partial"
    retry = page.get_by_role("button", name=WORDS[language]["retry"])
    page.fits_the_screen(retry)

    # When the product exists and they retry
    ProductFactory(sku="TEA-404", name="Sencha")
    retry.click()
    page.wait_for_url(f"**/admin/shops/shopconnection/{connection.pk}/change/")
    page.shot(f"shop-retried-{language}")

    # Then the order is placed and nothing is held any more
    assert Order.objects.get().customer_number == "727"
    assert InboxEvent.objects.get().status == "done"
    assert "Line 1: unknown SKU TEA-404." not in page.content()
