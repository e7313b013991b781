"""Shopware 6, connected as an app (the handshake is shops/shopware_app.py): signed webhooks
(`shopware-shop-signature`, hex HMAC-SHA256 of the raw body with the shop secret) and the
Admin API with OAuth client credentials.

Rules:
- The access token (`POST /api/oauth/token`, client_credentials with the apiKey and secretKey
  of the registration) is kept per process until 30 s before it expires (as Shopware's App
  SDK does); a call answered 401 fetches a new one once and is made again, so a token that
  expires in the middle of a sync ends nothing.
- An order is read from the webhook's `data.payload.order` (checkout.order.placed and
  state_enter.order.state.cancelled) or over the Admin API (`POST /api/search/order`: order.written
  names ids only, and the reconciliation reads those created or updated since its watermark).
  Lines of type `product` ship, by `payload.productNumber` (the SKU, in any case); promotions,
  credits and custom lines are skipped. Its version is `updatedAt` (`createdAt` before any change);
  the cancellation event's version is at least the event's own time.
- The customer's language is the order's `languageId` read against the shop's languages,
  read once over the Admin API (`POST /api/search/language` with their locales) and kept on
  the connection: "de-DE", "de-AT" are de; a language the back office does not write is the
  connection's.
- Out (`POST /api/_action/sync`, 100 products a call): `stock` what is free to sell,
  `isCloseout` false for a backorderable product (the shop keeps selling it sold out), true
  otherwise; `restockTime` whole days until the restock date and the date itself in
  `customFields.backorder_restock_date` (both null without one).
- A shipment adds its tracking code to the order's delivery and moves the delivery `ship`
  (nothing left to ship) or `ship_partially`; cancelled units are noted on the order in a
  custom field per cancellation (`backorder_cancellation_N`), as Shopware has no order notes."""

import dataclasses
import datetime
import hashlib
import hmac
import json

from kernel import clock
from kernel.parsers import case_key

from .. import secrets
from ..http import ShopRefused, call
from ..orderdata import Held, ShopLine, ShopOrderData, address, language, moment, money, text

BATCH = 100
PAGE = 100
TOKEN_MARGIN = datetime.timedelta(seconds=30)
ORDER_ASSOCIATIONS = {
    "lineItems": {},
    "orderCustomer": {},
    "currency": {},
    "stateMachineState": {},
    "transactions": {"associations": {"stateMachineState": {}}},
    "deliveries": {
        "associations": {
            "stateMachineState": {},
            "shippingOrderAddress": {"associations": {"country": {}, "countryState": {}}},
        }
    },
}

# --- webhooks ---------------------------------------------------------------------------


def is_ping(headers, body):
    return False  # Shopware sends no unsigned pings


def signature(secret, body):
    """What Shopware sends in `shopware-shop-signature`: hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed(secret, headers, body):
    """Shopware's webhooks come to the app's own door, `/shops/shopware/webhook/`, where
    shopware_app checks the signature and the timestamp; the per-code door
    (webhooks.py) takes none of them, so a replayed body cannot pass there without its time checked."""
    return False


def delivery(headers, body):
    """Shopware's event id (the same on every retry of one event), the event's name, the order's id."""
    return next(iter(deliveries(body)))[:3]


def deliveries(body):
    """The inbox rows of one webhook: (key, event, order id, body). An order.written naming
    several orders (a bulk edit) is one row per order, each with only its order's entry, so
    each order is read and applied (or held) on its own."""
    try:
        envelope = json.loads(body)
        event_id, topic = str(envelope["source"]["eventId"]), str(envelope["data"]["event"])
        payload = envelope["data"].get("payload")
    except (ValueError, TypeError, KeyError, AttributeError):
        return [("sha256:" + hashlib.sha256(body).hexdigest(), "", "", body.decode("utf-8", errors="replace"))]
    written = (
        [row for row in payload if isinstance(row, dict) and row.get("entity") == "order"]
        if isinstance(payload, list)
        else []
    )
    if topic == "order.written" and len(written) > 1:
        return [
            (
                f"{event_id}:{row.get('primaryKey')}"[:200],
                topic[:64],
                str(row.get("primaryKey"))[:64],
                json.dumps({**envelope, "data": {**envelope["data"], "payload": [row]}}),
            )
            for row in written
        ]
    return [(event_id[:200], topic[:64], _order_id(payload)[:64], body.decode("utf-8", errors="replace"))]


def _order_id(payload):
    if isinstance(payload, dict) and isinstance(payload.get("order"), dict):
        return str(payload["order"].get("id") or "")
    if isinstance(payload, list):  # order.written: the written orders' ids
        ids = [str(row.get("primaryKey")) for row in payload if isinstance(row, dict) and row.get("entity") == "order"]
        return ids[0] if ids else ""
    return ""


def sync_key(shop_order_id, version):
    return f"sync:{shop_order_id}:{version}"


def read_event(connection, topic, payload):
    from . import SYNC_TOPIC, Fetch

    if topic == SYNC_TOPIC:
        return from_api(connection, payload)
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        raise Held("Malformed Shopware webhook: no data.")
    event = data.get("payload")
    if topic == "checkout.order.placed":
        return from_api(connection, _carried_order(event))
    if topic == "state_enter.order.state.cancelled":
        order = from_api(connection, _carried_order(event))
        # The event is the cancellation, whatever state the order carried in it had been read in.
        sent = _event_time(payload)
        return dataclasses.replace(
            order, cancelled=True, placeable=False, version=max(order.version, sent) if sent else order.version
        )
    if topic == "order.written":
        shop_order_id = _order_id(event)
        if not shop_order_id:
            return None  # an order version or line written without the order: nothing to read
        return Fetch(shop_order_id)
    return None


def _carried_order(event):
    if not isinstance(event, dict) or not isinstance(event.get("order"), dict):
        raise Held("Malformed Shopware webhook: no order in data.payload.")
    return event["order"]


def _event_time(payload):
    try:
        return datetime.datetime.fromtimestamp(int(payload["timestamp"]), datetime.UTC)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return None


def from_api(connection, order):
    """An order as the Admin API serialises it (and so the webhooks carry it)."""
    try:
        lines, skipped = [], []
        for item in order.get("lineItems") or []:
            label = text(item.get("label"))
            if item.get("type") != "product":
                skipped.append(label or text(item.get("type")))
                continue
            lines.append(
                ShopLine(
                    str(item["id"]),
                    text((item.get("payload") or {}).get("productNumber")),
                    label,
                    int(item["quantity"]),
                    money(item["unitPrice"], f"{label}: unitPrice"),
                )
            )
        customer = order.get("orderCustomer") or {}
        deliveries = order.get("deliveries") or []
        ship_to = (deliveries[0].get("shippingOrderAddress") if deliveries else None) or {}
        state = text((order.get("stateMachineState") or {}).get("technicalName"))
        transactions = order.get("transactions") or []
        payment = text(((transactions[-1] if transactions else {}).get("stateMachineState") or {}).get("technicalName"))
        return ShopOrderData(
            shop_order_id=str(order["id"]),
            number=text(order.get("orderNumber")) or str(order["id"]),
            version=moment(order.get("updatedAt") or order["createdAt"], "updatedAt"),
            email=text(customer.get("email")),
            name=" ".join(filter(None, [text(customer.get("firstName")), text(customer.get("lastName"))])),
            language=language_of(connection, order.get("languageId")),
            currency=text((order.get("currency") or {}).get("isoCode")) or "EUR",
            shipping_address=address(
                " ".join(filter(None, [text(ship_to.get("firstName")), text(ship_to.get("lastName"))])),
                ship_to.get("company"),
                ship_to.get("street"),
                ship_to.get("additionalAddressLine1"),
                ship_to.get("zipcode"),
                ship_to.get("city"),
                (ship_to.get("countryState") or {}).get("shortCode"),
                (ship_to.get("country") or {}).get("iso"),
            ),
            lines=lines,
            placeable=state != "cancelled",
            cancelled=state == "cancelled",
            payment=payment,
            skipped=skipped,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise Held(f"Malformed Shopware order: {type(error).__name__} {error}.") from None


def language_of(connection, language_id):
    """de or en for the shop's language id; the connection's language for any other. The
    shop's languages are read over the Admin API once (again only for an id not seen yet)."""
    if not language_id:
        return connection.language
    if language_id not in connection.languages:
        from ..models import ShopConnection

        found = api(connection, "POST", "/api/search/language", {"associations": {"locale": {}}}).json()
        connection.languages = {
            str(row["id"]): language(((row.get("locale") or {}).get("code")), "")
            for row in found.get("data") or []
            if isinstance(row, dict) and row.get("id")
        }
        connection.languages.setdefault(language_id, "")  # unknown to the shop too: not asked again
        ShopConnection.objects.filter(pk=connection.pk).update(languages=connection.languages)
    return connection.languages[language_id] or connection.language


# --- Admin API ---------------------------------------------------------------------------

_tokens = {}  # (connection id, client id) -> (access token, good until)


def _token(connection, fresh=False):
    key = (connection.pk, secrets.secret(connection, "api_key"))
    kept = _tokens.get(key)
    if kept and not fresh and clock.now() < kept[1]:
        return kept[0]
    answer = call(
        connection,
        "POST",
        connection.url + "/api/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": key[1],
            "client_secret": secrets.secret(connection, "secret_key"),
        },
    ).json()
    try:
        token, lifetime = str(answer["access_token"]), int(answer["expires_in"])
    except (KeyError, TypeError, ValueError):
        raise ShopRefused("Shopware: the token answer has no access_token and expires_in.") from None
    _tokens[key] = (token, clock.now() + datetime.timedelta(seconds=lifetime) - TOKEN_MARGIN)
    return token


def api(connection, method, path, body=None):
    """One Admin API call with the kept token; a 401 (the token expired early, or was revoked)
    fetches a new one and tries once more."""
    for fresh in (False, True):
        try:
            return call(
                connection,
                method,
                connection.url + path,
                json=body,
                headers={"Authorization": f"Bearer {_token(connection, fresh)}", "Accept": "application/json"},
            )
        except ShopRefused as refused:
            if refused.status != 401 or fresh:
                raise
    raise AssertionError("unreachable")


def _search_orders(connection, criteria):
    return api(connection, "POST", "/api/search/order", {**criteria, "associations": ORDER_ASSOCIATIONS}).json()


def orders_since(connection, since):
    """Every order created or updated since `since`, oldest first, page by page, as
    (shop's order id, its version, the order as read) for the inbox."""
    since = since.astimezone(datetime.UTC).isoformat()
    page = 1
    while True:
        answer = _search_orders(
            connection,
            {
                "page": page,
                "limit": PAGE,
                "filter": [
                    {
                        "type": "multi",
                        "operator": "or",
                        "queries": [
                            {"type": "range", "field": "updatedAt", "parameters": {"gte": since}},
                            {"type": "range", "field": "createdAt", "parameters": {"gte": since}},
                        ],
                    }
                ],
                "sort": [{"field": "createdAt", "order": "ASC"}, {"field": "id", "order": "ASC"}],
            },
        )
        rows = answer.get("data") or []
        for order in rows:
            yield str(order.get("id", "")), str(order.get("updatedAt") or order.get("createdAt") or ""), order
        if len(rows) < PAGE:
            return
        page += 1


def _read_order(connection, shop_order_id):
    rows = _search_orders(connection, {"ids": [shop_order_id]}).get("data") or []
    if not rows:
        raise Held(f"Shopware has no order {shop_order_id}.")
    return rows[0]


def order(connection, shop_order_id):
    return from_api(connection, _read_order(connection, shop_order_id))


def find_products(connection, skus):
    """Shopware's product ids by product number; variants are products with their own number,
    and a number differing from the SKU only in case is that SKU."""
    found = {}
    for start in range(0, len(skus), BATCH):
        chunk = skus[start : start + BATCH]
        answer = api(
            connection,
            "POST",
            "/api/search/product",
            {
                "limit": len(chunk),
                "filter": [{"type": "equalsAny", "field": "productNumber", "value": chunk}],
                "includes": {"product": ["id", "productNumber"]},
            },
        ).json()
        for product in answer.get("data") or []:
            if case_key(product.get("productNumber")):
                found[case_key(product["productNumber"])] = {"product": product["id"]}
    return found


def product_update(remote_id, state):
    """What one product shows (see the module's rules)."""
    return {
        "id": remote_id,
        "stock": state.free,
        "isCloseout": not state.backorderable,
        "restockTime": state.restock_days,
        "customFields": {"backorder_restock_date": state.restock_date.isoformat() if state.restock_date else None},
    }


def push_stock(connection, items):
    """Returns {row id: ""}: the sync API writes a batch whole or answers an error (raised)."""
    results = {}
    for start in range(0, len(items), BATCH):
        batch = items[start : start + BATCH]
        api(
            connection,
            "POST",
            "/api/_action/sync",
            {
                "backorder-stock": {
                    "entity": "product",
                    "action": "upsert",
                    "payload": [product_update(row.remote["product"], state) for row, state in batch],
                }
            },
        )
        results.update({row.pk: "" for row, _state in batch})
    return results


# --- shipments and cancellations back -----------------------------------------------------


def ship(connection, push, done):
    order = _read_order(connection, push.data["shop_order_id"])
    deliveries = order.get("deliveries") or []
    if not deliveries:
        raise ShopRefused(f"Shopware: order {order.get('orderNumber')} has no delivery to ship.")
    target = deliveries[0]
    code = push.data.get("tracking_number")
    if code and "tracking" not in push.steps_done:
        codes = list(target.get("trackingCodes") or [])
        if code not in codes:
            api(connection, "PATCH", f"/api/order-delivery/{target['id']}", {"trackingCodes": [*codes, code]})
        done("tracking")
    if "delivery" not in push.steps_done:
        transition, reached = (
            ("ship", "shipped") if push.data.get("nothing_left") else ("ship_partially", "shipped_partially")
        )
        state = text((target.get("stateMachineState") or {}).get("technicalName"))
        if state not in (reached, "shipped"):  # a retry after the move, or all shipped already
            api(connection, "POST", f"/api/_action/order_delivery/{target['id']}/state/{transition}", {})
        done("delivery")


def cancel(connection, push, done):
    if "note" not in push.steps_done:
        field = "backorder_" + push.reference.replace(":", "_")
        api(
            connection,
            "PATCH",
            f"/api/order/{push.data['shop_order_id']}",
            {"customFields": {field: push.data["note"]}},
        )
        done("note")
