"""Personal updates: customer service writes to the customers of chosen orders, free text
or a ready text in each customer's language, with each order's current state.

Rules: the submission's request key makes sending the same form twice queue nothing more;
personal messages go at once (no quiet window, no cap); each is signed by its author."""

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from kernel import clock
from kernel.errors import InvalidInput
from kernel.permissions import acting_user
from kernel.sql import chunks
from orders.models import Backorder, Order
from purchasing.selectors import has_supplier

from . import outbox
from .models import CustomerMessage, MessagePolicy
from .outbox import fill, new_message, send_soon, told
from .rendering import UPDATE_TEMPLATES, render
from .selectors import order_states

Kind = CustomerMessage.Kind


def _update_text(text, template, title, user):
    """What a personal message says: the free text, else the ready text, signed by its author's
    name (a login name such as "service" is no signature: without a name the shop signs)."""
    author = user.get_full_name() if user else ""
    # A ready text is kept by its key and put into words in the customer's language when rendered.
    return {
        "text": text.strip(),
        "ready_text": "" if text.strip() else template,
        "title": title.strip(),
        "author": author,
    }


def send_update(order_ids, *, text="", template="", title="", user=None, request_key):
    """Customer service writes to the customers of these orders: free text or a ready text
    (UPDATE_TEMPLATES), with each order's current state. `request_key` names the submission,
    so sending the same form twice queues nothing more. Returns the number queued."""
    if not text.strip() and template not in UPDATE_TEMPLATES:
        raise InvalidInput.one("Write a text or choose a ready text.", field="text")
    if not order_ids:
        raise InvalidInput.one("Choose at least one order.", field="orders")
    unfit = ready_text_unfit(template, order_ids) if not text.strip() else []
    if unfit:
        raise InvalidInput.one(unfit_message(unfit), field="template")
    policy, now = MessagePolicy.current(), clock.now()
    words = _update_text(text, template, title, user)
    with transaction.atomic():
        messages = []
        for chunk in chunks(sorted(set(order_ids)), outbox.CHUNK):
            states = order_states(chunk, delay_days=policy.delay_notice_min_days)
            for order_id, state in states.items():
                messages.append(
                    fill(
                        new_message(state, now, acting_user(user)),
                        Kind.PERSONAL,
                        state,
                        f"personal:{request_key}:{order_id}",
                        **words,
                    )
                )
            told(chunk, [])
        created = CustomerMessage.objects.bulk_create(messages, ignore_conflicts=True)
        send_soon([now])
    return len(created)


def ready_text_unfit(template, order_ids):
    """The numbers of the orders a ready text would not be true for: "our supplier told us of
    a delay" only for orders waiting for an item a supplier delivers
    (purchasing.selectors.has_supplier)."""
    if template != "supplier_delay":
        return []
    return sorted(
        Order.objects.filter(pk__in=order_ids)
        .exclude(Exists(Backorder.objects.waiting().filter(has_supplier(), order=OuterRef("pk"))))
        .values_list("number", flat=True)
    )


def unfit_message(numbers):
    return _(
        "The supplier-delay text is not true for %(numbers)s: nothing they wait for comes from a supplier. "
        "Write your own text or leave these orders out."
    ) % {"numbers": ", ".join(numbers)}


def preview_update(order_id, *, text="", template="", title="", user=None):
    policy = MessagePolicy.current()
    state = order_states([order_id], delay_days=policy.delay_notice_min_days)[order_id]
    return render(Kind.PERSONAL, state, **_update_text(text, template, title, user))
