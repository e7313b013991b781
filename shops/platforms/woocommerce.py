"""WooCommerce: signed webhooks (X-WC-Webhook-*) and the REST API v3 under /wp-json/wc/v3
(HTTP basic auth with the consumer key and secret). Core WooCommerce publishes no rate
limit; a host that adds one answers 429, which pauses the connection (http.call)."""

import datetime
import hashlib
import json
import re

from kernel import clock

from .. import secrets
from ..http import call
from ..http import signed as hmac_signed
from ..orderdata import (
    Held,
    ShopLine,
    ShopOrderData,
    address,
    language,
    moment,
    money,
    per_unit,
    text,
)

PLACEABLE = {"processing", "on-hold"}
CANCELLED = {"cancelled", "refunded", "failed"}
BATCH = 100  # products/batch takes up to 100 objects
PING = re.compile(rb"webhook_id=\d+")


def _api(connection, path):
    return f"{connection.url}/wp-json/wc/v3/{path}"


def _auth(connection):
    return (secrets.secret(connection, "consumer_key"), secrets.secret(connection, "consumer_secret"))


# --- webhooks ---------------------------------------------------------------------------


def is_ping(headers, body):
    """The ping WooCommerce sends when a webhook is saved: `webhook_id=N`, form-encoded, unsigned."""
    return "X-WC-Webhook-Signature" not in headers and bool(PING.fullmatch(body.strip()))


def _secret(secret):
    # WooCommerce signs with wp_specialchars_decode(secret, ENT_QUOTES): as typed, not as stored.
    for entity, char in (
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", '"'),
        ("&#039;", "'"),
        ("&#x27;", "'"),
        ("&amp;", "&"),
    ):
        secret = secret.replace(entity, char)
    return secret


def signed(secret, headers, body):
    return hmac_signed(_secret(secret), body, headers.get("X-WC-Webhook-Signature"))


def delivery(headers, body):
    """WooCommerce has no stable delivery id (each attempt gets a new one): the order's id and
    its modification time name the state it carries."""
    topic = headers.get("X-WC-Webhook-Topic", "")
    try:
        payload = json.loads(body)
        order_id = str(payload["id"])
        key = f"{order_id}:{payload.get('date_modified_gmt') or 'deleted'}"
    except (ValueError, TypeError, KeyError):
        order_id, key = "", "sha256:" + hashlib.sha256(body).hexdigest()
    return key[:200], topic[:64], order_id[:64]


def sync_key(shop_order_id, version):
    """The webhook's key: an order read by the reconciliation and its webhook are one event."""
    return f"{shop_order_id}:{version}"


def read_event(connection, topic, payload):
    from . import SYNC_TOPIC

    if topic in ("order.created", "order.updated", "order.restored", SYNC_TOPIC):
        return from_rest(connection, payload)
    if topic == "order.deleted":
        return deleted(payload)
    return None  # products, customers, coupons: not ours


def deleted(payload):
    """order.deleted (trashed or deleted for good) carries only {"id": N}: the order is gone
    from the shop, so every unshipped unit is cancelled, as for a cancelled one. Its version is
    now: news of the order sent before the deletion changes nothing after it."""
    if not isinstance(payload, dict) or not str(payload.get("id") or "").strip():
        raise Held("Malformed WooCommerce order.deleted: no order id.")
    shop_order_id = str(payload["id"])
    return ShopOrderData(
        shop_order_id=shop_order_id,
        number=shop_order_id,
        version=clock.now(),
        email="",
        name="",
        language="",
        currency="",
        shipping_address={},
        lines=[],
        placeable=False,
        cancelled=True,
        payment="deleted",
    )


def from_rest(connection, order):
    """An order as REST v3 (and so the webhook) has it."""
    try:
        lines = []
        for item in order["line_items"]:
            name = text(item.get("name"))
            quantity = int(item["quantity"])
            lines.append(
                ShopLine(
                    str(item["id"]),
                    text(item.get("sku")),
                    name,
                    quantity,
                    per_unit(money(item["total"], f"{name}: total"), quantity),
                )
            )
        billing, ship_to = order.get("billing") or {}, order.get("shipping") or {}
        meta = {
            entry.get("key"): entry.get("value") for entry in order.get("meta_data") or [] if isinstance(entry, dict)
        }
        status = text(order.get("status"))
        return ShopOrderData(
            shop_order_id=str(order["id"]),
            number=text(order.get("number")) or str(order["id"]),
            version=moment(order["date_modified_gmt"], "date_modified_gmt", assume_utc=True),
            email=text(billing.get("email")),
            name=" ".join(filter(None, [text(billing.get("first_name")), text(billing.get("last_name"))])),
            # WPML and Polylang keep the order's language in its meta data.
            language=language(meta.get("wpml_language") or meta.get("pll_language"), connection.language),
            currency=text(order.get("currency")) or "EUR",
            shipping_address=address(
                " ".join(filter(None, [text(ship_to.get("first_name")), text(ship_to.get("last_name"))])),
                ship_to.get("company"),
                ship_to.get("address_1"),
                ship_to.get("address_2"),
                ship_to.get("postcode"),
                ship_to.get("city"),
                ship_to.get("state"),
                ship_to.get("country"),
            ),
            lines=lines,
            placeable=status in PLACEABLE,
            cancelled=status in CANCELLED,
            payment=status,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise Held(f"Malformed WooCommerce order: {type(error).__name__} {error}.") from None


# --- REST v3 ------------------------------------------------------------------------------


def orders_since(connection, since):
    """Every order modified after `since` (GMT), oldest change first, page by page, as
    (shop's order id, its version, the order as read) for the inbox."""
    page = 1
    while True:
        response = call(
            connection,
            "GET",
            _api(connection, "orders"),
            auth=_auth(connection),
            params={
                "modified_after": since.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "dates_are_gmt": "true",
                "per_page": 100,
                "page": page,
                "orderby": "modified",
                "order": "asc",
            },
        )
        for order in response.json():
            yield str(order.get("id", "")), str(order.get("date_modified_gmt", "")), order
        if page >= int(response.headers.get("X-WP-TotalPages") or 1):
            return
        page += 1


def order(connection, shop_order_id):
    return from_rest(
        connection, call(connection, "GET", _api(connection, f"orders/{shop_order_id}"), auth=_auth(connection)).json()
    )


def find_products(connection, skus):
    """{SKU in capitals: the shop's ids} for the SKUs the shop sells. Since REST v3 (WooCommerce
    3.x) `products?sku=` searches variations too (prepare_objects_query sets post_type to
    product and product_variation when a SKU is asked): a variation is remembered with its
    parent, through which it is updated."""
    found = {}
    for start in range(0, len(skus), 100):
        chunk = skus[start : start + 100]
        response = call(
            connection,
            "GET",
            _api(connection, "products"),
            auth=_auth(connection),
            params={"sku": ",".join(chunk), "per_page": 100},
        )
        for product in response.json():
            if product.get("sku"):
                ids = {"product": product["id"]}
                if product.get("type") == "variation" and product.get("parent_id"):
                    ids["parent"] = product["parent_id"]
                found[product["sku"].upper()] = ids
    return found


def _update(row, state):
    return {
        "id": row.remote["product"],
        "manage_stock": True,
        "stock_quantity": state.free,
        "backorders": "notify" if state.backorderable else "no",
        "meta_data": [{"key": "restock_date", "value": state.restock_date.isoformat() if state.restock_date else None}],
    }


def push_stock(connection, items):
    """Stock managed by the shop's numbers: `stock_quantity` what is free to sell,
    `backorders: notify` for a backorderable product (sold beyond stock, marked "available on
    backorder"), meta `restock_date` (ISO date; null deletes it). Products through
    products/batch, variations through products/<parent>/variations/batch (products/batch
    refuses a variation), up to 100 a call. Returns {row id: error or ""}."""
    results, by_path = {}, {}
    for row, state in items:
        parent = row.remote.get("parent")
        by_path.setdefault(f"products/{parent}/variations/batch" if parent else "products/batch", []).append(
            (row, state)
        )
    for path, rows in by_path.items():
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            answer = call(
                connection,
                "POST",
                _api(connection, path),
                auth=_auth(connection),
                json={"update": [_update(row, state) for row, state in batch]},
            ).json()
            errors = {
                str(item.get("id")): (item.get("error") or {}).get("message", "")
                for item in answer.get("update") or []
                if isinstance(item, dict)
            }
            for row, _state in batch:
                results[row.pk] = errors.get(str(row.remote["product"]), "")
    return results


# --- shipments and cancellations back -----------------------------------------------------


def _note(connection, push, done):
    """One note per push: a retry after a note asked whose answer was lost first reads the
    order's notes for this push's marker."""
    if "note" in push.steps_done:
        return
    path = _api(connection, f"orders/{push.data['shop_order_id']}/notes")
    if "note" in push.asked:
        notes = call(connection, "GET", path, auth=_auth(connection), params={"type": "internal"}).json()
        if any(push.marker in str(note.get("note", "")) for note in notes if isinstance(note, dict)):
            done("note")
            return
    push.asking("note", [])
    call(connection, "POST", path, auth=_auth(connection), json={"note": push.data["note"], "customer_note": False})
    done("note")


def _status(connection, push, done, status):
    if "status" not in push.steps_done:
        call(
            connection,
            "PUT",
            _api(connection, f"orders/{push.data['shop_order_id']}"),
            auth=_auth(connection),
            json={"status": status},
        )
        done("status")


def ship(connection, push, done):
    """An order note naming the lines and the tracking number; `completed` once nothing is
    left to ship (core WooCommerce has no shipment object)."""
    _note(connection, push, done)
    if push.data.get("nothing_left"):
        _status(connection, push, done, "completed")


def cancel(connection, push, done):
    """A note with the cancelled lines and the amount not to be charged; the order
    `cancelled` when nothing was shipped and nothing is left, `completed` when the rest shipped."""
    _note(connection, push, done)
    if push.data.get("nothing_left"):
        _status(connection, push, done, "completed" if push.data.get("anything_shipped") else "cancelled")
