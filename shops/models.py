from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kernel.choices import Language
from orders.models import Order

# A connection's code goes into URLs and order numbers ("WOO-727"): letters, digits, - and _.
CODE_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}"


class ShopConnection(models.Model):
    """One shop of the merchant. Its secrets are stored encrypted (shops.secrets) and never
    shown again; `watermark` is the shop's order time up to which the reconciliation has
    read every order."""

    class Platform(models.TextChoices):
        SHOPIFY = "shopify", "Shopify"
        WOOCOMMERCE = "woocommerce", "WooCommerce"
        SHOPWARE = "shopware", "Shopware 6"

    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        validators=[RegexValidator(rf"^{CODE_PATTERN}$")],
        help_text=_("Short name in the webhook URL and in order numbers, e.g. WOO."),
    )
    platform = models.CharField(_("platform"), max_length=16, choices=Platform.choices)
    url = models.URLField(
        _("shop URL"),
        help_text=_(
            "Shopify: https://NAME.myshopify.com; WooCommerce: the site's address; Shopware: set by the app's installation."
        ),
    )
    language = models.CharField(
        _("language"),
        max_length=2,
        choices=Language.choices,
        default=Language.DE,
        help_text=_("For customers whose order does not say their language."),
    )
    active = models.BooleanField(_("active"), default=True)
    # How the shop's orders are placed: the shop asks no customer for it (DESIGN 4).
    ship_policy = models.CharField(
        _("fulfilment policy of its orders"),
        max_length=16,
        choices=Order.Policy.choices,
        default=Order.Policy.SHIP_PARTIAL,
        help_text=_("What the shop's customers are taken to have chosen: ship what is available, or wait."),
    )
    secrets = models.TextField(_("secrets (encrypted)"), blank=True, editable=False)
    watermark = models.DateTimeField(_("orders read up to"), null=True, blank=True)
    # Shopware: the shop's language ids as de/en (read once over the Admin API; "" for others).
    languages = models.JSONField(_("shop's languages"), default=dict, blank=True, editable=False)
    location_id = models.CharField(_("Shopify location"), max_length=100, blank=True, editable=False)
    # The shop asked us to wait (HTTP 429 Retry-After, Shopify THROTTLED): no call before this.
    paused_until = models.DateTimeField(_("paused until"), null=True, blank=True, editable=False)
    last_sync_at = models.DateTimeField(_("last sync"), null=True, blank=True, editable=False)
    last_sync_error = models.TextField(_("last sync error"), blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} ({self.get_platform_display()})"


class InboxEvent(models.Model):
    """A webhook as it came (or an order the reconciliation read), stored before it is
    applied: one row per (connection, delivery key), so a delivery that comes twice is
    applied once. What cannot be applied stays here, held, with its reason."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DONE = "done", _("applied")
        IGNORED = "ignored", _("nothing to do")
        HELD = "held", _("held")

    connection = models.ForeignKey(
        ShopConnection, on_delete=models.CASCADE, related_name="events", verbose_name=_("shop")
    )
    delivery_key = models.CharField(_("delivery"), max_length=200)
    topic = models.CharField(_("topic"), max_length=64)
    shop_order_id = models.CharField(_("shop's order id"), max_length=64, blank=True)
    body = models.TextField(_("body"))
    received_at = models.DateTimeField(_("received at"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(_("reason"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("shop event")
        verbose_name_plural = _("shop events")
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["connection", "delivery_key"], name="shop_event_once")]
        # What the sweep and the admin page look for: what waits or is held.
        indexes = [
            models.Index(
                fields=["status", "received_at"], condition=Q(status__in=["pending", "held"]), name="shop_event_open"
            )
        ]

    def __str__(self):
        return f"{self.topic} {self.shop_order_id}"


class ShopOrder(models.Model):
    """What the back office knows of an order in the shop: the version applied last (the
    shop's updated time; an older event changes nothing), the quantities the shop asked for
    per SKU (a lower one later cancels the difference) and how it was paid (an authorised
    payment is captured per shipment)."""

    connection = models.ForeignKey(
        ShopConnection, on_delete=models.PROTECT, related_name="orders", verbose_name=_("shop")
    )
    shop_order_id = models.CharField(_("shop's order id"), max_length=64)
    order = models.OneToOneField(
        "orders.Order", on_delete=models.PROTECT, related_name="shop_order", verbose_name=_("order")
    )
    version = models.DateTimeField(_("shop's version applied"))
    quantities = models.JSONField(_("quantities in the shop"), default=dict)
    payment = models.CharField(_("payment in the shop"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("shop order")
        verbose_name_plural = _("shop orders")
        constraints = [models.UniqueConstraint(fields=["connection", "shop_order_id"], name="shop_order_once")]

    def __str__(self):
        return f"{self.connection.code} {self.shop_order_id}"


class ShopProduct(models.Model):
    """A product the shop sells, and the outbox of what it should show: the shop's ids
    (looked up by SKU once), what was pushed last, and whether a change waits to be pushed.
    One row per (connection, product), so any number of changes before the push are one."""

    connection = models.ForeignKey(
        ShopConnection, on_delete=models.CASCADE, related_name="products", verbose_name=_("shop")
    )
    product = models.ForeignKey(
        "inventory.Product", on_delete=models.CASCADE, related_name="+", verbose_name=_("product")
    )
    # The shop's ids: WooCommerce product id; Shopify product, variant and inventory item ids.
    remote = models.JSONField(_("shop's ids"), default=dict, blank=True)
    found = models.BooleanField(_("sold in the shop"), null=True, help_text=_("Unknown until looked up by SKU."))
    # When the shop was last asked for the SKU: one it did not list is asked again later.
    looked_up_at = models.DateTimeField(_("looked up at"), null=True, blank=True)
    pending = models.BooleanField(_("change to push"), default=True)
    due_at = models.DateTimeField(_("push due at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    pushed = models.JSONField(_("shown in the shop"), default=dict, blank=True)
    pushed_at = models.DateTimeField(_("pushed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("product in a shop")
        verbose_name_plural = _("products in shops")
        ordering = ["connection", "product"]
        constraints = [models.UniqueConstraint(fields=["connection", "product"], name="shop_product_once")]
        indexes = [models.Index(fields=["connection", "due_at"], condition=Q(pending=True), name="shop_product_due")]

    def __str__(self):
        return f"{self.connection.code} {self.product_id}"


class OrderPush(models.Model):
    """A shipment or cancellation to write on the shop's order: a row written with the event
    (the outbox), pushed by a worker, retried with backoff while the shop is down. Its steps
    done are kept, so a retry never repeats one (a fulfilment, a capture)."""

    class Kind(models.TextChoices):
        SHIPMENT = "shipment", _("shipment")
        CANCELLATION = "cancellation", _("cancellation")

    class Status(models.TextChoices):
        PENDING = "pending", _("to push")
        DONE = "done", _("pushed")
        REFUSED = "refused", _("refused by the shop")

    connection = models.ForeignKey(
        ShopConnection, on_delete=models.CASCADE, related_name="order_pushes", verbose_name=_("shop")
    )
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+", verbose_name=_("order"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    reference = models.CharField(_("reference"), max_length=64)
    data = models.JSONField(_("details"), default=dict)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    steps_done = models.JSONField(_("steps done"), default=list, blank=True)
    # Steps asked of the shop whose answer never came, with what the shop held before (ids of
    # its fulfilments, captures): a retry first reads whether the step went through.
    asked = models.JSONField(_("steps asked"), default=dict, blank=True)
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    due_at = models.DateTimeField(_("due at"))
    # A worker pushing it holds it until then (one that died lets it go).
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("order update to a shop")
        verbose_name_plural = _("order updates to shops")
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["connection", "kind", "reference"], name="order_push_once")]
        indexes = [models.Index(fields=["due_at"], condition=Q(status="pending"), name="order_push_due")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.reference}"

    @staticmethod
    def marker_of(reference):
        """Ends the note written on the shop's order: a retry finds a note that went through by it."""
        return f"(ref. {reference})"

    @property
    def marker(self):
        return self.marker_of(self.reference)

    def asking(self, step, before):
        """Record, before the call, that `step` is asked and what the shop held before it
        (committed at once: a worker that dies or loses the answer leaves it for the retry)."""
        self.asked = {**self.asked, step: before}
        OrderPush.objects.filter(pk=self.pk).update(asked=self.asked)
