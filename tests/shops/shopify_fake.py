"""A fake Shopify order over real HTTP for the pushes back: its fulfilment order, fulfilments,
authorisation and captures, note and cancellation, answering the fields the Admin GraphQL API
names (Order.totalCapturableSet, totalOutstandingSet, presentmentCurrencyCode,
LineItem.discountedUnitPriceAfterAllDiscountsSet, OrderTransaction.multiCapturable,
OrderCaptureInput.finalCapture). It keeps its own state, so a call it applied and whose answer
was lost (`drop`: the connection breaks mid-answer) shows on the next read, as in a real shop."""

import json
from decimal import Decimal

from werkzeug import Response

from .conftest import SHOPIFY_GRAPHQL

ORDER_ID = "gid://shopify/Order/820982911946154508"
AUTHORISATION = "gid://shopify/OrderTransaction/77"
# Shopify's sample order #9999: one of each, in the shop's currency (USD).
SAMPLE_PRICES = {"SKU2006-001": "89.99", "SKU2006-020": "159.99", "SKU2006-035": "119.99"}


def money(amount):
    return {"presentmentMoney": {"amount": str(amount)}}


class FakeShopify:
    def __init__(
        self,
        server,
        *,
        presentment="USD",
        prices=SAMPLE_PRICES,
        shipping="10.00",
        multi_capturable=True,
        capture_errors=(),
        drop=(),
        fulfilled=(),
        cancelled_at=None,
    ):
        self.presentment, self.multi_capturable, self.capture_errors = presentment, multi_capturable, capture_errors
        self.prices = {sku: Decimal(price) for sku, price in prices.items()}
        self.total = sum(self.prices.values()) + Decimal(shipping)
        self.remaining = {sku: 0 if sku in fulfilled else 1 for sku in prices}
        self.fulfillments, self.captures, self.voided = [], [], False
        self.note, self.cancelled_at = "", cancelled_at
        self.drop = set(drop)  # operations whose first answer is lost after they were applied
        self.calls = []
        server.expect_request(
            SHOPIFY_GRAPHQL, method="POST", headers={"X-Shopify-Access-Token": "shpat_token"}
        ).respond_with_handler(self.answer)

    @property
    def captured(self):
        return sum((amount for _id, amount in self.captures), Decimal(0))

    def made(self, operation):
        return [variables for name, variables in self.calls if name == operation]

    def answer(self, request):
        body = request.get_json()
        query, variables = body["query"], body["variables"]
        operation = query.split("(", 1)[0].split()[-1]
        self.calls.append((operation, variables))
        data = getattr(self, operation)(variables)
        if operation in self.drop:
            self.drop.discard(operation)
            broken = Response(json.dumps({"data": data})[:10], content_type="application/json")
            broken.headers["Content-Length"] = "500"  # the connection breaks mid-answer
            return broken
        return Response(json.dumps({"data": data}), content_type="application/json")

    # --- reads -----------------------------------------------------------------------------

    def FulfilmentState(self, variables):
        return {
            "order": {
                "fulfillments": [{"id": f} for f in self.fulfillments],
                "fulfillmentOrders": {
                    "nodes": [
                        {
                            "id": "gid://shopify/FulfillmentOrder/9",
                            "status": "OPEN" if any(self.remaining.values()) else "CLOSED",
                            "lineItems": {
                                "nodes": [
                                    {
                                        "id": f"gid://shopify/FulfillmentOrderLineItem/9{n}",
                                        "remainingQuantity": self.remaining[sku],
                                        "lineItem": {"sku": sku},
                                    }
                                    for n, sku in enumerate(self.prices, start=1)
                                ]
                            },
                        }
                    ]
                },
            }
        }

    def CaptureState(self, variables):
        capturable = Decimal(0) if self.voided else self.total - self.captured
        return {
            "order": {
                "presentmentCurrencyCode": self.presentment,
                "totalCapturableSet": money(capturable),
                "totalOutstandingSet": money(self.total - self.captured),
                "lineItems": {
                    "nodes": [
                        {"sku": sku, "discountedUnitPriceAfterAllDiscountsSet": money(price)}
                        for sku, price in self.prices.items()
                    ]
                },
                "transactions": [
                    {
                        "id": AUTHORISATION,
                        "kind": "AUTHORIZATION",
                        "status": "SUCCESS",
                        "multiCapturable": self.multi_capturable,
                        "parentTransaction": None,
                    }
                ]
                + [
                    {
                        "id": capture_id,
                        "kind": "CAPTURE",
                        "status": "SUCCESS",
                        "multiCapturable": False,
                        "parentTransaction": {"id": AUTHORISATION},
                    }
                    for capture_id, _amount in self.captures
                ],
            }
        }

    def Note(self, variables):
        return {"order": {"note": self.note, "cancelledAt": self.cancelled_at}}

    # --- mutations -------------------------------------------------------------------------

    def Fulfil(self, variables):
        by_id = {f"gid://shopify/FulfillmentOrderLineItem/9{n}": sku for n, sku in enumerate(self.prices, start=1)}
        items = variables["fulfillment"]["lineItemsByFulfillmentOrder"][0]["fulfillmentOrderLineItems"]
        if any(item["quantity"] > self.remaining[by_id[item["id"]]] for item in items):
            return {"fulfillmentCreate": {"fulfillment": None, "userErrors": [{"message": "Invalid quantity"}]}}
        for item in items:
            self.remaining[by_id[item["id"]]] -= item["quantity"]
        self.fulfillments.append(f"gid://shopify/Fulfillment/{len(self.fulfillments) + 1}")
        return {"fulfillmentCreate": {"fulfillment": {"id": self.fulfillments[-1]}, "userErrors": []}}

    def Capture(self, variables):
        capture = variables["input"]
        if self.capture_errors:
            return {"orderCapture": {"transaction": None, "userErrors": [{"message": m} for m in self.capture_errors]}}
        self.captures.append((f"gid://shopify/OrderTransaction/{80 + len(self.captures)}", Decimal(capture["amount"])))
        self.voided = (
            self.voided or (self.multi_capturable and capture.get("finalCapture")) or not self.multi_capturable
        )
        return {"orderCapture": {"transaction": {"id": self.captures[-1][0], "status": "SUCCESS"}, "userErrors": []}}

    def SetNote(self, variables):
        self.note = variables["input"]["note"]
        return {"orderUpdate": {"order": {"id": ORDER_ID}, "userErrors": []}}

    def Cancel(self, variables):
        if self.cancelled_at:
            return {"orderCancel": {"job": None, "orderCancelUserErrors": [{"message": "Order is already cancelled"}]}}
        self.cancelled_at = "2026-03-02T09:00:00Z"
        return {"orderCancel": {"job": {"id": "gid://shopify/Job/1"}, "orderCancelUserErrors": []}}
