"""Placement: an order comes in (the shop's API, or staff in admin).

Rules:
- All or nothing: every line is checked (known SKU, whole quantity of at least 1, price not
  negative, one line per SKU, enough stock for what is not backorderable) and every problem
  is reported, naming the line and SKU; nothing is written then. Malformed lines are a 400,
  else an unknown SKU a 404, else too little stock a 409 (kernel.errors.refuse).
- What is in stock is allocated at once; the rest becomes backorders with the ETA the
  purchasing hook gives (`hooks.backorder_etas`). Dropship lines are never allocated.
- The order number is the idempotency key: placing a number that exists returns that order
  untouched, so the shop may retry; with other lines it is a conflict.
- The payment for the whole order is authorised now and captured per shipment; an order
  whose amount the books cannot hold (AMOUNT_LIMIT) is refused, naming the line.
- One transaction; stock rows are locked in product id order (allocation's lock order)."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction

from inventory import stock
from kernel import clock
from kernel.errors import Conflict, InvalidInput, Problem, refuse
from kernel.parsers import case_key, repeated

from . import hooks, signals
from .allocation import order_status, sum_parts
from .models import Backorder, Customer, Order, OrderLine


def _largest(field):
    return Decimal(10) ** (field.max_digits - field.decimal_places) - Decimal(1).scaleb(-field.decimal_places)


# The largest amount an order can authorise: what its amount column holds.
AMOUNT_LIMIT = _largest(Order._meta.get_field("amount_authorised"))


@dataclass(frozen=True)
class CustomerDetails:
    email: str
    name: str
    language: str = Customer.Language.DE


@dataclass(frozen=True)
class LineRequest:
    sku: str
    quantity: int
    unit_price: Decimal | None = None


@dataclass(frozen=True)
class OrderOrigin:
    """Where an order comes from when a connected shop sends it: the shop's code and its id
    of the order, the number its customer knows, its currency and the shipping address."""

    shop: str = ""
    shop_order_id: str = ""
    shop_number: str = ""
    currency: str = "EUR"
    shipping_address: dict = field(default_factory=dict)


def policy_problem(fulfilment_policy):
    if fulfilment_policy in Order.Policy.values:
        return None
    return Problem(
        f"Fulfilment policy must be one of {', '.join(Order.Policy.values)}, not {fulfilment_policy!r}.",
        field="fulfilment_policy",
    )


def unknown_sku(index, sku):
    return Problem(f"Line {index + 1}: unknown SKU {sku}.", field="sku", line=index, sku=sku, code="unknown_sku")


def unknown_skus(skus):
    """The problems of the SKUs (by line index; None where a line names none) that name no
    product: what an order that also fails the schema is told besides, in the same answer."""
    known = stock.products_by_sku(sku for sku in skus if sku is not None)
    return [unknown_sku(index, sku) for index, sku in enumerate(skus) if sku is not None and sku not in known]


def _line_problems(lines, products):
    """The lines' malformed input (quantity, price, a SKU named twice) and their unknown SKUs."""
    invalid, unknown = [], []
    repeats = set(repeated(line.sku for line in lines))
    for index, line in enumerate(lines):
        if not isinstance(line.quantity, int) or isinstance(line.quantity, bool) or line.quantity <= 0:
            invalid.append(
                Problem(
                    f"Line {index + 1} (SKU {line.sku}): quantity must be a whole number of at least 1.",
                    field="quantity",
                    line=index,
                    sku=line.sku,
                )
            )
        if line.unit_price is not None and line.unit_price < 0:
            invalid.append(
                Problem(
                    f"Line {index + 1} (SKU {line.sku}): unit price cannot be negative.",
                    field="unit_price",
                    line=index,
                    sku=line.sku,
                )
            )
        if line.sku not in products:
            unknown.append(unknown_sku(index, line.sku))
        if index in repeats:
            invalid.append(
                Problem(
                    f"Line {index + 1}: SKU {line.sku} appears on more than one line; put its total on one line.",
                    field="sku",
                    line=index,
                    sku=line.sku,
                    code="duplicate",
                )
            )
    return invalid, unknown


def place_order(*, number, customer, fulfilment_policy, lines, expedite=False, origin=None):
    """Allocate what is in stock and backorder the rest. Returns (order, created): placing
    an order number that exists returns that order untouched, so the shop may retry.
    `origin` (OrderOrigin): the connected shop it came from."""
    problems = []
    if not number or not str(number).strip():
        problems.append(Problem("The order number is required.", field="number"))
    if problem := policy_problem(fulfilment_policy):
        problems.append(problem)
    if not lines:
        problems.append(Problem("An order needs at least one line.", field="lines"))
    if problems:
        raise InvalidInput(problems)

    # No savepoint around each insert (two round trips each): a concurrent request that commits
    # this order number or this new customer first fails the whole transaction instead. The same
    # number is that order (the shop's retry); a customer who exists now is found the second time.
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return _place(number, customer, fulfilment_policy, lines, expedite, origin or OrderOrigin())
        except IntegrityError:
            existing = Order.objects.filter(number=number).first()
            if existing:
                return _same_order(existing, lines), False
            if attempt == 2:
                raise


def _place(number, customer, fulfilment_policy, lines, expedite, origin):
    existing = Order.objects.filter(number=number).first()
    if existing:
        return _same_order(existing, lines), False
    products = stock.products_by_sku(line.sku for line in lines)
    refuse(*_line_problems(lines, products))

    levels = stock.lock_stock(product.pk for product in products.values())
    now = clock.now()
    new_lines, waiting, short_of_stock = [], [], []
    for position, request in enumerate(lines):
        product = products[request.sku]
        level = levels[product.pk]
        allocate = 0 if product.dropship else min(request.quantity, max(level.available, 0))
        short = request.quantity - allocate
        if short and not product.backorderable:
            short_of_stock.append(
                Problem(
                    f"Line {position + 1}: SKU {product.sku} is not backorderable and only "
                    f"{max(level.available, 0)} of {request.quantity} are available.",
                    field="quantity",
                    line=position,
                    sku=product.sku,
                    code="insufficient_stock",
                )
            )
            continue
        level.allocated += allocate
        unit_price = product.price if request.unit_price is None else request.unit_price
        new_lines.append(
            OrderLine(
                position=position,
                product=product,
                quantity=request.quantity,
                unit_price=unit_price,
                allocated=allocate,
                backordered=short,
            )
        )
        if short:
            waiting.append((position, product, short))
    refuse(invalid=_amount_problems(new_lines), conflicting=short_of_stock)

    totals = sum_parts(new_lines)
    order = Order.objects.create(
        number=number,
        customer=_customer(customer),
        fulfilment_policy=fulfilment_policy,
        expedite=expedite,
        placed_at=now,
        status=order_status(fulfilment_policy, **totals),
        amount_authorised=sum((line.quantity * line.unit_price for line in new_lines), Decimal("0")),
        shop=origin.shop,
        shop_order_id=origin.shop_order_id,
        shop_number=origin.shop_number,
        currency=origin.currency,
        shipping_address=origin.shipping_address,
    )

    stock.save_stock(levels.values())
    for line in new_lines:
        line.order = order
    OrderLine.objects.bulk_create(new_lines)
    by_position = {line.position: line for line in new_lines}
    # Dates only for what waits: most orders are in stock and need no supplier's lead time.
    etas = hooks.backorder_etas([product.pk for _, product, _ in waiting]) if waiting else {}
    backorders = Backorder.objects.bulk_create(
        [
            Backorder(
                order=order,
                line=by_position[position],
                product=product,
                quantity=short,
                created_at=now,
                eta=etas[product.pk],
                promised_date=etas[product.pk],
                told_eta=etas[product.pk],
            )
            for position, product, short in waiting
        ]
    )
    if backorders:
        signals.backorders_created.send(
            sender=Order,
            order_ids=[order.pk],
            backorder_ids=[b.pk for b in backorders],
            new_orders=True,
        )
    # The lines as a reader would read them back (selectors.orders_with_lines), so the shop's
    # answer needs no second read: each with the date of what waits.
    for line in new_lines:
        line.eta = line.promised_date = etas[line.product_id] if line.backordered else None
    order.placed_lines = new_lines
    return order, True


def _amount_problems(lines):
    total = Decimal("0")
    for line in lines:
        amount = line.quantity * line.unit_price
        total += amount
        if total > AMOUNT_LIMIT:
            return [
                Problem(
                    f"Line {line.position + 1} (SKU {line.product.sku}): {line.quantity} × {line.unit_price} brings the order "
                    f"to {total}, more than the largest order amount, {AMOUNT_LIMIT}.",
                    field="unit_price",
                    line=line.position,
                    sku=line.product.sku,
                    code="amount_too_large",
                )
            ]
    return []


def _customer(details):
    email = details.email.strip().lower()
    customer = Customer.objects.filter(email=email).first()
    if customer is None:
        return Customer.objects.create(email=email, name=details.name, language=details.language)
    if (customer.name, customer.language) != (details.name, details.language):
        # The shop knows the customer's current name and language best.
        customer.name, customer.language = details.name, details.language
        customer.save(update_fields=["name", "language"])
    return customer


def _same_order(order, lines):
    asked = {case_key(line.sku) or line.sku: line.quantity for line in lines}  # SKUs in any case
    have = {case_key(sku): quantity for sku, quantity in order.lines.values_list("product__sku", "quantity")}
    if asked != have:
        raise Conflict.one(
            f"Order {order.number} already exists with different lines; use a new order number.",
            field="number",
            code="number_taken",
        )
    return order
