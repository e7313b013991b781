import re

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

SKU_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
SKU_VALIDATOR = RegexValidator(
    rf"^{SKU_PATTERN.pattern}$",
    _("Use letters, digits and . _ - only, starting with a letter or digit."),
)


class Product(models.Model):
    sku = models.CharField(_("SKU"), max_length=64, unique=True, validators=[SKU_VALIDATOR])
    name = models.CharField(_("name"), max_length=200)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    backorderable = models.BooleanField(_("backorderable"), default=True, help_text=_("May be sold beyond stock."))
    dropship = models.BooleanField(
        _("dropship"), default=False, help_text=_("Never stocked: the supplier ships to the customer.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
            # "tea-003" is TEA-003: SKUs are matched regardless of case (stock.products_by_sku),
            # so no two may differ in case only. The index also serves those lookups.
            models.UniqueConstraint(
                Upper("sku"),
                name="product_sku_unique_in_any_case",
                violation_error_message=_("A product with this SKU already exists (SKUs are the same in any case)."),
            ),
        ]

    def __str__(self):
        return f"{self.sku} {self.name}"


class StockLevel(models.Model):
    """Cached quantities of one product in the warehouse. Only inventory services change
    them, in the same transaction as the ledger row that explains the change."""

    product = models.OneToOneField(
        Product, on_delete=models.PROTECT, primary_key=True, related_name="stock", verbose_name=_("product")
    )
    on_hand = models.IntegerField(_("on hand"), default=0)
    allocated = models.IntegerField(_("allocated"), default=0)

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(allocated__gte=0), name="stock_allocated_not_negative"),
            models.CheckConstraint(condition=Q(allocated__lte=F("on_hand")), name="stock_allocated_within_on_hand"),
        ]

    def __str__(self):
        return f"{self.product_id}: {self.on_hand} on hand, {self.allocated} allocated"

    @property
    def available(self):
        return self.on_hand - self.allocated


class StockMovement(models.Model):
    """Append-only ledger: the sum of a product's movements is its stock on hand."""

    class Reason(models.TextChoices):
        RECEIPT = "receipt", _("receipt")
        ADJUSTMENT = "adjustment", _("adjustment")
        COUNT = "count", _("count")
        SHIPMENT = "shipment", _("shipment")

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="movements", verbose_name=_("product"))
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    quantity = models.IntegerField(_("quantity"), help_text=_("Signed change of stock on hand."))
    on_hand_after = models.IntegerField(_("on hand after"))
    note = models.CharField(_("note"), max_length=255, blank=True)
    reference = models.CharField(_("reference"), max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    # Words older versions wrote into `note` for what the row states anyway (the ledger refuses
    # UPDATE, so they stay): shown as the fact, in the reader's language, not as a note.
    STATED_BY_THE_ROW = {"opening stock"}

    def description(self):
        """What happened, in the reader's language, from the row's facts (reason, reference),
        then the note a person wrote, if any."""
        if self.reason == self.Reason.RECEIPT and self.reference:
            facts = _("received against purchase order %(reference)s") % {"reference": self.reference}
        elif self.reason == self.Reason.SHIPMENT and self.reference:
            facts = _("shipped with order %(reference)s") % {"reference": self.reference}
        else:
            facts = self.get_reason_display()
        note = self.note.strip()
        if note in self.STATED_BY_THE_ROW or note == f"purchase order {self.reference}":
            note = ""
        return f"{facts}: {note}" if note else str(facts)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(on_hand_after__gte=0), name="movement_on_hand_after_not_negative"),
            # A count may confirm the shelf (zero change); every other movement moves stock.
            models.CheckConstraint(condition=Q(reason="count") | ~Q(quantity=0), name="movement_moves_stock"),
            models.CheckConstraint(
                condition=~Q(reason="receipt") | Q(quantity__gt=0), name="movement_receipt_positive"
            ),
            models.CheckConstraint(
                condition=~Q(reason="shipment") | Q(quantity__lt=0), name="movement_shipment_negative"
            ),
        ]

    def __str__(self):
        return f"{self.get_reason_display()} {self.quantity:+d} {self.product_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Stock movements are append-only; record a correcting movement instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Stock movements are append-only; record a correcting movement instead.")
