"""Staff work in the admin: every page opens, orders are placed, stock received and orders
shipped through the same services as the API, with a confirmation step first."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from inventory.models import Product
from orders.models import Order
from tests.factories import ProductFactory, UserFactory, place, receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    def login(*roles, superuser=False):
        user = UserFactory(roles=list(roles), is_superuser=superuser)
        client.force_login(user)
        return client

    return login


@pytest.fixture
def book():
    lamp, vase = ProductFactory(sku="LAMP-1"), ProductFactory(sku="VASE-1")
    receive(lamp, 3)
    ready = place((lamp, 1), number="READY-1")
    waiting = place((lamp, 1), (vase, 2), number="WAIT-1", policy="ship_complete")
    return lamp, vase, ready, waiting


def test_every_list_and_detail_page_opens_for_a_superuser(staff, book):
    client = staff(superuser=True)
    lamp, vase, ready, waiting = book
    pages = [reverse("admin:index")]
    for model in [
        "inventory/product",
        "inventory/stockmovement",
        "orders/order",
        "orders/backorder",
        "orders/customer",
        "orders/shipment",
    ]:
        pages.append(f"/admin/{model}/")
    pages += [
        reverse("admin:inventory_product_change", args=[lamp.pk]),
        reverse("admin:orders_order_change", args=[waiting.pk]),
        reverse("admin:orders_order_add"),
        reverse("admin:orders_customer_change", args=[waiting.customer.pk]),
        "/admin/orders/order/?waiting=0",
        "/admin/orders/order/?status__exact=awaiting_stock",
        "/admin/orders/backorder/?waiting=7",
        "/admin/inventory/product/?stock=backordered",
        "/admin/orders/order/?q=VASE-1",
    ]
    for page in pages:
        assert client.get(page).status_code == 200, page


def test_search_finds_orders_by_sku_and_email(staff, book):
    client = staff(superuser=True)
    _, _, _, waiting = book

    by_sku = client.get("/admin/orders/order/?q=VASE-1").content.decode()
    by_email = client.get(f"/admin/orders/order/?q={waiting.customer.email}").content.decode()

    assert "WAIT-1" in by_sku and "READY-1" not in by_sku
    assert "WAIT-1" in by_email


def test_placing_an_order_in_admin_goes_through_the_service(staff, book):
    client = staff("Manager")

    response = client.post(
        reverse("admin:orders_order_add"),
        {
            "number": "PHONE-1",
            "email": "caller@example.org",
            "name": "Caller",
            "language": "en",
            "fulfilment_policy": "ship_partial",
            "lines": "LAMP-1 1\nVASE-1 2 9.50",
        },
    )

    order = Order.objects.get(number="PHONE-1")
    assert response.status_code == 302
    assert [
        (line.product.sku, line.allocated, line.backordered, str(line.unit_price))
        for line in order.lines.order_by("position")
    ] == [
        ("LAMP-1", 1, 0, "10.00"),
        ("VASE-1", 0, 2, "9.50"),
    ]


def test_a_bad_admin_order_shows_the_problem_and_saves_nothing(staff, book):
    client = staff("Manager")

    response = client.post(
        reverse("admin:orders_order_add"),
        {
            "number": "PHONE-2",
            "email": "caller@example.org",
            "name": "Caller",
            "language": "en",
            "fulfilment_policy": "ship_partial",
            "lines": "GHOST-1 1",
        },
    )

    assert response.status_code == 200
    assert "unknown SKU GHOST-1" in response.content.decode()
    assert not Order.objects.filter(number="PHONE-2").exists()


def test_ship_ready_orders_asks_first_then_ships_and_reports_refusals(staff, book):
    client = staff("Warehouse")
    _, _, ready, waiting = book
    url = reverse("admin:orders_order_changelist")
    selection = {"action": "ship_ready_orders", ACTION_CHECKBOX_NAME: [ready.pk, waiting.pk]}

    confirm = client.post(url, selection)
    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "READY-1: 1 × LAMP-1" in page and "still waits for VASE-1: 2" in page
    assert not ready.shipments.exists()

    rows = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "form-0-order": ready.pk,
        "form-0-tracking_number": " 1Z-READY ",
        "form-1-order": waiting.pk,
        "form-1-tracking_number": "",
    }
    done = client.post(url, {**selection, **rows, "apply": "1"}, follow=True)
    messages = [str(m) for m in done.context["messages"]]
    assert any("Shipped 1 orders: READY-1" in m for m in messages)
    assert any("WAIT-1 ships complete" in m for m in messages)
    assert Order.objects.get(pk=ready.pk).status == Order.Status.SHIPPED
    assert ready.shipments.get().tracking_number == "1Z-READY"


def test_receive_stock_asks_for_units_per_product_then_fills_waiting_orders(staff, book):
    client = staff("Warehouse")
    _, vase, _, waiting = book
    url = reverse("admin:inventory_product_changelist")
    selection = {"action": "receive_stock", ACTION_CHECKBOX_NAME: [vase.pk]}

    form = client.post(url, selection)
    assert form.status_code == 200 and "units" in form.content.decode()

    client.post(
        url,
        {
            **selection,
            "apply": "1",
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-product": vase.pk,
            "form-0-quantity": "2",
            "form-0-note": "pallet 7",
        },
    )

    vase.stock.refresh_from_db()
    assert (vase.stock.on_hand, vase.stock.allocated) == (2, 2)
    assert Order.objects.get(pk=waiting.pk).status == Order.Status.READY_TO_SHIP
    assert vase.movements.get().note == "pallet 7"


def test_changing_the_policy_in_admin_updates_the_status(staff, book):
    client = staff("Customer service")
    lamp, vase, _, _ = book
    order = place((lamp, 1), (vase, 1), number="MIX-1", policy="ship_complete")
    assert order.status == Order.Status.AWAITING_STOCK

    client.post(
        reverse("admin:orders_order_change", args=[order.pk]),
        {
            "fulfilment_policy": "ship_partial",
            "expedite": "on",
            **{
                f"{prefix}-{key}": "0"
                for prefix in ("lines", "backorders", "shipments", "messages", "vouchers", "events")
                for key in ("TOTAL_FORMS", "INITIAL_FORMS")
            },
        },
    )

    order.refresh_from_db()
    assert (order.fulfilment_policy, order.expedite, order.status) == ("ship_partial", True, Order.Status.READY_TO_SHIP)


@pytest.mark.parametrize(
    "role, action, allowed",
    [
        ("Warehouse", "ship_ready_orders", True),
        ("Customer service", "ship_ready_orders", False),
        ("Customer service", "cancel_unshipped", True),
        ("Warehouse", "cancel_unshipped", False),
    ],
)
def test_order_actions_are_offered_to_the_roles_that_may_use_them(staff, book, role, action, allowed):
    page = staff(role).get(reverse("admin:orders_order_changelist")).content.decode()
    assert (f'value="{action}"' in page) is allowed


def test_the_stock_ledger_cannot_be_edited_in_admin(staff, book):
    client = staff(superuser=True)
    lamp = book[0]
    movement = lamp.movements.first()

    assert client.get(reverse("admin:inventory_stockmovement_add")).status_code == 403
    detail = client.get(reverse("admin:inventory_stockmovement_change", args=[movement.pk])).content.decode()
    assert 'name="_save"' not in detail
    assert Product.objects.count() == 2


def test_staff_see_the_admin_in_german_when_their_browser_asks_for_it(staff, book):
    client = staff(superuser=True)

    page = client.get("/admin/orders/order/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "Bestellungen" in page and "wartet seit" in page and "Versandbereite Bestellungen versenden" in page


def test_the_admin_carries_the_shops_name_and_no_link_to_a_site_that_does_not_exist(client, settings):
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_superuser=True))

    page = client.get("/admin/").content.decode()

    assert "Teehaus am Markt back office" in page or f"{settings.SHOP_NAME} back office" in page
    assert "Django administration" not in page and "View site" not in page


def test_a_shipment_is_named_by_its_order_and_its_lines_by_units_and_sku():
    from django.utils import translation

    from orders.fulfilment import ship_order
    from tests.factories import ProductFactory, place, receive

    lamp = ProductFactory(sku="LAMP-7")
    receive(lamp, 2)
    order = place((lamp, 2), number="SHIP-7")
    shipment = ship_order(order.number)

    with translation.override("en"):  # a request before may have left German active in this thread
        assert str(shipment) == f"Shipment {shipment.pk} of order SHIP-7"
    with translation.override("de"):
        assert str(shipment) == f"Sendung {shipment.pk} der Bestellung SHIP-7"
    assert str(shipment.lines.get()) == "2 × LAMP-7"


def test_a_refused_page_and_a_missing_page_are_styled_pages_that_say_what_happened(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(roles=["Warehouse"]))

    refused = client.get("/admin/notifications/messagepolicy/1/change/")
    missing = client.get("/admin-nothing-here/")

    assert refused.status_code == 403 and "This page is not part of your role" in refused.content.decode()
    assert missing.status_code == 404 and "There is no page here" in missing.content.decode()
    assert "<style>" in refused.content.decode() and "<style>" in missing.content.decode()


def test_a_policy_whose_row_is_gone_shows_its_defaults_and_saving_writes_it(staff):
    from purchasing.models import ReorderPolicy

    # Given the reorder policy's row is gone (a flushed database, say)
    ReorderPolicy.objects.all().delete()
    client = staff("Purchasing")

    # When purchasing opens the policy from the list: the defaults, and nothing written yet
    page = client.get(reverse("admin:purchasing_reorderpolicy_changelist"), follow=True)
    assert page.status_code == 200 and page.context["original"].service_level == ReorderPolicy().service_level
    assert not ReorderPolicy.objects.exists()

    # Then saving it writes the one row
    saved = client.post(
        reverse("admin:purchasing_reorderpolicy_change", args=[1]),
        {
            "service_level": "0.900",
            "review_period_days": "7",
            "often_backordered_rate": "0.200",
            "answer_review_days": "7",
        },
    )
    assert saved.status_code == 302 and str(ReorderPolicy.objects.get(pk=1).service_level) == "0.900"
