"""A purchase order its supplier has not confirmed within its window (working days) gets one
reminder with the link, however often the job runs; then it waits on purchasing's list."""

import datetime

import pytest
from django.core import mail

from purchasing import answers, supplier_links
from purchasing.tasks import send_supplier_reminders
from tests.purchasing.supplier_answers import MONDAY, sent_order, token_in, travel

pytestmark = pytest.mark.django_db


def test_an_unconfirmed_order_is_reminded_once_after_two_working_days():
    with travel(MONDAY) as clock:
        po, _items, _orders = sent_order(2)
        token = token_in(mail.outbox[-1])
        mail.outbox.clear()

        clock.move_to(MONDAY + datetime.timedelta(days=2))  # Wednesday: the window ends today
        send_supplier_reminders()
        assert mail.outbox == []

        clock.move_to(MONDAY + datetime.timedelta(days=3))  # Thursday
        send_supplier_reminders()
        send_supplier_reminders()  # the job runs twice: still one reminder

        [reminder] = mail.outbox
        assert reminder.to == [po.supplier.email]
        assert reminder.subject == f"Bitte bestätigen Sie die Bestellung {po.number}"
        assert token_in(reminder) == token
        assert list(supplier_links.waiting_for_supplier()) == [po]

        clock.move_to(MONDAY + datetime.timedelta(days=10))
        send_supplier_reminders()
        assert len(mail.outbox) == 1


def test_the_window_counts_working_days_only():
    friday = MONDAY + datetime.timedelta(days=4)
    with travel(friday) as clock:
        sent_order(2, confirmation_window_days=2)
        mail.outbox.clear()

        clock.move_to(friday + datetime.timedelta(days=4))  # Tuesday: Monday and Tuesday were the window
        send_supplier_reminders()
        assert mail.outbox == []
        clock.move_to(friday + datetime.timedelta(days=5))
        send_supplier_reminders()
        assert len(mail.outbox) == 1


def test_a_confirmed_order_gets_no_reminder_and_leaves_the_waiting_list():
    with travel(MONDAY) as clock:
        po, _items, _orders = sent_order(2)
        token = token_in(mail.outbox[-1])
        clock.move_to(MONDAY + datetime.timedelta(days=3))
        send_supplier_reminders()
        mail.outbox.clear()

        answers.confirm(token, answers.page(token)["version"])

        assert not supplier_links.waiting_for_supplier().exists()
        send_supplier_reminders()
        assert mail.outbox == []
