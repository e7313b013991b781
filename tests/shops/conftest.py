"""What the shop tests share: a key for the secrets, connections, the platforms' published
payloads (tests/shops/fixtures/SOURCES.md names each source) and signing as each platform
signs (base64 HMAC-SHA256 of the raw body)."""

import base64
import copy
import hashlib
import hmac
import json
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

FIXTURES = Path(__file__).parent / "fixtures"
KEY = Fernet.generate_key().decode()
SHOPIFY_SECRET = "shpss_client-secret-of-the-app"
WOO_SECRET = "woo webhook secret & more"


@pytest.fixture(autouse=True)
def secrets_key(settings):
    settings.SHOP_SECRETS_KEY = KEY
    settings.SHOP_PUSH_DELAY_SECONDS = 0


def published(name):
    return json.loads((FIXTURES / name).read_text())


def shopify_order(**changes):
    """Shopify's sample order #9999 with its placeholder state made an open, paid order
    (the sample is cancelled and voided whatever the topic), and any further changes."""
    order = copy.deepcopy(published("shopify_webhook_orders_sample_payload.json"))
    order.update({"cancelled_at": None, "cancel_reason": None, "financial_status": "paid"})
    order.update(changes)
    return order


def woo_order(**changes):
    order = copy.deepcopy(published("woocommerce_order_v3_retrieve.json"))
    order.update(changes)
    return order


def sign(secret, body):
    """As Shopify's test helper (get-hmac.ts) and WooCommerce's generate_signature do."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def shopify_headers(
    body, topic="orders/create", webhook_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", secret=SHOPIFY_SECRET
):
    return {
        "HTTP_X_SHOPIFY_HMAC_SHA256": sign(secret, body),
        "HTTP_X_SHOPIFY_TOPIC": topic,
        "HTTP_X_SHOPIFY_SHOP_DOMAIN": "jsmith.myshopify.com",
        "HTTP_X_SHOPIFY_API_VERSION": "2025-10",
        "HTTP_X_SHOPIFY_WEBHOOK_ID": webhook_id,
    }


def woo_headers(body, topic="order.created", secret=WOO_SECRET):
    return {
        "HTTP_X_WC_WEBHOOK_SOURCE": "https://example.com/",
        "HTTP_X_WC_WEBHOOK_TOPIC": topic,
        "HTTP_X_WC_WEBHOOK_RESOURCE": "order",
        "HTTP_X_WC_WEBHOOK_EVENT": topic.split(".")[-1],
        "HTTP_X_WC_WEBHOOK_SIGNATURE": sign(secret, body),
        "HTTP_X_WC_WEBHOOK_ID": "142",
        "HTTP_X_WC_WEBHOOK_DELIVERY_ID": hashlib.md5(body).hexdigest(),
    }


def body_of(payload):
    """Bytes as the platforms send them: compact JSON, non-ASCII as escapes (json_encode)."""
    return json.dumps(payload, separators=(",", ":")).encode()


@pytest.fixture
def shopify(db):
    from shops.connections import connect_shop

    connection, _ = connect_shop(
        "SHOP",
        platform="shopify",
        url="https://jsmith.myshopify.com",
        language="de",
        webhook_secret=SHOPIFY_SECRET,
        access_token="shpat_token",
    )
    return connection


@pytest.fixture
def woo(db):
    from shops.connections import connect_shop

    connection, _ = connect_shop(
        "WOO",
        platform="woocommerce",
        url="https://example.com",
        language="de",
        webhook_secret=WOO_SECRET.replace("&", "&amp;"),  # as WordPress stores it
        consumer_key="ck_key",
        consumer_secret="cs_secret",
    )
    return connection


def on(connection, server):
    """Point the connection at a fake shop over real HTTP (pytest-httpserver)."""
    connection.url = server.url_for("").rstrip("/")
    connection.save(update_fields=["url"])
    return connection


def as_graphql(order):
    """The same order as the Admin GraphQL API answers it (the fields shops/platforms/shopify.py
    asks for, named as in the API's Order and LineItem objects)."""
    ship_to = order.get("shipping_address") or {}
    return {
        "legacyResourceId": str(order["id"]),
        "name": order["name"],
        "email": order["email"],
        "customerLocale": order["customer_locale"],
        "currencyCode": order["currency"],
        "updatedAt": order["updated_at"],
        "cancelledAt": order["cancelled_at"],
        "displayFinancialStatus": order["financial_status"].upper(),
        "customer": {
            "firstName": order["customer"]["first_name"],
            "lastName": order["customer"]["last_name"],
            "email": order["customer"]["email"],
        },
        "shippingAddress": {
            "name": ship_to.get("name"),
            "company": ship_to.get("company"),
            "address1": ship_to.get("address1"),
            "address2": ship_to.get("address2"),
            "zip": ship_to.get("zip"),
            "city": ship_to.get("city"),
            "province": ship_to.get("province"),
            "countryCodeV2": ship_to.get("country_code"),
        },
        "lineItems": {
            "nodes": [
                {
                    "id": item["admin_graphql_api_id"],
                    "sku": item["sku"],
                    "name": item["name"],
                    "quantity": item["quantity"],
                    "currentQuantity": item["current_quantity"],
                    "requiresShipping": item["requires_shipping"],
                    "isGiftCard": item["gift_card"],
                    "originalUnitPriceSet": {"shopMoney": {"amount": item["price"]}},
                    "discountAllocations": [],
                }
                for item in order["line_items"]
            ]
        },
    }


def graphql_answer(data):
    """A GraphQL answer with the cost extension Shopify adds (shopify-app-js README's shape)."""
    answer = published("shopify_graphql_response_with_cost_extensions.json")
    answer["data"] = data
    return answer


@pytest.fixture
def deliver(client, settings, django_capture_on_commit_callbacks):
    """Post a webhook, then let the worker do what the answer queued (the task runs eagerly)."""
    settings.CELERY_TASK_ALWAYS_EAGER = True

    def post(code, body, headers, content_type="application/json"):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/shops/{code}/webhook/", body, content_type=content_type, **headers)

    return post
