"""Shopware 6 shops connect as an app: the registration handshake, its confirmation, and whose
webhook a body is. As Shopware's docs (app registration setup) and its App PHP SDK
(RegistrationService, DualSignatureRequestVerifier) do it.

Rules:
- Registration (`GET /shops/shopware/register/?shop-id=…&shop-url=…&timestamp=…`): the
  `shopware-app-signature` header is the hex HMAC-SHA256 of the query string with
  SHOPWARE_APP_SECRET (the raw query as sent, or as the SDK rebuilds it from the decoded
  values); wrong or missing: 401, nothing written. A timestamp more than REGISTRATION_AGE
  from now is refused too: a registration's answer carries a new secret, so a replayed one
  must not get it. A shop already confirmed and active must also sign with its current shop
  secret (`shopware-shop-signature`): only that shop may re-register.
- The answer: `proof` = hex HMAC-SHA256(app secret, shopId + shopUrl + appName) (what Shopware
  compares), a new 64-character shop `secret` and the `confirmation_url`. The connection's
  code is the shop id; a new shop's connection is created inactive. The new secret and URL
  are pending: until the confirmation, the shop's webhooks are checked with its current secret.
- Confirmation (`POST …/register/confirm/`, JSON `apiKey`, `secretKey`, `shopUrl`, `shopId`,
  `timestamp`): signed `shopware-shop-signature` with the pending secret (and, when present,
  `shopware-shop-signature-previous` with the current one). It stores the Admin API
  credentials, makes the pending secret and URL current and the connection active. The
  secret it replaces is still accepted for PREVIOUS_SECRET_GRACE (requests in flight), then never.
- Webhooks: the shop is `source.shopId` of the body (read only to find whose secret checks
  it); the signature is checked on the raw bytes before anything else is believed; a
  `timestamp` older than WEBHOOK_AGE (Shopware retries an event for about 4.5 hours, with its
  first timestamp) or from the future is a replay: 401. `app.deleted` deactivates the
  connection (the merchant uninstalled the app). All secrets are stored encrypted (secrets.py).
Each write is one transaction with the connection's row locked."""

import datetime
import hmac
import json
import re
import secrets as random
from urllib.parse import parse_qs

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from kernel import clock

from . import secrets
from .connections import LOCAL_URL
from .models import CODE_PATTERN, ShopConnection
from .platforms import shopware

REGISTRATION_AGE = datetime.timedelta(minutes=10)
WEBHOOK_AGE = datetime.timedelta(hours=5)
FUTURE = datetime.timedelta(minutes=5)  # clocks differ
PREVIOUS_SECRET_GRACE = datetime.timedelta(seconds=60)  # the SDK's in-flight allowance


class Refused(Exception):
    """The request is not believed (401) or cannot be applied (400, 404); says why."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def confirmation_url():
    return settings.SITE_URL + reverse("shopware-confirm")


def _app_secret():
    if not settings.SHOPWARE_APP_SECRET:
        raise Refused(503, "SHOPWARE_APP_SECRET is not set on the back office: no Shopware shop can register.")
    return settings.SHOPWARE_APP_SECRET


def _hex(secret, message):
    return shopware.signature(secret, message.encode() if isinstance(message, str) else message)


def _matches(secret, messages, given):
    """Whether `given` (a header, whatever the sender wrote) is the hex HMAC of one of the
    messages with `secret`; compared in constant time, as bytes."""
    given = (given or "").strip().lower().encode("utf-8", "replace")
    return bool(secret and given) and any(hmac.compare_digest(_hex(secret, m).encode(), given) for m in messages)


def proof(shop_id, shop_url):
    """What Shopware recomputes and compares with the registration's answer."""
    return _hex(_app_secret(), shop_id + shop_url + settings.SHOPWARE_APP_NAME)


def _fresh(timestamp, age, what):
    try:
        sent = datetime.datetime.fromtimestamp(int(str(timestamp)), datetime.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise Refused(401, f"{what}: the timestamp {timestamp!r} is not a Unix time.") from None
    now = clock.now()
    if sent < now - age or sent > now + FUTURE:
        raise Refused(401, f"{what}: the timestamp {sent:%Y-%m-%d %H:%M:%S} UTC is stale (a replay?).")


def register(query_string, headers):
    """The registration's answer (a dict), or Refused."""
    values = parse_qs(query_string, keep_blank_values=True)
    given = {}
    for name in ("shop-id", "shop-url", "timestamp"):
        if len(values.get(name, [])) != 1 or not values[name][0]:
            raise Refused(400, f"Registration: {name} must be given once.")
        given[name] = values[name][0]
    shop_id, shop_url, timestamp = given["shop-id"], given["shop-url"].rstrip("/"), given["timestamp"]
    rebuilt = f"shop-id={given['shop-id']}&shop-url={given['shop-url']}&timestamp={timestamp}"
    if not _matches(_app_secret(), [query_string, rebuilt], headers.get("shopware-app-signature")):
        raise Refused(401, "Registration: shopware-app-signature does not match the query with the app secret.")
    _fresh(timestamp, REGISTRATION_AGE, "Registration")
    # The back office numbers the shop's orders CODE-ID: with Shopware's 32-character order ids
    # that leaves 31 for the code (Shopware's shop ids have 16).
    if not re.fullmatch(CODE_PATTERN, shop_id) or len(shop_id) > 31:
        raise Refused(400, f"Registration: shop-id {shop_id!r} is not a Shopware shop id.")
    if not re.fullmatch(r"https://[^\s/]+(/\S*)?", shop_url) and not re.fullmatch(LOCAL_URL, shop_url):
        raise Refused(400, f"Registration: shop-url {shop_url!r} must be https (plain http only for this machine).")
    new_secret = random.token_urlsafe(48)  # 64 characters: Shopware wants 64 to 255
    with transaction.atomic():
        # A new shop's row, inactive until confirmed; a registration racing this one waits for it
        # here (ON CONFLICT DO NOTHING), then both lock the one row in turn.
        ShopConnection.objects.bulk_create(
            [ShopConnection(code=shop_id, platform=ShopConnection.Platform.SHOPWARE, url=shop_url, active=False)],
            ignore_conflicts=True,
        )
        connection = ShopConnection.objects.select_for_update().get(code=shop_id)
        if connection.platform != ShopConnection.Platform.SHOPWARE:
            raise Refused(400, f"Registration: the code {shop_id} names a {connection.get_platform_display()} shop.")
        if connection.active and secrets.secret(connection, "webhook_secret"):
            if not _matches(
                secrets.secret(connection, "webhook_secret"),
                [query_string, rebuilt],
                headers.get("shopware-shop-signature"),
            ):
                raise Refused(401, "Re-registration: shopware-shop-signature does not match the shop's current secret.")
        secrets.store(connection, pending_secret=new_secret, pending_url=shop_url)
        connection.save()
    return {
        "proof": proof(given["shop-id"], given["shop-url"]),
        "secret": new_secret,
        "confirmation_url": confirmation_url(),
    }


def confirm(body, headers):
    """Store the shop's Admin API credentials and make the pending secret current; or Refused."""
    try:
        data = json.loads(body)
    except ValueError:
        raise Refused(400, "Confirmation: the body is not JSON.") from None
    if not isinstance(data, dict):
        raise Refused(400, "Confirmation: the body is not a JSON object.")
    for name in ("shopId", "apiKey", "secretKey"):
        if not isinstance(data.get(name), str) or not data[name]:
            raise Refused(400, f"Confirmation: {name} is missing.")
    with transaction.atomic():
        connection = (
            ShopConnection.objects.select_for_update()
            .filter(code=data["shopId"], platform=ShopConnection.Platform.SHOPWARE)
            .first()
        )
        pending = secrets.secret(connection, "pending_secret") if connection else ""
        if not pending:
            raise Refused(404, f"Confirmation: shop {data['shopId']} has no registration waiting.")
        if not _matches(pending, [body], headers.get("shopware-shop-signature")):
            raise Refused(401, "Confirmation: shopware-shop-signature does not match the secret of the registration.")
        current = secrets.secret(connection, "webhook_secret")
        previous_signature = headers.get("shopware-shop-signature-previous")
        if previous_signature and not _matches(current, [body], previous_signature):
            raise Refused(
                401, "Confirmation: shopware-shop-signature-previous does not match the shop's current secret."
            )
        _fresh(data.get("timestamp"), REGISTRATION_AGE, "Confirmation")
        stored = secrets.unseal(connection.secrets)
        rotated = {"previous_secret": current, "rotated_at": clock.now().isoformat()} if current else {}
        connection.url = stored.get("pending_url") or connection.url
        connection.secrets = secrets.seal(
            {
                **{k: v for k, v in stored.items() if k not in ("pending_secret", "pending_url")},
                **rotated,
                "webhook_secret": pending,
                "api_key": data["apiKey"],
                "secret_key": data["secretKey"],
            }
        )
        connection.active = True
        connection.save()
    return connection


def _previous_secret(connection):
    """The replaced shop secret, while requests signed with it may still be in flight."""
    rotated_at = secrets.secret(connection, "rotated_at")
    if not rotated_at or clock.now() >= datetime.datetime.fromisoformat(rotated_at) + PREVIOUS_SECRET_GRACE:
        return ""
    return secrets.secret(connection, "previous_secret")


def webhook_connection(body, headers):
    """The active connection whose secret signed this body, its signature and time checked; or Refused."""
    try:
        envelope = json.loads(body)
        shop_id = envelope["source"]["shopId"]
    except (ValueError, TypeError, KeyError):
        raise Refused(401, "The body names no Shopware shop (source.shopId).") from None
    connection = (
        ShopConnection.objects.filter(code=str(shop_id), platform=ShopConnection.Platform.SHOPWARE, active=True).first()
        if isinstance(shop_id, str)
        else None
    )
    if connection is None:
        raise Refused(401, f"No connected Shopware shop {shop_id!r}.")
    signature = headers.get("shopware-shop-signature")
    if not any(
        _matches(secret, [body], signature)
        for secret in (secrets.secret(connection, "webhook_secret"), _previous_secret(connection))
    ):
        raise Refused(401, "The signature does not match this body.")
    _fresh(envelope.get("timestamp"), WEBHOOK_AGE, f"Shop {connection.code}")
    return connection


def deactivate(connection):
    """The merchant uninstalled the app: nothing more comes from or goes to the shop."""
    ShopConnection.objects.filter(pk=connection.pk).update(active=False)


# --- the app's manifest ----------------------------------------------------------------------

# What the back office reads and writes in the shop (Admin API permissions, per entity).
PERMISSIONS = {
    "read": [
        "order",
        "order_line_item",
        "order_customer",
        "order_address",
        "order_delivery",
        "order_transaction",
        "state_machine_state",
        "currency",
        "country",
        "country_state",
        "language",
        "locale",
        "product",
    ],
    "update": ["order", "order_delivery", "product"],
    "create": ["state_machine_history"],  # a delivery's transition writes its history
}
# (name, event, only the live version): orders in, cancellations, changes, the app uninstalled.
WEBHOOKS = [
    ("orderPlaced", "checkout.order.placed", False),
    ("orderCancelled", "state_enter.order.state.cancelled", False),
    ("orderWritten", "order.written", True),
    ("appDeleted", "app.deleted", False),
]


def manifest():
    """The app's manifest.xml: SHOPWARE_APP_NAME, the registration URL and app secret, the
    permissions and webhooks above. Zipped in a folder of the app's name, it installs."""
    from xml.sax.saxutils import escape, quoteattr

    site = settings.SITE_URL
    webhook_url = site + reverse("shopware-webhook")
    permissions = "\n".join(
        f"        <{privilege}>{entity}</{privilege}>"
        for privilege, entities in PERMISSIONS.items()
        for entity in entities
    )
    webhooks = "\n".join(
        f"        <webhook name={quoteattr(name)} url={quoteattr(webhook_url)} event={quoteattr(event)}"
        + (' onlyLiveVersion="true"' if live else "")
        + "/>"
        for name, event, live in WEBHOOKS
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="https://raw.githubusercontent.com/shopware/shopware/trunk/src/Core/Framework/App/Manifest/Schema/manifest-2.0.xsd">
    <meta>
        <name>{escape(settings.SHOPWARE_APP_NAME)}</name>
        <label>Backorder back office</label>
        <label lang="de-DE">Backorder-Verwaltung</label>
        <description>Orders go to the back office; products show its stock and restock time.</description>
        <description lang="de-DE">Bestellungen gehen an die Backorder-Verwaltung; Artikel zeigen ihren Bestand und ihre Wiederauffüllzeit.</description>
        <author>{escape(settings.SHOP_NAME)}</author>
        <copyright>(c) {escape(settings.SHOP_NAME)}</copyright>
        <version>1.0.0</version>
        <license>proprietary</license>
    </meta>
    <setup>
        <registrationUrl>{escape(site + reverse("shopware-register"))}</registrationUrl>
        <secret>{escape(_app_secret())}</secret>
    </setup>
    <permissions>
{permissions}
    </permissions>
    <webhooks>
{webhooks}
    </webhooks>
</manifest>
"""
