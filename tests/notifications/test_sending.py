"""The outbox is sent once per message: retried with backoff on ESP errors, given up after
the policy's attempts, and a crash between sending and recording is never silent."""

import datetime

import pytest
from anymail.exceptions import AnymailAPIError
from django.core import mail

from notifications.models import CustomerMessage
from notifications.sending import send_due_messages
from orders.fulfilment import ship_order
from tests.factories import CustomerFactory, ProductFactory, place, receive

from .conftest import MONDAY, messages_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def anymail_test_backend(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.ANYMAIL = {}


@pytest.fixture
def shipped_order(clock, policy):
    teapot, kettle = ProductFactory(name="Teapot"), ProductFactory(name="Kettle")
    receive(teapot, 1)
    order = place((teapot, 1), (kettle, 2), customer=CustomerFactory.build(language="en", email="ann@example.org"))
    CustomerMessage.objects.all().delete()  # the backorder notice is not this story
    ship_order(order.number)
    return order


class FailingOnce:
    """An ESP that refuses the first request, then accepts."""

    def __init__(self, monkeypatch, failures=1):
        from anymail.backends.test import EmailBackend

        self.failures = failures
        original = EmailBackend.post_to_esp

        def post_to_esp(backend, payload, message):
            if self.failures:
                self.failures -= 1
                raise AnymailAPIError("ESP said 503")
            return original(backend, payload, message)

        monkeypatch.setattr(EmailBackend, "post_to_esp", post_to_esp)


def test_a_shipped_notice_says_what_shipped_and_what_still_waits(shipped_order):
    [notice] = messages_of(shipped_order)
    assert notice.kind == "shipped"
    assert notice.content().subject == f"Your order {shipped_order.number} has shipped"
    assert "In this parcel:\n- 1 × Teapot" in notice.content().text
    assert "Still waiting:\n- 2 × Kettle" in notice.content().text and "expected on" in notice.content().text


def test_a_queued_message_is_sent_once_with_its_esp_id(shipped_order, anymail_test_backend):
    counts = send_due_messages()
    again = send_due_messages()

    assert (counts["sent"], again["claimed"]) == (1, 0)
    [email] = mail.outbox
    assert email.to == ["ann@example.org"] and email.alternatives[0][1] == "text/html"
    message = CustomerMessage.objects.get()
    assert (message.status, message.attempts, message.sent_at) == ("sent", 1, MONDAY)
    assert message.esp_message_id == "0"  # the test ESP numbers its messages


def test_an_esp_error_then_success_sends_one_email(shipped_order, anymail_test_backend, monkeypatch, clock):
    FailingOnce(monkeypatch)

    assert send_due_messages()["retrying"] == 1
    message = CustomerMessage.objects.get()
    assert (message.status, message.attempts) == ("queued", 1)
    assert "ESP said 503" in message.last_error
    assert message.send_after == MONDAY + datetime.timedelta(minutes=1)
    assert send_due_messages()["claimed"] == 0  # backing off

    clock.shift(datetime.timedelta(minutes=1))
    assert send_due_messages()["sent"] == 1

    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, "")


def test_after_the_last_attempt_the_message_is_marked_failed(
    shipped_order, anymail_test_backend, monkeypatch, clock, policy
):
    policy.max_attempts = 3
    policy.save()
    FailingOnce(monkeypatch, failures=10)

    for _ in range(3):
        send_due_messages()
        clock.shift(datetime.timedelta(hours=1))

    message = CustomerMessage.objects.get()
    assert (message.status, message.attempts) == ("failed", 3)
    assert mail.outbox == []


def test_a_worker_that_died_after_sending_leaves_a_possible_duplicate_not_a_silent_one(
    shipped_order, clock, settings, monkeypatch
):
    from django.core.mail.backends.locmem import EmailBackend

    sent = EmailBackend.send_messages

    def crash(backend, messages):  # the ESP took it, then the process dies before recording it
        sent(backend, messages)
        raise SystemExit

    monkeypatch.setattr(EmailBackend, "send_messages", crash)
    with pytest.raises(SystemExit):
        send_due_messages()
    monkeypatch.undo()
    assert CustomerMessage.objects.get().status == "sending"
    assert send_due_messages()["claimed"] == 0  # another worker may still be at it

    clock.shift(datetime.timedelta(seconds=settings.MESSAGE_CLAIM_SECONDS + 1))
    send_due_messages()

    message = CustomerMessage.objects.get()
    assert (message.status, message.possible_duplicate, message.attempts) == ("sent", True, 2)
    assert len(mail.outbox) == 2


def test_the_send_messages_command_sends_what_is_due(shipped_order, anymail_test_backend, capsys):
    from django.core.management import call_command

    call_command("send_messages")

    assert "1 sent, 0 to retry later, 0 failed" in capsys.readouterr().out
    assert len(mail.outbox) == 1
