"""Promises kept as time passes: the morning review moves every date that can no longer be met
before it passes, the customer hears of it before the date they were given passes, and no page
or answer ever shows a date that has passed for something still waiting. Weeks, not moments."""

import datetime
import threading
from itertools import pairwise

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from kernel import clock
from notifications.models import CustomerMessage, WorklistEntry
from notifications.sending import send_due_messages
from notifications.worklist import refresh_worklist
from orders.models import WAITING, Backorder, EtaChange
from purchasing import batching, lifecycle, receiving
from purchasing.models import PurchaseOrder, Supplier
from purchasing.record import refresh_learned_lateness
from purchasing.review import review_etas
from tests.factories import (
    CustomerFactory,
    ProductFactory,
    SupplierFactory,
    SupplierItemFactory,
    UserFactory,
    place,
)
from tests.simulation import customer_service_writes

pytestmark = pytest.mark.django_db

MONDAY = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def morning(day):
    """06:15 on the given day after MONDAY: mark_late_lines, then the review, as beat runs them."""
    return MONDAY.replace(hour=5, minute=15) + datetime.timedelta(days=day)


def waiting():
    return Backorder.objects.filter(status__in=WAITING)


def live_days(days, every_morning=(), every_noon=()):
    """Each day: the morning jobs at 06:15 local, then at noon customer service's personal
    words (to the orders the notice budget handed over) and the worker's sending; after
    each, nobody waiting may see or have been told a date that has passed."""
    seen = []
    for day in range(1, days + 1):
        with time_machine.travel(morning(day), tick=False):
            for job in every_morning:
                job()
            lifecycle.mark_late_lines()
            review_etas()
            today = clock.today()
            assert not waiting().filter(eta__lt=today).exists(), f"day {day}: a date that has passed is shown"
        with time_machine.travel(morning(day) + datetime.timedelta(hours=6), tick=False):
            for job in every_noon:
                job()
            customer_service_writes(clock.today())
            send_due_messages(limit=1000)
            # Told dates still ahead: a slip was told (queued and sent) before the old date passed.
            assert not waiting().filter(told_eta__lt=clock.today()).exists(), f"day {day}: a told date passed untold"
            seen.append(list(waiting().values_list("eta", flat=True)))
    return seen


def test_a_backorder_of_a_product_without_supplier_gets_a_new_date_before_each_old_one_passes():
    # Given an order for a product nobody supplies: told today + 14 days
    with time_machine.travel(MONDAY, tick=False):
        order = place((ProductFactory(sku="LAMP-0"), 1))
    promised = order.backorders.get().promised_date

    # When four weeks pass with the daily review
    live_days(28)

    # Then its date moved before it passed, each move recorded with its cause, the customer told
    backorder = order.backorders.get()
    assert backorder.eta > promised and backorder.promised_date == promised
    causes = set(EtaChange.objects.filter(backorder=backorder).values_list("cause", flat=True))
    assert causes <= {"review", "overdue"} and "review" in causes
    assert CustomerMessage.objects.filter(order=order, kind__in=["delay_notice", "apology"]).exists()


def test_a_product_nobody_supplies_moves_once_per_lead_time_and_its_customer_hears_of_it_thrice_at_most(settings):
    # Given an order for a product nobody supplies: told today + 14 days
    settings.BACKORDER_DEFAULT_LEAD_TIME_DAYS = 14
    with time_machine.travel(MONDAY, tick=False):
        order = place((ProductFactory(sku="SCL-070"), 1))
    on_the_worklist = []

    def worklist_at_noon():  # before customer service's round
        refresh_worklist()
        if WorklistEntry.objects.get(order=order).needs_personal_word:
            on_the_worklist.append(clock.today())

    # When six weeks pass with the daily review
    live_days(42, every_noon=[worklist_at_noon])

    # Then the date moved once per lead time at most (not every morning), each move recorded
    moves = EtaChange.objects.filter(backorder__order=order).order_by("changed_at")
    assert 1 <= moves.count() <= 42 // 14
    assert {move.cause for move in moves} == {"review"}
    assert all(move.new_eta == move.changed_at.date() + datetime.timedelta(days=14) for move in moves)
    # And its customer got three proactive emails at most, never two within a week
    sent = list(
        CustomerMessage.objects.filter(order=order, kind__in=CustomerMessage.PROACTIVE)
        .order_by("sent_at")
        .values_list("sent_at", flat=True)
    )
    assert 1 <= len(sent) <= 3
    assert all(later - earlier >= datetime.timedelta(days=7) for earlier, later in pairwise(sent))
    # And once the three were spent, the next move put the order on the worklist for a personal word
    assert len(sent) == 3 and on_the_worklist and on_the_worklist[0] > timezone.localdate(sent[-1])
    assert CustomerMessage.objects.filter(order=order, kind="personal").exists()


def test_a_backorder_waiting_for_a_quota_that_is_never_met_moves_once_its_window_has_passed():
    # Given a supplier whose quota is far away and whose window is two days
    supplier = SupplierFactory(min_order_value=10_000, max_wait_hours=48, lead_time_days=7)
    item = SupplierItemFactory(supplier=supplier)
    with time_machine.travel(MONDAY, tick=False):
        order = place((item.product, 1))
    first = order.backorders.get().eta  # Monday + 2 (window) + 7 (lead) + 2 (handling)

    # When the batch never orders it (nobody runs it) for ten days
    live_days(10)

    # Then the date held while the window lasted, then moved with each day nothing was ordered
    backorder = order.backorders.get()
    assert backorder.eta == morning(10).date() + datetime.timedelta(days=7 + 2)
    window_closed = MONDAY.date() + datetime.timedelta(days=2)
    assert EtaChange.objects.filter(backorder=backorder).first().changed_at.date() > window_closed
    assert first == window_closed + datetime.timedelta(days=7 + 2)


def test_a_purchase_order_sent_but_never_confirmed_nor_delivered_keeps_its_customers_dates_true():
    item = SupplierItemFactory(supplier=SupplierFactory(lead_time_days=5, max_wait_hours=0))
    with time_machine.travel(MONDAY, tick=False):
        order = place((item.product, 2))
        batching.batch_backorders()
        lifecycle.send_purchase_order(PurchaseOrder.objects.get().number)

    # Three weeks of silence from the supplier
    live_days(21)

    backorder = order.backorders.get()
    assert backorder.status == "on_order" and backorder.eta >= morning(21).date()
    assert "late" in set(EtaChange.objects.filter(backorder=backorder).values_list("cause", flat=True))


def test_a_draft_nobody_sends_moves_its_customers_dates_as_days_pass():
    item = SupplierItemFactory(supplier=SupplierFactory(lead_time_days=5, max_wait_hours=0))
    with time_machine.travel(MONDAY, tick=False):
        order = place((item.product, 1))
        batching.batch_backorders()  # a draft, never sent
    told = order.backorders.get().eta

    live_days(10)

    backorder = order.backorders.get()
    assert backorder.eta == morning(10).date() + datetime.timedelta(days=5 + 2) > told  # lead + handling


def test_a_date_the_goods_will_meet_is_left_alone():
    # Given a confirmed purchase order arriving on time
    item = SupplierItemFactory(supplier=SupplierFactory(lead_time_days=10, max_wait_hours=0))
    with time_machine.travel(MONDAY, tick=False):
        order = place((item.product, 1))
        batching.batch_backorders()
        po = PurchaseOrder.objects.get()
        lifecycle.send_purchase_order(po.number)
        lifecycle.confirm_purchase_order(po.number, {item.product.sku: MONDAY.date() + datetime.timedelta(days=10)})
    eta = order.backorders.get().eta

    # When the review runs every morning until the goods are there
    live_days(9)
    with time_machine.travel(morning(10) + datetime.timedelta(hours=2), tick=False):
        receiving.receive_purchase_order(po.number, {item.product.sku: 1})

    # Then the date held: nothing was moved and nobody was told anything after the first day
    assert order.backorders.get().eta == eta
    assert not EtaChange.objects.filter(cause__in=["review", "overdue"]).exists()
    assert not CustomerMessage.objects.filter(created_at__date__gt=MONDAY.date()).exclude(kind="shipped").exists()


def test_running_the_review_twice_moves_and_tells_each_backorder_once():
    with time_machine.travel(MONDAY, tick=False):
        orders = [place((ProductFactory(), 1)) for _ in range(3)]
    with time_machine.travel(morning(20), tick=False):
        first = review_etas()
        again = review_etas()

    assert (first["backorders_moved"], again["backorders_moved"]) == (3, 0)
    assert EtaChange.objects.count() == 3
    for order in orders:
        assert CustomerMessage.objects.filter(order=order, kind__in=["delay_notice", "apology"]).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_reviewing_at_once_move_and_tell_each_backorder_once():
    with time_machine.travel(MONDAY, tick=False):
        orders = [place((ProductFactory(), 1), customer=CustomerFactory.build()) for _ in range(5)]
    start, results = threading.Barrier(2), []

    def worker():
        try:
            start.wait()
            results.append(review_etas()["backorders_moved"])
        finally:
            connection.close()

    with time_machine.travel(morning(20), tick=False):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert sorted(results) == [0, 5]
    assert EtaChange.objects.count() == 5
    for order in orders:
        assert CustomerMessage.objects.filter(order=order).exclude(kind="backorder_notice").count() == 1


def test_availability_never_names_a_restock_date_that_has_passed():
    item = SupplierItemFactory(
        product=ProductFactory(sku="CUP-9"), supplier=SupplierFactory(lead_time_days=4, max_wait_hours=0)
    )
    with time_machine.travel(MONDAY, tick=False):
        place((item.product, 1))
        batching.batch_backorders()
        lifecycle.send_purchase_order(PurchaseOrder.objects.get().number)

    for day in (3, 10, 30):
        with time_machine.travel(morning(day) + datetime.timedelta(hours=3), tick=False):
            restock = Client().get("/availability/CUP-9.json").json()["next_restock_date"]
            assert datetime.date.fromisoformat(restock) >= clock.today()


def test_the_order_api_never_shows_a_waiting_line_a_date_that_has_passed(api_as):
    shop = api_as("Shop")
    with time_machine.travel(MONDAY, tick=False):
        place((ProductFactory(sku="KETTLE-5"), 2), number="PAST-1")

    live_days(25)

    with time_machine.travel(morning(25) + datetime.timedelta(hours=8), tick=False):
        [line] = shop.get("/api/v1/orders/PAST-1/").json()["lines"]
        assert datetime.date.fromisoformat(line["eta"]) >= clock.today()


def test_a_supplier_that_delivers_late_pads_the_dates_of_its_future_customers():
    # Given a supplier whose last deliveries came 4, 5 and 6 days after the date asked for
    supplier = SupplierFactory(lead_time_days=10, max_wait_hours=0)
    item = SupplierItemFactory(supplier=supplier)
    for late_by in (4, 5, 6):
        with time_machine.travel(MONDAY, tick=False):
            place((item.product, 1))
            batching.batch_backorders()
            po = PurchaseOrder.objects.filter(status="draft").get()
            lifecycle.send_purchase_order(po.number)
        with time_machine.travel(MONDAY + datetime.timedelta(days=10 + late_by), tick=False):
            receiving.receive_purchase_order(po.number, {item.product.sku: 1})

    # When the morning review learns from them
    with time_machine.travel(MONDAY + datetime.timedelta(days=20), tick=False):
        refresh_learned_lateness()
        padded = place((item.product, 1)).backorders.get()

        # Then a new customer is told the supplier's date and the handling days plus its
        # median lateness, 5 days
        assert Supplier.objects.get(pk=supplier.pk).learned_lateness_days == 5
        assert padded.promised_date == clock.today() + datetime.timedelta(days=10 + 2 + 5)

        # And with padding switched off, the supplier's date and the handling days, which the
        # purchase order line keeps
        Supplier.objects.filter(pk=supplier.pk).update(pad_with_lateness=False)
        plain = place((item.product, 1)).backorders.get()
        assert plain.promised_date == clock.today() + datetime.timedelta(days=10 + 2)
        batching.batch_backorders()
        assert Backorder.objects.get(pk=plain.pk).eta == clock.today() + datetime.timedelta(days=10 + 2)


def test_the_worklist_finds_dates_passed_or_due_soon_and_puts_them_first(client):
    client.force_login(UserFactory(roles=["Customer service"]))
    with time_machine.travel(MONDAY, tick=False):
        soon = place((ProductFactory(), 1), number="SOON-1")
        later = place((ProductFactory(), 1), number="LATER-1")
    Backorder.objects.filter(order=soon).update(eta=MONDAY.date() + datetime.timedelta(days=1))

    with time_machine.travel(MONDAY, tick=False):
        everything = client.get("/admin/notifications/customermessage/worklist/")
        due = client.get("/admin/notifications/customermessage/worklist/", {"due_within": 2})

    assert [row["number"] for _, row in everything.context["rows"]] == [soon.number, later.number]
    assert [row["number"] for _, row in due.context["rows"]] == [soon.number]


def test_the_review_job_is_scheduled_every_morning_after_the_late_lines():
    from django.conf import settings

    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["review-etas"]["task"] == "purchasing.tasks.review_etas"
    late, review = schedule["mark-late-purchase-order-lines"]["schedule"], schedule["review-etas"]["schedule"]
    assert (late.hour, review.hour) == ({6}, {6}) and min(late.minute) < min(review.minute)


def test_the_review_costs_the_same_queries_for_30_as_for_300_backorders():
    from django.test.utils import CaptureQueriesContext

    def queries(count):
        Backorder.objects.all().delete()
        with time_machine.travel(MONDAY, tick=False):
            products = [ProductFactory(), SupplierItemFactory(supplier__max_wait_hours=0).product]
            for index in range(count):
                place((products[index % 2], 1))
        with time_machine.travel(morning(20), tick=False), CaptureQueriesContext(connection) as captured:
            moved = review_etas()["backorders_moved"]
        assert moved == count
        return len(captured)

    few, many = queries(30), queries(300)
    if connection.vendor == "postgresql":
        assert many == few
    else:  # SQLite splits a bulk insert of 300 messages into batches of its variable limit
        assert many <= few + 3
