"""Emails to staff (customer emails are rendered by rendering.render and sent from the outbox)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def digest_email(day, figures, recipients):
    context = {"day": day, "site_url": settings.SITE_URL, **figures}
    with translation.override(settings.STAFF_LANGUAGE):
        subject = " ".join(render_to_string("notifications/emails/digest-subject.txt", context).split())
        body = render_to_string("notifications/emails/digest-body.txt", context)
    return EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
