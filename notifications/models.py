from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext_lazy as _

from kernel.choices import Language
from kernel.formats import money
from kernel.models import SingleRow


class MessagePolicy(SingleRow, models.Model):
    """The rules for telling customers about their backorders: one row, edited by a manager."""

    class VoucherKind(models.TextChoices):
        PERCENT = "percent", _("percent off")
        FIXED = "fixed", _("fixed amount off")
        FREE_SHIPPING = "free_shipping", _("free shipping")

    backorder_notice_after_days = models.PositiveSmallIntegerField(
        _("backorder notice when the ETA is more than (days)"),
        default=7,
        help_text=_(
            "A supplier that delivers within this many days needs no notice; the status page shows the date either way."
        ),
    )
    delay_notice_min_days = models.PositiveSmallIntegerField(
        _("delay notice when the ETA moves later by at least (days)"),
        default=2,
    )
    apology_days_past_promise = models.PositiveSmallIntegerField(
        _("apology with voucher when the ETA is this many days past the promised date"),
        default=7,
    )
    apology_on_delay_number = models.PositiveSmallIntegerField(
        _("apology with voucher on delay notice number"),
        default=2,
        help_text=_("2: the second delay notice of an order comes with an apology and a voucher."),
    )
    voucher_kind = models.CharField(
        _("voucher kind"), max_length=16, choices=VoucherKind.choices, default=VoucherKind.PERCENT
    )
    voucher_value = models.DecimalField(
        _("voucher value"),
        max_digits=10,
        decimal_places=2,
        default=10,
        help_text=_("Percent or amount in EUR; ignored for free shipping."),
    )
    voucher_valid_days = models.PositiveSmallIntegerField(_("voucher valid for (days)"), default=90)
    quiet_window_minutes = models.PositiveSmallIntegerField(
        _("quiet window (minutes)"),
        default=30,
        help_text=_("Changes to one order within this window become one email."),
    )
    min_hours_between_emails = models.PositiveSmallIntegerField(
        _("hours between proactive emails to one order"),
        default=168,
        help_text=_(
            "At most one backorder, delay or apology email per order in this time (168: a week); later changes "
            "wait and merge into the next one, which states the latest date. A date the customer holds that is "
            "about to pass is still told: once per order by an email sooner, after that by customer service "
            "(the worklist's personal word). Shipped, cancellation and personal messages always go at once."
        ),
    )
    proactive_emails_per_order = models.PositiveSmallIntegerField(
        _("proactive emails per order before a personal word"),
        default=3,
        help_text=_(
            "After this many backorder, delay or apology emails, the next change is not emailed: the order "
            "shows on customer service's worklist as needing a personal word."
        ),
    )
    max_attempts = models.PositiveSmallIntegerField(_("sending attempts before giving up"), default=6)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("message policy")
        verbose_name_plural = _("message policy")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="message_policy_single_row"),
            models.CheckConstraint(condition=Q(voucher_value__gte=0), name="message_policy_voucher_value_not_negative"),
            models.CheckConstraint(condition=Q(max_attempts__gte=1), name="message_policy_at_least_one_attempt"),
            models.CheckConstraint(
                condition=Q(proactive_emails_per_order__gte=1), name="message_policy_at_least_one_proactive_email"
            ),
        ]

    def __str__(self):
        return str(_("Message policy"))


class CustomerMessage(models.Model):
    """One email to a customer: a row first (the outbox), written in the transaction of the
    event that caused it, then sent by a worker that claims it."""

    class Kind(models.TextChoices):
        BACKORDER_NOTICE = "backorder_notice", _("backorder notice")
        DELAY_NOTICE = "delay_notice", _("delay notice")
        APOLOGY = "apology", _("apology")
        SHIPPED = "shipped", _("shipped notice")
        CANCELLATION = "cancellation", _("cancellation")
        PERSONAL = "personal", _("personal message")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        DELIVERED = "delivered", _("delivered")
        BOUNCED = "bounced", _("bounced")
        COMPLAINED = "complained", _("complained")

    # Sent on the shop's initiative; these merge within the quiet window and obey the daily cap.
    PROACTIVE = (Kind.BACKORDER_NOTICE, Kind.DELAY_NOTICE, Kind.APOLOGY)
    # Handed to the ESP, whatever it reported since.
    WENT_OUT = (Status.SENT, Status.DELIVERED, Status.BOUNCED, Status.COMPLAINED)

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="messages", verbose_name=_("order")
    )
    customer = models.ForeignKey(
        "orders.Customer", on_delete=models.PROTECT, related_name="messages", verbose_name=_("customer")
    )
    to_email = models.EmailField(_("to"))
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    # What it says, written with the row; rendered into subject, text and HTML when it is sent.
    data = models.JSONField(_("what it says"), default=dict, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    text = models.TextField(_("text"), blank=True)
    html = models.TextField(_("HTML"), blank=True)
    dedupe_key = models.CharField(
        _("dedupe key"),
        max_length=200,
        unique=True,
        help_text=_("What this message announces; the same announcement is never queued twice."),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    esp_message_id = models.CharField(_("ESP message id"), max_length=200, null=True, blank=True, unique=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    possible_duplicate = models.BooleanField(
        _("possible duplicate"),
        default=False,
        help_text=_("A worker stopped between sending and recording it; it was sent again and may have arrived twice."),
    )
    last_error = models.TextField(_("last error"), blank=True)
    budget_gave_way = models.BooleanField(
        _("sooner than the week allowed"),
        default=False,
        help_text=_(
            "A date the customer held was about to pass, so this email goes before a week since the last one: "
            "the notice budget gives way once per order."
        ),
    )
    created_at = models.DateTimeField(_("created at"), db_index=True)
    send_after = models.DateTimeField(_("send after"))
    # A worker's claim: taken, then renewed just before the ESP call, whose moment is kept too
    # (a claim that outlived its worker is flagged as a possible duplicate only if it got that far).
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    esp_called_at = models.DateTimeField(_("ESP called at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, db_index=True)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by"),
    )

    class Meta:
        verbose_name = _("customer message")
        verbose_name_plural = _("customer messages")
        ordering = ["-created_at", "-id"]
        permissions = [("send_customermessage", _("Can send updates and personal messages to customers"))]
        indexes = [
            models.Index(fields=["status", "send_after"], name="message_due"),
            models.Index(fields=["order", "created_at"], name="message_order_timeline"),
            models.Index(Upper("to_email"), name="message_to_email_upper"),
        ]
        constraints = [
            # Later changes merge into the one waiting proactive message instead of adding emails.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status="queued", kind__in=["backorder_notice", "delay_notice", "apology"]),
                name="one_queued_proactive_message_per_order",
            ),
            models.CheckConstraint(
                condition=Q(sent_at__isnull=True) | ~Q(status__in=["queued", "sending", "failed"]),
                name="message_unsent_has_no_sent_at",
            ),
            models.CheckConstraint(
                condition=Q(sent_at__isnull=False) | ~Q(status__in=["sent", "delivered", "bounced", "complained"]),
                name="message_sent_has_sent_at",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.to_email}"

    def content(self):
        """Subject, text and HTML: as sent, or as they would be sent now."""
        from .rendering import Rendered, render_data

        if self.subject:
            return Rendered(self.subject, self.text, self.html)
        return render_data(self.kind, self.order, self.data, language=self.language)


class Voucher(models.Model):
    """A consolation issued with an apology: one per order, with a unique code."""

    Kind = MessagePolicy.VoucherKind

    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="vouchers", verbose_name=_("order")
    )
    code = models.CharField(_("code"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    value = models.DecimalField(_("value"), max_digits=10, decimal_places=2)
    valid_until = models.DateField(_("valid until"))
    issued_at = models.DateTimeField(_("issued at"))

    class Meta:
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["order"], name="voucher_one_per_order"),
            models.CheckConstraint(condition=Q(value__gte=0), name="voucher_value_not_negative"),
        ]

    def __str__(self):
        return self.code

    def worth(self):
        """What the voucher gives, as the reader's language writes it: "10 %", "€5.00", "free shipping"."""
        if self.kind == self.Kind.FREE_SHIPPING:
            return str(self.Kind.FREE_SHIPPING.label)
        if self.kind == self.Kind.PERCENT:
            return f"{floatformat(self.value, '-2')}\N{NO-BREAK SPACE}%"
        return money(self.value)

    worth.short_description = _("value")


class MessageEvent(models.Model):
    """A delivery event the ESP reported for a message; each event counts once."""

    message = models.ForeignKey(
        CustomerMessage, on_delete=models.CASCADE, related_name="events", verbose_name=_("message")
    )
    event_key = models.CharField(_("event key"), max_length=200, unique=True)
    event_type = models.CharField(_("event"), max_length=32)
    occurred_at = models.DateTimeField(_("occurred at"))
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("delivery event")
        verbose_name_plural = _("delivery events")
        ordering = ["occurred_at", "id"]

    def __str__(self):
        return f"{self.event_type} {self.occurred_at:%Y-%m-%d %H:%M}"


class Digest(models.Model):
    """The daily digest to customer service: one per day, whichever worker runs it."""

    day = models.DateField(_("day"), unique=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        verbose_name = _("daily digest")
        verbose_name_plural = _("daily digests")
        ordering = ["-day"]

    def __str__(self):
        return str(self.day)


class WorklistEntry(models.Model):
    """One order at risk as of the last refresh (worklist.refresh_worklist, by the beat job
    and on demand): what customer service's worklist lists and sorts, read by index instead of
    aggregating every waiting backorder on each page load."""

    order = models.OneToOneField(
        "orders.Order",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        verbose_name=_("order"),
    )
    # The order's customer, so a search by customer needs no join through every order.
    customer = models.ForeignKey(
        "orders.Customer", on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    waiting_units = models.IntegerField(_("units waiting"))
    next_eta = models.DateField(_("next ETA"), null=True)
    latest_eta = models.DateField(_("ETA"), null=True)
    promised = models.DateField(_("promised date"), null=True)
    waiting_since = models.DateTimeField(_("waiting since"), null=True)
    eta_slipped = models.BooleanField(_("ETA later than promised"))
    po_late = models.BooleanField(_("purchase order late"))
    needs_personal_word = models.BooleanField(
        _("needs a personal word"),
        default=False,
        help_text=_(
            "Its date moved again after the budget of proactive emails was spent: no email tells it, write to the customer."
        ),
    )
    message_count = models.IntegerField(_("messages"))
    last_message_at = models.DateTimeField(_("last message"), null=True)
    # The list's order, read by index: its most urgent reason as of the refresh (worklist._risks).
    urgency = models.PositiveSmallIntegerField(_("urgency"), default=0, help_text=_("0 is the most urgent."))

    class Meta:
        verbose_name = _("worklist entry")
        verbose_name_plural = _("worklist entries")
        indexes = [
            models.Index(
                fields=["urgency", "next_eta", "promised", "waiting_since", "order"], name="worklist_most_urgent"
            )
        ]


class WorklistRefresh(models.Model):
    """When the worklist was last refreshed: one row."""

    refreshed_at = models.DateTimeField(_("refreshed at"))
    orders = models.IntegerField(_("orders"))

    class Meta:
        verbose_name = _("worklist refresh")
        verbose_name_plural = _("worklist refreshes")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="worklist_refresh_single_row")]
