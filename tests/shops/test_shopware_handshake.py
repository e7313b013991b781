"""A Shopware shop installs the app: the registration handshake as Shopware performs it (the
App PHP SDK's own test vectors: RequestVerifierTest, RegistrationServiceTest; the docs' app
registration setup), its confirmation, re-registration with a new secret, uninstalling."""

import datetime
import hashlib
import hmac
import json

import pytest
import time_machine

from shops import secrets
from shops.models import InboxEvent, ShopConnection

from .conftest import SHOPWARE_API_KEY, SHOPWARE_SECRET_KEY, body_of, shopware_event, shopware_sign

pytestmark = pytest.mark.django_db

# RequestVerifierTest::testAuthenticateRegistrationRequestValid: this query, signed with
# 'my-secret', is this shopware-app-signature; RegistrationServiceTest's app is 'My App'.
QUERY = "shop-id=123&shop-url=https://my-shop.com&timestamp=1234567890"
SDK_SIGNATURE = "96c91f86c822e11444b7a57b54ef125ed86b1a639c5360d45c5397daa8c3f70b"
SENT_AT = datetime.datetime.fromtimestamp(1234567890, datetime.UTC)


@pytest.fixture(autouse=True)
def the_app(settings):
    settings.SHOPWARE_APP_NAME = "My App"
    settings.SHOPWARE_APP_SECRET = "my-secret"
    settings.SITE_URL = "https://backoffice.example"
    with time_machine.travel(SENT_AT + datetime.timedelta(seconds=2), tick=False) as traveller:
        yield traveller


def register(client, query=QUERY, signature=SDK_SIGNATURE, **headers):
    return client.get(f"/shops/shopware/register/?{query}", HTTP_SHOPWARE_APP_SIGNATURE=signature, **headers)


def confirmation(secret, previous=None, **changes):
    payload = {
        "apiKey": SHOPWARE_API_KEY,
        "secretKey": SHOPWARE_SECRET_KEY,
        "timestamp": "1234567892",
        "shopUrl": "https://my-shop.com",
        "shopId": "123",
        **changes,
    }
    body = body_of(payload)
    headers = {"HTTP_SHOPWARE_SHOP_SIGNATURE": shopware_sign(secret, body)}
    if previous:
        headers["HTTP_SHOPWARE_SHOP_SIGNATURE_PREVIOUS"] = shopware_sign(previous, body)
    return body, headers


def confirm(client, secret, previous=None, **changes):
    body, headers = confirmation(secret, previous, **changes)
    return client.post("/shops/shopware/register/confirm/", body, content_type="application/json", **headers)


def webhook(client, secret, event_id):
    payload = shopware_event("product.written", [], event_id=event_id)
    payload["source"]["shopId"] = "123"
    body = body_of(payload)
    return client.post(
        "/shops/shopware/webhook/",
        body,
        content_type="application/json",
        HTTP_SHOPWARE_SHOP_SIGNATURE=shopware_sign(secret, body),
    )


def test_the_registration_signed_as_the_sdk_signs_it_is_answered_with_the_proof_shopware_recomputes(client):
    answer = register(client)

    assert answer.status_code == 200
    data = answer.json()
    # Shopware's check (docs "Registration response"; SDK ResponseSigner::getRegistrationSignature):
    # hash_hmac('sha256', shopId . shopUrl . appName, appSecret)
    assert data["proof"] == hmac.new(b"my-secret", b"123https://my-shop.comMy App", hashlib.sha256).hexdigest()
    assert 64 <= len(data["secret"]) <= 255  # the docs' bounds of a shop secret
    assert data["confirmation_url"] == "https://backoffice.example/shops/shopware/register/confirm/"
    connection = ShopConnection.objects.get()
    assert (connection.code, connection.platform, connection.url, connection.active) == (
        "123",
        "shopware",
        "https://my-shop.com",
        False,  # until the shop confirms
    )
    assert data["secret"] not in connection.secrets  # stored encrypted


def test_the_query_as_shopware_sends_it_url_encoded_is_checked_as_sent(client):
    query = "shop-id=KIPf0Fz6BUkN&shop-url=http%3A%2F%2Flocalhost%3A8000&timestamp=1234567890"

    answer = register(client, query=query, signature=hmac.new(b"my-secret", query.encode(), hashlib.sha256).hexdigest())

    assert answer.status_code == 200
    assert ShopConnection.objects.get().url == "http://localhost:8000"


@pytest.mark.parametrize(
    "signature", ["invalid-signature", "", SDK_SIGNATURE.upper()[:-1] + "0", shopware_sign("other-secret", b"x")]
)
def test_a_registration_with_a_wrong_signature_is_refused_and_writes_nothing(client, signature):
    answer = register(client, signature=signature)

    assert answer.status_code == 401
    assert "shopware-app-signature" in answer.json()["errors"][0]["message"]
    assert not ShopConnection.objects.exists()


def test_a_replayed_registration_is_refused(client, the_app):
    the_app.shift(datetime.timedelta(hours=1))

    answer = register(client)

    assert answer.status_code == 401 and "stale" in answer.json()["errors"][0]["message"]
    assert not ShopConnection.objects.exists()


def test_the_confirmation_signed_with_the_new_secret_stores_the_credentials_encrypted(client):
    secret = register(client).json()["secret"]

    answer = confirm(client, secret)

    assert answer.status_code == 204
    connection = ShopConnection.objects.get()
    assert connection.active
    assert (secrets.secret(connection, "api_key"), secrets.secret(connection, "secret_key")) == (
        SHOPWARE_API_KEY,
        SHOPWARE_SECRET_KEY,
    )
    assert secrets.secret(connection, "webhook_secret") == secret
    assert SHOPWARE_SECRET_KEY not in connection.secrets and SHOPWARE_API_KEY not in connection.secrets


@pytest.mark.parametrize("wrong", ["signature", "shop"])
def test_a_confirmation_not_signed_with_the_registrations_secret_is_refused(client, wrong):
    secret = register(client).json()["secret"]

    answer = confirm(
        client, "guessed" if wrong == "signature" else secret, shopId="123" if wrong == "signature" else "999"
    )

    assert answer.status_code == (401 if wrong == "signature" else 404)
    connection = ShopConnection.objects.get()
    assert not connection.active and not secrets.secret(connection, "api_key")


def test_a_reregistration_keeps_the_old_secret_until_the_new_one_is_confirmed(client, the_app):
    # Given a shop registered and confirmed
    old = register(client).json()["secret"]
    confirm(client, old)

    # When it registers again (a new secret; signed with the app secret and its current secret)
    # and moved to a new address
    query = "shop-id=123&shop-url=https://new.my-shop.com&timestamp=1234567890"
    app_signature = hmac.new(b"my-secret", query.encode(), hashlib.sha256).hexdigest()
    unsigned = register(client, query=query, signature=app_signature)
    answer = register(
        client,
        query=query,
        signature=app_signature,
        HTTP_SHOPWARE_SHOP_SIGNATURE=hmac.new(old.encode(), query.encode(), hashlib.sha256).hexdigest(),
    )
    new = answer.json()["secret"]

    # Then without its current secret's signature it was refused; with it, answered
    assert unsigned.status_code == 401 and answer.status_code == 200 and new != old
    # and until it confirms, its webhooks are checked with the old secret, the old address kept
    assert webhook(client, old, "e1").status_code == 200
    assert webhook(client, new, "e2").status_code == 401
    assert ShopConnection.objects.get().url == "https://my-shop.com"

    # When it confirms (signed with the new secret, and the previous one)
    assert confirm(client, new, previous=old, shopUrl="https://new.my-shop.com").status_code == 204

    # Then the new secret and address count; the old secret only for requests in flight (a minute)
    assert ShopConnection.objects.get().url == "https://new.my-shop.com"
    assert webhook(client, new, "e3").status_code == 200
    assert webhook(client, old, "e4").status_code == 200
    the_app.shift(datetime.timedelta(seconds=61))
    assert webhook(client, old, "e5").status_code == 401
    assert sorted(InboxEvent.objects.values_list("delivery_key", flat=True)) == ["e1", "e3", "e4"]


def test_a_confirmation_whose_previous_signature_is_wrong_is_refused(client):
    old = register(client).json()["secret"]
    confirm(client, old)
    query = "shop-id=123&shop-url=https://my-shop.com&timestamp=1234567890"
    new = register(
        client,
        HTTP_SHOPWARE_SHOP_SIGNATURE=hmac.new(old.encode(), query.encode(), hashlib.sha256).hexdigest(),
    ).json()["secret"]

    answer = confirm(client, new, previous="not-the-old-secret")

    assert answer.status_code == 401
    assert secrets.secret(ShopConnection.objects.get(), "webhook_secret") == old


def test_uninstalling_the_app_deactivates_the_shop(client):
    secret = register(client).json()["secret"]
    confirm(client, secret)
    payload = shopware_event("app.deleted", [], event_id="del-1")
    payload["source"]["shopId"] = "123"
    body = body_of(payload)

    answer = client.post(
        "/shops/shopware/webhook/",
        body,
        content_type="application/json",
        HTTP_SHOPWARE_SHOP_SIGNATURE=shopware_sign(secret, body),
    )

    assert answer.status_code == 200
    assert not ShopConnection.objects.get().active
    assert webhook(client, secret, "after").status_code == 401  # nothing more is taken from it


def test_without_an_app_secret_no_shop_can_register_and_the_answer_says_why(client, settings):
    settings.SHOPWARE_APP_SECRET = ""

    answer = register(client)

    assert answer.status_code == 503
    assert "SHOPWARE_APP_SECRET" in json.dumps(answer.json())


def test_staff_cannot_make_a_shopware_connection_by_hand(db):
    from shops.admin import ShopConnectionForm

    form = ShopConnectionForm(
        data={"code": "SW", "platform": "shopware", "url": "https://shop.example", "language": "de"}
    )

    assert not form.is_valid()
    assert form.errors["platform"] == ["A Shopware shop connects by installing the app in the shop."]


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'{"shopId": 5, "apiKey": "k", "secretKey": "s"}', '{"shopId": "\u00e4"}'.encode()],
)
def test_a_malformed_confirmation_is_a_clear_4xx_never_a_5xx(client, body):
    register(client)

    answer = client.post(
        "/shops/shopware/register/confirm/", body, content_type="application/json", HTTP_SHOPWARE_SHOP_SIGNATURE="x"
    )

    assert answer.status_code in (400, 401, 404)
    assert answer.json()["errors"][0]["message"].startswith("Confirmation:")


@pytest.mark.parametrize("timestamp", ["-99999999999999999", "1e400", "soon", ""])
def test_a_confirmation_with_a_nonsense_timestamp_is_refused(client, timestamp):
    secret = register(client).json()["secret"]

    answer = confirm(client, secret, timestamp=timestamp)

    assert answer.status_code == 401
    assert not ShopConnection.objects.get().active


def test_the_deploy_check_fails_without_the_app_secret_once_a_shopware_shop_is_connected(shopware, settings):
    from shops.checks import shopware_shops_have_the_app_secret

    settings.SHOPWARE_APP_SECRET = ""
    assert [error.id for error in shopware_shops_have_the_app_secret(None)] == ["shops.E002"]
    settings.SHOPWARE_APP_SECRET = "x" * 32
    assert shopware_shops_have_the_app_secret(None) == []
