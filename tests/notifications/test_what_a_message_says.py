"""A message's words are rendered when it is sent, not in the event's transaction: the event
writes what must be said (data), the worker renders it in the customer's language and keeps
what it sent. A re-date reaching many orders commits at once and its customers are told in
transactions of their own, by a task or the sweep, each exactly once."""

import datetime

from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import CustomerMessage
from notifications.rules import tell_delayed
from notifications.sending import send_due_messages
from tests.factories import CustomerFactory

from .conftest import TODAY, messages_of, redate, waiting_on_a_purchase_order


def test_the_event_writes_what_to_say_and_the_worker_renders_and_keeps_it(clock, policy, settings):
    # Given an order waiting on a purchase order, its customer told the date
    policy.quiet_window_minutes = 0
    policy.save()
    item, [order], po = waiting_on_a_purchase_order(CustomerFactory.build(name="Jörg", language="de"))
    send_due_messages()
    mail.outbox.clear()

    # When the supplier slips by a week
    with CaptureQueriesContext(connection) as captured:
        redate(item, po, TODAY + datetime.timedelta(days=19))

    # Then the delay notice is written as data, no words yet: no template ran in that transaction
    [notice] = messages_of(order, kind__in=["delay_notice", "apology"])
    assert notice.subject == notice.text == notice.html == ""
    assert notice.data["waiting_lines"][0]["delayed"] is True
    assert notice.data["waiting_lines"][0]["eta"] == str(TODAY + datetime.timedelta(days=21))
    assert not any("Gutschein" in query["sql"] for query in captured.captured_queries)

    # When a worker sends it (a week later: one proactive email a week)
    clock.shift(datetime.timedelta(days=7))
    assert send_due_messages()["sent"] == 1

    # Then it says it in German with both dates, and what went out is kept on the row
    [email] = mail.outbox
    notice.refresh_from_db()
    voucher = order.vouchers.get()
    assert (
        email.subject
        == notice.subject
        == f"Wir entschuldigen uns: Ihre Bestellung {order.number} verzögert sich, ein Gutschein für Sie"
    )
    assert email.body == notice.text
    assert "jetzt voraussichtlich am 23. März 2026 (angekündigt war der 14. März 2026)" in notice.text
    assert voucher.code in notice.text and "gültig bis 31. Mai 2026" in notice.text
    assert '<html lang="de">' in notice.html and email.alternatives[0][0] == notice.html


def test_a_large_redate_commits_first_and_each_customer_is_told_once_by_the_sweep(clock, policy, settings):
    # Given three orders on one purchase order, and a limit of one backorder told inline
    settings.NOTIFY_INLINE_BACKORDERS = 1
    item, orders, po = waiting_on_a_purchase_order(None, None, None)
    before = CustomerMessage.objects.count()

    # When the supplier slips for all of them
    redate(item, po, TODAY + datetime.timedelta(days=25))

    # Then the re-date committed without writing their messages (the worker's task was asked)
    assert CustomerMessage.objects.count() == before

    # When the worker's task (or beat's sweep) runs, twice
    assert tell_delayed() == 3
    assert tell_delayed() == 0

    # Then each customer has exactly one message about the slip
    assert [len(messages_of(order, kind__in=["delay_notice", "apology"])) for order in orders] == [1, 1, 1]


def test_the_worker_task_tells_a_large_redate_a_chunk_per_task(
    clock, policy, settings, django_capture_on_commit_callbacks, monkeypatch
):
    # Given two orders slipped past the inline limit, chunks of one order, tasks run where queued
    from backoffice.celery import app
    from notifications import outbox, rules

    settings.NOTIFY_INLINE_BACKORDERS = 1
    settings.CELERY_TASK_ALWAYS_EAGER = True
    monkeypatch.setattr(outbox, "CHUNK", 1)
    told = []
    monkeypatch.setattr(
        rules, "tell_orders", lambda order_ids, tell=rules.tell_orders: told.append(order_ids) or tell(order_ids)
    )
    item, orders, po = waiting_on_a_purchase_order(None, None)

    # When the re-date commits and its after-commit task runs
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            redate(item, po, TODAY + datetime.timedelta(days=25))
    finally:
        app.conf.task_always_eager = app.conf.task_eager_propagates = False

    # Then a task per chunk told each customer once
    assert sorted(told) == sorted([[order.pk] for order in orders])
    assert [len(messages_of(order, kind__in=["delay_notice", "apology"])) for order in orders] == [1, 1]
