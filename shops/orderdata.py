"""An order as a shop describes it, whichever platform: what intake applies. The platform
modules read their payloads into these; nothing else reads the shops' JSON."""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


class Held(Exception):
    """The event cannot be applied as it is (unknown SKU, malformed data, a line added after
    placing): it stays in the inbox with this reason and is tried again by every sync."""


@dataclass(frozen=True)
class ShopLine:
    line_id: str
    sku: str
    name: str
    quantity: int  # what the customer still buys: after edits and removals
    unit_price: Decimal  # in the shop's currency, after the line's discounts


@dataclass(frozen=True)
class ShopOrderData:
    shop_order_id: str
    number: str  # the number the customer knows: Shopify "#1001", WooCommerce "727"
    version: datetime.datetime  # the shop's last change; an older one changes nothing
    email: str
    name: str
    language: str  # "" when the order does not say
    currency: str
    shipping_address: dict
    lines: list[ShopLine]
    placeable: bool  # paid or authorised (Shopify), processing or on hold (WooCommerce)
    cancelled: bool
    payment: str = ""  # Shopify's financial status: "authorized" is captured per shipment
    skipped: list[str] = field(default_factory=list)  # lines that ship nothing (gift cards, tips)


def money(value, what):
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise Held(f"{what}: {value!r} is not an amount.") from None
    if not amount.is_finite():
        raise Held(f"{what}: {value!r} is not an amount.")
    return amount


def per_unit(total, quantity):
    return (total / quantity).quantize(CENT, rounding=ROUND_HALF_UP) if quantity else total.quantize(CENT)


def moment(value, what, assume_utc=False):
    """A shop's timestamp: ISO 8601 with an offset (Shopify), or GMT without one (WooCommerce's *_gmt)."""
    try:
        parsed = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        raise Held(f"{what}: {value!r} is not a date and time.") from None
    if parsed.tzinfo is None:
        if not assume_utc:
            raise Held(f"{what}: {value!r} has no time zone.")
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed


def language(code, fallback):
    """ "de-CH" is German: the first two letters, if the back office writes in that language."""
    from kernel.choices import Language

    code = (code or "")[:2].lower()
    return code if code in Language.values else fallback


def text(value):
    return "" if value is None else str(value).strip()


def address(name, company, line1, line2, postcode, city, region, country):
    values = {
        "name": name,
        "company": company,
        "address1": line1,
        "address2": line2,
        "postcode": postcode,
        "city": city,
        "region": region,
        "country": country,
    }
    return {key: text(value) for key, value in values.items() if text(value)}
