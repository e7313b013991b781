"""What the shop tests share: a key for the secrets, connections, the platforms' published
payloads (tests/shops/fixtures/SOURCES.md names each source) and signing as each platform
signs (base64 HMAC-SHA256 of the raw body)."""

import base64
import copy
import hashlib
import hmac
import json
import re
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from shops.platforms.shopify import API_VERSION

FIXTURES = Path(__file__).parent / "fixtures"
KEY = Fernet.generate_key().decode()
SHOPIFY_SECRET = "shpss_client-secret-of-the-app"
WOO_SECRET = "woo webhook secret & more"
# The fake Shopify answers on the pinned version's path only: a call to another version is unanswered.
SHOPIFY_GRAPHQL = f"/admin/api/{API_VERSION}/graphql.json"


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
        "HTTP_X_SHOPIFY_API_VERSION": API_VERSION,
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


# --- Shopware 6 (the app) ------------------------------------------------------------------
# The shop id and webhook source of Shopware's App PHP SDK fixture (tests/Context/_fixtures/payment.json).
SHOPWARE_SHOP_ID = "hRCw2xo1EDZnLco4"
SHOPWARE_SECRET = "shop-secret-given-at-registration-" + "x" * 30
SHOPWARE_API_KEY = "SWIARXBSDJRWEMJONFK2OHBNWA"  # the docs' confirmation example
SHOPWARE_SECRET_KEY = "Q1QyaUg3ZHpnZURPeDV3ZkpncXdSRzJpNjdBeWM1WWhWYWd0NE0"
SHOPWARE_ENGLISH = "2fbb5fe2e29a4d70aa5854ce7ce3e20b"  # the SDK fixture order's languageId (Shopware's system language)
SHOPWARE_GERMAN = "b7a1c3d2e4f5061728394a5b6c7d8e9f"


def shopware_order(**changes):
    """The order of Shopware's App SDK payment fixture (order 10077, one product line), and changes."""
    order = copy.deepcopy(published("shopware_app_sdk_payment.json")["order"])
    order.update(changes)
    return order


def shopware_event(event, payload, *, event_id="7b04ebe416db4ebc93de4d791325e1d9", timestamp=None):
    """A webhook body as Shopware's webhook docs show it (data.payload, data.event, source, timestamp)."""
    from kernel import clock

    return {
        "data": {"payload": payload, "event": event},
        "source": {
            "url": "http://localhost:8000",
            "appVersion": "1.0.0",
            "shopId": SHOPWARE_SHOP_ID,
            "eventId": event_id,
        },
        "timestamp": int(clock.now().timestamp()) if timestamp is None else timestamp,
    }


def shopware_sign(secret, body):
    """As Shopware signs a webhook and the SDK's RequestVerifier checks it: hash_hmac('sha256', body, secret)."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture
def shopware(db):
    """A Shopware shop whose app registration was confirmed (no access token kept from another test)."""
    from shops import secrets
    from shops.platforms import shopware as platform

    platform._tokens.clear()
    from shops.models import ShopConnection

    connection = ShopConnection(code=SHOPWARE_SHOP_ID, platform="shopware", url="https://shop.example", language="de")
    secrets.store(connection, webhook_secret=SHOPWARE_SECRET, api_key=SHOPWARE_API_KEY, secret_key=SHOPWARE_SECRET_KEY)
    connection.save()
    return connection


@pytest.fixture
def send_shopware(client, settings, django_capture_on_commit_callbacks):
    """Post a Shopware webhook body signed with `secret`, then let the worker apply it."""
    settings.CELERY_TASK_ALWAYS_EAGER = True

    def post(payload, secret=SHOPWARE_SECRET, signature=None):
        body = body_of(payload)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                "/shops/shopware/webhook/",
                body,
                content_type="application/json",
                HTTP_SHOPWARE_SHOP_SIGNATURE=signature or shopware_sign(secret, body),
                HTTP_SW_VERSION="6.6.10.0",
            )

    return post


class FakeShopware:
    """Shopware's Admin API as far as the back office calls it, over real HTTP: OAuth client
    credentials (a token it no longer knows is answered 401, as an expired one is), the
    searches, the sync API and the order writes; every call is in `server.log`."""

    def __init__(self, server, orders=(), products=None):
        from werkzeug import Response

        self.server, self.Response = server, Response
        self.valid, self.issued = set(), 0
        self.expire_after = None  # a path: the token expires once it has been answered
        self.orders = {order["id"]: order for order in orders}
        self.products = products or {}  # product number -> id
        self.languages = [
            {"id": SHOPWARE_ENGLISH, "name": "English", "locale": {"code": "en-GB"}},
            {"id": SHOPWARE_GERMAN, "name": "Deutsch", "locale": {"code": "de-DE"}},
        ]
        server.expect_request("/api/oauth/token", method="POST").respond_with_handler(self.token)
        for path, handler in (
            ("/api/search/language", lambda request: {"total": len(self.languages), "data": self.languages}),
            ("/api/search/order", self.search_orders),
            ("/api/search/product", self.search_products),
            ("/api/_action/sync", lambda request: {"success": True, "data": {}}),
        ):
            server.expect_request(path, method="POST").respond_with_handler(self.guarded(handler))
        server.expect_request(
            re.compile(r"/api/(order|order-delivery|_action/order_delivery)/.*")
        ).respond_with_handler(self.guarded(lambda request: None))

    def token(self, request):
        # The Admin API's client credentials grant (docs: integrations-api authentication): 600 s.
        assert request.get_json() == {
            "grant_type": "client_credentials",
            "client_id": SHOPWARE_API_KEY,
            "client_secret": SHOPWARE_SECRET_KEY,
        }
        self.issued += 1
        token = f"token-{self.issued}"
        self.valid.add(token)
        return self.Response(
            json.dumps({"token_type": "Bearer", "expires_in": 600, "access_token": token}),
            content_type="application/json",
        )

    def expire_tokens(self):
        self.valid.clear()

    def guarded(self, handler):
        def answer(request):
            if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.valid:
                return self.Response(json.dumps({"errors": [{"status": "401", "title": "Unauthorized"}]}), status=401)
            result = handler(request)
            if request.path == self.expire_after:
                self.expire_tokens()
            return (
                self.Response(status=204)
                if result is None
                else self.Response(json.dumps(result), content_type="application/json")
            )

        return answer

    def search_orders(self, request):
        criteria = request.get_json()
        found = (
            [self.orders[i] for i in criteria["ids"] if i in self.orders]
            if "ids" in criteria
            else list(self.orders.values())
        )
        return {"total": len(found), "data": found}

    def search_products(self, request):
        # MySQL compares product numbers without regard to case (the shop's collation).
        asked = {value.lower() for value in request.get_json()["filter"][0]["value"]}
        found = [{"id": i, "productNumber": n} for n, i in self.products.items() if n.lower() in asked]
        return {"total": len(found), "data": found}

    def calls(self, path):
        return [request for request, _response in self.server.log if request.path == path]
