"""Shopify: signed webhooks (X-Shopify-*) and the Admin GraphQL API (version API_VERSION,
header X-Shopify-Access-Token). Rate limits: a leaky bucket per shop; a THROTTLED answer
(HTTP 200 or 429) pauses the connection for as long as the bucket needs to refill."""

import datetime
import hashlib
import json
from decimal import Decimal

from .. import secrets
from ..http import ShopRefused, ShopUnavailable, call, pause
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

API_VERSION = "2025-10"
ORDER_TOPICS = {
    "orders/create",
    "orders/updated",
    "orders/cancelled",
    "orders/paid",
    "orders/partially_fulfilled",
    "orders/fulfilled",
}
PLACEABLE = {"paid", "authorized", "partially_paid"}
BATCH = 25  # products per push call: a productVariantsBulkUpdate each, within a query's cost


def gid(kind, value):
    return value if str(value).startswith("gid://") else f"gid://shopify/{kind}/{value}"


# --- webhooks ---------------------------------------------------------------------------


def is_ping(headers, body):
    return False


def signed(secret, headers, body):
    return hmac_signed(secret, body, headers.get("X-Shopify-Hmac-Sha256"))


def delivery(headers, body):
    """(delivery key, topic, shop's order id): X-Shopify-Webhook-Id is the same on a retry."""
    topic = headers.get("X-Shopify-Topic", "")
    key = headers.get("X-Shopify-Webhook-Id") or "sha256:" + hashlib.sha256(body).hexdigest()
    try:
        payload = json.loads(body)
        order_id = payload["order_edit"]["order_id"] if topic == "orders/edited" else payload.get("id", "")
    except (ValueError, TypeError, KeyError, AttributeError):
        order_id = ""
    return key[:200], topic[:64], str(order_id)[:64]


def read_event(connection, topic, payload):
    """What an event asks: an order to apply, one to read first (orders/edited), or nothing."""
    from . import SYNC_TOPIC, Fetch

    if topic == SYNC_TOPIC:
        return from_graphql(connection, payload)
    if topic == "orders/edited":
        try:
            return Fetch(payload["order_edit"]["order_id"])
        except (KeyError, TypeError):
            raise Held("orders/edited without order_edit.order_id.") from None
    if topic in ORDER_TOPICS:
        return from_webhook(connection, payload)
    return None


def from_webhook(connection, order):
    """An order as the REST webhook body has it (the same shape as REST Admin's order)."""
    try:
        lines, skipped = [], []
        for item in order["line_items"]:
            name = text(item.get("name") or item.get("title"))
            if not item.get("requires_shipping", True) or item.get("gift_card"):
                skipped.append(name)  # gift cards, tips: nothing to ship
                continue
            quantity = int(item.get("current_quantity", item["quantity"]))
            price = money(
                (item.get("price_set") or {}).get("shop_money", {}).get("amount", item["price"]), f"{name}: price"
            )
            discounts = sum(
                (money(a["amount"], f"{name}: discount") for a in item.get("discount_allocations") or []), Decimal(0)
            )
            lines.append(
                ShopLine(
                    str(item["id"]),
                    text(item.get("sku")),
                    name,
                    quantity,
                    price - per_unit(discounts, int(item["quantity"])),
                )
            )
        customer = order.get("customer") or {}
        ship_to = order.get("shipping_address") or {}
        status = text(order.get("financial_status")).lower()
        return ShopOrderData(
            shop_order_id=str(order["id"]),
            number=text(order.get("name")) or str(order.get("order_number", order["id"])),
            version=moment(order["updated_at"], "updated_at"),
            email=text(order.get("email") or order.get("contact_email") or customer.get("email")),
            name=_name(customer.get("first_name"), customer.get("last_name"), ship_to.get("name")),
            language=language(order.get("customer_locale"), connection.language),
            currency=text(order.get("currency")) or "EUR",
            shipping_address=address(
                ship_to.get("name"),
                ship_to.get("company"),
                ship_to.get("address1"),
                ship_to.get("address2"),
                ship_to.get("zip"),
                ship_to.get("city"),
                ship_to.get("province"),
                ship_to.get("country_code") or ship_to.get("country"),
            ),
            lines=lines,
            placeable=status in PLACEABLE,
            cancelled=bool(order.get("cancelled_at")),
            payment=status,
            skipped=skipped,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise Held(f"Malformed Shopify order: {type(error).__name__} {error}.") from None


def _name(first, last, fallback):
    return " ".join(part for part in (text(first), text(last)) if part) or text(fallback)


# --- Admin GraphQL ------------------------------------------------------------------------

ORDER_FIELDS = """
fragment OrderFields on Order {
  legacyResourceId name email customerLocale currencyCode updatedAt cancelledAt displayFinancialStatus
  customer { firstName lastName email }
  shippingAddress { name company address1 address2 zip city province countryCodeV2 }
  lineItems(first: 50) { nodes { id sku name quantity currentQuantity requiresShipping isGiftCard
    originalUnitPriceSet { shopMoney { amount } }
    discountAllocations { allocatedAmountSet { shopMoney { amount } } } } }
}"""

ORDERS_SINCE = (
    ORDER_FIELDS
    + """
query OrdersSince($cursor: String, $q: String!) {
  orders(first: 10, after: $cursor, query: $q, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes { ...OrderFields }
  }
}"""
)

ONE_ORDER = (
    ORDER_FIELDS
    + """
query OneOrder($id: ID!) { order(id: $id) { ...OrderFields } }"""
)


def graphql(connection, query, variables):
    """One GraphQL call; its data, or ShopUnavailable when throttled (pausing the
    connection until the bucket holds what the query costs) or ShopRefused for errors."""
    response = call(
        connection,
        "POST",
        f"{connection.url}/admin/api/{API_VERSION}/graphql.json",
        json={"query": query, "variables": variables},
        headers={"X-Shopify-Access-Token": secrets.secret(connection, "access_token")},
    )
    body = response.json()
    errors = body.get("errors") or []
    if any((error.get("extensions") or {}).get("code") == "THROTTLED" for error in errors):
        cost = (body.get("extensions") or {}).get("cost") or {}
        status = cost.get("throttleStatus") or {}
        wait = 1.0
        if status.get("restoreRate"):
            wait = (
                max((cost.get("requestedQueryCost") or 0) - (status.get("currentlyAvailable") or 0), 0)
                / status["restoreRate"]
            )
        pause(connection, max(wait, 1.0))
        raise ShopUnavailable(
            f"Shopify throttled the call, retry after {max(wait, 1.0):.1f} s", retry_after=max(wait, 1.0)
        )
    if errors:
        raise ShopRefused("Shopify: " + "; ".join(error.get("message", "error") for error in errors)[:500])
    return body["data"]


def from_graphql(connection, node):
    try:
        lines, skipped = [], []
        for item in node["lineItems"]["nodes"]:
            name = text(item.get("name"))
            if not item.get("requiresShipping", True) or item.get("isGiftCard"):
                skipped.append(name)
                continue
            price = money(item["originalUnitPriceSet"]["shopMoney"]["amount"], f"{name}: price")
            discounts = sum(
                (
                    money(a["allocatedAmountSet"]["shopMoney"]["amount"], f"{name}: discount")
                    for a in item.get("discountAllocations") or []
                ),
                Decimal(0),
            )
            lines.append(
                ShopLine(
                    item["id"].rsplit("/", 1)[-1],
                    text(item.get("sku")),
                    name,
                    int(item["currentQuantity"]),
                    price - per_unit(discounts, int(item["quantity"])),
                )
            )
        customer = node.get("customer") or {}
        ship_to = node.get("shippingAddress") or {}
        status = text(node.get("displayFinancialStatus")).lower()
        return ShopOrderData(
            shop_order_id=str(node["legacyResourceId"]),
            number=text(node["name"]),
            version=moment(node["updatedAt"], "updatedAt"),
            email=text(node.get("email") or customer.get("email")),
            name=_name(customer.get("firstName"), customer.get("lastName"), ship_to.get("name")),
            language=language(node.get("customerLocale"), connection.language),
            currency=text(node.get("currencyCode")) or "EUR",
            shipping_address=address(
                ship_to.get("name"),
                ship_to.get("company"),
                ship_to.get("address1"),
                ship_to.get("address2"),
                ship_to.get("zip"),
                ship_to.get("city"),
                ship_to.get("province"),
                ship_to.get("countryCodeV2"),
            ),
            lines=lines,
            placeable=status in PLACEABLE,
            cancelled=bool(node.get("cancelledAt")),
            payment=status,
            skipped=skipped,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise Held(f"Malformed Shopify order: {type(error).__name__} {error}.") from None


def orders_since(connection, since):
    """Every order changed after `since`, oldest change first, page by page, as
    (shop's order id, its version, the order as read) for the inbox."""
    query, cursor = f"updated_at:>'{since.astimezone(datetime.UTC):%Y-%m-%dT%H:%M:%SZ}'", None
    while True:
        page = graphql(connection, ORDERS_SINCE, {"cursor": cursor, "q": query})["orders"]
        for node in page["nodes"]:
            yield str(node.get("legacyResourceId", "")), str(node.get("updatedAt", "")), node
        if not page["pageInfo"]["hasNextPage"]:
            return
        cursor = page["pageInfo"]["endCursor"]


def sync_key(shop_order_id, version):
    return f"sync:{shop_order_id}:{version}"


def order(connection, shop_order_id):
    node = graphql(connection, ONE_ORDER, {"id": gid("Order", shop_order_id)})["order"]
    if node is None:
        raise Held(f"Shopify has no order {shop_order_id}.")
    return from_graphql(connection, node)


# --- stock and restock date out -----------------------------------------------------------

FIND_VARIANTS = """
query Variants($q: String!) {
  productVariants(first: 100, query: $q) { nodes { id sku product { id } inventoryItem { id } } }
}"""

FIRST_LOCATION = "query { locations(first: 1) { nodes { id } } }"


def find_products(connection, skus):
    """{SKU in capitals: the shop's ids} for the SKUs the shop sells (variants by SKU)."""
    found = {}
    for start in range(0, len(skus), 50):
        chunk = skus[start : start + 50]
        query = " OR ".join(f"sku:'{sku}'" for sku in chunk)
        for node in graphql(connection, FIND_VARIANTS, {"q": query})["productVariants"]["nodes"]:
            if node.get("sku"):
                found[node["sku"].upper()] = {
                    "variant": node["id"],
                    "product": node["product"]["id"],
                    "inventory_item": node["inventoryItem"]["id"],
                }
    return found


def _location(connection):
    if not connection.location_id:
        from ..models import ShopConnection

        nodes = graphql(connection, FIRST_LOCATION, {})["locations"]["nodes"]
        if not nodes:
            raise ShopRefused("Shopify: the shop has no location to keep stock at.")
        connection.location_id = nodes[0]["id"]
        ShopConnection.objects.filter(pk=connection.pk).update(location_id=connection.location_id)
    return connection.location_id


def push_stock(connection, items):
    """Set each variant's available quantity (the back office is the source of truth:
    compare quantities are not asked for), its inventory policy (CONTINUE: sold beyond stock)
    and its restock date (variant metafield backorder.restock_date, type date; deleted when
    there is none): one call per BATCH products. Returns {row id: error or ""}."""
    results = {}
    location = _location(connection) if items else None
    for start in range(0, len(items), BATCH):
        batch = items[start : start + BATCH]
        by_product = {}
        for row, state in batch:
            by_product.setdefault(row.remote["product"], []).append((row, state))
        declared, parts = ["$quantities: [InventoryQuantityInput!]!"], []
        variables = {
            "quantities": [
                {"inventoryItemId": row.remote["inventory_item"], "locationId": location, "quantity": state.free}
                for row, state in batch
            ]
        }
        parts.append(
            'stock: inventorySetQuantities(input: {name: "available", reason: "correction", '
            "ignoreCompareQuantity: true, quantities: $quantities}) { userErrors { field message } }"
        )
        for index, (product, rows) in enumerate(by_product.items()):
            declared += [f"$p{index}: ID!", f"$v{index}: [ProductVariantsBulkInput!]!"]
            parts.append(
                f"p{index}: productVariantsBulkUpdate(productId: $p{index}, variants: $v{index}) "
                "{ userErrors { field message } }"
            )
            variables[f"p{index}"] = product
            variables[f"v{index}"] = [
                {
                    "id": row.remote["variant"],
                    "inventoryPolicy": "CONTINUE" if state.backorderable else "DENY",
                    **(
                        {
                            "metafields": [
                                {
                                    "namespace": "backorder",
                                    "key": "restock_date",
                                    "type": "date",
                                    "value": state.restock_date.isoformat(),
                                }
                            ]
                        }
                        if state.restock_date
                        else {}
                    ),
                }
                for row, state in rows
            ]
        cleared = [
            {"ownerId": row.remote["variant"], "namespace": "backorder", "key": "restock_date"}
            for row, state in batch
            if not state.restock_date and (row.pushed or {}).get("restock_date")
        ]
        if cleared:
            declared.append("$cleared: [MetafieldIdentifierInput!]!")
            parts.append("cleared: metafieldsDelete(metafields: $cleared) { userErrors { field message } }")
            variables["cleared"] = cleared
        query = f"mutation PushStock({', '.join(declared)}) {{\n  " + "\n  ".join(parts) + "\n}"
        data = graphql(connection, query, variables)
        stock_errors = _errors(data.get("stock"))
        for index, rows in enumerate(by_product.values()):
            product_errors = _errors(data.get(f"p{index}"))
            for row, _state in rows:
                results[row.pk] = "; ".join(filter(None, [stock_errors, product_errors]))
    return results


def _errors(result):
    return "; ".join(error.get("message", "") for error in (result or {}).get("userErrors") or [])


# --- shipments and cancellations back -----------------------------------------------------

FULFILLMENT_ORDERS = """
query FulfillmentOrders($id: ID!) {
  order(id: $id) {
    fulfillmentOrders(first: 20) { nodes { id status
      lineItems(first: 100) { nodes { id remainingQuantity lineItem { sku } } } } }
    transactions(first: 20) { id kind status }
  }
}"""

FULFIL = """
mutation Fulfil($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) { fulfillment { id } userErrors { field message } }
}"""

CAPTURE = """
mutation Capture($input: OrderCaptureInput!) {
  orderCapture(input: $input) { transaction { id status } userErrors { field message } }
}"""

NOTE = "query Note($id: ID!) { order(id: $id) { note } }"

SET_NOTE = """
mutation SetNote($input: OrderInput!) { orderUpdate(input: $input) { order { id } userErrors { field message } } }"""

CANCEL = """
mutation Cancel($id: ID!, $note: String) {
  orderCancel(orderId: $id, reason: OTHER, refund: true, restock: false, notifyCustomer: false, staffNote: $note) {
    job { id } orderCancelUserErrors { field message code }
  }
}"""


def ship(connection, push, done):
    """A shipment as a fulfilment of the shipped fulfilment-order lines with its tracking
    number (the customer is not notified: the back office writes to them), then, for an
    authorised payment, a capture of the shipped amount. `done(step)` records each step so
    a retry never repeats one."""
    from . import CaptureRefused

    data, order_id = push.data, gid("Order", push.data["shop_order_id"])
    if "fulfilment" not in push.steps_done:
        found = graphql(connection, FULFILLMENT_ORDERS, {"id": order_id})["order"]
        wanted = {line["sku"].upper(): line["quantity"] for line in data["lines"]}
        by_order = []
        for fulfillment_order in found["fulfillmentOrders"]["nodes"]:
            items = []
            for item in fulfillment_order["lineItems"]["nodes"]:
                sku = ((item.get("lineItem") or {}).get("sku") or "").upper()
                units = min(wanted.get(sku, 0), item["remainingQuantity"])
                if units > 0:
                    items.append({"id": item["id"], "quantity": units})
                    wanted[sku] -= units
            if items:
                by_order.append({"fulfillmentOrderId": fulfillment_order["id"], "fulfillmentOrderLineItems": items})
        if not by_order:
            raise ShopRefused("Shopify: no open fulfilment order holds the shipped lines.")
        fulfillment = {"lineItemsByFulfillmentOrder": by_order, "notifyCustomer": False}
        if data.get("tracking_number"):
            fulfillment["trackingInfo"] = {"number": data["tracking_number"]}
        errors = _errors(graphql(connection, FULFIL, {"fulfillment": fulfillment})["fulfillmentCreate"])
        if errors:
            raise ShopRefused(f"Shopify refused the fulfilment: {errors}")
        done("fulfilment")
    if data.get("payment") == "authorized" and Decimal(data["amount"]) > 0 and "capture" not in push.steps_done:
        found = graphql(connection, FULFILLMENT_ORDERS, {"id": order_id})["order"]
        authorisations = [
            t["id"] for t in found["transactions"] if t["kind"] == "AUTHORIZATION" and t["status"] == "SUCCESS"
        ]
        if not authorisations:
            raise CaptureRefused("Shopify: the order has no successful authorisation to capture.")
        result = graphql(
            connection,
            CAPTURE,
            {
                "input": {
                    "id": order_id,
                    "parentTransactionId": authorisations[0],
                    "amount": data["amount"],
                    "currency": data["currency"],
                }
            },
        )["orderCapture"]
        transaction = result.get("transaction") or {}
        if _errors(result) or transaction.get("status") in ("FAILURE", "ERROR"):
            raise CaptureRefused(
                f"Shopify refused to capture {data['amount']} {data['currency']}: "
                f"{_errors(result) or transaction.get('status')}"
            )
        done("capture")


def cancel(connection, push, done):
    """Cancelled units as a line on the order's note (the lines and the amount not to be
    charged); the order itself cancelled when nothing is left to ship or charge."""
    data, order_id = push.data, gid("Order", push.data["shop_order_id"])
    if "note" not in push.steps_done:
        current = text(graphql(connection, NOTE, {"id": order_id})["order"].get("note"))
        result = graphql(
            connection, SET_NOTE, {"input": {"id": order_id, "note": "\n".join(filter(None, [current, data["note"]]))}}
        )
        if errors := _errors(result["orderUpdate"]):
            raise ShopRefused(f"Shopify refused the note: {errors}")
        done("note")
    if data.get("nothing_left") and not data.get("anything_shipped") and "cancel" not in push.steps_done:
        result = graphql(connection, CANCEL, {"id": order_id, "note": data["note"]})["orderCancel"]
        errors = "; ".join(error.get("message", "") for error in result.get("orderCancelUserErrors") or [])
        if errors:
            raise ShopRefused(f"Shopify refused to cancel the order: {errors}")
        done("cancel")
