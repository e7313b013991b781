"""Shopify: signed webhooks (X-Shopify-*) and the Admin GraphQL API (version API_VERSION,
header X-Shopify-Access-Token). Rate limits: a leaky bucket per shop; a THROTTLED answer
(HTTP 200 or 429) pauses the connection for as long as the bucket needs to refill.

Charge on shipment (orderCapture of the order's successful authorisation, while the order is
authorised or partly paid), amounts in the order's presentment currency (`currency`: the one
the customer paid in, required where it differs from the shop's):
- each shipment captures its lines' amount at Shopify's unit prices after all discounts, at
  most what is left to capture (`totalCapturableSet`);
- the last shipment (nothing left to ship; or a cancellation here that leaves nothing to ship
  after something shipped) captures what is left to capture and still owed
  (`totalOutstandingSet`: shipping, tax), less the units cancelled here that the shop's order
  still counts, with `finalCapture: true`, which voids the rest of the authorisation;
- an authorisation that is not multi-capturable (a partial capture voids the rest) is
  captured once, at the last shipment;
- a capture asked before whose answer was lost is found among the order's capture
  transactions and not asked again. Nothing to capture on an order never captured (the
  authorisation expired or was voided) is refused like a capture the provider refuses:
  flagged on the order for staff, never retried."""

import datetime
import hashlib
import json
import uuid
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

# Shopify supports each quarterly version for 12 months: move this on (and read the version's
# breaking changes) at least once a year. The tests' fake shop answers on this path only.
API_VERSION = "2026-10"
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
    """An order as the REST webhook body has it (the same shape as REST Admin's order); the
    one mapping of a Shopify order (from_graphql renames GraphQL's fields to these)."""
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
  lineItems(first: 50) { pageInfo { hasNextPage } nodes { id sku name quantity currentQuantity requiresShipping isGiftCard
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
    """An order as Admin GraphQL has it: its fields named as the REST webhook names them, then
    read by the one mapping (`from_webhook`)."""
    try:
        if (node["lineItems"].get("pageInfo") or {}).get("hasNextPage"):
            # Read as it is, the lines past the page would look removed and be cancelled.
            raise Held("The order has more than 50 lines: the sync cannot read it whole; its webhook places it.")
        order = _as_webhook(node)
    except (KeyError, TypeError, AttributeError) as error:
        raise Held(f"Malformed Shopify order: {type(error).__name__} {error}.") from None
    return from_webhook(connection, order)


def _as_webhook(node):
    """GraphQL's names for what ORDER_FIELDS asks, as the REST webhook body names them."""
    customer, ship_to = node.get("customer") or {}, node.get("shippingAddress") or {}
    return {
        "id": node["legacyResourceId"],
        "name": node["name"],
        "updated_at": node["updatedAt"],
        "email": node.get("email"),
        "customer": {
            "first_name": customer.get("firstName"),
            "last_name": customer.get("lastName"),
            "email": customer.get("email"),
        },
        "customer_locale": node.get("customerLocale"),
        "currency": node.get("currencyCode"),
        "financial_status": node.get("displayFinancialStatus"),
        "cancelled_at": node.get("cancelledAt"),
        "shipping_address": {
            **{key: ship_to.get(key) for key in ("name", "company", "address1", "address2", "zip", "city", "province")},
            "country_code": ship_to.get("countryCodeV2"),
        },
        "line_items": [
            {
                "id": item["id"].rsplit("/", 1)[-1],
                "sku": item.get("sku"),
                "name": item.get("name"),
                "quantity": item["quantity"],
                "current_quantity": item["currentQuantity"],
                "requires_shipping": item.get("requiresShipping", True),
                "gift_card": item.get("isGiftCard"),
                "price": item["originalUnitPriceSet"]["shopMoney"]["amount"],
                "discount_allocations": [
                    {"amount": allocation["allocatedAmountSet"]["shopMoney"]["amount"]}
                    for allocation in item.get("discountAllocations") or []
                ],
            }
            for item in node["lineItems"]["nodes"]
        ],
    }


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
    """Set each variant's available quantity (the back office is the source of truth, so the
    compare-and-swap is opted out of per quantity with `changeFromQuantity: null`, as versions
    from 2026-04 require; the shop's own sales reach us as orders), its inventory policy (CONTINUE: sold beyond stock)
    and its restock date (variant metafield backorder.restock_date, type date; deleted when
    there is none): one call per BATCH products. Returns {row id: error or ""}."""
    results = {}
    location = _location(connection) if items else None
    for start in range(0, len(items), BATCH):
        batch = items[start : start + BATCH]
        by_product = {}
        for row, state in batch:
            by_product.setdefault(row.remote["product"], []).append((row, state))
        declared, parts = ["$quantities: [InventoryQuantityInput!]!", "$key: String!"], []
        variables = {
            "quantities": [
                {
                    "inventoryItemId": row.remote["inventory_item"],
                    "locationId": location,
                    "quantity": state.free,
                    "changeFromQuantity": None,
                }
                for row, state in batch
            ],
            "key": str(uuid.uuid4()),
        }
        # A new key per push: setting absolute quantities twice is harmless, and Shopify refuses
        # a key whose first attempt failed.
        parts.append(
            'stock: inventorySetQuantities(input: {name: "available", reason: "correction", '
            "quantities: $quantities}) @idempotent(key: $key) { userErrors { field message } }"
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

FULFILMENT_STATE = """
query FulfilmentState($id: ID!) {
  order(id: $id) {
    fulfillments(first: 250) { id }
    fulfillmentOrders(first: 5) { nodes { id status
      lineItems(first: 150) { nodes { id remainingQuantity lineItem { sku } } } } }
  }
}"""

FULFIL = """
mutation Fulfil($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) { fulfillment { id } userErrors { field message } }
}"""

CAPTURE_STATE = """
query CaptureState($id: ID!) {
  order(id: $id) {
    presentmentCurrencyCode
    totalCapturableSet { presentmentMoney { amount } }
    totalOutstandingSet { presentmentMoney { amount } }
    lineItems(first: 250) { nodes { sku discountedUnitPriceAfterAllDiscountsSet { presentmentMoney { amount } } } }
    transactions(first: 100) { id kind status multiCapturable parentTransaction { id } }
  }
}"""

CAPTURE = """
mutation Capture($input: OrderCaptureInput!) {
  orderCapture(input: $input) { transaction { id status } userErrors { field message } }
}"""

NOTE = "query Note($id: ID!) { order(id: $id) { note cancelledAt } }"

SET_NOTE = """
mutation SetNote($input: OrderInput!) { orderUpdate(input: $input) { order { id } userErrors { field message } } }"""

CANCEL = """
mutation Cancel($id: ID!, $note: String) {
  orderCancel(orderId: $id, reason: OTHER, refund: true, restock: false, notifyCustomer: false, staffNote: $note) {
    job { id } orderCancelUserErrors { field message code }
  }
}"""
# Payment states in which an authorisation may still hold money to capture: authorised, and
# partly paid once a first shipment's share was captured.
CAPTURABLE = {"authorized", "partially_paid"}


def ship(connection, push, done):
    """A shipment as a fulfilment of the shipped fulfilment-order lines with its tracking
    number (the customer is not notified: the back office writes to them), then the capture
    (the module docstring). `done(step)` records each step so a retry never repeats one."""
    _fulfil(connection, push, done)
    _capture(connection, push, done, final=bool(push.data.get("nothing_left")))


def _fulfilment_lines(state, wanted):
    """The fulfilment-order lines to fulfil for {SKU: units}, and whether any line of those SKUs
    was found at all (found with nothing remaining: fulfilled in the shop already)."""
    wanted, by_order, known = dict(wanted), [], False
    for fulfillment_order in state["fulfillmentOrders"]["nodes"]:
        items = []
        for item in fulfillment_order["lineItems"]["nodes"]:
            sku = ((item.get("lineItem") or {}).get("sku") or "").upper()
            known = known or sku in wanted
            units = min(wanted.get(sku, 0), item["remainingQuantity"])
            if units > 0:
                items.append({"id": item["id"], "quantity": units})
                wanted[sku] -= units
        if items:
            by_order.append({"fulfillmentOrderId": fulfillment_order["id"], "fulfillmentOrderLineItems": items})
    return by_order, known


def _fulfil(connection, push, done):
    """Done already when a fulfilment asked before (its answer lost) is in the shop now, or when
    the shipped lines are fulfilled in the shop (nothing of them remains): both count as done."""
    if "fulfilment" in push.steps_done:
        return
    data, order_id = push.data, gid("Order", push.data["shop_order_id"])
    state = graphql(connection, FULFILMENT_STATE, {"id": order_id})["order"]
    fulfilments = [fulfilment["id"] for fulfilment in state.get("fulfillments") or []]
    if "fulfilment" in push.asked and set(fulfilments) - set(push.asked["fulfilment"]):
        done("fulfilment")
        return
    by_order, known = _fulfilment_lines(state, {line["sku"].upper(): line["quantity"] for line in data["lines"]})
    if not by_order:
        if known:
            done("fulfilment")  # fulfilled in the shop already (by the merchant, or by us)
            return
        raise ShopRefused("Shopify: no fulfilment order holds the shipped lines' SKUs.")
    fulfillment = {"lineItemsByFulfillmentOrder": by_order, "notifyCustomer": False}
    if data.get("tracking_number"):
        fulfillment["trackingInfo"] = {"number": data["tracking_number"]}
    push.asking("fulfilment", fulfilments)
    errors = _errors(graphql(connection, FULFIL, {"fulfillment": fulfillment})["fulfillmentCreate"])
    if errors:
        raise ShopRefused(f"Shopify refused the fulfilment: {errors}")
    done("fulfilment")


def _capture(connection, push, done, final):
    """The capture of a shipment (the rule: the module docstring). A capture the provider
    refuses is CaptureRefused: flagged on the order, never retried."""
    from . import CaptureRefused

    data = push.data
    if "capture" in push.steps_done or data.get("payment") not in CAPTURABLE:
        return
    order_id = gid("Order", data["shop_order_id"])
    state = graphql(connection, CAPTURE_STATE, {"id": order_id})["order"]
    transactions = state.get("transactions") or []
    authorisation = next((t for t in transactions if t["kind"] == "AUTHORIZATION" and t["status"] == "SUCCESS"), None)
    captures = [
        t["id"]
        for t in transactions
        if t["kind"] == "CAPTURE"
        and t["status"] in ("SUCCESS", "PENDING")
        and (t.get("parentTransaction") or {}).get("id") == (authorisation or {}).get("id")
    ]
    if "capture" in push.asked and set(captures) - set(push.asked["capture"]):
        done("capture")  # the capture asked before went through; its answer was lost
        return
    capturable = _presentment(state.get("totalCapturableSet"))
    if authorisation is None or capturable <= 0:
        if captures:
            done("capture")  # captured in full already
            return
        raise CaptureRefused("Shopify: the order has nothing to capture (the authorisation expired or was voided).")
    prices = {}
    for line in state["lineItems"]["nodes"]:
        prices.setdefault(
            (line.get("sku") or "").upper(), _presentment(line["discountedUnitPriceAfterAllDiscountsSet"])
        )
    if final:
        owed = min(capturable, _presentment(state.get("totalOutstandingSet")))
        kept_back = sum(units * prices.get(sku.upper(), 0) for sku, units in (data.get("kept_back") or {}).items())
        amount = owed - kept_back
    elif authorisation.get("multiCapturable"):
        amount = min(capturable, sum(line["quantity"] * prices.get(line["sku"].upper(), 0) for line in data["lines"]))
    else:
        done("capture")  # captured once, in full, at the last shipment
        return
    if amount <= 0:
        done("capture")
        return
    currency = state.get("presentmentCurrencyCode") or data["currency"]
    push.asking("capture", captures)
    result = graphql(
        connection,
        CAPTURE,
        {
            "input": {
                "id": order_id,
                "parentTransactionId": authorisation["id"],
                "amount": str(amount),
                "currency": currency,
                "finalCapture": final,
            }
        },
    )["orderCapture"]
    transaction = result.get("transaction") or {}
    if _errors(result) or transaction.get("status") in ("FAILURE", "ERROR"):
        raise CaptureRefused(
            f"Shopify refused to capture {amount} {currency}: {_errors(result) or transaction.get('status')}"
        )
    done("capture")


def _presentment(money_bag):
    return Decimal(str(((money_bag or {}).get("presentmentMoney") or {}).get("amount") or 0))


def cancel(connection, push, done):
    """Cancelled units as a line on the order's note (the lines and the amount not to be
    charged; a note carrying this push's marker is not written twice); the order itself
    cancelled when nothing was shipped and nothing is left (one cancelled already counts as
    done); when the rest shipped, the last capture (shipping, tax) is made now."""
    data, order_id = push.data, gid("Order", push.data["shop_order_id"])
    if "note" not in push.steps_done or "cancel" not in push.steps_done:
        state = graphql(connection, NOTE, {"id": order_id})["order"]
    if "note" not in push.steps_done:
        current = text(state.get("note"))
        if push.marker not in current:
            result = graphql(
                connection,
                SET_NOTE,
                {"input": {"id": order_id, "note": "\n".join(filter(None, [current, data["note"]]))}},
            )
            if errors := _errors(result["orderUpdate"]):
                raise ShopRefused(f"Shopify refused the note: {errors}")
        done("note")
    if not data.get("nothing_left"):
        return
    if data.get("anything_shipped"):
        _capture(connection, push, done, final=True)
    elif "cancel" not in push.steps_done:
        if not state.get("cancelledAt"):
            result = graphql(connection, CANCEL, {"id": order_id, "note": data["note"]})["orderCancel"]
            errors = "; ".join(error.get("message", "") for error in result.get("orderCancelUserErrors") or [])
            if errors:
                raise ShopRefused(f"Shopify refused to cancel the order: {errors}")
        done("cancel")
