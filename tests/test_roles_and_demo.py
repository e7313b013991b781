"""Roles come from a migration; the demo loads once and the shop gets a token."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from inventory.models import StockMovement
from orders.models import Order

pytestmark = pytest.mark.django_db


def perms(group):
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name=group).permissions.select_related("content_type")
    }


def test_the_roles_exist_with_permissions_that_fit_each_job():
    assert {"Warehouse", "Purchasing", "Customer service", "Manager", "Shop"} <= set(
        Group.objects.values_list("name", flat=True)
    )
    assert {"orders.add_shipment", "inventory.add_stockmovement"} <= perms("Warehouse")
    assert "orders.cancel_units" not in perms("Warehouse")
    assert {"orders.cancel_units", "orders.change_order"} <= perms("Customer service")
    assert "orders.add_shipment" not in perms("Customer service")
    assert {"inventory.add_product", "inventory.change_product"} <= perms("Purchasing")
    assert "orders.add_order" in perms("Shop")
    assert {"notifications.send_customermessage", "notifications.view_customermessage"} <= perms("Customer service")
    assert "notifications.send_customermessage" not in perms("Warehouse") | perms("Purchasing")
    assert "notifications.change_messagepolicy" in perms("Manager")
    assert {"orders.add_shipment", "orders.cancel_units", "inventory.add_product"} <= perms("Manager")


def test_seed_demo_is_idempotent(capsys):
    call_command("seed_demo")
    counts = (Order.objects.count(), StockMovement.objects.count(), User.objects.count())

    call_command("seed_demo")

    assert (Order.objects.count(), StockMovement.objects.count(), User.objects.count()) == counts
    assert Order.objects.filter(status=Order.Status.AWAITING_STOCK).exists()
    assert Order.objects.filter(status=Order.Status.SHIPPED).exists()
    # The history's emails went out at their time; customers heard of delays and got vouchers.
    from notifications.models import CustomerMessage

    assert set(CustomerMessage.objects.values_list("kind", flat=True)) >= {
        "backorder_notice",
        "delay_notice",
        "shipped",
    }
    assert not CustomerMessage.objects.filter(status="sent", sent_at__isnull=True).exists()
    assert CustomerMessage.objects.filter(status="sent").count() >= CustomerMessage.objects.count() - 10
    assert "Shop API token" in capsys.readouterr().out


def test_tokens_come_from_drf_create_token(capsys):
    User.objects.create_user("shopify", password="x")
    call_command("drf_create_token", "shopify")
    assert "Generated token" in capsys.readouterr().out


def test_the_demo_shop_user_speaks_only_the_api_and_cannot_log_into_admin(client):
    # Given the demo, loaded once by an older version that made the shop user staff
    call_command("seed_demo")
    User.objects.filter(username="shop").update(is_staff=True)

    # When it is loaded again
    call_command("seed_demo")

    # Then the shop's API user is not staff, and admin refuses its login
    shop = User.objects.get(username="shop")
    assert not shop.is_staff and not shop.is_superuser
    response = client.post("/admin/login/", {"username": "shop", "password": "demo-backorder"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert User.objects.get(username="lager").is_staff


def test_the_demo_tells_the_truth_on_any_day():
    import datetime

    import time_machine

    from kernel import clock
    from orders.models import WAITING, Backorder

    # Given the demo loaded today: no customer still waiting is shown a date that has passed
    call_command("seed_demo")
    waiting = Backorder.objects.filter(status__in=WAITING)
    assert waiting.exists() and not waiting.filter(eta__lt=clock.today()).exists()

    # When it is run again three weeks later
    with time_machine.travel(clock.now() + datetime.timedelta(days=21), tick=False):
        call_command("seed_demo")

        # Then its dates have been brought up to that day
        assert not waiting.filter(eta__lt=clock.today()).exists()
