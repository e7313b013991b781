"""The outbox, sending: each queued message sent exactly once (`outbox.py` writes them).

Rules:
- Sending claims due messages with a conditional update (SKIP LOCKED on PostgreSQL, so
  workers share the queue without waiting on each other) and records the result per
  message; an ESP error puts it back with backoff until the policy's attempts run out.
- A claim is a lease of MESSAGE_CLAIM_SECONDS, renewed just before the ESP is called, in a
  write of its own that records that moment (`esp_called_at`). A claim that outlives its
  worker (killed, or its database connection lost) is taken back by the next run: sent again
  as if new when the ESP was never called, flagged as a possible duplicate when it was (it may
  have gone out): better twice than never, and flagged only where twice is possible. While it
  waits it counts as due since its `send_after`, as any queued message does.
- A proactive message superseded by a newer one for its order is not sent again."""

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import make_msgid
from django.db import IntegrityError, transaction
from django.db.models import F

from kernel import clock

from .models import CustomerMessage, MessagePolicy

log = logging.getLogger(__name__)

Status = CustomerMessage.Status


def send_due_messages(limit=50):
    """Claim up to `limit` due messages (a conditional update; SKIP LOCKED on PostgreSQL, so
    workers share the queue without waiting on each other) and send each once. Returns
    counts. An ESP error puts a message back with backoff until the policy's attempts run out.
    Called outside a transaction (a worker, a command): the moment of each ESP call must be
    committed before the call."""
    take_back_stale_claims()
    policy, now = MessagePolicy.current(), clock.now()
    with transaction.atomic():
        ids = list(
            CustomerMessage.objects.select_for_update(skip_locked=True)
            .filter(status=Status.QUEUED, send_after__lte=now)
            .order_by("send_after", "id")
            .values_list("pk", flat=True)[:limit]
        )
        claimed = CustomerMessage.objects.filter(pk__in=ids, status=Status.QUEUED).update(
            status=Status.SENDING, claimed_at=now, esp_called_at=None, status_changed_at=now, attempts=F("attempts") + 1
        )
    counts = {"claimed": claimed, "sent": 0, "retrying": 0, "failed": 0, "taken_over": 0}
    if not claimed:
        return counts
    messages = (
        CustomerMessage.objects.filter(pk__in=ids, status=Status.SENDING, claimed_at=now)
        .select_related("order__customer")
        .order_by("send_after", "id")
    )
    with get_connection() as connection:
        for message in messages:
            counts[_send_one(message, connection, policy)] += 1
    return counts


def _send_one(message, connection, policy):
    message_id = make_msgid(idstring=f"m{message.pk}", domain=settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or None)
    now = clock.now()
    try:
        content = message.content()
        email = EmailMultiAlternatives(
            content.subject,
            content.text,
            settings.DEFAULT_FROM_EMAIL,
            [message.to_email],
            connection=connection,
            headers={"Message-ID": message_id},
        )
        email.attach_alternative(content.html, "text/html")
        email.metadata = {"customer_message": str(message.pk)}  # anymail passes it to the ESP
    except Exception as error:  # a template error: try again later, never lose the message
        log.warning("rendering customer message %s failed (attempt %s): %s", message.pk, message.attempts, error)
        return _sending_failed(message, error, policy, now)
    if not _calling_esp(message, now):
        return "taken_over"
    message.claimed_at = now  # the renewed claim
    try:
        email.send()
    except Exception as error:  # an ESP or network error: try again later, never lose the message
        log.warning("sending customer message %s failed (attempt %s): %s", message.pk, message.attempts, error)
        return _sending_failed(message, error, policy, now)
    status = getattr(email, "anymail_status", None)
    esp_id = str(status.message_id) if status is not None and status.message_id is not None else message_id
    # Sent, whoever holds the claim now: a worker that took it back after this call outlived its
    # lease then finds it sent and does not call the ESP again.
    CustomerMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=Status.SENT,
        sent_at=now,
        status_changed_at=now,
        esp_message_id=esp_id,
        last_error="",
        subject=content.subject,
        text=content.text,
        html=content.html,  # what was sent, kept
    )
    return "sent"


def _calling_esp(message, now):
    """Record, committed before the call, that the ESP is being called, and renew the claim
    for the call. False when the claim was taken back meanwhile (this worker was slower than
    the lease): another run sends it, this one must not."""
    return bool(
        CustomerMessage.objects.filter(pk=message.pk, status=Status.SENDING, claimed_at=message.claimed_at).update(
            esp_called_at=now, claimed_at=now
        )
    )


def _sending_failed(message, error, policy, now):
    update = {"last_error": f"{type(error).__name__}: {error}"[:2000], "status_changed_at": now}
    # Only this worker's claim: one taken back meanwhile belongs to another worker's attempt.
    claim = CustomerMessage.objects.filter(pk=message.pk, status=Status.SENDING, claimed_at=message.claimed_at)
    if message.attempts >= policy.max_attempts:
        claim.update(status=Status.FAILED, **update)
        return "failed"
    backoff = datetime.timedelta(minutes=min(2 ** (message.attempts - 1), 60))
    if _requeue(claim, send_after=now + backoff, **update):
        return "retrying"
    return "failed"


def _requeue(claim, **fields):
    """Back to queued (`claim`: the message's row while it is claimed). A proactive message
    that meanwhile has a newer queued one for its order is superseded by it (that one says
    everything this one did, and more)."""
    try:
        with transaction.atomic():
            claim.update(status=Status.QUEUED, **fields)
        return True
    except IntegrityError:
        claim.update(
            status=Status.FAILED,
            last_error="Superseded by a newer message to the same order.",
            status_changed_at=clock.now(),
        )
        return False


def take_back_stale_claims():
    """Claims not renewed for MESSAGE_CLAIM_SECONDS belong to a worker that stopped (a live
    one renews its claim before each ESP call, and the call gives up well within the lease).
    Each is taken back only if it is still that claim (a worker renewing it at that moment
    keeps it), keeping its due time: it has waited since then. One whose ESP call had begun
    may have gone out: it is sent again flagged as a possible duplicate, rather than never."""
    now = clock.now()
    stale = CustomerMessage.objects.filter(
        status=Status.SENDING,
        claimed_at__lt=now - datetime.timedelta(seconds=settings.MESSAGE_CLAIM_SECONDS),
    )
    for pk, claimed_at, esp_called_at in stale.values_list("pk", "claimed_at", "esp_called_at"):
        claim = CustomerMessage.objects.filter(pk=pk, status=Status.SENDING, claimed_at=claimed_at)
        if esp_called_at is None:
            _requeue(claim, status_changed_at=now, last_error="The worker sending it stopped before calling the ESP.")
        else:
            _requeue(
                claim,
                possible_duplicate=True,
                status_changed_at=now,
                last_error="The worker sending it stopped while calling the ESP; it may have been sent already.",
            )
