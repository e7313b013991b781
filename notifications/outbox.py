"""The outbox, writing: every email to a customer is a row first, then sent exactly once
(`sending.py` sends it).

Rules:
- A message is written in the transaction of the event that caused it, with a unique
  dedupe key naming what it announces: the same announcement is never queued twice.
- Writing a message marks the order's waiting backorders as told (`told`): their current
  ETA is what the customer now knows.
- A worker is asked to send after commit when a message is due now; the beat job sends
  whatever is due every minute, so a task that could not be queued loses nothing."""

from django.db.models import F

from kernel import clock
from kernel.queue import enqueue_after_commit
from orders.models import WAITING, Backorder

from .models import CustomerMessage, MessagePolicy
from .rendering import snapshot
from .selectors import order_states

Kind, Status = CustomerMessage.Kind, CustomerMessage.Status
# Orders handled per round of queries: bounded statements per chunk, bounded parameters per statement.
CHUNK = 2000


def told(order_ids, messages):
    """The customers of these orders now know every waiting backorder's current ETA.
    Rows another transaction is changing are skipped, not waited for (waiting could
    deadlock with a concurrent re-date of the same order): that transaction tells the
    order's customer of them itself when it queues its own message."""
    telling = (
        Backorder.objects.select_for_update(skip_locked=True)
        .filter(order_id__in=list(order_ids), status__in=WAITING)
        .exclude(told_eta=F("eta"))
    )
    Backorder.objects.filter(pk__in=telling.values("pk")).update(told_eta=F("eta"))
    return [message.send_after for message in messages]


def new_message(state, now, user=None):
    return CustomerMessage(
        order=state.order,
        customer=state.order.customer,
        created_at=now,
        send_after=now,
        created_by=user,
    )


def fill(message, kind, state, key, **extra):
    """Write what the message says (rendered when it is sent, not in this transaction)."""
    message.kind, message.dedupe_key = kind, key
    message.language, message.to_email = state.order.customer.language, state.order.customer.email
    message.data = snapshot(state, **extra)
    message.subject = message.text = message.html = ""
    return message


def queue_one(kind, order_id, key, **extra):
    policy, now = MessagePolicy.current(), clock.now()
    state = order_states([order_id], delay_days=policy.delay_notice_min_days)[order_id]
    message = fill(new_message(state, now), kind, state, key, **extra)
    CustomerMessage.objects.bulk_create([message], ignore_conflicts=True)  # the same event twice: once
    told([order_id], [])
    send_soon([now])


def send_soon(send_afters):
    """After commit, ask a worker to send now if one of these is due now. What is due later
    (the quiet window, the cap) is sent by the beat job every minute: no task waits in the
    broker with a countdown (a worker holding such tasks did not survive a Redis restart)."""
    if send_afters and min(send_afters) <= clock.now():
        from .tasks import send_messages

        enqueue_after_commit(send_messages)
