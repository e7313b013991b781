"""One module per platform, each with the same functions: reading its webhooks (`is_ping`,
`signed`, `delivery`, `read_event`) and calling its API (`orders_since`, `order`,
`find_products`, `push_stock`, `ship`, `cancel`). A third platform is a third module."""

from . import shopify, shopware, woocommerce

# The topic of an order the reconciliation read (applied as if its webhook had come).
SYNC_TOPIC = "reconciliation"

MODULES = {"shopify": shopify, "woocommerce": woocommerce, "shopware": shopware}


def of(connection):
    return MODULES[connection.platform]


class Fetch:
    """An event that names an order without carrying it (Shopify orders/edited): read it over the API."""

    def __init__(self, shop_order_id):
        self.shop_order_id = str(shop_order_id)


class CaptureRefused(Exception):
    """The payment provider refused to capture: staff settle it; never retried blindly."""
