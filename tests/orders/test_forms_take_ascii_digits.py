"""The people's forms read numbers as the API does (kernel.parsers): the customer's cancel form
with "²" for a line, staff's order form with "SCL-070 ²", the warehouse's receipt of more units
than a database integer holds, and an order list filtered by a status no order can have (a
NUL, which PostgreSQL refuses) each answered with a 500. Now the form says what is wrong (a
400 on the status page), and the list says the filter is invalid."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from orders.models import Order, OrderLine
from orders.status_links import status_token
from purchasing.batching import batch_backorders
from purchasing.lifecycle import send_purchase_order
from purchasing.models import PurchaseOrder, PurchaseOrderLine
from tests.factories import ProductFactory, SupplierItemFactory, UserFactory, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    return place((ProductFactory(name="Cup"), 4))


@pytest.mark.parametrize("units", ["²", "①", "٣", "1.5", "-1"])
def test_the_cancel_form_refuses_a_number_it_cannot_read_and_cancels_nothing(client, order, units):
    line = order.lines.get()

    response = client.post(
        f"/status/{status_token(order)}/cancel/", {f"line-{line.pk}": units, "step": "confirm", "lang": "en"}
    )

    assert response.status_code == 400
    assert "Cup: choose between 0 and 4." in response.content.decode()
    assert OrderLine.objects.get(pk=line.pk).cancelled == 0


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(is_superuser=True))
    return client


@pytest.mark.parametrize("row", ["SCL-070 ²", "SCL-070 ①", "SCL-070 ３", "SCL-070 2 1e3", "SCL-070 2 ١٢"])
def test_the_admin_order_form_says_which_row_it_cannot_read(staff, row):
    ProductFactory(sku="SCL-070")

    response = staff.post(
        reverse("admin:orders_order_add"),
        {
            "number": "P-1",
            "email": "p@example.org",
            "name": "P",
            "language": "de",
            "fulfilment_policy": "ship_partial",
            "lines": row,
        },
    )

    assert response.status_code == 200
    assert "Row 1:" in " ".join(response.context["form"].errors["lines"])
    assert not Order.objects.exists()


@pytest.mark.parametrize("query", ["status__exact=%00", "status__exact=lost", "fulfilment_policy__exact=%00"])
def test_an_order_list_filtered_by_a_value_that_is_no_choice_says_the_filter_is_invalid(staff, order, query):
    url = reverse("admin:orders_order_changelist")

    response = staff.get(f"{url}?{query}")

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")  # Django's answer to a filter it cannot apply


def test_an_order_list_filtered_by_a_choice_lists_those_orders(staff, order):
    response = staff.get(reverse("admin:orders_order_changelist"), {"status__exact": order.status})

    assert list(response.context["cl"].result_list) == [order]


@pytest.mark.parametrize(
    "units, says", [("99999999999999999999", "less than or equal to 1000000"), ("٣", "Enter a whole number.")]
)
def test_the_warehouses_receipt_form_refuses_a_number_it_cannot_book(staff, units, says):
    item = SupplierItemFactory(pack_size=5)
    place((item.product, 3))
    batch_backorders()
    purchase_order = PurchaseOrder.objects.get()
    send_purchase_order(purchase_order.number)
    line = purchase_order.lines.get()

    response = staff.post(
        reverse("admin:purchasing_purchaseorder_changelist"),
        {
            "action": "receive",
            ACTION_CHECKBOX_NAME: [purchase_order.pk],
            "apply": "1",
            "allow_over": "on",
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-line": line.pk,
            "form-0-quantity": units,
        },
    )

    assert response.status_code == 200 and says in response.content.decode()  # the first was a 500 on PostgreSQL
    assert PurchaseOrderLine.objects.get(pk=line.pk).received == 0
