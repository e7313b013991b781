"""Personal updates: customer service writes to the customers of chosen orders, free text
or a ready text in each customer's language, with each order's current state.

Rules: the submission's request key makes sending the same form twice queue nothing more;
personal messages go at once (no quiet window, no cap); each is signed by its author."""

from django.db import transaction

from backoffice import clock
from backoffice.errors import InvalidInput
from backoffice.permissions import acting_user

from .models import CustomerMessage, MessagePolicy
from .outbox import chunks, fill, new_message, send_soon, told
from .rendering import UPDATE_TEMPLATES, render
from .selectors import order_states

Kind = CustomerMessage.Kind

def _update_text(text, template, title, user):
    """What a personal message says: the free text, else the ready text, signed by its author."""
    author = (user.get_full_name() or user.get_username()) if user else ""
    # A ready text is kept by its key and put into words in the customer's language when rendered.
    return {"text": text.strip(), "ready_text": "" if text.strip() else template, "title": title.strip(), "author": author}


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
        for chunk in chunks(sorted(set(order_ids))):
            states = order_states(chunk, delay_days=policy.delay_notice_min_days)
            for order_id, state in states.items():
                messages.append(fill(
                    new_message(state, now, acting_user(user)),
                    Kind.PERSONAL, state, f"personal:{request_key}:{order_id}", **words,
                ))
            told(chunk, [])
        created = CustomerMessage.objects.bulk_create(messages, ignore_conflicts=True)
        send_soon([now])
    return len(created)


def preview_update(order_id, *, text="", template="", title="", user=None):
    policy = MessagePolicy.current()
    state = order_states([order_id], delay_days=policy.delay_notice_min_days)[order_id]
    return render(Kind.PERSONAL, state, **_update_text(text, template, title, user))
