"""The tracking webhook refuses as the API does, in JSON: a caller without the secret gets a
401 (anymail's own refusal was Django's HTML 400), and a body nested 100,000 levels deep a 400
(anymail's json.loads recursed until it failed: a 500). Nothing changes either way."""

import base64

import pytest
from django.test import Client

from notifications.models import CustomerMessage, MessageEvent
from orders.models import Customer
from tests.notifications.test_tracking_webhook import URL, bounce, post

pytestmark = pytest.mark.django_db


def nothing_changed(message):
    return (
        CustomerMessage.objects.get(pk=message.pk).status == "sent"
        and not MessageEvent.objects.exists()
        and Customer.objects.get(email="bo@example.org").call_reason == ""
    )


@pytest.mark.parametrize("auth", [None, "hooks:wrong"])
def test_a_post_without_the_secret_is_a_json_401_and_changes_nothing(sent_message, auth):
    response = post(bounce(), auth=auth)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response["WWW-Authenticate"].startswith("Basic")
    assert response.json()["errors"][0]["code"] == "unauthorised"
    assert nothing_changed(sent_message)


def deep(levels):
    return "[" * levels + "]" * levels


@pytest.mark.parametrize("body", [deep(100_000), '{"RecordType": "Bounce", "RecordType": "Delivery"}'])
def test_an_authorised_body_the_api_would_not_read_is_a_json_400_and_changes_nothing(sent_message, body):
    headers = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"hooks:s3cret").decode()}

    response = Client(raise_request_exception=False).post(URL, data=body, content_type="application/json", **headers)

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"
    assert nothing_changed(sent_message)


def test_a_deep_body_without_the_secret_is_refused_for_the_secret_first(sent_message):
    response = Client(raise_request_exception=False).post(URL, data=deep(100_000), content_type="application/json")

    assert response.status_code == 401
    assert nothing_changed(sent_message)


def test_the_same_bounce_with_the_secret_counts(sent_message):
    assert post(bounce()).status_code == 200
    assert CustomerMessage.objects.get(pk=sent_message.pk).status == "bounced"
