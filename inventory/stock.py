"""Stock: products and their stock rows, locked, counted and written through the ledger.

Rules: every product has exactly one stock row, created with it; on hand changes only with a
ledger row (receipt, adjustment, count, shipment) in the same transaction; stock rows are
locked in product id order; the apps above react to a change while the rows are locked
(`hooks.stock_changed`: waiting orders get arriving units first), so what a change gives
away is decided before anything commits."""

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models.functions import Upper

from kernel import clock
from kernel.errors import Conflict, NotFound, Problem, refuse
from kernel.parsers import case_key, match_keys, repeated
from kernel.permissions import acting_user

from . import hooks, signals
from .models import SKU_PATTERN, Product, StockLevel, StockMovement


@dataclass(frozen=True)
class StockChange:
    """One requested change of stock on hand. `quantity` means: units received (receipt),
    signed units to add or remove (adjustment), units counted on the shelf (count)."""

    sku: str
    quantity: int
    reason: str
    note: str = ""


def create_product(*, sku, name, price, backorderable=True, dropship=False):
    with transaction.atomic():
        if same := products_by_sku([sku]).get(sku):
            raise Conflict.one(
                f"A product with SKU {same.sku} already exists (SKUs are the same in any case).",
                field="sku",
                sku=sku,
                code="unique",
            )
        product = Product.objects.create(
            sku=sku, name=name, price=price, backorderable=backorderable, dropship=dropship
        )
        ensure_stock_levels([product.pk])
        return product


def ensure_stock_levels(product_ids):
    """Give these products their stock row where they have none (products made in admin or
    by the catalogue import): allocation locks that row."""
    StockLevel.objects.bulk_create([StockLevel(product_id=pk) for pk in product_ids], ignore_conflicts=True)


def change_stock(changes, user=None, *, reference="", priority=()):
    """Record receipts, adjustments and counts (a count sets on hand to the units counted),
    all or none, then let the apps above give arriving units to waiting orders and take
    back allocations a count found missing, while the rows are still locked. `priority`
    goes to those hooks unchanged. Returns the ledger rows."""
    with transaction.atomic():
        levels, planned = plan_stock_changes(changes)
        movements = []
        for change, level in planned:
            delta = change.quantity - level.on_hand if change.reason == StockMovement.Reason.COUNT else change.quantity
            movements.append(
                move_stock(
                    level, reason=change.reason, quantity=delta, note=change.note, reference=reference, user=user
                )
            )
        hooks.stock_changed(levels, priority)
        save_stock(levels.values())
        return record_movements(movements)


def lock_stock(product_ids):
    """Lock the stock rows of these products, always in product id order, so that two
    transactions touching overlapping products queue instead of deadlocking."""
    levels = (
        StockLevel.objects.select_for_update(of=("self",))
        .select_related("product")
        .filter(product_id__in=set(product_ids))
        .order_by("product_id")
    )
    return {level.product_id: level for level in levels}


def save_stock(levels):
    """Write back changed cached quantities: one prepared statement for all rows (Django's
    bulk_update builds a CASE per column, a fifth of an order's time in the API); the check
    constraints are the last line of defence if a caller got its arithmetic wrong."""
    rows = [(level.on_hand, level.allocated, level.product_id) for level in levels]
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {StockLevel._meta.db_table} SET on_hand = %s, allocated = %s WHERE product_id = %s", rows
            )
        signals.stock_saved.send(sender=StockLevel, product_ids=[product_id for _, _, product_id in rows])


def products_by_sku(skus):
    """Products by the SKU as it was given: SKUs match in any case, under the one rule of
    kernel.parsers.case_key ("tea-003" is TEA-003; "ſcl-070" is no SKU); the database keeps them
    unique in any case, and its index on UPPER(sku) serves this lookup."""
    skus = set(skus)
    keys = {key for sku in skus if (key := case_key(sku))}
    found = {
        product.sku: product for product in Product.objects.annotate(sku_key=Upper("sku")).filter(sku_key__in=keys)
    }
    return match_keys(skus, found)


def move_stock(level, *, reason, quantity, note="", reference="", user=None):
    """Change on hand by a signed `quantity` and return the unsaved ledger row. The caller
    saves the level and bulk-creates the movements with `record_movements`."""
    after = level.on_hand + quantity
    if after < 0:
        raise Conflict.one(
            f"SKU {level.product.sku}: removing {-quantity} would leave {after} on hand; "
            f"only {level.on_hand} are on hand.",
            field="quantity",
            sku=level.product.sku,
            code="insufficient_stock",
        )
    level.on_hand = after
    return StockMovement(
        product_id=level.product_id,
        reason=reason,
        quantity=quantity,
        on_hand_after=after,
        note=note,
        reference=reference,
        created_at=clock.now(),
        created_by=acting_user(user),
    )


def record_movements(movements):
    return StockMovement.objects.bulk_create(movements)


def plan_stock_changes(changes):
    """Validate requested changes and lock their stock rows. Returns the locked levels and,
    per change, its level and signed delta. Every bad change is reported, none applied
    (kernel.errors.refuse: a malformed change 400, an unknown SKU 404, a dropship one 409)."""
    invalid, unknown, conflicting = [], [], []
    products = products_by_sku(change.sku for change in changes)
    for index, change in enumerate(changes):
        product = products.get(change.sku)
        where = {"line": index, "sku": change.sku} if len(changes) > 1 else {"sku": change.sku}
        if product is None:
            unknown.append(Problem(f"Unknown SKU {change.sku}.", field="sku", code="unknown_sku", **where))
        elif product.dropship:
            conflicting.append(
                Problem(
                    f"SKU {change.sku} is a dropship product and is never stocked.",
                    field="sku",
                    code="dropship",
                    **where,
                )
            )
        if change.reason not in StockMovement.Reason.values or change.reason == StockMovement.Reason.SHIPMENT:
            invalid.append(
                Problem(f"Reason must be receipt, adjustment or count, not {change.reason!r}.", field="reason", **where)
            )
        elif change.reason == StockMovement.Reason.RECEIPT and change.quantity <= 0:
            invalid.append(Problem("A receipt must bring at least 1 unit.", field="quantity", **where))
        elif change.reason == StockMovement.Reason.ADJUSTMENT and change.quantity == 0:
            invalid.append(Problem("An adjustment of 0 changes nothing.", field="quantity", **where))
        elif change.reason == StockMovement.Reason.COUNT and change.quantity < 0:
            invalid.append(Problem("A count cannot be negative.", field="quantity", **where))
    for index in repeated(change.sku for change in changes):
        invalid.append(
            Problem(
                "Each SKU may appear only once per stock change.",
                field="sku",
                line=index,
                sku=changes[index].sku,
                code="duplicate",
            )
        )
    refuse(invalid, unknown, conflicting)
    levels = lock_stock(products[change.sku].pk for change in changes)
    return levels, [(change, levels[products[change.sku].pk]) for change in changes]


def stock_level(sku):
    """A SKU's stock row with its product, found as products_by_sku finds it, or NotFound."""
    level = None
    if SKU_PATTERN.fullmatch(sku):  # else no such SKU can exist (and PostgreSQL refuses a NUL)
        level = (
            StockLevel.objects.select_related("product")
            .annotate(sku_key=Upper("product__sku"))
            .filter(sku_key=case_key(sku))
            .first()
        )
    if level is None:
        raise NotFound.one(f"Unknown SKU {sku}.", field="sku", sku=sku, code="unknown_sku")
    return level
