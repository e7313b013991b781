"""Delivery events arrive as real POSTs to anymail's tracking webhook, guarded by basic auth;
each event counts once; a bounce or complaint puts the customer on the call list."""

import base64
import json

import pytest
from django.test import Client

from notifications.models import CustomerMessage, MessageEvent
from orders.models import Customer

pytestmark = pytest.mark.django_db

URL = "/anymail/postmark/tracking/"


def post(payload, auth="hooks:s3cret"):
    headers = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(auth.encode()).decode()} if auth else {}
    return Client().post(URL, data=json.dumps(payload), content_type="application/json", **headers)


def bounce(event_id=1):
    return {
        "RecordType": "Bounce",
        "ID": event_id,
        "Type": "HardBounce",
        "MessageID": "pm-123",
        "Email": "bo@example.org",
        "BouncedAt": "2026-03-02T09:00:00Z",
        "Description": "Mailbox does not exist",
    }


def test_a_delivery_event_marks_the_message_delivered(sent_message):
    response = post(
        {
            "RecordType": "Delivery",
            "MessageID": "pm-123",
            "Recipient": "bo@example.org",
            "DeliveredAt": "2026-03-02T08:30:00Z",
        }
    )

    assert response.status_code == 200
    assert CustomerMessage.objects.get(pk=sent_message.pk).status == "delivered"


def test_a_bounce_flags_the_customer_for_a_call_and_counts_once(sent_message):
    assert post(bounce()).status_code == 200
    assert post(bounce()).status_code == 200  # the ESP retries its webhook

    message = CustomerMessage.objects.get(pk=sent_message.pk)
    assert message.status == "bounced"
    assert MessageEvent.objects.filter(message=message).count() == 1
    customer = Customer.objects.get(email="bo@example.org")
    assert "bounced" in customer.call_reason and "Mailbox does not exist" in customer.call_reason


def test_a_late_delivery_report_does_not_hide_a_bounce(sent_message):
    post(bounce())
    post(
        {
            "RecordType": "Delivery",
            "MessageID": "pm-123",
            "Recipient": "bo@example.org",
            "DeliveredAt": "2026-03-02T09:30:00Z",
        }
    )

    assert CustomerMessage.objects.get(pk=sent_message.pk).status == "bounced"


def test_events_for_unknown_messages_are_ignored(sent_message):
    payload = {**bounce(), "MessageID": "someone-else"}

    assert post(payload).status_code == 200
    assert MessageEvent.objects.count() == 0


def test_without_a_secret_the_webhook_refuses_even_a_well_formed_bounce(sent_message, settings):
    # Given email goes through Postmark but nobody set ANYMAIL_WEBHOOK_SECRET
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "test"}

    # When someone posts a bounce with no credentials at all
    response = post(bounce(), auth=None)

    # Then it is refused and the customer is not put on the call list
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "webhook_closed"
    assert CustomerMessage.objects.get(pk=sent_message.pk).status == "sent"
    assert Customer.objects.get(email="bo@example.org").call_reason == ""


@pytest.mark.parametrize("esp", ["sendgrid", "mailgun", "amazon_ses", "sparkpost", "mailjet", "nonsense"])
def test_only_the_configured_esp_has_a_webhook(postmark, esp):
    response = Client().post(f"/anymail/{esp}/tracking/", data="{}", content_type="application/json")

    assert response.status_code == 404


@pytest.mark.parametrize("body", ["not json at all", "[1, 2]"])
def test_an_authorised_but_malformed_event_is_a_400_not_a_500(sent_message, body):
    headers = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"hooks:s3cret").decode()}
    response = Client(raise_request_exception=False).post(URL, data=body, content_type="application/json", **headers)

    assert response.status_code == 400
    assert CustomerMessage.objects.get(pk=sent_message.pk).status == "sent"


def test_check_deploy_fails_when_the_esp_webhook_has_no_secret(postmark):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    postmark.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "test"}
    with pytest.raises(SystemCheckError, match="backoffice.E001"):
        call_command("check", "--deploy", "--fail-level", "ERROR")
