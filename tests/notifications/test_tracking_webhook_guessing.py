"""Guessing the tracking webhook's basic-auth secret stops after LOGIN_FAILURES_PER_ADDRESS
wrong credentials from one address: that address gets 429 (the secret is not even checked)
until LOGIN_FAILURE_WINDOW_MINUTES from the first have passed; the ESP's own address is not hurt."""

import base64
import datetime
import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

URL = "/anymail/postmark/tracking/"
DELIVERY = {
    "RecordType": "Delivery",
    "MessageID": "pm-unknown",
    "Recipient": "bo@example.org",
    "DeliveredAt": "2026-03-02T08:30:00Z",
}


@pytest.fixture
def postmark(settings):
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hooks:s3cret", "POSTMARK_SERVER_TOKEN": "test"}
    settings.LOGIN_FAILURES_PER_ADDRESS = 5
    settings.LOGIN_FAILURE_WINDOW_MINUTES = 15
    return settings


def post(auth, address="192.0.2.10"):
    return Client(REMOTE_ADDR=address).post(
        URL,
        data=json.dumps(DELIVERY),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(auth.encode()).decode(),
    )


def test_wrong_credentials_from_one_address_are_stopped_until_the_window_passes(postmark, clock, caplog):
    # Given someone guessing the webhook's secret: five wrong guesses are ordinary refusals
    guesses = [post(f"hooks:guess-{n}").status_code for n in range(5)]
    assert guesses == [401] * 5

    # When that address comes with the right secret
    refused = post("hooks:s3cret")

    # Then it is refused, saying how long to wait, and one line is logged
    assert refused.status_code == 429 and refused["Retry-After"] == str(15 * 60)
    assert refused.json()["errors"][0]["code"] == "too_many_failures"
    assert "try again in 15 minutes" in refused.json()["errors"][0]["message"]
    assert [r.getMessage() for r in caplog.records if r.name == "notifications.webhooks"] == [
        "Tracking webhook refused: address 192.0.2.10, 5 wrong credentials"
    ]
    assert "s3cret" not in caplog.text and "guess-" not in caplog.text

    # And the ESP, at its own address, is still heard
    assert post("hooks:s3cret", address="198.51.100.20").status_code == 200

    # When the window has passed, the address is heard again
    clock.shift(datetime.timedelta(minutes=15))
    assert post("hooks:s3cret").status_code == 200
