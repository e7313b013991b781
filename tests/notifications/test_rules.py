"""Which email an event calls for, by the policy's rules: backorder notice, delay notice,
apology with a voucher (one per order), in the customer's language."""

import datetime

import pytest

from notifications.models import CustomerMessage, Voucher
from orders.models import Backorder, Order
from tests.factories import CustomerFactory, ProductFactory, place

from .conftest import days, mark_sent, messages_of, redate, waiting_on_a_purchase_order

pytestmark = pytest.mark.django_db


def test_an_order_expected_more_than_a_week_out_gets_a_backorder_notice(clock, settings):
    settings.BACKORDER_DEFAULT_LEAD_TIME_DAYS = 8

    order = place((ProductFactory(name="Teapot"), 2), customer=CustomerFactory.build(language="en", name="Ann"))

    [notice] = messages_of(order)
    assert (notice.kind, notice.status, notice.language) == ("backorder_notice", "queued", "en")
    assert notice.content().subject == f"Your order {order.number}: some items will arrive later"
    assert "2 × Teapot" in notice.content().text and "expected on 10 Mar 2026" in notice.content().text
    assert "/status/" in notice.content().text and "/status/" in notice.content().html


def test_a_supplier_within_a_week_needs_no_notice(clock, settings):
    settings.BACKORDER_DEFAULT_LEAD_TIME_DAYS = 7

    order = place((ProductFactory(), 1))

    assert messages_of(order) == []


def test_an_order_that_is_all_in_stock_gets_no_notice(clock):
    from tests.factories import receive

    teapot = ProductFactory()
    receive(teapot, 5)

    assert messages_of(place((teapot, 2))) == []


def test_german_customers_get_german_dates_and_words(clock, settings):
    settings.BACKORDER_DEFAULT_LEAD_TIME_DAYS = 8

    order = place((ProductFactory(name="Teekanne"), 1), customer=CustomerFactory.build(language="de", name="Jörg"))

    [notice] = messages_of(order)
    assert notice.content().subject == f"Ihre Bestellung {order.number}: einige Artikel kommen später"
    assert notice.content().text.startswith("Hallo Jörg,")
    assert "voraussichtlich am 10. März 2026" in notice.content().text
    assert 'lang="de"' in notice.content().html and "10. März 2026" in notice.content().html


def test_a_supplier_slipping_two_days_past_the_date_told_brings_a_delay_notice(clock):
    item, [order], po = waiting_on_a_purchase_order(CustomerFactory.build(language="en"))
    told = Backorder.objects.get(order=order).told_eta

    redate(item, po, told - datetime.timedelta(days=2))  # ETA = told: nothing new to tell
    assert messages_of(order, kind="delay_notice") == []

    redate(item, po, told)  # ETA = told + 2 handling days

    [notice] = messages_of(order, kind="delay_notice")
    new_eta = told + datetime.timedelta(days=2)
    assert (
        notice.content().subject
        == f"Your order {order.number} is delayed: new date {new_eta.day} {new_eta:%b} {new_eta.year}"
    )
    assert "now expected on" in notice.content().text and "we had told you" in notice.content().text
    assert "Cancel the items still waiting: you get a full refund" in notice.content().text
    assert Backorder.objects.get(order=order).told_eta == new_eta


def test_a_slip_of_one_day_is_not_worth_an_email(clock):
    item, [order], po = waiting_on_a_purchase_order(None)
    told = Backorder.objects.get(order=order).told_eta

    redate(item, po, told - datetime.timedelta(days=1))  # ETA = told + 1

    assert messages_of(order, kind__in=["delay_notice", "apology"]) == []


def test_an_eta_a_week_past_the_promised_date_brings_an_apology_with_a_voucher(clock, policy):
    policy.voucher_kind, policy.voucher_value, policy.voucher_valid_days = "percent", 15, 60
    policy.save()
    item, [order], po = waiting_on_a_purchase_order(CustomerFactory.build(language="en"))
    promised = Backorder.objects.get(order=order).promised_date

    redate(item, po, promised + datetime.timedelta(days=5))  # ETA = promised + 7

    [apology] = messages_of(order, kind="apology")
    voucher = Voucher.objects.get(order=order)
    assert (voucher.kind, voucher.value, voucher.valid_until) == ("percent", 15, days(60))
    assert voucher.code in apology.content().text and voucher.code in apology.content().html
    assert "15 % off" in apology.content().text
    assert messages_of(order, kind="delay_notice") == []  # the apology is the delay email


def test_the_second_delay_notice_is_an_apology(clock):
    item, [order], po = waiting_on_a_purchase_order(None)
    told = Backorder.objects.get(order=order).told_eta
    redate(item, po, told)  # +2: first delay notice
    [first] = messages_of(order, kind="delay_notice")
    mark_sent(first)

    redate(item, po, told + datetime.timedelta(days=2))  # +2 again

    assert [m.kind for m in messages_of(order) if m.kind != "backorder_notice"] == ["delay_notice", "apology"]
    assert Voucher.objects.filter(order=order).count() == 1


def test_one_voucher_per_order_however_often_it_slips(clock, policy):
    policy.proactive_emails_per_order = 9  # this story is about the voucher, not the budget
    policy.save()
    item, [order], po = waiting_on_a_purchase_order(None)
    promised = Backorder.objects.get(order=order).promised_date
    for slip in (10, 20, 30):
        for message in messages_of(order, status="queued"):
            mark_sent(message)
        redate(item, po, promised + datetime.timedelta(days=slip))

    assert Voucher.objects.filter(order=order).count() == 1
    kinds = [m.kind for m in messages_of(order) if m.kind != "backorder_notice"]
    assert kinds == ["apology", "delay_notice", "delay_notice"]


def test_free_shipping_vouchers_carry_no_amount(clock, policy):
    policy.voucher_kind = "free_shipping"
    policy.save()
    item, [order], po = waiting_on_a_purchase_order(CustomerFactory.build(language="de"))
    promised = Backorder.objects.get(order=order).promised_date

    redate(item, po, promised + datetime.timedelta(days=20))

    voucher = Voucher.objects.get(order=order)
    assert (voucher.kind, voucher.value) == ("free_shipping", 0)
    [apology] = messages_of(order, kind="apology")
    assert "versandkostenfrei" in apology.content().text


def test_running_the_same_late_job_twice_queues_nothing_more(clock):
    from purchasing import lifecycle

    item, orders, po = waiting_on_a_purchase_order(None, None)
    clock.move_to(datetime.datetime(2026, 3, 20, 8, 0, tzinfo=datetime.UTC))  # the line is late now

    lifecycle.mark_late_lines()
    first = CustomerMessage.objects.count()
    lifecycle.mark_late_lines()

    assert CustomerMessage.objects.count() == first
    assert CustomerMessage.objects.filter(kind__in=["delay_notice", "apology"]).count() == 2


def test_a_fixed_amount_voucher_is_free_shipping_on_an_order_in_another_currency(clock, policy):
    # Given a policy of 5.00 (euros) off, and a shop's order paid in dollars
    policy.voucher_kind, policy.voucher_value = "fixed", 5
    policy.save()
    item, [order], po = waiting_on_a_purchase_order(CustomerFactory.build(language="en"))
    Order.objects.filter(pk=order.pk).update(currency="USD")
    promised = Backorder.objects.get(order=order).promised_date

    redate(item, po, promised + datetime.timedelta(days=20))

    # Then the consolation is free shipping: no euro amount is offered on a dollar order
    voucher = Voucher.objects.get(order=order)
    assert (voucher.kind, voucher.value) == ("free_shipping", 0)
    [apology] = messages_of(order, kind="apology")
    assert "free shipping" in apology.content().text
    assert "€" not in apology.content().text and "5.00" not in apology.content().text


def test_a_fixed_amount_voucher_stays_an_amount_on_a_euro_order(clock, policy):
    policy.voucher_kind, policy.voucher_value = "fixed", 5
    policy.save()
    item, [order], po = waiting_on_a_purchase_order(CustomerFactory.build(language="en"))
    promised = Backorder.objects.get(order=order).promised_date

    redate(item, po, promised + datetime.timedelta(days=20))

    assert (Voucher.objects.get(order=order).kind, Voucher.objects.get(order=order).value) == ("fixed", 5)
    assert "€5.00 off" in messages_of(order, kind="apology")[0].content().text
