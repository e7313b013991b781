"""The supplier's personal link to a purchase order, and the one reminder when it stays silent.

Rules:
- One active link per purchase order (a database constraint). Its token is the HMAC of a
  random nonce under the secret key: unguessable, never stored (only its SHA-256, to find the
  link, and the nonce, so staff can copy the same link again). Rotating SECRET_KEY ends
  every link; resending makes a new one where none is active.
- A link is valid while it is not revoked and its order still waits for goods (sent,
  confirmed, partly received): a received or cancelled order's link has expired. A bad,
  revoked or expired token is the same NotFound, so the page tells no one which links exist.
- Revoking is staff's (admin): the link stops at once; resending emails the purchase order
  again with the active link (a new one after a revocation).
- A purchase order still unconfirmed (sent) once its supplier's confirmation window has
  passed (`Supplier.confirmation_window_days` working days after it was sent) gets one
  reminder email with the link: the reminder row is unique per order, written once, and sent
  by whoever claims it with a conditional update; the email goes before that claim commits,
  so a mail server that fails leaves it for the next run (a beat job, safe to run twice).
  After the reminder the order is on purchasing's list "waiting for the supplier"."""

import base64
import hashlib
import logging
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from kernel import clock
from kernel.errors import Conflict, NotFound

from . import dates
from .models import PurchaseOrder, SupplierLink, SupplierReminder

log = logging.getLogger(__name__)

SALT = "purchasing.supplier-link"


def token_of(link):
    digest = salted_hmac(SALT, link.nonce, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(link):
    return f"{settings.SITE_URL}/supplier/{token_of(link)}/"


def active_link(po):
    """The order's link that is not revoked, made now if it has none (the caller's transaction)."""
    link = po.supplier_links.filter(revoked_at__isnull=True).first()
    if link:
        return link
    nonce = secrets.token_hex(16)
    link = SupplierLink(purchase_order=po, nonce=nonce, created_at=clock.now())
    link.token_hash = _hash(token_of(link))
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError:  # another request made it meanwhile
        return po.supplier_links.get(revoked_at__isnull=True)
    return link


def link_for_token(token, lock=False):
    """The valid link with this token, its purchase order loaded (locked with `lock`). A bad,
    revoked or expired token: NotFound, all alike."""
    if len(token) != 43:  # the length every token has: anything else is not looked up
        raise _not_found()
    links = SupplierLink.objects.select_related("purchase_order__supplier").filter(
        token_hash=_hash(token), revoked_at__isnull=True, purchase_order__status__in=PurchaseOrder.RECEIVABLE
    )
    if lock:
        links = links.select_for_update(of=("self", "purchase_order"))
    link = links.first()
    if link is None:
        raise _not_found()
    return link


def _not_found():
    return NotFound.one("This link is not valid (any more).", code="bad_link")


def revoke(po, by):
    """Stop the order's active link at once. Returns how many links were revoked (0 or 1)."""
    return SupplierLink.objects.filter(purchase_order=po, revoked_at__isnull=True).update(
        revoked_at=clock.now(), revoked_by=by
    )


def resend(po):
    """Email the purchase order to its supplier again, with the active link (a new one after
    a revocation). Only an order the supplier has and that still waits for goods."""
    from .emails import purchase_order_email

    with transaction.atomic():
        po = PurchaseOrder.objects.select_for_update().select_related("supplier").get(pk=po.pk)
        if po.status not in PurchaseOrder.RECEIVABLE:
            raise Conflict.one(
                f"Purchase order {po.number} is {po.get_status_display()}; only sent orders have a supplier link.",
                code="bad_status",
            )
        purchase_order_email(po).send()
        return po


def reminder_due(po, today):
    """Whether a sent, unconfirmed order's confirmation window has passed by `today`."""
    sent = timezone.localdate(po.sent_at)
    return today > dates.add_working_days(sent, po.supplier.confirmation_window_days)


def send_reminders():
    """Beat job: one reminder per purchase order still unconfirmed after its supplier's window.
    Safe to run twice and side by side: the row is unique, the send is claimed."""
    from .emails import reminder_email

    today = clock.today()
    unconfirmed = PurchaseOrder.objects.filter(
        status=PurchaseOrder.Status.SENT, reminder__isnull=True, sent_at__isnull=False
    ).select_related("supplier")
    due = [po for po in unconfirmed if reminder_due(po, today)]
    SupplierReminder.objects.bulk_create(
        [SupplierReminder(purchase_order=po, due_at=clock.now()) for po in due], ignore_conflicts=True
    )
    counts = {"sent": 0, "failed": 0}
    for reminder_id in SupplierReminder.objects.filter(
        sent_at__isnull=True, purchase_order__status=PurchaseOrder.Status.SENT
    ).values_list("pk", flat=True):
        try:
            with transaction.atomic():
                if not SupplierReminder.objects.filter(pk=reminder_id, sent_at__isnull=True).update(
                    sent_at=clock.now()
                ):
                    continue  # another run sent it
                po = PurchaseOrder.objects.select_related("supplier").get(reminder__pk=reminder_id)
                reminder_email(po).send()
            counts["sent"] += 1
        except OSError as error:  # the mail server: the next run tries again
            log.warning("The reminder for purchase order %s could not be emailed: %s", reminder_id, error)
            counts["failed"] += 1
    return counts


def waiting_for_supplier():
    """Purchase orders reminded and still unconfirmed: purchasing's list "waiting for the supplier"."""
    return PurchaseOrder.objects.filter(status=PurchaseOrder.Status.SENT, reminder__sent_at__isnull=False)
