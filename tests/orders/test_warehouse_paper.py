"""The warehouse's day in admin: the pick list of the orders ready to ship (by SKU, with the
orders taking each), a packing slip per shipment (address, lines, number, what follows and
when, in the customer's language), the order page's shipping address, the next ready order
after shipping one, a tracking number per order when shipping several; each page in a fixed
number of queries."""

import datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from orders.fulfilment import ship_order
from orders.models import Backorder, Order
from tests.factories import CustomerFactory, ProductFactory, UserFactory, place, receive

PICK_LIST = "/admin/orders/order/pick-list/"
ADDRESS = {
    "name": "Ada Lovelace",
    "address1": "Hauptstraße 5",
    "postcode": "10115",
    "city": "Berlin",
    "country": "DE",
}


@pytest.fixture
def warehouse(client, db):
    client.force_login(UserFactory(roles=["Warehouse"]))
    return client


def ready_orders(count, lamp, vase):
    """`count` orders ready to ship, each of 1 lamp and 2 vases."""
    receive(lamp, count)
    receive(vase, 2 * count)
    orders = [place((lamp, 1), (vase, 2)) for _ in range(count)]
    Order.objects.filter(pk__in=[order.pk for order in orders]).update(shipping_address=ADDRESS)
    return orders


def test_the_pick_list_groups_the_units_by_sku_in_the_same_queries_for_3_or_12_orders(
    warehouse, django_assert_max_num_queries
):
    lamp, vase = ProductFactory(sku="LAMP-2", name="Desk lamp"), ProductFactory(sku="VASE-2", name="Vase")
    orders = ready_orders(3, lamp, vase)
    place((ProductFactory(sku="GHOST-2"), 1))  # awaiting stock: nothing to pick

    with django_assert_max_num_queries(5) as few:
        page = warehouse.get(PICK_LIST).content.decode()
    assert "3 orders ready to ship" in page
    lamp_row = page.split("LAMP-2")[1].split("</tr>")[0]
    assert ">3<" in lamp_row and all(f"{order.number} × 1" in lamp_row for order in orders)
    vase_row = page.split("VASE-2")[1].split("</tr>")[0]
    assert ">6<" in vase_row and f"{orders[0].number} × 2" in vase_row
    assert "GHOST-2" not in page
    assert "@page { size: auto; margin:" in page and "@media print" in page

    ready_orders(9, lamp, vase)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert "12 orders ready to ship" in warehouse.get(PICK_LIST).content.decode()


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Packing slip", "Still to follow", "expected", "tracking number 1Z-9"]),
        ("de", ["Lieferschein", "Folgt noch", "erwartet", "Sendungsnummer 1Z-9"]),
    ],
)
def test_a_packing_slip_names_the_address_the_parcel_and_what_follows_when_in_the_customers_language(
    warehouse, django_assert_max_num_queries, language, words
):
    lamp, vase = ProductFactory(sku="LAMP-3", name="Desk lamp"), ProductFactory(sku="VASE-3", name="Vase")
    receive(lamp, 2)
    order = place((lamp, 2), (vase, 3), customer=CustomerFactory.build(language=language))
    Order.objects.filter(pk=order.pk).update(shipping_address=ADDRESS)
    eta = Backorder.objects.get(order=order).eta
    shipment = ship_order(order.number, tracking_number="1Z-9")

    with django_assert_max_num_queries(7):
        page = warehouse.get(f"/admin/orders/shipment/{shipment.pk}/packing-slip/").content.decode()

    assert "Ada Lovelace<br>Hauptstraße 5<br>10115 Berlin<br>DE" in page
    assert order.number in page
    parcel = page.split('id="parcel"')[1].split("</table>")[0]
    assert "LAMP-3" in parcel and ">2<" in parcel and "VASE-3" not in parcel
    follows = page.split('id="follows"')[1].split("</table>")[0]
    assert "VASE-3" in follows and ">3<" in follows
    assert str(eta.year) in follows
    for text in words:
        assert text in page, text


def test_the_order_page_shows_the_shipping_address_and_shipping_leads_to_the_next_ready_order(warehouse):
    lamp, vase = ProductFactory(sku="LAMP-4"), ProductFactory(sku="VASE-4")
    first, second = ready_orders(2, lamp, vase)
    Order.objects.filter(pk=second.pk).update(placed_at=first.placed_at + datetime.timedelta(minutes=1))

    page = warehouse.get(f"/admin/orders/order/{first.pk}/change/").content.decode()
    assert "Ada Lovelace<br>Hauptstraße 5<br>10115 Berlin<br>DE" in page

    shipped = warehouse.post(f"/admin/orders/order/{first.pk}/ship/", {"tracking_number": "1Z-1"}, follow=True)
    text = shipped.content.decode()
    assert f'href="/admin/orders/order/{second.pk}/change/">Next order ready to ship: {second.number}' in text
    assert f"/admin/orders/shipment/{first.shipments.get().pk}/packing-slip/" in text

    warehouse.post(f"/admin/orders/order/{second.pk}/ship/", {"tracking_number": "1Z-2"}, follow=True)
    last = warehouse.post(f"/admin/orders/order/{second.pk}/ship/", {}, follow=True).content.decode()
    assert "shipped completely" in last


def test_shipping_several_orders_takes_a_tracking_number_for_each(warehouse):
    lamp, vase = ProductFactory(sku="LAMP-5"), ProductFactory(sku="VASE-5")
    orders = sorted(ready_orders(3, lamp, vase), key=lambda order: order.number)
    selection = {"action": "ship_ready_orders", ACTION_CHECKBOX_NAME: [order.pk for order in orders]}

    form = warehouse.post("/admin/orders/order/", selection).content.decode()
    assert form.count('name="form-') >= 6 and form.count("_tracking_number") >= 3 or "tracking_number" in form

    rows = {"form-TOTAL_FORMS": "3", "form-INITIAL_FORMS": "3"}
    for index, order in enumerate(orders):
        rows |= {f"form-{index}-order": order.pk, f"form-{index}-tracking_number": f"TRACK-{index}"}
    warehouse.post("/admin/orders/order/", {**selection, **rows, "apply": "1"})

    assert [order.shipments.get().tracking_number for order in orders] == ["TRACK-0", "TRACK-1", "TRACK-2"]


def test_a_form_row_for_an_order_not_chosen_ships_nothing(warehouse):
    lamp, vase = ProductFactory(sku="LAMP-6"), ProductFactory(sku="VASE-6")
    chosen, other = ready_orders(2, lamp, vase)
    rows = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "form-0-order": chosen.pk,
        "form-1-order": other.pk,
    }
    warehouse.post(
        "/admin/orders/order/", {"action": "ship_ready_orders", ACTION_CHECKBOX_NAME: [chosen.pk], **rows, "apply": "1"}
    )
    assert chosen.shipments.exists() and not other.shipments.exists()


def test_expedite_says_what_either_answer_means(warehouse):
    order = place((ProductFactory(sku="LAMP-7"), 1))
    page = warehouse.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "Filled ahead of older orders." not in page
    assert "Ticked: filled ahead of older orders. Not ticked: filled in turn, oldest first." in page
