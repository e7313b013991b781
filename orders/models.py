import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Sum
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from inventory.models import Product, StockMovement
from kernel.choices import Language


class Customer(models.Model):
    Language = Language

    email = models.EmailField(_("email"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.DE)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Set when an email to the customer bounced or they complained: customer service calls.
    call_reason = models.CharField(
        _("call the customer"),
        max_length=200,
        blank=True,
        help_text=_("Why customer service should phone this customer; empty when no call is needed."),
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["email"]
        # Search: the email exactly, any case (a part of the name: a trigram index, migration 0009).
        indexes = [models.Index(Upper("email"), name="customer_email_upper")]

    def __str__(self):
        return f"{self.name} <{self.email}>"


class Order(models.Model):
    class Policy(models.TextChoices):
        SHIP_PARTIAL = "ship_partial", _("ship what is available, the rest later")
        SHIP_COMPLETE = "ship_complete", _("wait and ship complete")

    class Status(models.TextChoices):
        AWAITING_STOCK = "awaiting_stock", _("awaiting stock")
        READY_TO_SHIP = "ready_to_ship", _("ready to ship")
        PARTIALLY_SHIPPED = "partially_shipped", _("partially shipped")
        SHIPPED = "shipped", _("shipped")
        CANCELLED = "cancelled", _("cancelled")

    number = models.CharField(_("order number"), max_length=64, unique=True)
    # What the customer's status link carries (signed) instead of the guessable number.
    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders", verbose_name=_("customer"))
    fulfilment_policy = models.CharField(_("fulfilment policy"), max_length=16, choices=Policy.choices)
    # Said as a rule for either answer: beside a ✗, "Filled ahead of older orders." read as yes.
    expedite = models.BooleanField(
        _("expedite"),
        default=False,
        help_text=_("Ticked: filled ahead of older orders. Not ticked: filled in turn, oldest first."),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, db_index=True)
    placed_at = models.DateTimeField(_("placed at"), db_index=True)
    # Payment: authorised when placed, captured per shipment, voided for cancelled units.
    amount_authorised = models.DecimalField(_("authorised"), max_digits=14, decimal_places=2)
    amount_captured = models.DecimalField(_("captured"), max_digits=14, decimal_places=2, default=0)
    amount_voided = models.DecimalField(_("voided"), max_digits=14, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    # An order from a connected shop: the connection's code (a plain code, not a link to the
    # shops app above: orders' tables stand without it, and the code stays with the order)
    # and the shop's id of it; the number the customer knows ("#1001"); where it goes.
    shop = models.CharField(_("shop"), max_length=32, blank=True, default="")
    shop_order_id = models.CharField(_("shop's order id"), max_length=64, blank=True, default="")
    shop_number = models.CharField(_("number in the shop"), max_length=64, blank=True, default="")
    shipping_address = models.JSONField(_("shipping address"), default=dict, blank=True)
    payment_problem = models.CharField(
        _("payment problem"),
        max_length=300,
        blank=True,
        default="",
        help_text=_("The shop's payment provider refused to capture a shipment's amount: settle it with the customer."),
    )

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-placed_at", "-id"]
        indexes = [
            models.Index(Upper("number"), name="order_number_upper"),
            models.Index(fields=["status", "placed_at"], name="order_status_placed"),  # a status, newest first
        ]
        permissions = [
            ("cancel_units", _("Can cancel unshipped units of an order")),
            ("view_dashboard", _("Can view the managers' dashboard")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount_authorised__gte=0), name="order_authorised_not_negative"),
            models.CheckConstraint(condition=Q(amount_captured__gte=0), name="order_captured_not_negative"),
            models.CheckConstraint(condition=Q(amount_voided__gte=0), name="order_voided_not_negative"),
            models.CheckConstraint(
                condition=Q(amount_captured__lte=F("amount_authorised") - F("amount_voided")),
                name="order_payment_within_authorisation",
            ),
            models.UniqueConstraint(
                fields=["shop", "shop_order_id"], condition=~Q(shop=""), name="order_one_per_shop_order"
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def customer_number(self):
        """The number the customer knows: the shop's ("#1001") for a shop's order."""
        return self.shop_number or self.number

    @property
    def address_lines(self):
        """The shipping address as a label is written (the shops' keys, shops.orderdata.address):
        name, company, street lines, postcode and city, region, country; empty parts left out."""
        address = self.shipping_address or {}
        town = " ".join(part for part in (address.get("postcode"), address.get("city")) if part)
        lines = [address.get(key) for key in ("name", "company", "address1", "address2")]
        lines += [town, address.get("region"), address.get("country")]
        return [line for line in lines if line]


class OrderLine(models.Model):
    """A line's quantity is always fully accounted for: every unit is allocated (reserved in
    the warehouse), backordered (waiting), shipped or cancelled."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order"))
    position = models.PositiveSmallIntegerField(_("position"))
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="order_lines", verbose_name=_("product")
    )
    quantity = models.IntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    allocated = models.IntegerField(_("allocated"), default=0)
    backordered = models.IntegerField(_("backordered"), default=0)
    shipped = models.IntegerField(_("shipped"), default=0)
    cancelled = models.IntegerField(_("cancelled"), default=0)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "product"], name="order_line_one_per_product"),
            models.UniqueConstraint(fields=["order", "position"], name="order_line_unique_position"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="line_unit_price_not_negative"),
            models.CheckConstraint(
                condition=Q(allocated__gte=0, backordered__gte=0, shipped__gte=0, cancelled__gte=0),
                name="line_parts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(quantity=F("allocated") + F("backordered") + F("shipped") + F("cancelled")),
                name="line_parts_add_up",
            ),
        ]

    def __str__(self):
        return _("line %(number)s") % {"number": self.position + 1}

    @property
    def unshipped(self):
        return self.allocated + self.backordered


def _waiting(quantity, filled, cancelled):
    """What still waits of a backorder: of its quantity, neither filled nor cancelled (numbers
    for one row, or column expressions for SQL: the one statement of the rule)."""
    return quantity - filled - cancelled


def still_waiting(backorder=""):
    """What still waits of a backorder, as an expression; `backorder` is the path to the
    Backorder from the row ("" for a Backorder row)."""
    return _waiting(*(F(f"{backorder}__{name}" if backorder else name) for name in ("quantity", "filled", "cancelled")))


# What still waits of a backorder, as an expression for filters and sums.
WAITING_UNITS = still_waiting()


class BackorderStatus(models.TextChoices):
    OPEN = "open", _("open")
    ON_ORDER = "on_order", _("on order")
    ALLOCATED = "allocated", _("allocated")
    SHIPPED = "shipped", _("shipped")
    CANCELLED = "cancelled", _("cancelled")


# Backorders whose units still wait: for stock (open) or for a purchase order (on order).
WAITING = (BackorderStatus.OPEN, BackorderStatus.ON_ORDER)


class BackorderQuerySet(models.QuerySet):
    """The words for backorders, each stated once: statuses come from the choices, never typed
    into SQL; what still waits is WAITING_UNITS."""

    def waiting(self):
        """Units still wait on them: open or on order."""
        return self.filter(status__in=WAITING)

    def not_ordered(self):
        """Waiting for stock and on no purchase order yet: what the batch orders."""
        return self.filter(status=BackorderStatus.OPEN, po_line__isnull=True)

    def on_order(self):
        """Pegged to a purchase order line that will fill them."""
        return self.filter(status=BackorderStatus.ON_ORDER)

    def units_waiting(self):
        """The units that still wait on these backorders, in all."""
        return self.aggregate(units=Sum(WAITING_UNITS))["units"] or 0

    def units_waiting_by(self, *fields, **expressions):
        """The units that still wait (`units`) per value of these fields."""
        return self.values(*fields, **expressions).annotate(units=Sum(WAITING_UNITS))


class Backorder(models.Model):
    """The unmet part of an order line. `quantity` is fixed when it is created; as stock
    arrives units are `filled` (they become allocated on the line), or the customer
    cancels them. What still waits is quantity - filled - cancelled."""

    Status = BackorderStatus

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="backorders", verbose_name=_("order"))
    line = models.ForeignKey(
        OrderLine, on_delete=models.CASCADE, related_name="backorders", verbose_name=_("order line")
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="backorders", verbose_name=_("product"))
    quantity = models.IntegerField(_("quantity"))
    filled = models.IntegerField(_("filled"), default=0)
    cancelled = models.IntegerField(_("cancelled"), default=0)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)
    filled_at = models.DateTimeField(_("filled at"), null=True, blank=True)
    eta = models.DateField(_("ETA"), help_text=_("Current expected date."))
    promised_date = models.DateField(_("promised date"), help_text=_("First date told to the customer; never changes."))
    told_eta = models.DateField(
        _("last date told"),
        help_text=_("The ETA the customer last heard of (order page or email); delay notices compare with it."),
    )
    po_line = models.ForeignKey(
        "purchasing.PurchaseOrderLine",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="backorders",
        verbose_name=_("purchase order line"),
        help_text=_("The supplier order line that will fill this backorder."),
    )

    objects = BackorderQuerySet.as_manager()

    class Meta:
        verbose_name = _("backorder")
        verbose_name_plural = _("backorders")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["product", "status"], name="backorder_product_status"),
            # What waits, by age: the "waiting since" filters and the worklist.
            models.Index(
                fields=["order", "created_at"], condition=Q(status__in=WAITING), name="backorder_waiting_since"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="backorder_quantity_positive"),
            models.CheckConstraint(condition=Q(filled__gte=0, cancelled__gte=0), name="backorder_parts_not_negative"),
            models.CheckConstraint(
                condition=Q(quantity__gte=F("filled") + F("cancelled")), name="backorder_parts_within_quantity"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=WAITING) | Q(quantity__gt=F("filled") + F("cancelled")),
                name="backorder_open_means_waiting",
            ),
            models.CheckConstraint(
                condition=Q(status=BackorderStatus.ON_ORDER, po_line__isnull=False)
                | ~Q(status=BackorderStatus.ON_ORDER),
                name="backorder_on_order_is_pegged",
            ),
        ]

    def __str__(self):
        return _("%(waiting)s of %(quantity)s waiting") % {"waiting": self.waiting, "quantity": self.quantity}

    def take(self, units, part):
        """Move up to `units` of what still waits to `part` ("filled" or "cancelled");
        returns the units taken. The caller sets the status once nothing waits."""
        taken = min(units, self.waiting)
        setattr(self, part, getattr(self, part) + taken)
        return taken

    @property
    def waiting(self):
        return _waiting(self.quantity, self.filled, self.cancelled)


def policy_allows_shipping(policy, *, allocated, backordered):
    """Ship complete is all or nothing: such an order ships once nothing waits; ship
    partial ships whatever is allocated."""
    return allocated > 0 and (policy == Order.Policy.SHIP_PARTIAL or backordered == 0)


class EtaChange(models.Model):
    """Every change of a backorder's ETA after the first, with its cause: the history
    customer service reads and customer messages hang on."""

    class Cause(models.TextChoices):
        PURCHASE_ORDER = "purchase_order", _("put on a purchase order")
        REDATED = "redated", _("supplier gave a new date")
        LATE = "late", _("purchase order late")
        UNPEGGED = "unpegged", _("taken off a purchase order")
        OVERDUE = "overdue", _("date passed, goods not here")
        REVIEW = "review", _("date could no longer be met")

    backorder = models.ForeignKey(
        Backorder, on_delete=models.CASCADE, related_name="eta_changes", verbose_name=_("backorder")
    )
    old_eta = models.DateField(_("old ETA"))
    new_eta = models.DateField(_("new ETA"))
    cause = models.CharField(_("cause"), max_length=20, choices=Cause.choices)
    changed_at = models.DateTimeField(_("changed at"), db_index=True)

    class Meta:
        verbose_name = _("ETA change")
        verbose_name_plural = _("ETA changes")
        ordering = ["changed_at", "id"]

    def __str__(self):
        return f"{self.backorder_id}: {self.old_eta} → {self.new_eta}"


class OrderEvent(models.Model):
    """What the customer or staff changed on an order, for its history (admin and status page)."""

    class Kind(models.TextChoices):
        POLICY_CHANGED = "policy_changed", _("fulfilment policy changed")
        UNITS_CANCELLED = "units_cancelled", _("units cancelled")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events", verbose_name=_("order"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("at"), db_index=True)
    by_customer = models.BooleanField(
        _("by the customer"), default=False, help_text=_("Done on the order's status page.")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff"),
    )
    data = models.JSONField(_("details"), default=dict)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order history")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class Shipment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="shipments", verbose_name=_("order"))
    shipped_at = models.DateTimeField(_("shipped at"), db_index=True)
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)
    amount_captured = models.DecimalField(_("captured"), max_digits=14, decimal_places=2)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-shipped_at", "-id"]

    def __str__(self):
        return _("Shipment %(id)s of order %(number)s") % {"id": self.pk, "number": self.order.number}


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines", verbose_name=_("shipment"))
    line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, related_name="shipment_lines", verbose_name=_("order line")
    )
    quantity = models.IntegerField(_("quantity"))
    movement = models.OneToOneField(
        StockMovement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shipment_line",
        verbose_name=_("stock movement"),
    )

    class Meta:
        verbose_name = _("shipment line")
        verbose_name_plural = _("shipment lines")
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="shipment_line_quantity_positive")]

    def __str__(self):
        return f"{self.quantity} × {self.line.product.sku}"
