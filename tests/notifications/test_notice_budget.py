"""The notice budget: at most one proactive email per order in a week (what changes in between
merges into the next one, which states the latest date); a date the customer holds that is
about to pass is told anyway, by an email sooner once per order, after that by customer
service; after the third email the order waits on the worklist for a personal word instead of
a fourth automated one."""

import datetime

import pytest
from django.utils import timezone

from notifications.models import CustomerMessage, MessagePolicy, WorklistEntry
from notifications.rules import MORNING, needs_personal_word, tell_delayed
from notifications.sending import send_due_messages
from notifications.updates import send_update
from notifications.worklist import refresh_worklist
from orders.models import Backorder
from purchasing import batching, lifecycle
from purchasing.models import PurchaseOrder
from tests.factories import CustomerFactory, SupplierFactory, SupplierItemFactory, UserFactory, place

from .conftest import MONDAY, messages_of, redate, waiting_on_a_purchase_order

pytestmark = pytest.mark.django_db

WEEK = datetime.timedelta(days=7)


def written(day):
    return f"{day.day} {day:%b} {day.year}"


@pytest.fixture
def plain_delays(policy):
    policy.quiet_window_minutes = 0
    policy.apology_on_delay_number = 9  # these stories are about how often, not about apologies
    policy.apology_days_past_promise = 99
    policy.save()
    return policy


def told_and_sent(order):
    """The customer's date, with the email that told it sent."""
    assert send_due_messages()["sent"] == 1
    return Backorder.objects.get(order=order).told_eta, CustomerMessage.objects.filter(order=order).latest(
        "sent_at"
    ).sent_at


def test_a_supplier_slipping_three_times_in_a_week_makes_one_email_with_the_latest_date(
    clock, plain_delays, mailoutbox
):
    # Given a customer told a date 12 days out by a backorder notice just sent
    item, [order], po = waiting_on_a_purchase_order(CustomerFactory.build(language="en"))
    told, first_sent = told_and_sent(order)

    # When the supplier slips on Tuesday, Thursday and Saturday
    for day, slip in ((1, 3), (3, 5), (5, 7)):
        clock.move_to(first_sent + datetime.timedelta(days=day))
        redate(item, po, told + datetime.timedelta(days=slip))
        assert send_due_messages()["sent"] == 0  # held: a week since the last email

    # Then one email waits, for a week after the last one, saying the latest date only
    [waiting] = messages_of(order, status="queued")
    assert waiting.send_after == first_sent + WEEK
    latest = Backorder.objects.get(order=order).eta
    assert latest == told + datetime.timedelta(days=9)  # the last slip + the handling days
    text = waiting.content().text
    assert written(latest) in text and written(told + datetime.timedelta(days=5)) not in text
    clock.move_to(first_sent + WEEK)
    assert send_due_messages()["sent"] == 1
    assert len(mailoutbox) == 2 and written(latest) in mailoutbox[1].body


def test_a_date_about_to_pass_is_told_before_the_week_is_over_once(clock, plain_delays, mailoutbox):
    # Given a customer who got a delay email on day 6 naming day 14
    item, [order], po = waiting_on_a_purchase_order(CustomerFactory.build(language="en"))
    _, notice_sent = told_and_sent(order)
    clock.move_to(notice_sent + datetime.timedelta(days=6))
    redate(item, po, MONDAY.date() + datetime.timedelta(days=12))
    clock.move_to(notice_sent + WEEK)
    told, delay_sent = told_and_sent(order)
    assert told == MONDAY.date() + datetime.timedelta(days=14)

    # When on day 10 the supplier slips by a week, with day 14 two days from the review horizon
    clock.move_to(MONDAY + datetime.timedelta(days=10))
    redate(item, po, MONDAY.date() + datetime.timedelta(days=19))

    # Then the email goes on day 12, when day 14 comes within the horizon, not on day 14 (a week)
    [waiting] = messages_of(order, status="queued")
    day_12 = morning(12)  # 07:00, once that morning's review has run
    assert waiting.send_after == day_12 < delay_sent + WEEK
    clock.move_to(day_12 - datetime.timedelta(minutes=1))
    assert send_due_messages()["sent"] == 0
    clock.move_to(day_12)
    assert send_due_messages()["sent"] == 1
    assert written(MONDAY.date() + datetime.timedelta(days=21)) in mailoutbox[-1].body

    # And the next slip, a day later, waits for the budget again: the exception was for that date
    clock.move_to(day_12 + datetime.timedelta(days=1))
    plain_delays.proactive_emails_per_order = 9  # (the third email spent the default budget)
    plain_delays.save()
    redate(item, po, MONDAY.date() + datetime.timedelta(days=24))
    [waiting] = messages_of(order, status="queued")
    assert waiting.send_after == day_12 + WEEK


def test_after_the_third_email_the_order_waits_for_a_personal_word(clock, plain_delays, mailoutbox, client):
    # Given an order whose customer got three proactive emails, a week apart
    item, [order], po = waiting_on_a_purchase_order(CustomerFactory.build(language="en"))
    told, sent = told_and_sent(order)
    for week in (1, 2):
        clock.move_to(sent + WEEK * week - datetime.timedelta(days=1))
        redate(item, po, told + datetime.timedelta(days=7 * week))
        clock.move_to(sent + WEEK * week)
        assert send_due_messages()["sent"] == 1

    # When the supplier slips once more
    clock.move_to(sent + WEEK * 3)
    redate(item, po, told + datetime.timedelta(days=30))

    # Then no fourth email is written; the worklist says the order needs a personal word
    assert not messages_of(order, status="queued")
    assert CustomerMessage.objects.filter(order=order, kind__in=CustomerMessage.PROACTIVE).count() == 3
    refresh_worklist()
    assert WorklistEntry.objects.get(order=order).needs_personal_word
    client.force_login(UserFactory(roles=["Customer service"]))
    page = client.get("/admin/notifications/customermessage/worklist/", {"needs_personal_word": "true"})
    assert [row["number"] for _, row in page.context["rows"]] == [order.number]

    # And once customer service writes, the order no longer asks for one
    send_update([order.pk], text="Our supplier is late again; we are on it.", request_key="one")
    refresh_worklist()
    assert not WorklistEntry.objects.get(order=order).needs_personal_word


def test_the_budget_gives_way_once_per_order_then_a_second_date_about_to_pass_goes_to_a_person(
    clock, plain_delays, mailoutbox, client
):
    plain_delays.proactive_emails_per_order = 9  # this story is about the week, not the count
    plain_delays.save()
    # Given a customer who got a delay email on day 7 naming day 14
    item, [order], po = waiting_on_a_purchase_order(CustomerFactory.build(language="en"))
    told_and_sent(order)
    clock.move_to(MONDAY + datetime.timedelta(days=6))
    redate(item, po, MONDAY.date() + datetime.timedelta(days=12))
    clock.move_to(MONDAY + WEEK)
    told, delay_sent = told_and_sent(order)
    assert told == MONDAY.date() + datetime.timedelta(days=14)

    # When on day 10 the supplier slips to day 18: day 14 comes near on day 12, before the week is over
    clock.move_to(MONDAY + datetime.timedelta(days=10))
    redate(item, po, MONDAY.date() + datetime.timedelta(days=16))

    # Then the budget gives way: the email goes on day 12, marked as the order's one exception
    day_12 = morning(12)  # 07:00, once that morning's review has run
    [early] = messages_of(order, status="queued")
    assert early.send_after == day_12 < delay_sent + WEEK and early.budget_gave_way
    clock.move_to(day_12)
    told, early_sent = told_and_sent(order)
    assert told == MONDAY.date() + datetime.timedelta(days=18)

    # When on day 13 the supplier slips again: day 18 comes near on day 16, before the week is over
    clock.move_to(day_12 + datetime.timedelta(days=1))
    redate(item, po, MONDAY.date() + datetime.timedelta(days=22))

    # Then no email is written, the date stays untold, and the order needs a personal word
    assert not messages_of(order, status="queued")
    assert Backorder.objects.get(order=order).told_eta == told
    assert [row["order_id"] for row in needs_personal_word(MessagePolicy.current())] == [order.pk]
    refresh_worklist()
    assert WorklistEntry.objects.get(order=order).needs_personal_word
    # And the sweep passes over it, however often it runs
    swept = []
    assert tell_delayed(chunked=swept.append) == 0 and swept == []

    # When customer service writes, the customer knows the latest date, before day 18 passed
    send_update([order.pk], text="Our supplier is late again; we are on it.", request_key="once")
    assert send_due_messages()["sent"] == 1
    assert Backorder.objects.get(order=order).told_eta == MONDAY.date() + datetime.timedelta(days=24)
    assert written(MONDAY.date() + datetime.timedelta(days=24)) in mailoutbox[-1].body
    refresh_worklist()
    assert not WorklistEntry.objects.get(order=order).needs_personal_word
    # And no two automated emails went within a week of each other but the one exception
    proactive = CustomerMessage.objects.filter(order=order, kind__in=CustomerMessage.PROACTIVE)
    assert proactive.count() == 3 and proactive.filter(budget_gave_way=True).count() == 1


def day(n):
    return MONDAY.date() + datetime.timedelta(days=n)


def morning(n):
    """07:00 local on day n: an email due at night waits until the morning review has run."""
    return timezone.make_aware(datetime.datetime.combine(day(n), MORNING))


def kettle_and_teapot_on_a_sent_purchase_order():
    """An order of a kettle and a teapot, both on one sent purchase order of a supplier that
    orders at once (lead time 10 days): each told day 12."""
    supplier = SupplierFactory(lead_time_days=10, max_wait_hours=0)
    kettle, teapot = SupplierItemFactory(supplier=supplier), SupplierItemFactory(supplier=supplier)
    order = place((kettle.product, 1), (teapot.product, 1), customer=CustomerFactory.build(language="en"))
    batching.batch_backorders()
    po = PurchaseOrder.objects.get(supplier=supplier)
    PurchaseOrder.objects.filter(pk=po.pk).update(status=PurchaseOrder.Status.SENT)
    return kettle, teapot, order, po


def test_a_queued_email_that_cannot_go_before_a_second_date_passes_takes_it_but_a_person_tells_it(
    clock, plain_delays, mailoutbox
):
    plain_delays.proactive_emails_per_order = 9  # this story is about the week, not the count
    plain_delays.save()
    # Given an order of a kettle and a teapot from one supplier, told day 12 for both
    kettle, teapot, order, po = kettle_and_teapot_on_a_sent_purchase_order()

    def redate(item, expected_day):
        lifecycle.confirm_purchase_order(po.number, {item.product.sku: day(expected_day)})

    def told(item):
        return Backorder.objects.get(order=order, product=item.product).told_eta

    assert send_due_messages()["sent"] == 1
    # And a delay email on day 7 (day 14 for both), then the order's one early email on day 12
    # (the kettle slipped to day 21 on day 10, with day 14 near before the week was over)
    clock.move_to(MONDAY + datetime.timedelta(days=6))
    redate(kettle, 12)
    redate(teapot, 12)
    clock.move_to(MONDAY + WEEK)
    assert send_due_messages()["sent"] == 1
    clock.move_to(MONDAY + datetime.timedelta(days=10))
    redate(kettle, 19)
    clock.move_to(morning(12))
    assert send_due_messages()["sent"] == 1
    assert messages_of(order, status="sent")[-1].budget_gave_way
    # And on day 13 the kettle slips again, far enough out to wait for the week: queued for day 19
    clock.move_to(morning(13))
    redate(kettle, 22)
    [waiting] = messages_of(order, status="queued")
    assert waiting.send_after == morning(19) and not waiting.budget_gave_way

    # When the teapot, told day 14, slips to day 16 the same day
    redate(teapot, 14)

    # Then the queued email takes the teapot's new date but still waits for the week ...
    [waiting] = messages_of(order, status="queued")
    assert waiting.send_after == morning(19)
    assert written(day(16)) in waiting.content().text
    # ... so the teapot's day 14 is not counted as told, and customer service is asked to tell it
    assert told(teapot) == day(14) and told(kettle) == day(24)
    assert [row["order_id"] for row in needs_personal_word(MessagePolicy.current())] == [order.pk]
    assert tell_delayed(chunked=[].append) == 0

    # When customer service writes, the teapot's date is told and nothing more is asked
    send_update([order.pk], text="The teapot is two days late.", request_key="teapot")
    assert told(teapot) == day(16)
    assert not needs_personal_word(MessagePolicy.current()).exists()


def test_an_order_handed_over_only_until_the_week_is_over_is_then_told_by_the_sweep(clock, plain_delays, mailoutbox):
    plain_delays.proactive_emails_per_order = 9  # this story is about the week, not the count
    plain_delays.save()
    # Given a customer told day 14 by a delay email on day 7, then day 20 by the order's one
    # early email on day 12 (on day 10 the supplier slipped, with day 14 near before the week was over)
    item, [order], po = waiting_on_a_purchase_order(CustomerFactory.build(language="en"))
    told_and_sent(order)
    clock.move_to(MONDAY + datetime.timedelta(days=6))
    redate(item, po, day(12))
    clock.move_to(MONDAY + WEEK)
    told_and_sent(order)
    clock.move_to(MONDAY + datetime.timedelta(days=10))
    redate(item, po, day(18))
    clock.move_to(morning(12))
    told, _ = told_and_sent(order)
    assert told == day(20) and messages_of(order, status="sent")[-1].budget_gave_way

    # When in the afternoon of day 18, before the week since that email is over, the supplier
    # slips again: day 20 is within the review horizon and the budget gave way before
    clock.move_to(morning(18) + datetime.timedelta(hours=8))
    redate(item, po, day(23))

    # Then no email is written, and the order waits for a personal word, until the week is over
    assert not messages_of(order, status="queued")
    assert [row["order_id"] for row in needs_personal_word(MessagePolicy.current())] == [order.pk]

    # When the week is over and nobody has written, the 5-minute sweep runs
    clock.move_to(morning(19))
    assert not needs_personal_word(MessagePolicy.current()).exists()
    assert tell_delayed() == 1

    # Then the customer is emailed the latest date on day 19, before day 20 passed
    assert send_due_messages()["sent"] == 1
    assert Backorder.objects.get(order=order).told_eta == day(25)
    assert written(day(25)) in mailoutbox[-1].body
    assert tell_delayed() == 0


def test_a_delay_found_at_night_waits_for_the_morning_and_takes_what_the_morning_moves(clock, plain_delays, mailoutbox):
    # Given an order of a kettle and a teapot from one supplier, told day 12 for both a week ago
    kettle, teapot, order, po = kettle_and_teapot_on_a_sent_purchase_order()
    assert send_due_messages()["sent"] == 1

    # When at 01:00 on day 8 the supplier's answer moves the kettle to day 16
    clock.move_to(morning(8) - datetime.timedelta(hours=6))
    lifecycle.confirm_purchase_order(po.number, {kettle.product.sku: day(14)})

    # Then the email waits for the morning, not for the quiet window alone
    [waiting] = messages_of(order, status="queued")
    assert waiting.send_after == morning(8)
    assert send_due_messages()["sent"] == 0

    # When at 06:15 the teapot moves to day 17
    clock.move_to(morning(8) - datetime.timedelta(minutes=45))
    lifecycle.confirm_purchase_order(po.number, {teapot.product.sku: day(15)})

    # Then at 07:00 one email says both dates: two proactive emails in all, not three
    clock.move_to(morning(8))
    assert send_due_messages()["sent"] == 1
    assert written(day(16)) in mailoutbox[-1].body and written(day(17)) in mailoutbox[-1].body
    assert CustomerMessage.objects.filter(order=order, kind__in=CustomerMessage.PROACTIVE).count() == 2
