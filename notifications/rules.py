"""Rules: what to tell the customers of these orders, written to the outbox in the
transaction of the event that caused it.

Rules (MessagePolicy): a backorder notice when new backorders are expected more than N days
out (a supplier that delivers within about a week needs no notice); a delay notice when a
line's ETA is later than the date last told by M days or more; an apology with a voucher
(one per order) past the promised date by K days or on the second delay notice. A fixed-amount
voucher is in euros: an order in another currency gets free shipping instead (`_consolation`).

The notice budget (MessagePolicy, stated here once): proactive emails of one order merge while
queued (quiet window) and go at most once per `min_hours_between_emails` (a week): a change in
between merges into the next one, which states the latest date. None goes at night: one due
before the morning review waits for it (07:00), so that day's moves merge into it. A date the
customer holds is never left to pass untold: where the week is not over by the day that date
comes within ETA_REVIEW_HORIZON_DAYS, the budget gives way, once per order: that email goes
that morning (`CustomerMessage.budget_gave_way`). After that, and after `proactive_emails_per_order`
emails, no email is written for such a change: the order waits on the worklist as needing a
personal word (`needs_personal_word`) until customer service writes (which tells its dates);
a message already queued still takes the latest dates, but its dates are not counted as told.
What was told is remembered per backorder (`told_eta`), so running the rules twice tells
nothing twice; the sweep passes over the orders waiting for a personal word."""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from kernel import clock, formats
from kernel.sql import AddDays, chunks
from orders.models import WAITING, Backorder

from . import outbox
from .models import CustomerMessage, MessagePolicy, Voucher
from .outbox import Kind, Status, fill, new_message, send_soon, told
from .selectors import about_to_pass, counted_by_budget, message_history, no_history, order_states

SEVERITY = {Kind.BACKORDER_NOTICE: 0, Kind.DELAY_NOTICE: 1, Kind.APOLOGY: 2}
# Local time by which the morning review (beat "review-etas", 06:15) has run on a day.
MORNING = datetime.time(7)


def notify_orders(order_ids, new_backorder_ids=(), policy=None, new_orders=False):
    """Queue what the rules call for on these orders: a backorder notice, delay notice or
    apology, merged into the order's queued proactive message if it has one. Runs in the
    caller's transaction; safe to run twice (what was told is remembered per backorder).
    `new_orders`: placed in this transaction, so no message, voucher or history exists for
    them and no other transaction can queue one; those reads are skipped (order intake)."""
    policy, now = policy or MessagePolicy.current(), clock.now()
    new = set(new_backorder_ids)
    due = []
    for chunk in chunks(sorted(set(order_ids)), outbox.CHUNK):
        due += _notify_chunk(chunk, new, policy, now, fresh=new_orders)
    send_soon(due)


def _delayed(policy):
    """Waiting backorders now later than the date their customer was told by the policy's
    days, or later at all than a told date about to pass."""
    later = AddDays(F("told_eta"), policy.delay_notice_min_days)
    return Backorder.objects.filter(
        Q(eta__gte=later) | Q(eta__gt=F("told_eta"), told_eta__lte=about_to_pass()),
        status__in=WAITING,
    )


def _handed_over(policy):
    """A condition on delayed backorders: their order's delay is left to customer service, as
    the rules leave it (_notify_chunk): its emails are spent and none is queued to merge into;
    or the budget gave way once already and the week since its last email is not over (the
    rules hand such an order over when a date its customer holds comes near before the week
    is over; any other delay they queue and tell, so the order is no longer delayed)."""
    Status, PROACTIVE = CustomerMessage.Status, CustomerMessage.PROACTIVE
    # Only the delayed orders' messages: the sweep reads a handful of rows per delayed order.
    messages = CustomerMessage.objects.filter(order_id__in=_delayed(policy).values("order_id")).order_by()
    counted = messages.filter(counted_by_budget())
    spent = (
        counted.values("order_id")
        .annotate(n=Count("id"))
        .filter(n__gte=policy.proactive_emails_per_order)
        .values("order_id")
    )
    queued = messages.filter(status=Status.QUEUED, kind__in=PROACTIVE).values("order_id")
    gave_way = counted.filter(budget_gave_way=True).values("order_id")
    week_ago = clock.now() - datetime.timedelta(hours=policy.min_hours_between_emails)
    this_week = messages.filter(kind__in=PROACTIVE, sent_at__gt=week_ago).values("order_id")
    return (Q(order_id__in=spent) & ~Q(order_id__in=queued)) | (Q(order_id__in=gave_way) & Q(order_id__in=this_week))


def needs_personal_word(policy):
    """Ids of the orders with a delay no email will tell: customer service's to write to (the
    worklist's "needs a personal word")."""
    return _delayed(policy).filter(_handed_over(policy)).order_by().values("order_id").distinct()


def delayed_order_ids(policy, backorder_ids=None):
    """Orders with a delayed waiting backorder (_delayed): the only ones a delay can need a
    message for. Among `backorder_ids`, or all (the sweep, which passes over the orders
    waiting for a personal word: no email tells them, so reading them again is waste)."""
    delayed = _delayed(policy)
    if backorder_ids is None:
        return set(delayed.exclude(_handed_over(policy)).order_by().values_list("order_id", flat=True).distinct())
    order_ids = set()
    for chunk in chunks(backorder_ids, 10 * outbox.CHUNK):
        order_ids.update(delayed.filter(id__in=chunk).order_by().values_list("order_id", flat=True).distinct())
    return order_ids


def tell_delayed(chunked=None):
    """Worker and beat: tell every customer whose dates slipped and who was not told yet, a
    chunk of orders per transaction (`chunked`, given, gets the chunks instead: workers tell
    them side by side). Safe to run twice or at once with itself (what was told is remembered
    per backorder; the outbox dedupes). Returns the number of orders found."""
    order_ids = sorted(delayed_order_ids(MessagePolicy.current()))
    for chunk in chunks(order_ids, outbox.CHUNK):
        (chunked or tell_orders)(chunk)
    return len(order_ids)


def tell_orders(order_ids):
    """One chunk of tell_delayed, in a transaction of its own."""
    with transaction.atomic():
        notify_orders(order_ids)


def _wanted_kind(state, history, policy, today):
    if state.delayed_lines:
        far_past_promise = any(
            line.eta >= line.promised + datetime.timedelta(days=policy.apology_days_past_promise)
            for line in state.waiting_lines
        )
        nth_delay = history["delays"] + 1 >= policy.apology_on_delay_number
        return Kind.APOLOGY if not state.vouchers and (far_past_promise or nth_delay) else Kind.DELAY_NOTICE
    horizon = today + datetime.timedelta(days=policy.backorder_notice_after_days)
    if any(eta > horizon for eta in state.new_backorder_etas):
        return Kind.BACKORDER_NOTICE
    return None


def _notify_chunk(order_ids, new_backorder_ids, policy, now, second_pass=False, fresh=False):
    states = order_states(
        order_ids, delay_days=policy.delay_notice_min_days, new_backorder_ids=new_backorder_ids, vouchers=not fresh
    )
    history = no_history() if fresh else message_history(order_ids)
    today = clock.today()
    wanted = {}
    for order_id, state in states.items():
        kind = _wanted_kind(state, history[order_id], policy, today)
        if kind:
            wanted[order_id] = kind
    if not wanted:
        return []
    # Lock the queued proactive messages we merge into; a sender skips locked rows.
    queued = (
        {}
        if fresh
        else {
            message.order_id: message
            for message in CustomerMessage.objects.select_for_update().filter(
                order_id__in=wanted, status=Status.QUEUED, kind__in=CustomerMessage.PROACTIVE
            )
        }
    )
    for order_id, message in queued.items():
        wanted[order_id] = max(wanted[order_id], message.kind, key=SEVERITY.get)
    # The budget spent and nothing queued to merge into: a personal word, not one email more.
    for order_id in [
        order_id
        for order_id in wanted
        if order_id not in queued and history[order_id]["proactive"] >= policy.proactive_emails_per_order
    ]:
        del wanted[order_id]
    if not wanted:
        return []
    # When each goes; None: a date its customer holds would pass before the budget allows an
    # email and the budget gave way before: a personal word. A queued message still takes the
    # latest dates, but its order's dates stay untold, so the worklist lists it.
    send_afters = {
        order_id: _send_after(queued.get(order_id), states[order_id], history[order_id], policy, now)
        for order_id in wanted
    }
    untold = {order_id for order_id, when in send_afters.items() if when is None}
    for order_id in untold - set(queued):
        del wanted[order_id]
    if not wanted:
        return []
    _issue_vouchers(states, [order_id for order_id, kind in wanted.items() if kind == Kind.APOLOGY], policy, now)

    merged, new = [], []
    for order_id, kind in wanted.items():
        state = states[order_id]
        voucher = state.vouchers[0] if kind == Kind.APOLOGY and state.vouchers else None
        message = queued.get(order_id) or new_message(state, now)
        if order_id not in untold:
            message.send_after, message.budget_gave_way = send_afters[order_id]
        fill(message, kind, state, _announcement_key(kind, state), voucher=voucher)
        (merged if message.pk else new).append(message)
    # The same announcement made before (a job run twice) is not made again: a merged message
    # must not take a key another row has; a new one with such a key is dropped by the insert.
    if merged:
        taken = set(
            CustomerMessage.objects.filter(dedupe_key__in=[m.dedupe_key for m in merged])
            .exclude(pk__in=[m.pk for m in merged])
            .values_list("dedupe_key", flat=True)
        )
        merged = [m for m in merged if m.dedupe_key not in taken]
    CustomerMessage.objects.bulk_update(
        merged,
        [
            "kind",
            "language",
            "to_email",
            "data",
            "subject",
            "text",
            "html",
            "dedupe_key",
            "send_after",
            "budget_gave_way",
        ],
    )
    CustomerMessage.objects.bulk_create(new, ignore_conflicts=True)
    telling = set(wanted) - untold
    if new and not fresh:
        # A concurrent transaction queued a proactive message for some of these orders
        # first (the one-queued-per-order constraint dropped ours): merge into it instead.
        written = set(
            CustomerMessage.objects.filter(dedupe_key__in=[m.dedupe_key for m in new]).values_list(
                "dedupe_key", flat=True
            )
        )
        lost = [m.order_id for m in new if m.dedupe_key not in written]
        if lost and not second_pass:
            return _notify_chunk(lost, new_backorder_ids, policy, now, second_pass=True) + told(telling, merged + new)
    return told(telling, merged + new)


def _send_after(queued, state, history, policy, now):
    """When the order's next proactive email goes, and whether the budget gave way for it:
    after the quiet window and a week after the last one (a queued message: when it was
    due), but by the day a date its customer holds comes within the review horizon, sooner
    than that only once per order (this message may go sooner again: still one exception).
    None: that date would pass first and the budget gave way before (a personal word)."""
    soonest = now + datetime.timedelta(minutes=policy.quiet_window_minutes)
    if queued:
        regular = queued.send_after
    else:
        week_over = history["last_sent"] and history["last_sent"] + datetime.timedelta(
            hours=policy.min_hours_between_emails
        )
        regular = _after_the_morning_review(max(soonest, week_over or soonest))
    gave_way = bool(queued and queued.budget_gave_way)
    held = [line.told for line in state.waiting_lines if line.told and line.told < line.eta]
    if held:
        near = min(held) - datetime.timedelta(days=settings.ETA_REVIEW_HORIZON_DAYS)
        early = _after_the_morning_review(
            max(soonest, datetime.datetime.combine(near, MORNING, tzinfo=timezone.get_current_timezone()))
        )
        if early < regular:
            if history["gave_way"] > gave_way:  # the once went to an earlier email
                return None
            return early, True
    return regular, gave_way


def _after_the_morning_review(when):
    """A proactive email due at night, before the morning review, waits for it: what the review
    moves that day goes into the same email (a date about to pass found at midnight by the
    sweep, another line's by the review, were two emails six hours apart), and nobody is
    written to at night."""
    local = timezone.localtime(when)
    if local.time() < MORNING:
        return local.replace(hour=MORNING.hour, minute=MORNING.minute, second=0, microsecond=0)
    return when


def _issue_vouchers(states, order_ids, policy, now):
    """One voucher per order with an apology; a voucher already issued is reused."""
    missing = [order_id for order_id in order_ids if not states[order_id].vouchers]
    if not missing:
        return
    valid_until = clock.today() + datetime.timedelta(days=policy.voucher_valid_days)
    Voucher.objects.bulk_create(
        [
            Voucher(
                order_id=order_id,
                code=new_voucher_code(),
                valid_until=valid_until,
                issued_at=now,
                **_consolation(policy, states[order_id].order.currency),
            )
            for order_id in missing
        ],
        ignore_conflicts=True,  # a concurrent apology issued it: one per order, theirs stands
    )
    for voucher in Voucher.objects.filter(order_id__in=missing):
        states[voucher.order_id].vouchers = [voucher]


def _consolation(policy, currency):
    """The policy's voucher for an order in `currency`. A fixed amount is in euros (the policy
    states no other currency): an order paid in another currency (a shop's dollar order) gets
    free shipping instead, never an amount in a currency it was not paid in."""
    kind = policy.voucher_kind
    if kind == Voucher.Kind.FIXED and currency != formats.CURRENCY:
        kind = Voucher.Kind.FREE_SHIPPING
    return {"kind": kind, "value": 0 if kind == Voucher.Kind.FREE_SHIPPING else policy.voucher_value}


def new_voucher_code():
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out on the phone
    code = "".join(alphabet[byte % 32] for byte in secrets.token_bytes(12))  # 32 letters: every byte maps evenly
    return f"SORRY-{code[:4]}-{code[4:8]}-{code[8:]}"


def _announcement_key(kind, state):
    """Kind, order and what it announces (each waiting line's units and ETA)."""
    announced = ",".join(f"{line.line.pk}:{line.waiting}:{line.eta}" for line in state.waiting_lines)
    return f"{kind}:{state.order.pk}:{hashlib.sha1(announced.encode()).hexdigest()[:16]}"
