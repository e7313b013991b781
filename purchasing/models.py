from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import formats
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from inventory.models import Product
from kernel.choices import Language
from kernel.formats import money
from kernel.models import SingleRow


class Supplier(models.Model):
    Language = Language

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"))
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.DE)
    lead_time_days = models.PositiveIntegerField(_("lead time (days)"), default=7)
    min_order_value = models.DecimalField(
        _("minimum order value"),
        max_digits=12,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
        help_text=_("Backorders are collected until a purchase order reaches this value."),
    )
    max_wait_hours = models.PositiveIntegerField(
        _("maximum wait (hours)"),
        default=72,
        help_text=_("Order anyway once the oldest collected backorder has waited this long."),
    )
    auto_send = models.BooleanField(
        _("send automatically"), default=False, help_text=_("Email purchase orders as soon as they are created.")
    )
    learned_lateness_days = models.PositiveIntegerField(
        _("observed lateness (days)"),
        default=0,
        editable=False,
        help_text=_(
            "Median days its deliveries of the last 90 days came after the date first asked for; updated daily."
        ),
    )
    pad_with_lateness = models.BooleanField(
        _("pad customers' dates with its lateness"),
        default=True,
        help_text=_("Customers waiting on this supplier are told its dates plus the lateness it has shown."),
    )
    confirmation_window_days = models.PositiveSmallIntegerField(
        _("confirmation window (working days)"),
        default=2,
        help_text=_("A purchase order still unconfirmed this many working days after it was sent gets one reminder."),
    )

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(min_order_value__gte=0), name="supplier_min_order_value_not_negative"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"


class SupplierItem(models.Model):
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="items", verbose_name=_("supplier"))
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="supplier_items", verbose_name=_("product")
    )
    supplier_sku = models.CharField(_("supplier SKU"), max_length=64)
    unit_cost = models.DecimalField(_("unit cost"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    min_order_quantity = models.PositiveIntegerField(
        _("minimum order quantity"), default=1, validators=[MinValueValidator(1)]
    )
    pack_size = models.PositiveIntegerField(_("pack size"), default=1, validators=[MinValueValidator(1)])
    lead_time_days = models.PositiveIntegerField(
        _("lead time (days)"),
        null=True,
        blank=True,
        help_text=_("Overrides the supplier's lead time."),
    )
    preferred = models.BooleanField(_("preferred"), default=False)

    class Meta:
        verbose_name = _("supplier item")
        verbose_name_plural = _("supplier items")
        ordering = ["supplier", "product"]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "product"], name="supplier_item_once_per_supplier"),
            models.UniqueConstraint(
                fields=["product"],
                condition=Q(preferred=True),
                name="supplier_item_one_preferred_per_product",
                violation_error_message=_("This product already has a preferred supplier."),
            ),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="supplier_item_cost_not_negative"),
            models.CheckConstraint(condition=Q(min_order_quantity__gte=1), name="supplier_item_moq_positive"),
            models.CheckConstraint(condition=Q(pack_size__gte=1), name="supplier_item_pack_positive"),
        ]

    def __str__(self):
        return f"{self.supplier.code}: {self.supplier_sku}"

    def order_quantity(self, units):
        """What to order for `units`: at least the minimum order quantity, then whole packs."""
        units = max(units, self.min_order_quantity)
        return -(-units // self.pack_size) * self.pack_size


class PurchaseOrder(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SENT = "sent", _("sent")
        CONFIRMED = "confirmed", _("confirmed")
        PARTIALLY_RECEIVED = "partially_received", _("partially received")
        RECEIVED = "received", _("received")
        CANCELLED = "cancelled", _("cancelled")

    number = models.CharField(_("number"), max_length=32, unique=True)
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="purchase_orders", verbose_name=_("supplier")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    dropship_order = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dropship_purchase_orders",
        verbose_name=_("dropship for order"),
        help_text=_("The supplier ships this purchase order straight to this order's customer."),
    )
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        ordering = ["-created_at", "-id"]
        permissions = [("receive_purchaseorder", _("Can receive goods against a purchase order"))]
        constraints = [
            # One open draft per supplier for stock: the batch job tops it up instead of opening another.
            models.UniqueConstraint(
                fields=["supplier"],
                condition=Q(status="draft", dropship_order__isnull=True),
                name="purchase_order_one_stock_draft_per_supplier",
            ),
        ]

    # Sent to the supplier and not yet complete: goods may arrive, lines may be late.
    RECEIVABLE = (Status.SENT, Status.CONFIRMED, Status.PARTIALLY_RECEIVED)

    def __str__(self):
        return self.number

    @property
    def dropship(self):
        return self.dropship_order_id is not None


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="lines", verbose_name=_("purchase order")
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="purchase_order_lines", verbose_name=_("product")
    )
    supplier_sku = models.CharField(_("supplier SKU"), max_length=64)
    quantity = models.IntegerField(_("quantity"))
    # Ordered ahead for stock by the reorder review, on top of what pegged backorders need:
    # the batch and a released peg keep these units on the line.
    stock_units = models.IntegerField(
        _("for stock"),
        default=0,
        help_text=_("Units the reorder review added for stock, not for waiting customers."),
    )
    received = models.IntegerField(_("received"), default=0)
    unit_cost = models.DecimalField(_("unit cost"), max_digits=12, decimal_places=2)
    expected_date = models.DateField(_("expected date"))
    # The date first asked for; the supplier's on-time rate is measured against it.
    first_expected_date = models.DateField(
        _("first expected date"), help_text=_("The date first asked for; re-dates do not change it.")
    )
    received_at = models.DateTimeField(
        _("received at"), null=True, blank=True, help_text=_("When the last unit arrived.")
    )
    late = models.BooleanField(
        _("late"), default=False, db_index=True, help_text=_("Past its expected date and not fully received.")
    )
    # A short first delivery: what is left after it comes by this date (receiving moves it to
    # expected_date once the first part is in).
    rest_expected_date = models.DateField(
        _("rest expected"), null=True, blank=True, help_text=_("When the units left after a short delivery come.")
    )

    class Meta:
        verbose_name = _("purchase order line")
        verbose_name_plural = _("purchase order lines")
        ordering = ["purchase_order", "product"]
        constraints = [
            models.UniqueConstraint(fields=["purchase_order", "product"], name="po_line_once_per_product"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="po_line_quantity_positive"),
            models.CheckConstraint(condition=Q(received__gte=0), name="po_line_received_not_negative"),
            models.CheckConstraint(
                condition=Q(stock_units__gte=0, stock_units__lte=F("quantity")),
                name="po_line_stock_units_within_quantity",
            ),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="po_line_cost_not_negative"),
        ]

    def __str__(self):
        return f"{self.purchase_order.number}: {self.quantity} × {self.product.sku}"

    @property
    def outstanding(self):
        return max(self.quantity - self.received, 0)


class DropshipCancellation(models.Model):
    """Units of a dropship line taken off a purchase order the supplier already has, because
    its customer's order cancelled them: written in the transaction that shrinks (or removes)
    the line (pegging.shrink_sent_dropship_lines); `emailed_at` when the supplier's
    cancellation email went, after that transaction committed."""

    purchase_order = models.ForeignKey(
        PurchaseOrder,
        on_delete=models.CASCADE,
        related_name="dropship_cancellations",
        verbose_name=_("purchase order"),
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("product"))
    supplier_sku = models.CharField(_("supplier SKU"), max_length=64)
    units = models.IntegerField(_("units cancelled"))
    units_left = models.IntegerField(_("units left on the line"), help_text=_("0: the line was removed."))
    cancelled_at = models.DateTimeField(_("cancelled at"))
    by_customer = models.BooleanField(_("by the customer"), default=False)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    emailed_at = models.DateTimeField(
        _("supplier emailed at"),
        null=True,
        blank=True,
        help_text=_("Empty: the email could not be sent (see the log); tell the supplier yourself."),
    )

    class Meta:
        verbose_name = _("dropship cancellation")
        verbose_name_plural = _("dropship cancellations")
        ordering = ["cancelled_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(units__gt=0), name="dropship_cancellation_units_positive"),
            models.CheckConstraint(condition=Q(units_left__gte=0), name="dropship_cancellation_left_not_negative"),
        ]

    def __str__(self):
        return f"{self.purchase_order.number}: −{self.units} × {self.product.sku}"


def describe_batch(result):
    """A batch run's result in words, for purchasing (the run list and the "Run the batch now" message)."""
    parts = [
        ngettext("%(count)s purchase order created", "%(count)s purchase orders created", len(result["created"]))
        % {"count": len(result["created"])}
        + (f" ({', '.join(result['created'])})" if result["created"] else ""),
        ngettext("%(count)s topped up", "%(count)s topped up", len(result["topped_up"]))
        % {"count": len(result["topped_up"])}
        + (f" ({', '.join(result['topped_up'])})" if result["topped_up"] else ""),
        ngettext("%(count)s unit put on order", "%(count)s units put on order", result["units_pegged"])
        % {"count": result["units_pegged"]},
    ]
    if result["waiting_for_quota"]:
        parts.append(
            _("below their minimum: %(suppliers)s")
            % {
                "suppliers": ", ".join(
                    f"{waiting['supplier']} ({money(waiting['value'])})" for waiting in result["waiting_for_quota"]
                )
            }
        )
    if result.get("without_supplier"):
        skus = result.get("without_supplier_skus", [])  # runs before it was kept have only the count
        parts.append(
            ngettext(
                "%(count)s backorder without a supplier",
                "%(count)s backorders without a supplier",
                result["without_supplier"],
            )
            % {"count": result["without_supplier"]}
            + (f" ({', '.join(skus)})" if skus else "")
        )
    return "; ".join(parts) + "."


class BatchRun(models.Model):
    """What each run of the batch job did, for purchasing to see in admin."""

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    trigger = models.CharField(_("trigger"), max_length=32)
    result = models.JSONField(_("result"), default=dict)

    class Meta:
        verbose_name = _("batch run")
        verbose_name_plural = _("batch runs")
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"{formats.date_format(localtime(self.started_at), 'DATETIME_FORMAT')} ({self.started_by()})"

    def started_by(self):
        """Who or what started the run, in words: "schedule", "admin (einkauf)"."""
        source, _sep, who = self.trigger.partition(":")
        label = {
            "beat": _("schedule"),
            "command": _("command line"),
            "demo": _("demo data"),
            "manual": _("by hand"),
            "admin": _("admin"),
            "api": _("API"),
        }.get(source, source)
        return f"{label} ({who})" if who else str(label)

    started_by.short_description = _("started by")

    def summary(self):
        return describe_batch(self.result)

    summary.short_description = _("what it did")


class DemandDay(models.Model):
    """What customers ordered of a product on one day (the shop's local date) and what became
    of it: rebuilt from the orders by demand.refresh_demand (nightly, the last days again, as
    cancellations come in). The reorder review reads a year of it without touching order lines."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+", verbose_name=_("product"))
    day = models.DateField(_("day"))
    units_ordered = models.IntegerField(_("units ordered"))
    lines = models.IntegerField(_("order lines"))
    lines_backordered = models.IntegerField(_("lines backordered"))
    units_cancelled = models.IntegerField(_("units cancelled"))

    class Meta:
        verbose_name = _("demand day")
        verbose_name_plural = _("demand history")
        constraints = [
            models.UniqueConstraint(fields=["product", "day"], name="demand_day_once_per_product"),
            models.CheckConstraint(
                condition=Q(units_ordered__gte=0, lines__gte=0, lines_backordered__gte=0, units_cancelled__gte=0),
                name="demand_day_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["day"], name="demand_day_day")]


class DemandRefresh(models.Model):
    """When the demand history was last rebuilt (demand.refresh_demand): the reorder review
    says "as of" from it, and rebuilds a history not brought up to today yet. One row."""

    as_of = models.DateTimeField(_("as of"))

    class Meta:
        verbose_name = _("demand history refresh")
        verbose_name_plural = _("demand history refreshes")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="demand_refresh_single_row")]


class ReorderPolicy(SingleRow, models.Model):
    """How the reorder review reckons: one row, edited by purchasing."""

    service_level = models.DecimalField(
        _("service level"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.950"),
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("0.999"))],
        help_text=_("The share of replenishment cycles that should end without running out (0.95 = 95 %)."),
    )
    review_period_days = models.PositiveSmallIntegerField(
        _("review period (days)"),
        default=14,
        validators=[MinValueValidator(1)],
        help_text=_("Stock is ordered up to cover this many days after the lead time."),
    )
    often_backordered_rate = models.DecimalField(
        _("backordered too often above"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.200"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_(
            "Share of a product's order lines of the last 90 days that went to backorder; above it the review suggests stocking it."
        ),
    )
    add_to_batch = models.BooleanField(
        _("batch adds the suggestions"),
        default=False,
        help_text=_("The batch job adds the review's suggested quantities to the suppliers' drafts itself."),
    )
    answer_review_days = models.PositiveSmallIntegerField(
        _("review supplier answers moving a date by more than (days)"),
        default=7,
        help_text=_('Such answers appear in the daily job "Supplier answers to review".'),
    )

    class Meta:
        verbose_name = _("reorder policy")
        verbose_name_plural = _("reorder policy")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="reorder_policy_single_row"),
            models.CheckConstraint(
                condition=Q(service_level__gte=Decimal("0.5"), service_level__lte=Decimal("0.999")),
                name="reorder_policy_service_level_range",
            ),
            models.CheckConstraint(
                condition=Q(review_period_days__gte=1), name="reorder_policy_review_period_positive"
            ),
        ]

    def __str__(self):
        return str(_("Reorder policy"))


class SupplierLink(models.Model):
    """The supplier's personal link to one purchase order. The token is never stored: it is an
    HMAC of `nonce` under the secret key (so staff can copy the link again), found by the
    SHA-256 of the token. Valid while not revoked and the order is still receivable."""

    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="supplier_links", verbose_name=_("purchase order")
    )
    nonce = models.CharField(max_length=32, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.CharField(_("revoked by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("supplier link")
        verbose_name_plural = _("supplier links")
        constraints = [
            models.UniqueConstraint(
                fields=["purchase_order"], condition=Q(revoked_at__isnull=True), name="supplier_link_one_active_per_po"
            ),
        ]

    def __str__(self):
        return f"{self.purchase_order_id}: {self.created_at:%Y-%m-%d}"


class SupplierAnswer(models.Model):
    """One answer a supplier gave through its link: append-only (only the review stamp is
    written later). `changes`: [{"sku", "field", "was", "now"}] as the answer found and left them."""

    class Kind(models.TextChoices):
        CONFIRMED = "confirmed", _("confirmed as asked")
        REDATED = "redated", _("new dates")
        SHORT = "short", _("smaller quantity")
        SHIPMENT = "shipment", _("shipment announced")

    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.PROTECT, related_name="supplier_answers", verbose_name=_("purchase order")
    )
    link = models.ForeignKey(
        SupplierLink, on_delete=models.PROTECT, related_name="answers", verbose_name=_("through link")
    )
    kind = models.CharField(_("answer"), max_length=16, choices=Kind.choices)
    answered_at = models.DateTimeField(_("answered at"), db_index=True)
    changes = models.JSONField(_("what changed"), default=list)
    days_moved = models.IntegerField(
        _("days moved"), default=0, help_text=_("The most any line's date moved later (negative: earlier).")
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.CharField(_("reviewed by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("supplier answer")
        verbose_name_plural = _("supplier answers")
        ordering = ["-answered_at", "-id"]
        indexes = [
            models.Index(fields=["days_moved"], condition=Q(reviewed_at__isnull=True), name="supplier_answer_to_review")
        ]

    def __str__(self):
        return f"{self.purchase_order_id}: {self.get_kind_display()}"


class AnnouncedShipment(models.Model):
    """Units of a line the supplier says are on their way: goods in sees them on the receive list."""

    line = models.ForeignKey(
        PurchaseOrderLine, on_delete=models.CASCADE, related_name="announcements", verbose_name=_("line")
    )
    answer = models.ForeignKey(
        SupplierAnswer, on_delete=models.PROTECT, related_name="announcements", verbose_name=_("answer")
    )
    quantity = models.IntegerField(_("quantity"))
    arrival_date = models.DateField(_("expected arrival"))
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("announced shipment")
        verbose_name_plural = _("announced shipments")
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="announced_shipment_quantity_positive")]

    def __str__(self):
        return f"{self.quantity} × {self.line_id}"


class SupplierReminder(models.Model):
    """The one reminder a purchase order gets when its supplier has not confirmed in time: the
    row is written once (unique per order), then claimed by a conditional update to send it."""

    purchase_order = models.OneToOneField(
        PurchaseOrder, on_delete=models.CASCADE, related_name="reminder", verbose_name=_("purchase order")
    )
    due_at = models.DateTimeField(_("due at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("supplier reminder")
        verbose_name_plural = _("supplier reminders")
