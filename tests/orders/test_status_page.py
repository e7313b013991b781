"""The customer's status page, reached by the signed link in every email: what each line is
doing in plain words, the choices (ship what is ready, cancel waiting units) going through
the same services as admin, a friendly 404 for a bad link, a limit per client."""

import datetime

import pytest
from django.test import Client

from notifications.models import CustomerMessage
from orders.models import Order, OrderEvent
from orders.status_links import status_token, status_url
from tests.factories import CustomerFactory, ProductFactory, place, receive

pytestmark = pytest.mark.django_db

MONDAY = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)


@pytest.fixture
def order(settings):
    import time_machine

    settings.BACKORDER_DEFAULT_LEAD_TIME_DAYS = 14
    with time_machine.travel(MONDAY, tick=False):
        teapot, cups = ProductFactory(name="Teapot", price="30.00"), ProductFactory(name="Cup", price="8.50")
        receive(teapot, 1)
        yield place(
            (teapot, 1), (cups, 4), policy="ship_complete", customer=CustomerFactory.build(name="Ann", language="en")
        )


def url(order, tail=""):
    return f"/status/{status_token(order)}/{tail}"


def test_the_page_says_what_each_line_is_doing_in_plain_words(client, order):
    [notice] = CustomerMessage.objects.filter(order=order)
    CustomerMessage.objects.filter(pk=notice.pk).update(status="sent", sent_at=MONDAY, subject=notice.content().subject)

    page = client.get(url(order))

    html = page.content.decode()
    assert page.status_code == 200
    assert "1 ready, sent together with the rest" in html
    assert "4 waiting: expected on 16 Mar 2026" in html
    assert "Wait and send everything together" in html and 'value="ship_complete" checked' in html
    assert f"2 Mar 2026: email “{notice.content().subject}”" in html


def test_the_page_speaks_the_customers_language_and_switches(client, order):
    order.customer.language = "de"
    order.customer.save()

    german = client.get(url(order)).content.decode()
    english = client.get(url(order) + "?lang=en").content.decode()

    assert "4 warten: voraussichtlich am 16. März 2026" in german and 'href="?lang=en"' in german
    assert "4 waiting: expected on 16 Mar 2026" in english


def test_switching_to_ship_what_is_available_goes_through_the_service_and_is_recorded(client, order):
    response = client.post(url(order, "policy/"), {"fulfilment_policy": "ship_partial", "lang": "en"})

    assert response.status_code == 302 and response["Location"].endswith("done=policy")
    order.refresh_from_db()
    assert (order.fulfilment_policy, order.status) == ("ship_partial", "ready_to_ship")
    [event] = OrderEvent.objects.filter(order=order)
    assert (event.kind, event.by_customer, event.data) == (
        "policy_changed",
        True,
        {"old": "ship_complete", "new": "ship_partial"},
    )
    assert "switched to: ship what is available now (by you)" in client.get(url(order)).content.decode()


def test_cancelling_shows_the_refund_first_then_cancels_and_emails(client, order):
    cups = order.lines.get(product__name="Cup")

    review = client.post(url(order, "cancel/"), {f"line-{cups.pk}": "2", "step": "review", "lang": "en"})
    assert "You will not be charged €17.00 for them." in review.content.decode()
    assert order.lines.get(pk=cups.pk).cancelled == 0  # nothing before confirming

    done = client.post(url(order, "cancel/"), {f"line-{cups.pk}": "2", "step": "confirm", "lang": "en"})

    assert done.status_code == 302
    cups.refresh_from_db()
    assert (cups.cancelled, cups.backordered) == (2, 2)
    [cancellation] = CustomerMessage.objects.filter(order=order, kind="cancellation")
    assert "€17.00" in cancellation.content().text
    assert OrderEvent.objects.get(order=order, kind="units_cancelled").by_customer


def test_asking_to_cancel_more_than_is_unshipped_changes_nothing_and_says_why(client, order):
    cups = order.lines.get(product__name="Cup")

    response = client.post(url(order, "cancel/"), {f"line-{cups.pk}": "9", "step": "confirm", "lang": "en"})

    assert response.status_code == 400 and "Cup: choose between 0 and 4." in response.content.decode()
    assert order.lines.get(pk=cups.pk).cancelled == 0


def test_a_form_without_its_csrf_token_is_refused(order):
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(url(order, "policy/"), {"fulfilment_policy": "ship_partial"})

    assert response.status_code == 403
    assert Order.objects.get(pk=order.pk).fulfilment_policy == "ship_complete"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # tampered signature
        lambda token: "garbage",
        lambda token: token.split(":")[0] + ":AAAAAA:" + token.split(":")[2],  # changed timestamp
    ],
)
def test_a_bad_or_tampered_link_gets_a_friendly_404(client, order, mangle):
    response = client.get(f"/status/{mangle(status_token(order))}/")

    assert response.status_code == 404
    assert "This link does not work (any more)" in response.content.decode()


def test_an_expired_link_gets_the_same_404(client, order, settings):
    import time_machine

    token = status_token(order)
    with time_machine.travel(
        datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=settings.ORDER_STATUS_LINK_MAX_AGE + 60)
    ):
        response = client.get(f"/status/{token}/")

    assert response.status_code == 404


def test_the_link_in_emails_carries_no_order_number(order):
    link = status_url(order)

    assert order.number not in link and str(order.pk) not in link.split("/status/")[1].split(":")[1:]


def test_too_many_requests_from_one_client_are_slowed_down(client, order, settings):
    from django.core.cache import cache

    cache.clear()
    settings.STATUS_PAGE_REQUESTS_PER_MINUTE = 3

    codes = [client.get(url(order)).status_code for _ in range(5)]
    other_client = client.get(url(order), REMOTE_ADDR="10.0.0.9").status_code

    assert codes == [200, 200, 200, 429, 429] and other_client == 200
    cache.clear()


def test_the_page_reads_in_a_fixed_number_of_queries(client, order, django_assert_max_num_queries):
    products = ProductFactory.create_batch(20)
    big = place(*[(product, 2) for product in products])

    with django_assert_max_num_queries(10):
        client.get(url(big))
