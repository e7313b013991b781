"""Asking a worker to do something now, after the transaction that made it necessary commits.

Rules: a committed operation is answered as a success whatever the broker does; a task that
cannot be queued (the broker is down or slow) is logged and left to the beat sweep that looks
for the same work in the database (customer messages due, auto-send purchase orders still
drafts). So a task queued here only ever says "sooner": nothing depends on it arriving."""

import logging

from django.db import transaction

log = logging.getLogger(__name__)


def enqueue_after_commit(task, *args, countdown=None):
    """`countdown`: seconds the worker waits before it runs the task (changes in a burst are one run)."""

    def enqueue():
        try:
            # One attempt, no publish retries: a request must not wait for a broker that is down.
            task.apply_async(args, retry=False, countdown=countdown)
        except Exception as error:  # kombu's OperationalError, a timeout, a refused connection...
            log.warning(
                "Could not queue %s%r (%s: %s); the beat sweep will do it.",
                task.name,
                args,
                type(error).__name__,
                error,
            )

    transaction.on_commit(enqueue)
