from celery import shared_task

from kernel.queue import enqueue_after_commit

from . import digest, rules, sending


@shared_task
def send_messages(rounds=20):
    """Send what is due, in batches, until nothing is due (or `rounds` batches went; beat
    comes back every minute)."""
    totals = {"claimed": 0, "sent": 0, "retrying": 0, "failed": 0, "taken_over": 0}
    for _ in range(rounds):
        counts = sending.send_due_messages()
        for key, value in counts.items():
            totals[key] += value
        if not counts["claimed"]:
            break
    return totals


@shared_task
def send_digest():
    figures = digest.send_digest()
    return None if figures is None else {key: value for key, value in figures.items() if isinstance(value, int)}


@shared_task
def tell_delayed():
    """Customers of a large re-date, told after the change committed: a task per chunk of
    orders, so the workers tell them side by side. Beat runs it too, so what a lost task (or
    a chunk that could not be queued) left is told minutes later."""
    return {"orders": rules.tell_delayed(chunked=lambda chunk: enqueue_after_commit(tell_orders, chunk))}


@shared_task
def tell_orders(order_ids):
    rules.tell_orders(order_ids)
