"""Delivery tracking: the ESP's events (anymail's tracking signal) for sent messages.

Rules: each event counts once (a unique key per event); delivered only follows sent; a
bounce or complaint marks the message and flags the customer for a phone call."""

import logging

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from kernel import clock
from orders.customers import flag_for_call

from .models import CustomerMessage, MessageEvent

log = logging.getLogger(__name__)

Status = CustomerMessage.Status

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
            defaults={
                "message": message,
                "event_type": event.event_type,
                "occurred_at": occurred,
                "description": (event.description or event.mta_response or "")[:2000],
            },
        )
        status = TRACKED.get(event.event_type)
        if not created or status is None:
            return message
        sent = [Status.SENT] if status == Status.DELIVERED else [Status.SENT, Status.DELIVERED]
        CustomerMessage.objects.filter(pk=message.pk, status__in=sent).update(
            status=status, status_changed_at=clock.now()
        )
        if status != Status.DELIVERED:
            reason = _("Email %(kind)s %(event)s: %(detail)s") % {
                "kind": message.get_kind_display(),
                "event": event.event_type,
                "detail": event.description or message.to_email,
            }
            flag_for_call([message.customer_id], str(reason))
    return message
