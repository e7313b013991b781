"""Customer messages: decide what to tell whom, write it to the outbox in the transaction of
the event that caused it, send it exactly once, follow its delivery.

Rules (MessagePolicy): a backorder notice when new backorders are expected more than N days
out; a delay notice when a line's ETA is later than the date last told by M days or more; an
apology with a voucher (one per order) past the promised date by K days or on the second
delay notice. Proactive emails of one order merge while queued (quiet window) and go at most
once per cap period; shipped, cancellation and personal messages go at once."""

import datetime
import hashlib
import logging
import secrets

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import make_msgid
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from backoffice import clock
from backoffice.errors import InvalidInput
from backoffice.permissions import acting_user
from orders.etas import AddDays
from orders.models import Backorder
from orders.services import flag_for_call

from .models import CustomerMessage, Digest, MessageEvent, MessagePolicy, Voucher
from .rendering import render
from .selectors import WAITING, message_history, order_states

log = logging.getLogger(__name__)

Kind, Status = CustomerMessage.Kind, CustomerMessage.Status
SEVERITY = {Kind.BACKORDER_NOTICE: 0, Kind.DELAY_NOTICE: 1, Kind.APOLOGY: 2}
# Orders handled per round of queries: bounded statements per chunk, bounded parameters per statement.
CHUNK = 2000

# Ready texts for "send update"; rendered in each customer's language.
UPDATE_TEMPLATES = {
    "status": _("Here is where your order stands today. We will write again as soon as anything changes."),
    "supplier_delay": _(
        "Our supplier has told us of a delay. We are doing what we can to get your items sooner and will "
        "keep you informed. If you would rather not wait, you can cancel the waiting items at any time."
    ),
    "partial_offer": _(
        "Part of your order is ready. If you like, we send it now and the rest as soon as it arrives: "
        "one click on the page below."
    ),
}


def _chunks(items, size=CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- Receivers: connected in apps.py; each runs inside the event's transaction. ---------------


def on_backorders_created(sender, order_ids, backorder_ids, **kwargs):
    notify_orders(order_ids, new_backorder_ids=backorder_ids)


def on_etas_changed(sender, backorder_ids, **kwargs):
    # Only orders with a backorder now later than the date told by the policy's days can
    # need a message; an ETA that moved earlier (pegging, mostly) costs one query per chunk.
    policy = MessagePolicy.current()
    later = AddDays(F("told_eta"), policy.delay_notice_min_days)
    order_ids = set()
    for chunk in _chunks(backorder_ids, 10 * CHUNK):
        order_ids.update(
            Backorder.objects.filter(id__in=chunk, status__in=WAITING, eta__gte=later)
            .values_list("order_id", flat=True).distinct()
        )
    if order_ids:
        notify_orders(order_ids, policy=policy)


def on_order_shipped(sender, shipment, **kwargs):
    shipped = [
        {"units": row.quantity, "sku": row.line.product.sku, "name": row.line.product.name}
        for row in shipment.lines.select_related("line__product").order_by("line__position")
    ]
    _queue_one(Kind.SHIPPED, shipment.order_id, f"shipped:{shipment.pk}", shipped_lines=shipped)


def on_units_cancelled(sender, order, cancelled, voided, **kwargs):
    lines = [{"units": units, "sku": line.product.sku, "name": line.product.name} for line, units in cancelled]
    # The order's total of cancelled units only grows: it names this cancellation.
    total = sum(line.cancelled for line in order.lines.all())
    _queue_one(Kind.CANCELLATION, order.pk, f"cancellation:{order.pk}:{total}", cancelled_lines=lines, refund=voided)


# --- Proactive messages ------------------------------------------------------------------------


def notify_orders(order_ids, new_backorder_ids=(), policy=None):
    """Queue what the rules call for on these orders: a backorder notice, delay notice or
    apology, merged into the order's queued proactive message if it has one. Runs in the
    caller's transaction; safe to run twice (what was told is remembered per backorder)."""
    policy, now = policy or MessagePolicy.current(), clock.now()
    new = set(new_backorder_ids)
    due = []
    for chunk in _chunks(sorted(set(order_ids))):
        due += _notify_chunk(chunk, new, policy, now)
    _send_soon(due)


def _wanted_kind(state, history, policy, today):
    if state.delayed_lines:
        far_past_promise = any(
            line.eta >= line.promised + datetime.timedelta(days=policy.apology_days_past_promise)
            for line in state.waiting_lines
        )
        nth_delay = history["delays"] + 1 >= policy.apology_on_delay_number
        return Kind.APOLOGY if not state.vouchers and (far_past_promise or nth_delay) else Kind.DELAY_NOTICE
    horizon = today + datetime.timedelta(days=policy.backorder_notice_after_days)
    if any(eta > horizon for eta in state.new_backorder_etas):
        return Kind.BACKORDER_NOTICE
    return None


def _notify_chunk(order_ids, new_backorder_ids, policy, now, second_pass=False):
    states = order_states(order_ids, delay_days=policy.delay_notice_min_days, new_backorder_ids=new_backorder_ids)
    history = message_history(order_ids)
    today = clock.today()
    wanted = {}
    for order_id, state in states.items():
        kind = _wanted_kind(state, history[order_id], policy, today)
        if kind:
            wanted[order_id] = kind
    if not wanted:
        return []
    # Lock the queued proactive messages we merge into; a sender skips locked rows.
    queued = {
        message.order_id: message
        for message in CustomerMessage.objects.select_for_update().filter(
            order_id__in=wanted, status=Status.QUEUED, kind__in=CustomerMessage.PROACTIVE
        )
    }
    for order_id, message in queued.items():
        wanted[order_id] = max(wanted[order_id], message.kind, key=SEVERITY.get)
    _issue_vouchers(states, [order_id for order_id, kind in wanted.items() if kind == Kind.APOLOGY], policy, now)

    merged, new = [], []
    for order_id, kind in wanted.items():
        state = states[order_id]
        voucher = state.vouchers[0] if kind == Kind.APOLOGY and state.vouchers else None
        message = queued.get(order_id) or _new_message(state, now)
        if message.pk is None:
            cap = history[order_id]["last_sent"]
            message.send_after = now + datetime.timedelta(minutes=policy.quiet_window_minutes)
            if cap:
                message.send_after = max(message.send_after, cap + datetime.timedelta(hours=policy.min_hours_between_emails))
        _fill(message, kind, state, _announcement_key(kind, state), voucher=voucher)
        (merged if message.pk else new).append(message)
    # The same announcement made before (a job run twice) is not made again.
    taken = set(
        CustomerMessage.objects.filter(dedupe_key__in=[m.dedupe_key for m in merged + new])
        .exclude(pk__in=[m.pk for m in merged]).values_list("dedupe_key", flat=True)
    )
    merged = [m for m in merged if m.dedupe_key not in taken]
    new = [m for m in new if m.dedupe_key not in taken]
    CustomerMessage.objects.bulk_update(merged, ["kind", "language", "to_email", "subject", "text", "html", "dedupe_key"])
    CustomerMessage.objects.bulk_create(new, ignore_conflicts=True)
    if new:
        # A concurrent transaction queued a proactive message for some of these orders
        # first (the one-queued-per-order constraint dropped ours): merge into it instead.
        written = set(CustomerMessage.objects.filter(dedupe_key__in=[m.dedupe_key for m in new]).values_list("dedupe_key", flat=True))
        lost = [m.order_id for m in new if m.dedupe_key not in written]
        if lost and not second_pass:
            return _notify_chunk(lost, new_backorder_ids, policy, now, second_pass=True) + _told(wanted, merged + new)
    return _told(wanted, merged + new)


def _told(order_ids, messages):
    """The customers of these orders now know every waiting backorder's current ETA.
    Rows another transaction is changing are skipped, not waited for (waiting could
    deadlock with a concurrent re-date of the same order): that transaction tells the
    order's customer of them itself when it queues its own message."""
    telling = (
        Backorder.objects.select_for_update(skip_locked=True)
        .filter(order_id__in=list(order_ids), status__in=WAITING).exclude(told_eta=F("eta"))
    )
    Backorder.objects.filter(pk__in=telling.values("pk")).update(told_eta=F("eta"))
    return [message.send_after for message in messages]


def _issue_vouchers(states, order_ids, policy, now):
    """One voucher per order with an apology; a voucher already issued is reused."""
    missing = [order_id for order_id in order_ids if not states[order_id].vouchers]
    if not missing:
        return
    valid_until = clock.today() + datetime.timedelta(days=policy.voucher_valid_days)
    value = 0 if policy.voucher_kind == Voucher.Kind.FREE_SHIPPING else policy.voucher_value
    Voucher.objects.bulk_create(
        [Voucher(order_id=order_id, code=new_voucher_code(), kind=policy.voucher_kind, value=value,
                 valid_until=valid_until, issued_at=now) for order_id in missing],
        ignore_conflicts=True,  # a concurrent apology issued it: one per order, theirs stands
    )
    for voucher in Voucher.objects.filter(order_id__in=missing):
        states[voucher.order_id].vouchers = [voucher]


def new_voucher_code():
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out on the phone
    code = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"SORRY-{code[:4]}-{code[4:8]}-{code[8:]}"


def _announcement_key(kind, state):
    """Kind, order and what it announces (each waiting line's units and ETA)."""
    announced = ",".join(f"{line.line.pk}:{line.waiting}:{line.eta}" for line in state.waiting_lines)
    return f"{kind}:{state.order.pk}:{hashlib.sha1(announced.encode()).hexdigest()[:16]}"


def _new_message(state, now, user=None):
    return CustomerMessage(
        order=state.order, customer=state.order.customer, created_at=now, send_after=now, created_by=user,
    )


def _fill(message, kind, state, key, **extra):
    rendered = render(kind, state, **extra)
    message.kind, message.dedupe_key = kind, key
    message.language, message.to_email = state.order.customer.language, state.order.customer.email
    message.subject, message.text, message.html = rendered.subject, rendered.text, rendered.html
    return message


# --- Messages that go at once --------------------------------------------------------------------


def _queue_one(kind, order_id, key, **extra):
    policy, now = MessagePolicy.current(), clock.now()
    state = order_states([order_id], delay_days=policy.delay_notice_min_days)[order_id]
    message = _fill(_new_message(state, now), kind, state, key, **extra)
    CustomerMessage.objects.bulk_create([message], ignore_conflicts=True)  # the same event twice: once
    _told([order_id], [])
    _send_soon([now])


def _update_text(text, template, title, user):
    """What a personal message says: the free text, else the ready text, signed by its author."""
    author = (user.get_full_name() or user.get_username()) if user else ""
    return {"text": text.strip() or UPDATE_TEMPLATES.get(template, ""), "title": title.strip(), "author": author}


def send_update(order_ids, *, text="", template="", title="", user=None, request_key):
    """Customer service writes to the customers of these orders: free text or a ready text
    (UPDATE_TEMPLATES), with each order's current state. `request_key` names the submission,
    so sending the same form twice queues nothing more. Returns the number queued."""
    if not text.strip() and template not in UPDATE_TEMPLATES:
        raise InvalidInput.one("Write a text or choose a ready text.", field="text")
    if not order_ids:
        raise InvalidInput.one("Choose at least one order.", field="orders")
    policy, now = MessagePolicy.current(), clock.now()
    words = _update_text(text, template, title, user)
    with transaction.atomic():
        messages = []
        for chunk in _chunks(sorted(set(order_ids))):
            states = order_states(chunk, delay_days=policy.delay_notice_min_days)
            for order_id, state in states.items():
                messages.append(_fill(
                    _new_message(state, now, acting_user(user)),
                    Kind.PERSONAL, state, f"personal:{request_key}:{order_id}", **words,
                ))
            _told(chunk, [])
        created = CustomerMessage.objects.bulk_create(messages, ignore_conflicts=True)
        _send_soon([now])
    return len(created)


def preview_update(order_id, *, text="", template="", title="", user=None):
    policy = MessagePolicy.current()
    state = order_states([order_id], delay_days=policy.delay_notice_min_days)[order_id]
    return render(Kind.PERSONAL, state, **_update_text(text, template, title, user))


def _send_soon(send_afters):
    """After commit, ask a worker to send when the first of these is due."""
    if not send_afters:
        return
    delay = max(0, (min(send_afters) - clock.now()).total_seconds())

    def enqueue():
        from .tasks import send_messages

        send_messages.apply_async(countdown=delay)

    transaction.on_commit(enqueue)


# --- Sending -----------------------------------------------------------------------------------


def send_due_messages(limit=50):
    """Claim up to `limit` due messages (a conditional update; SKIP LOCKED on PostgreSQL, so
    workers share the queue without waiting on each other) and send each once. Returns
    counts. An ESP error puts a message back with backoff until the policy's attempts run out."""
    requeue_stale()
    policy, now = MessagePolicy.current(), clock.now()
    with transaction.atomic():
        ids = list(
            CustomerMessage.objects.select_for_update(skip_locked=True)
            .filter(status=Status.QUEUED, send_after__lte=now)
            .order_by("send_after", "id").values_list("pk", flat=True)[:limit]
        )
        claimed = CustomerMessage.objects.filter(pk__in=ids, status=Status.QUEUED).update(
            status=Status.SENDING, claimed_at=now, status_changed_at=now, attempts=F("attempts") + 1
        )
    counts = {"claimed": claimed, "sent": 0, "retrying": 0, "failed": 0}
    if not claimed:
        return counts
    messages = CustomerMessage.objects.filter(pk__in=ids, status=Status.SENDING, claimed_at=now).order_by("send_after", "id")
    with get_connection() as connection:
        for message in messages:
            counts[_send_one(message, connection, policy)] += 1
    return counts


def _send_one(message, connection, policy):
    message_id = make_msgid(idstring=f"m{message.pk}", domain=settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or None)
    email = EmailMultiAlternatives(
        message.subject, message.text, settings.DEFAULT_FROM_EMAIL, [message.to_email],
        connection=connection, headers={"Message-ID": message_id},
    )
    email.attach_alternative(message.html, "text/html")
    email.metadata = {"customer_message": str(message.pk)}  # anymail passes it to the ESP
    now = clock.now()
    try:
        email.send()
    except Exception as error:  # an ESP or network error: try again later, never lose the message
        log.warning("sending customer message %s failed (attempt %s): %s", message.pk, message.attempts, error)
        return _sending_failed(message, error, policy, now)
    status = getattr(email, "anymail_status", None)
    esp_id = str(status.message_id) if status is not None and status.message_id is not None else message_id
    CustomerMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=Status.SENT, sent_at=now, status_changed_at=now, esp_message_id=esp_id, last_error="",
    )
    return "sent"


def _sending_failed(message, error, policy, now):
    update = {"last_error": f"{type(error).__name__}: {error}"[:2000], "status_changed_at": now}
    if message.attempts >= policy.max_attempts:
        CustomerMessage.objects.filter(pk=message.pk).update(status=Status.FAILED, **update)
        return "failed"
    backoff = datetime.timedelta(minutes=min(2 ** (message.attempts - 1), 60))
    if _requeue(message.pk, send_after=now + backoff, **update):
        return "retrying"
    return "failed"


def _requeue(pk, **fields):
    """Back to queued; a proactive message that meanwhile has a newer queued one for its
    order is superseded by it (that one says everything this one did, and more)."""
    try:
        with transaction.atomic():
            CustomerMessage.objects.filter(pk=pk, status=Status.SENDING).update(status=Status.QUEUED, **fields)
        return True
    except IntegrityError:
        CustomerMessage.objects.filter(pk=pk, status=Status.SENDING).update(
            status=Status.FAILED, last_error="Superseded by a newer message to the same order.", status_changed_at=clock.now(),
        )
        return False


def requeue_stale():
    """A worker that stopped between claiming and recording a message may or may not have
    sent it: send it again, marked as a possible duplicate, rather than never."""
    stale_before = clock.now() - datetime.timedelta(minutes=settings.MESSAGE_SENDING_STALE_MINUTES)
    for pk in CustomerMessage.objects.filter(status=Status.SENDING, claimed_at__lt=stale_before).values_list("pk", flat=True):
        _requeue(pk, possible_duplicate=True, send_after=clock.now(), status_changed_at=clock.now(),
                 last_error="A worker stopped while sending; it may have been sent already.")


# --- Delivery tracking -------------------------------------------------------------------------

TRACKED = {
    "delivered": Status.DELIVERED,
    "bounced": Status.BOUNCED,
    "rejected": Status.BOUNCED,
    "complained": Status.COMPLAINED,
}


def record_tracking_event(event, esp_name):
    """An ESP's tracking event (anymail's normalised form). Duplicates are ignored; a bounce
    or complaint flags the customer for a phone call. Returns the message or None."""
    if not event.message_id:
        return None
    message = CustomerMessage.objects.filter(esp_message_id=str(event.message_id)).first()
    if message is None:
        log.info("%s event %s for unknown message id %s", esp_name, event.event_type, event.message_id)
        return None
    occurred = event.timestamp or clock.now()
    key = f"{esp_name}:{event.event_id or f'{event.message_id}:{event.event_type}:{occurred.isoformat()}'}"
    with transaction.atomic():
        _row, created = MessageEvent.objects.get_or_create(
            event_key=key[:200],
            defaults={"message": message, "event_type": event.event_type, "occurred_at": occurred,
                      "description": (event.description or event.mta_response or "")[:2000]},
        )
        status = TRACKED.get(event.event_type)
        if not created or status is None:
            return message
        sent = [Status.SENT] if status == Status.DELIVERED else [Status.SENT, Status.DELIVERED]
        CustomerMessage.objects.filter(pk=message.pk, status__in=sent).update(status=status, status_changed_at=clock.now())
        if status != Status.DELIVERED:
            reason = _("Email %(kind)s %(event)s: %(detail)s") % {
                "kind": message.get_kind_display(), "event": event.event_type, "detail": event.description or message.to_email,
            }
            flag_for_call([message.customer_id], str(reason))
    return message


# --- Daily digest for customer service -----------------------------------------------------


def send_digest(day=None):
    """Email customer service the day's figures, once per day: the digest row is locked
    while it is sent, so a second worker waits and then finds it sent."""
    from django.contrib.auth.models import User

    from .emails import digest_email
    from .selectors import digest_figures

    day = day or clock.today()
    with transaction.atomic():
        Digest.objects.get_or_create(day=day)
        digest = Digest.objects.select_for_update().get(day=day)
        if digest.sent_at:
            return None
        recipients = list(
            User.objects.filter(groups__name="Customer service", is_active=True).exclude(email="")
            .values_list("email", flat=True).distinct()
        )
        figures = digest_figures(clock.now())
        if recipients:
            digest_email(day, figures, recipients).send()
        digest.sent_at, digest.recipients = clock.now(), len(recipients)
        digest.save(update_fields=["sent_at", "recipients"])
        return figures
