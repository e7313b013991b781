"""A worker that dies holding a claim on a message: the claim is taken back within a minute
or two, counted as waiting meanwhile, and the message is flagged as a possible duplicate
only if the ESP may really have taken it. A live but slow worker never sends a message
whose claim was taken back."""

import datetime

import pytest
from django.core import mail

from kernel import clock as kernel_clock
from notifications.models import CustomerMessage
from notifications.sending import send_due_messages
from tests.factories import ProductFactory, place, receive

from .conftest import MONDAY


def a_due_message():
    product = ProductFactory()
    receive(product, 1)
    order = place((product, 1))
    CustomerMessage.objects.all().delete()  # what the order queued is not this story
    return CustomerMessage.objects.create(
        kind="personal",
        order=order,
        customer=order.customer,
        to_email=order.customer.email,
        language="de",
        subject="Your tea",
        text="…",
        html="<p>…</p>",
        dedupe_key="personal:1",
        created_at=MONDAY,
        send_after=MONDAY,
    )


def die_before_the_esp_call(monkeypatch):
    """The worker is killed while it renders the message: claimed, the ESP never called."""

    def killed(message):
        raise SystemExit

    monkeypatch.setattr(CustomerMessage, "content", killed)
    with pytest.raises(SystemExit):
        send_due_messages()
    monkeypatch.undo()


def oldest_due_gauge(client):
    scrape = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape").content.decode()
    return next(line for line in scrape.splitlines() if line.startswith("backoffice_message_due_oldest_seconds "))


@pytest.mark.django_db(transaction=True)  # /health/ready reads on connections of its own
def test_a_claim_whose_worker_died_before_the_esp_call_is_counted_then_sent_again_unflagged(
    clock,
    settings,
    monkeypatch,
    client,
):
    settings.METRICS_TOKEN, settings.HEALTH_MESSAGE_MAX_WAIT_SECONDS = "scrape", 20
    settings.MESSAGE_CLAIM_SECONDS = 60
    message = a_due_message()

    # Given a worker that died after claiming the message, before calling the ESP
    die_before_the_esp_call(monkeypatch)
    assert CustomerMessage.objects.get().status == "sending"

    # When 30 s pass: the claim may still be a live worker's, so it stays...
    clock.shift(datetime.timedelta(seconds=30))
    assert send_due_messages()["claimed"] == 0
    # ...but the message counts as waiting, on the gauge and on readiness
    assert oldest_due_gauge(client) == "backoffice_message_due_oldest_seconds 30.0"
    assert client.get("/health/ready").json()["checks"]["messages"] == "oldest due message waits 30 s"

    # When the claim outlives the lease and a worker runs
    clock.shift(datetime.timedelta(seconds=settings.MESSAGE_CLAIM_SECONDS - 30 + 1))
    counts = send_due_messages()

    # Then it is sent once, not flagged: the ESP had never seen it
    assert counts["sent"] == 1 and len(mail.outbox) == 1
    message.refresh_from_db()
    assert (message.status, message.possible_duplicate, message.attempts) == ("sent", False, 2)
    assert oldest_due_gauge(client) == "backoffice_message_due_oldest_seconds 0.0"
    assert client.get("/health/ready").json()["checks"]["messages"] == "ok"


@pytest.mark.django_db
def test_a_worker_slower_than_its_claim_leaves_the_message_to_the_one_that_took_it_back(clock, settings, monkeypatch):
    settings.MESSAGE_CLAIM_SECONDS = 60
    message = a_due_message()
    content = CustomerMessage.content
    took_back = {}

    def slow_rendering(rendered):
        # The first worker stalls longer than its claim lasts; another worker's run takes it back meanwhile
        if "sent" not in took_back:
            took_back["sent"] = None
            clock.shift(datetime.timedelta(seconds=settings.MESSAGE_CLAIM_SECONDS + 1))
            took_back.update(send_due_messages())
        return content(rendered)

    monkeypatch.setattr(CustomerMessage, "content", slow_rendering)
    counts = send_due_messages()

    assert (took_back["sent"], counts["sent"], counts.get("taken_over")) == (1, 0, 1)
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert (message.status, message.possible_duplicate, message.sent_at) == ("sent", False, kernel_clock.now())
