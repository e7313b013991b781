"""Order operations: place, fill from arriving stock, ship, cancel. Each public function is
one transaction. Lock order, everywhere: stock rows by product id first, then order rows by
id. Lines and backorders of a product change only while its stock row is locked."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Sum, Value, When, Window
from django.db.models.functions import RowNumber

from backoffice import clock
from backoffice.errors import Conflict, InvalidInput, NotFound, Problem
from backoffice.permissions import acting_user
from inventory import services as inventory
from inventory.models import StockMovement

from . import signals
from .models import Backorder, Customer, Order, OrderEvent, OrderLine, Shipment, ShipmentLine

WAITING = (Backorder.Status.OPEN, Backorder.Status.ON_ORDER)
# Who gets arriving stock first: expedited orders, then the oldest order, then its oldest backorder.
FILL_ORDER = ("-order__expedite", "order__placed_at", "order_id", "created_at", "id")


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
class CancelRequest:
    sku: str
    quantity: int


def _etas(product_ids):
    from purchasing.selectors import unpegged_etas  # purchasing builds on orders, not the reverse

    return unpegged_etas(product_ids)


def order_status(policy, *, quantity, allocated, backordered, shipped, cancelled):
    if cancelled == quantity:
        return Order.Status.CANCELLED
    if allocated == 0 and backordered == 0:
        return Order.Status.SHIPPED
    if allocated and (policy == Order.Policy.SHIP_PARTIAL or backordered == 0):
        return Order.Status.READY_TO_SHIP
    if shipped:
        return Order.Status.PARTIALLY_SHIPPED
    return Order.Status.AWAITING_STOCK


def _line_problems(lines, products):
    problems = []
    seen = set()
    for index, line in enumerate(lines):
        if not isinstance(line.quantity, int) or isinstance(line.quantity, bool) or line.quantity <= 0:
            problems.append(Problem(
                f"Line {index} (SKU {line.sku}): quantity must be a whole number of at least 1.",
                field="quantity", line=index, sku=line.sku,
            ))
        if line.unit_price is not None and line.unit_price < 0:
            problems.append(Problem(
                f"Line {index} (SKU {line.sku}): unit price cannot be negative.",
                field="unit_price", line=index, sku=line.sku,
            ))
        if line.sku not in products:
            problems.append(Problem(
                f"Line {index}: unknown SKU {line.sku}.", field="sku", line=index, sku=line.sku, code="unknown_sku"
            ))
        if line.sku in seen:
            problems.append(Problem(
                f"Line {index}: SKU {line.sku} appears on more than one line; put its total on one line.",
                field="sku", line=index, sku=line.sku, code="duplicate",
            ))
        seen.add(line.sku)
    return problems


def place_order(*, number, customer, fulfilment_policy, lines, expedite=False):
    """Allocate what is in stock and backorder the rest. Returns (order, created): placing
    an order number that exists returns that order untouched, so the shop may retry."""
    problems = []
    if not number or not str(number).strip():
        problems.append(Problem("The order number is required.", field="number"))
    if fulfilment_policy not in Order.Policy.values:
        problems.append(Problem(
            f"Fulfilment policy must be one of {', '.join(Order.Policy.values)}, not {fulfilment_policy!r}.",
            field="fulfilment_policy",
        ))
    if not lines:
        problems.append(Problem("An order needs at least one line.", field="lines"))
    if problems:
        raise InvalidInput(problems)

    with transaction.atomic():
        existing = Order.objects.filter(number=number).first()
        if existing:
            return _same_order(existing, lines), False
        products = inventory.products_by_sku(line.sku for line in lines)
        problems = _line_problems(lines, products)
        if problems:
            raise InvalidInput(problems)

        levels = inventory.lock_stock(product.pk for product in products.values())
        now, etas = clock.now(), _etas([product.pk for product in products.values()])
        new_lines, waiting = [], []
        for position, request in enumerate(lines):
            product = products[request.sku]
            level = levels[product.pk]
            allocate = 0 if product.dropship else min(request.quantity, max(level.available, 0))
            short = request.quantity - allocate
            if short and not product.backorderable:
                problems.append(Problem(
                    f"Line {position}: SKU {product.sku} is not backorderable and only "
                    f"{max(level.available, 0)} of {request.quantity} are available.",
                    field="quantity", line=position, sku=product.sku, code="insufficient_stock",
                ))
                continue
            level.allocated += allocate
            unit_price = product.price if request.unit_price is None else request.unit_price
            new_lines.append(OrderLine(
                position=position, product=product, quantity=request.quantity, unit_price=unit_price,
                allocated=allocate, backordered=short,
            ))
            if short:
                waiting.append((position, product, short))
        if problems:
            raise InvalidInput(problems)

        totals = _sum_parts(new_lines)
        try:
            with transaction.atomic():
                order = Order.objects.create(
                    number=number,
                    customer=_customer(customer),
                    fulfilment_policy=fulfilment_policy,
                    expedite=expedite,
                    placed_at=now,
                    status=order_status(fulfilment_policy, **totals),
                    amount_authorised=sum((line.quantity * line.unit_price for line in new_lines), Decimal("0")),
                )
        except IntegrityError:
            # The same order number was committed meanwhile by a concurrent retry.
            return _same_order(Order.objects.get(number=number), lines), False

        inventory.save_stock(levels.values())
        for line in new_lines:
            line.order = order
        OrderLine.objects.bulk_create(new_lines)
        by_position = {line.position: line for line in new_lines}
        backorders = Backorder.objects.bulk_create([
            Backorder(order=order, line=by_position[position], product=product, quantity=short,
                      created_at=now, eta=etas[product.pk], promised_date=etas[product.pk], told_eta=etas[product.pk])
            for position, product, short in waiting
        ])
        if backorders:
            signals.backorders_created.send(sender=Order, order_ids=[order.pk], backorder_ids=[b.pk for b in backorders])
        return order, True


def _sum_parts(lines):
    return {
        part: sum(getattr(line, part) for line in lines)
        for part in ("quantity", "allocated", "backordered", "shipped", "cancelled")
    }


def _customer(details):
    customer, created = Customer.objects.get_or_create(
        email=details.email.strip().lower(), defaults={"name": details.name, "language": details.language}
    )
    if not created and (customer.name, customer.language) != (details.name, details.language):
        # The shop knows the customer's current name and language best.
        customer.name, customer.language = details.name, details.language
        customer.save(update_fields=["name", "language"])
    return customer


def _same_order(order, lines):
    asked = {line.sku: line.quantity for line in lines}
    have = dict(order.lines.values_list("product__sku", "quantity"))
    if asked != have:
        raise Conflict.one(
            f"Order {order.number} already exists with different lines; use a new order number.",
            field="number", code="number_taken",
        )
    return order


def get_order(number):
    try:
        return Order.objects.select_related("customer").get(number=number)
    except Order.DoesNotExist:
        raise NotFound.one(f"No order with number {number}.", field="number", code="not_found") from None


def change_stock(changes, user=None, *, reference="", fill_first=()):
    """Record receipts, adjustments and counts, then give arriving units to waiting orders.
    A count below what is allocated takes the shortfall back from the youngest orders,
    which wait again (a backorder) rather than being told stock that is not there.
    `fill_first`: purchase order line ids whose pegged backorders get the units first."""
    with transaction.atomic():
        levels, planned = inventory.plan_stock_changes(changes)
        movements = []
        for change, level in planned:
            delta = change.quantity - level.on_hand if change.reason == StockMovement.Reason.COUNT else change.quantity
            movements.append(inventory.move_stock(
                level, reason=change.reason, quantity=delta, note=change.note, reference=reference, user=user
            ))
        touched = set()
        for level in levels.values():
            if level.allocated > level.on_hand:
                touched |= _take_back_allocations(level, level.allocated - level.on_hand)
        touched |= _fill_backorders(levels, fill_first)
        inventory.save_stock(levels.values())
        movements = inventory.record_movements(movements)
        _refresh_statuses(touched)
        return movements


def _fill_backorders(levels, fill_first=()):
    """Give available units of the locked products to waiting backorders: those pegged to
    the `fill_first` purchase order lines, then expedited orders, then oldest order first.
    Returns the ids of the orders that got units."""
    available = {pid: level.available for pid, level in levels.items() if level.available > 0}
    if not available:
        return set()
    # Each filled backorder takes at least one unit, so no product needs more rows than it
    # has units: rank the waiting backorders per product and read only the first ones.
    order = FILL_ORDER
    if fill_first:
        order = (Case(When(po_line_id__in=list(fill_first), then=Value(0)), default=Value(1)).asc(), *FILL_ORDER)
    backorders = (
        Backorder.objects.filter(product_id__in=available, status__in=WAITING)
        .select_related("line", "order")
        .annotate(rank=Window(RowNumber(), partition_by=F("product_id"), order_by=order))
        .filter(rank__lte=max(available.values()))
        .order_by("product_id", *order)
    )
    now = clock.now()
    filled, lines, orders = [], {}, set()
    for backorder in backorders:
        units = min(available[backorder.product_id], backorder.waiting)
        if not units:
            continue
        available[backorder.product_id] -= units
        levels[backorder.product_id].allocated += units
        line = lines.setdefault(backorder.line_id, backorder.line)
        line.allocated += units
        line.backordered -= units
        backorder.filled += units
        if not backorder.waiting:
            backorder.status = Backorder.Status.ALLOCATED
            backorder.filled_at = now
        filled.append(backorder)
        orders.add(backorder.order_id)
    Backorder.objects.bulk_update(filled, ["filled", "status", "filled_at"])
    OrderLine.objects.bulk_update(lines.values(), ["allocated", "backordered"])
    return orders


def _take_back_allocations(level, units):
    """Stock went missing: move `units` allocated units of this product back to waiting,
    youngest non-expedited orders first (the reverse of the fill order)."""
    lines = list(
        OrderLine.objects.filter(product_id=level.product_id, allocated__gt=0)
        .select_related("order")
        .order_by("order__expedite", "-order__placed_at", "-order_id")
    )
    fills = defaultdict(list)
    for backorder in Backorder.objects.filter(line__in=lines, filled__gt=0).order_by("-created_at", "-id"):
        fills[backorder.line_id].append(backorder)
    now, eta = clock.now(), _etas([level.product_id])[level.product_id]
    changed_lines, changed_backorders, new_backorders, orders = [], [], [], set()
    for line in lines:
        if not units:
            break
        take = min(units, line.allocated)
        units -= take
        level.allocated -= take
        line.allocated -= take
        line.backordered += take
        changed_lines.append(line)
        orders.add(line.order_id)
        # Undo the latest fills first, so the customer keeps the first date they were given.
        for backorder in fills[line.pk]:
            undo = min(take, backorder.filled)
            if not undo:
                continue
            backorder.filled -= undo
            backorder.status = Backorder.Status.OPEN
            backorder.filled_at = None
            changed_backorders.append(backorder)
            take -= undo
        if take:
            new_backorders.append(Backorder(
                order_id=line.order_id, line=line, product_id=line.product_id, quantity=take,
                created_at=now, eta=eta, promised_date=eta, told_eta=eta,
            ))
    OrderLine.objects.bulk_update(changed_lines, ["allocated", "backordered"])
    Backorder.objects.bulk_update(changed_backorders, ["filled", "status", "filled_at"])
    Backorder.objects.bulk_create(new_backorders)
    if new_backorders:
        signals.backorders_created.send(
            sender=Order, order_ids=sorted({b.order_id for b in new_backorders}), backorder_ids=[b.pk for b in new_backorders]
        )
    return orders


def _refresh_statuses(order_ids):
    if not order_ids:
        return
    orders = list(Order.objects.select_for_update().filter(id__in=order_ids).order_by("id"))
    sums = {
        row["order_id"]: row
        for row in OrderLine.objects.filter(order_id__in=order_ids)
        .values("order_id")
        .annotate(
            quantity=Sum("quantity"), allocated=Sum("allocated"), backordered=Sum("backordered"),
            shipped=Sum("shipped"), cancelled=Sum("cancelled"),
        )
    }
    changed = []
    for order in orders:
        parts = {key: value for key, value in sums[order.pk].items() if key != "order_id"}
        status = order_status(order.fulfilment_policy, **parts)
        if status != order.status:
            order.status = status
            changed.append(order)
    Order.objects.bulk_update(changed, ["status"])


def _lock_order(number):
    """Lock an order for a change, after the stock rows of its products (the lock order)."""
    order = get_order(number)
    product_ids = list(order.lines.values_list("product_id", flat=True))
    levels = inventory.lock_stock(product_ids)
    order = Order.objects.select_for_update(of=("self",)).select_related("customer").get(pk=order.pk)
    lines = list(order.lines.select_related("product").order_by("position"))
    return order, lines, levels


def shippable(order, lines):
    """What the order's policy allows to ship now, as [(line, units)], or a reason why not."""
    if order.status == Order.Status.CANCELLED:
        return [], f"Order {order.number} is cancelled."
    if all(line.allocated == 0 and line.backordered == 0 for line in lines):
        return [], f"Order {order.number} has shipped completely."
    ready = [(line, line.allocated) for line in lines if line.allocated]
    if not ready:
        return [], f"Order {order.number}: no units are in stock for it yet."
    if order.fulfilment_policy == Order.Policy.SHIP_COMPLETE:
        missing = [f"{line.product.sku}: {line.backordered}" for line in lines if line.backordered]
        if missing:
            return [], (
                f"Order {order.number} ships complete and still waits for {', '.join(missing)}."
            )
    return ready, ""


def ship_order(number, user=None, tracking_number=""):
    """Ship what the policy allows: stock out, the sale of those units completed, their
    payment captured. Raises Conflict with the reason when nothing can ship."""
    with transaction.atomic():
        order, lines, levels = _lock_order(number)
        plan, reason = shippable(order, lines)
        if not plan:
            raise Conflict.one(reason, code="nothing_to_ship")
        now, movements = clock.now(), []
        for line, units in plan:
            level = levels[line.product_id]
            level.allocated -= units
            movements.append(inventory.move_stock(
                level, reason=StockMovement.Reason.SHIPMENT, quantity=-units, reference=order.number, user=user
            ))
            line.allocated -= units
            line.shipped += units
        inventory.save_stock(levels.values())
        movements = inventory.record_movements(movements)
        OrderLine.objects.bulk_update([line for line, _ in plan], ["allocated", "shipped"])
        Backorder.objects.filter(
            line__in=[line for line, _ in plan], status=Backorder.Status.ALLOCATED
        ).update(status=Backorder.Status.SHIPPED)
        shipped = [(line, units, movement) for (line, units), movement in zip(plan, movements)]
        return _record_shipment(order, shipped, now, user, tracking_number)


def _record_shipment(order, shipped, now, user, tracking_number=""):
    """The shipment of (line, units, stock movement or None) rows: the sale of those units
    is complete and their payment captured. The caller has moved the lines' units."""
    amount = sum((units * line.unit_price for line, units, _ in shipped), Decimal("0"))
    shipment = Shipment.objects.create(
        order=order, shipped_at=now, amount_captured=amount, tracking_number=tracking_number.strip()[:64],
        created_by=acting_user(user),
    )
    ShipmentLine.objects.bulk_create([
        ShipmentLine(shipment=shipment, line=line, quantity=units, movement=movement) for line, units, movement in shipped
    ])
    order.amount_captured += amount
    order.save(update_fields=["amount_captured"])
    _refresh_statuses({order.pk})
    signals.order_shipped.send(sender=Order, shipment=shipment)
    return shipment


def _record_event(order, kind, user, by_customer, **data):
    OrderEvent.objects.create(
        order=order, kind=kind, at=clock.now(), by_customer=by_customer,
        user=acting_user(user), data=data,
    )


def cancel_units(number, requests=None, user=None, by_customer=False):
    """Cancel unshipped units: waiting units first, then allocated ones, whose stock goes
    to the next waiting order. `requests=None` cancels everything not shipped. Their
    payment authorisation is voided. Shipped units cannot be cancelled."""
    with transaction.atomic():
        order, lines, levels = _lock_order(number)
        by_sku = {line.product.sku: line for line in lines}
        if requests is None:
            requests = [CancelRequest(line.product.sku, line.unshipped) for line in lines if line.unshipped]
            if not requests:
                raise Conflict.one(f"Order {order.number} has nothing left to cancel.", code="nothing_to_cancel")
        problems = []
        if not requests:
            problems.append(Problem("Name at least one line to cancel.", field="lines"))
        for index, request in enumerate(requests):
            line = by_sku.get(request.sku)
            where = {"line": index, "sku": request.sku}
            if line is None:
                problems.append(Problem(
                    f"Line {index}: order {order.number} has no line for SKU {request.sku}.", field="sku", **where
                ))
            elif not isinstance(request.quantity, int) or request.quantity <= 0:
                problems.append(Problem(
                    f"Line {index} (SKU {request.sku}): quantity must be a whole number of at least 1.",
                    field="quantity", **where,
                ))
            elif request.quantity > line.unshipped:
                problems.append(Problem(
                    f"Line {index} (SKU {request.sku}): only {line.unshipped} unshipped units can be cancelled"
                    + (f"; {line.shipped} have shipped and cannot be cancelled." if line.shipped else "."),
                    field="quantity", code="too_many", **where,
                ))
        if len({request.sku for request in requests}) != len(requests):
            problems.append(Problem("Each SKU may appear only once.", field="lines", code="duplicate"))
        if problems:
            raise InvalidInput(problems)

        backorders = defaultdict(list)
        for backorder in order.backorders.filter(status__in=WAITING).order_by("-created_at", "-id"):
            backorders[backorder.line_id].append(backorder)
        changed_backorders, voided, unpegged = [], Decimal("0"), set()
        for request in requests:
            line = by_sku[request.sku]
            units = request.quantity
            for backorder in backorders[line.pk]:
                take = min(units, backorder.waiting)
                if not take:
                    continue
                backorder.cancelled += take
                units -= take
                if backorder.po_line_id:
                    unpegged.add(backorder.po_line_id)
                if not backorder.waiting:
                    backorder.status = Backorder.Status.ALLOCATED if backorder.filled else Backorder.Status.CANCELLED
                    if not backorder.filled:
                        backorder.po_line = None  # nothing left for the supplier to fill
                changed_backorders.append(backorder)
            line.backordered -= request.quantity - units
            line.allocated -= units
            levels[line.product_id].allocated -= units
            line.cancelled += request.quantity
            voided += request.quantity * line.unit_price
        Backorder.objects.bulk_update(changed_backorders, ["cancelled", "status", "po_line"])
        if unpegged:
            from purchasing.services import shrink_draft_lines  # purchasing builds on orders

            shrink_draft_lines(unpegged)
        OrderLine.objects.bulk_update([by_sku[r.sku] for r in requests], ["allocated", "backordered", "cancelled"])
        # Released stock goes to whoever waits next for it.
        touched = _fill_backorders(levels) | {order.pk}
        inventory.save_stock(levels.values())
        order.amount_voided += voided
        order.save(update_fields=["amount_voided"])
        _refresh_statuses(touched)
        _record_event(
            order, OrderEvent.Kind.UNITS_CANCELLED, user, by_customer,
            lines=[{"sku": r.sku, "quantity": r.quantity} for r in requests], refund=str(voided),
        )
        signals.units_cancelled.send(
            sender=Order, order=order, cancelled=[(by_sku[r.sku], r.quantity) for r in requests], voided=voided
        )
        return order


def change_preferences(number, *, fulfilment_policy=None, expedite=None, user=None, by_customer=False):
    """Switch an order between shipping partially and complete, or flag it for expedited
    filling. Its status follows at once (a ship_partial order with stock is ready)."""
    if fulfilment_policy is not None and fulfilment_policy not in Order.Policy.values:
        raise InvalidInput.one(
            f"Fulfilment policy must be one of {', '.join(Order.Policy.values)}, not {fulfilment_policy!r}.",
            field="fulfilment_policy",
        )
    with transaction.atomic():
        order, lines, levels = _lock_order(number)
        if fulfilment_policy is not None and fulfilment_policy != order.fulfilment_policy:
            _record_event(order, OrderEvent.Kind.POLICY_CHANGED, user, by_customer,
                          old=order.fulfilment_policy, new=fulfilment_policy)
        if fulfilment_policy is not None:
            order.fulfilment_policy = fulfilment_policy
        if expedite is not None:
            order.expedite = expedite
        order.save(update_fields=["fulfilment_policy", "expedite"])
        _refresh_statuses({order.pk})
        order.refresh_from_db(fields=["status"])
        return order


def record_dropship_shipment(number, quantities, user=None):
    """The supplier shipped units of dropship lines straight to the customer (`quantities`
    maps SKU to units): the sale of those units is complete and their payment captured;
    no stock moves."""
    with transaction.atomic():
        order, lines, levels = _lock_order(number)
        by_sku = {line.product.sku: line for line in lines}
        problems = []
        for index, (sku, units) in enumerate(quantities.items()):
            line = by_sku.get(sku)
            if line is None or not line.product.dropship:
                problems.append(Problem(f"Line {index}: order {order.number} has no dropship line for SKU {sku}.",
                                        field="sku", line=index, sku=sku))
            elif units > line.backordered:
                problems.append(Problem(f"Line {index} (SKU {sku}): only {line.backordered} units wait for the supplier.",
                                        field="quantity", line=index, sku=sku, code="too_many"))
        if problems:
            raise InvalidInput(problems)
        now, changed = clock.now(), []
        waiting = defaultdict(list)
        for backorder in order.backorders.filter(status__in=WAITING).order_by("created_at", "id"):
            waiting[backorder.line_id].append(backorder)
        for sku, units in quantities.items():
            line = by_sku[sku]
            line.backordered -= units
            line.shipped += units
            for backorder in waiting[line.pk]:
                take = min(units, backorder.waiting)
                if not take:
                    continue
                backorder.filled += take
                units -= take
                if not backorder.waiting:
                    backorder.status, backorder.filled_at = Backorder.Status.SHIPPED, now
                changed.append(backorder)
        Backorder.objects.bulk_update(changed, ["filled", "status", "filled_at"])
        OrderLine.objects.bulk_update([by_sku[sku] for sku in quantities], ["backordered", "shipped"])
        return _record_shipment(order, [(by_sku[sku], units, None) for sku, units in quantities.items()], now, user)


STATUS_SALT = "orders.status-page"


def status_token(order):
    """The signed token of the order's status page link: it carries the order's random
    public id, never its (guessable) number, and expires."""
    return signing.dumps(str(order.public_id), salt=STATUS_SALT)


def status_url(order):
    return f"{settings.SITE_URL}/status/{status_token(order)}/"


def order_for_status_token(token):
    """The order a status link names, or NotFound for a bad, tampered or expired token."""
    try:
        public_id = signing.loads(token, salt=STATUS_SALT, max_age=settings.ORDER_STATUS_LINK_MAX_AGE)
        return Order.objects.select_related("customer").get(public_id=public_id)
    except (signing.BadSignature, Order.DoesNotExist, ValueError):
        raise NotFound.one("This link is not valid (any more).", code="bad_link") from None


def flag_for_call(customer_ids, reason):
    """Customer service should phone these customers (an email bounced, or they complained)."""
    Customer.objects.filter(pk__in=customer_ids).update(call_reason=reason[:200])
