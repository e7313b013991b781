"""The daily digest to customer service and purchasing: the last day in figures, once per day."""

from django.contrib.auth.models import User
from django.db import transaction

from kernel import clock

from .emails import digest_email
from .models import Digest
from .selectors import digest_figures


def send_digest(day=None):
    """Email customer service and purchasing the day's figures, once per day: the digest row is locked
    while it is sent, so a second worker waits and then finds it sent."""
    day = day or clock.today()
    with transaction.atomic():
        Digest.objects.get_or_create(day=day)
        digest = Digest.objects.select_for_update().get(day=day)
        if digest.sent_at:
            return None
        recipients = list(
            User.objects.filter(groups__name__in=["Customer service", "Purchasing"], is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
            .distinct()
        )
        figures = digest_figures(clock.now())
        if recipients:
            digest_email(day, figures, recipients).send()
        digest.sent_at, digest.recipients = clock.now(), len(recipients)
        digest.save(update_fields=["sent_at", "recipients"])
        return figures
