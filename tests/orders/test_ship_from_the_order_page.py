"""The warehouse ships one order from its page with the carrier's tracking number, which the
customer then finds in the shipped email and on the status page."""

import pytest
from django.urls import reverse

from notifications.models import CustomerMessage
from orders.models import Order
from orders.status_links import status_url
from tests.factories import CustomerFactory, ProductFactory, UserFactory, place, receive

pytestmark = pytest.mark.django_db


def test_the_warehouse_ships_from_the_order_page_with_a_tracking_number(client):
    # Given an order whose lamp is in stock
    lamp = ProductFactory(sku="LAMP-3", name="Lamp")
    receive(lamp, 1)
    order = place((lamp, 1), customer=CustomerFactory.build(language="en"))
    client.force_login(UserFactory(roles=["Warehouse"]))
    page = reverse("admin:orders_order_change", args=[order.pk])

    # When the warehouse opens it, it offers to ship the lamp
    assert "Ready to ship now: 1 × LAMP-3." in client.get(page).content.decode()

    # When they ship it with a tracking number
    shipped = client.post(
        reverse("admin:orders_order_ship", args=[order.pk]), {"tracking_number": " 1Z999AA1 "}, follow=True
    )

    # Then the order is shipped, the page says so and offers nothing more to ship
    html = shipped.content.decode()
    assert f"Order {order.number} shipped: 1 × LAMP-3." in html and "Ready to ship now" not in html
    assert Order.objects.get(pk=order.pk).status == "shipped"
    # And the customer reads the tracking number in the email and on the status page
    [email] = CustomerMessage.objects.filter(order=order, kind="shipped")
    assert "Tracking number: 1Z999AA1" in email.content().text and "Tracking number: 1Z999AA1" in email.content().html
    assert "tracking number 1Z999AA1" in client.get(status_url(order)).content.decode()


def test_an_order_that_cannot_ship_offers_no_ship_form_and_a_post_says_why(client):
    lamp = ProductFactory(sku="LAMP-4")
    order = place((lamp, 1))
    client.force_login(UserFactory(roles=["Warehouse"]))

    assert 'id="ship-order"' not in client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    refused = client.post(reverse("admin:orders_order_ship", args=[order.pk]), {"tracking_number": ""}, follow=True)
    assert f"Order {order.number}: no units are in stock for it yet." in refused.content.decode()


def test_only_who_may_ship_sees_and_uses_the_ship_form(client):
    lamp = ProductFactory(sku="LAMP-5")
    receive(lamp, 1)
    order = place((lamp, 1))
    client.force_login(UserFactory(roles=["Customer service"]))

    assert 'id="ship-order"' not in client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert client.post(reverse("admin:orders_order_ship", args=[order.pk])).status_code == 403
