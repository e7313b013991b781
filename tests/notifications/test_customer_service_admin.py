"""Customer service in admin: each order's message timeline, the exact email sent, "send
update" with preview and confirmation from orders, backorders, purchase orders and the
worklist, the worklist's filters and CSV, and who may do what."""

import datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from notifications.models import CustomerMessage
from orders.models import Backorder, Customer
from tests.factories import (
    CustomerFactory,
    ProductFactory,
    SupplierItemFactory,
    UserFactory,
    place,
)

from .conftest import mark_sent, waiting_on_a_purchase_order

pytestmark = pytest.mark.django_db

SEND = "/admin/notifications/customermessage/send-update/"
WORKLIST = "/admin/notifications/customermessage/worklist/"


@pytest.fixture
def staff(client):
    def login(*roles):
        client.force_login(UserFactory(roles=list(roles), first_name="Sam", last_name="Service"))
        return client

    return login


@pytest.fixture
def two_orders(clock, settings):
    settings.BACKORDER_DEFAULT_LEAD_TIME_DAYS = 10
    teapot = SupplierItemFactory(product=ProductFactory(name="Teapot")).product  # a supplier delivers it
    ann = place((teapot, 1), customer=CustomerFactory.build(name="Ann", language="en"))
    jo = place((teapot, 2), customer=CustomerFactory.build(name="Jo", language="de"))
    mark_sent(*CustomerMessage.objects.all())
    return ann, jo


def test_an_order_page_shows_its_message_timeline_and_a_message_page_what_was_sent(staff, two_orders):
    client = staff("Customer service")
    ann, _ = two_orders
    message = CustomerMessage.objects.get(order=ann)

    order_page = client.get(reverse("admin:orders_order_change", args=[ann.pk])).content.decode()
    message_page = client.get(reverse("admin:notifications_customermessage_change", args=[message.pk])).content.decode()

    assert message.content().subject in order_page and "Send a personal message" in order_page
    assert "srcdoc=" in message_page and "Hello Ann," in message_page


def test_send_update_from_the_order_list_previews_then_sends_once_per_customer(staff, two_orders):
    client = staff("Customer service")
    ann, jo = two_orders

    form = client.post(
        reverse("admin:orders_order_changelist"), {"action": "send_update", ACTION_CHECKBOX_NAME: [ann.pk, jo.pk]}
    )
    assert form.status_code == 200 and "To the customers of 2 orders." in form.content.decode()
    fields = {
        "orders": form.context["form"]["orders"].value(),
        "request_key": form.context["form"]["request_key"].value(),
        "template": "supplier_delay",
        "title": "",
        "text": "",
    }

    preview = client.post(SEND, {**fields, "preview": "1"})
    assert (
        preview.context["preview"] is not None
        and "Our supplier has told us of a delay" in preview.context["preview"].text
    )
    assert 'srcdoc="&lt;!DOCTYPE html&gt;' in preview.content.decode()  # the email, escaped into its frame
    assert CustomerMessage.objects.filter(kind="personal").count() == 0  # nothing before confirming

    sent = client.post(SEND, {**fields, "send": "1"})
    again = client.post(SEND, {**fields, "send": "1"})  # a double click

    assert sent.status_code == again.status_code == 302
    personal = CustomerMessage.objects.filter(kind="personal")
    assert sorted(personal.values_list("order__number", flat=True)) == sorted([ann.number, jo.number])
    german = personal.get(order=jo)
    assert (
        german.content().subject == f"Zu Ihrer Bestellung {jo.number}"
        and "Unser Lieferant hat uns eine Verzögerung gemeldet" in german.content().text
    )
    assert german.created_by.first_name == "Sam" and "Sam Service" in german.content().text


def test_a_personal_message_on_one_order_is_sent_as_written(staff, two_orders):
    client = staff("Customer service")
    ann, _ = two_orders
    page = client.get(SEND, {"order": ann.pk})
    fields = {
        "orders": str(ann.pk),
        "request_key": page.context["form"]["request_key"].value(),
        "template": "",
        "title": "Your teapot",
        "text": "Dear Ann, we found one more teapot for you.",
    }

    client.post(SEND, {**fields, "send": "1"})

    [message] = CustomerMessage.objects.filter(kind="personal")
    assert message.content().subject == "Your teapot" and "we found one more teapot" in message.content().text


def test_an_update_without_any_text_is_refused_and_queues_nothing(staff, two_orders):
    client = staff("Customer service")
    ann, _ = two_orders
    page = client.get(SEND, {"order": ann.pk})

    response = client.post(
        SEND,
        {
            "orders": str(ann.pk),
            "request_key": page.context["form"]["request_key"].value(),
            "template": "",
            "title": "",
            "text": "  ",
            "send": "1",
        },
    )

    assert response.status_code == 200 and "Write a text or choose a ready text." in response.content.decode()
    assert not CustomerMessage.objects.filter(kind="personal").exists()


def test_send_update_reaches_every_customer_waiting_on_a_purchase_order(staff, clock):
    client = staff("Customer service")
    item, orders, po = waiting_on_a_purchase_order(None, None, None)

    form = client.post(
        reverse("admin:purchasing_purchaseorder_changelist"), {"action": "send_update", ACTION_CHECKBOX_NAME: [po.pk]}
    )

    assert sorted(form.context["form"]["orders"].value().split(",")) == sorted(str(order.pk) for order in orders)


def test_the_worklist_filters_orders_at_risk_and_exports_them(staff, clock):
    client = staff("Customer service")
    item, [slipped, on_time], po = waiting_on_a_purchase_order(None, None)
    Backorder.objects.filter(order=slipped).update(eta=datetime.date(2026, 4, 30))
    Customer.objects.filter(pk=on_time.customer_id).update(call_reason="Email bounced")

    all_rows = client.get(WORKLIST)
    slipping = client.get(WORKLIST, {"eta_slipped": "true"})
    to_call = client.get(WORKLIST, {"bounced": "true"})
    exported = client.get(WORKLIST, {"eta_slipped": "true", "format": "csv"})

    assert {row["number"] for _, row in all_rows.context["rows"]} == {slipped.number, on_time.number}
    assert [row["number"] for _, row in slipping.context["rows"]] == [slipped.number]
    assert [row["number"] for _, row in to_call.context["rows"]] == [on_time.number]
    lines = exported.content.decode().splitlines()
    assert exported["Content-Type"].startswith("text/csv") and len(lines) == 2 and lines[1].startswith(slipped.number)
    assert "Send an update to the selected customers" in all_rows.content.decode()


@pytest.mark.parametrize("days", ["many", "٣", "1e3", "²"])  # "٣" and "1e3" were taken as 3 and 1,000 days
def test_the_worklist_refuses_a_bad_filter_value_with_a_message(staff, clock, days):
    client = staff("Customer service")

    response = client.get(WORKLIST, {"waiting_days": days})

    assert response.status_code == 200 and "Enter a whole number." in response.content.decode()


def test_the_warehouse_may_read_messages_but_not_write_to_customers(staff, two_orders):
    client = staff("Warehouse")
    ann, _ = two_orders

    assert client.get(reverse("admin:notifications_customermessage_changelist")).status_code == 200
    assert client.get(SEND, {"order": ann.pk}).status_code == 403
    actions = client.get(reverse("admin:orders_order_changelist")).context["action_form"].fields["action"].choices
    assert "send_update" not in [name for name, _ in actions]


def test_only_the_manager_changes_the_message_policy(staff, db):
    url = reverse("admin:notifications_messagepolicy_change", args=[1])
    assert staff("Customer service").post(url, {"quiet_window_minutes": 5}).status_code == 403
    manager = staff("Manager")
    page = manager.get(reverse("admin:notifications_messagepolicy_changelist"), follow=True)
    assert page.status_code == 200 and "quiet window" in page.content.decode().lower()


def test_the_worklists_yes_no_filters_offer_any_not_unknown(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(roles=["Customer service"]))

    page = client.get("/admin/notifications/customermessage/worklist/").content.decode()

    assert '<option value="" selected>any</option>' in page and "Unknown" not in page
    assert client.get("/admin/notifications/customermessage/worklist/", {"po_late": "true"}).status_code == 200


def test_the_preview_lists_every_customer_the_update_goes_to(staff, two_orders):
    client = staff("Customer service")
    ann, jo = two_orders
    form = client.post(SEND, {"order": [ann.pk, jo.pk]})
    fields = {
        "orders": form.context["form"]["orders"].value(),
        "request_key": form.context["form"]["request_key"].value(),
        "template": "status",
        "title": "",
        "text": "",
    }

    preview = client.post(SEND, {**fields, "preview": "1"}).content.decode()

    assert "It goes to these 2 customers" in preview
    for order in (ann, jo):
        assert f"<td>{order.number}</td><td>{order.customer.name}</td><td>{order.customer.email}</td>" in preview


def test_the_supplier_delay_text_is_not_offered_for_items_no_supplier_delivers(staff, two_orders):
    client = staff("Customer service")
    ann, _ = two_orders
    homemade = place((ProductFactory(name="Homemade jam"), 1), customer=CustomerFactory.build(name="Lu", language="en"))

    only_homemade = client.post(SEND, {"order": [homemade.pk]})
    both = client.post(SEND, {"order": [ann.pk, homemade.pk]})
    fields = {
        "orders": both.context["form"]["orders"].value(),
        "request_key": both.context["form"]["request_key"].value(),
        "template": "supplier_delay",
        "title": "",
        "text": "",
    }
    refused = client.post(SEND, {**fields, "send": "1"})

    assert "supplier_delay" not in dict(only_homemade.context["form"].fields["template"].choices)
    assert "supplier_delay" in dict(both.context["form"].fields["template"].choices)
    assert f"The supplier-delay text is not true for {homemade.number}" in refused.content.decode()
    assert CustomerMessage.objects.filter(kind="personal").count() == 0


def test_an_update_is_signed_with_the_writers_name_never_the_login(staff, two_orders):
    ann, _ = two_orders
    client = staff("Customer service")  # Sam Service
    form = client.post(SEND, {"order": [ann.pk]})
    fields = {
        "orders": form.context["form"]["orders"].value(),
        "request_key": form.context["form"]["request_key"].value(),
        "template": "status",
        "title": "",
        "text": "",
    }
    client.post(SEND, {**fields, "send": "1"})
    client.force_login(UserFactory(roles=["Customer service"], username="service"))  # no name given
    form = client.post(SEND, {"order": [ann.pk]})
    client.post(SEND, {**fields, "request_key": form.context["form"]["request_key"].value(), "send": "1"})

    named, nameless = CustomerMessage.objects.filter(kind="personal").order_by("pk")
    assert "Sam Service" in named.content().text
    assert "service\n" not in nameless.content().text and "Kind regards\nTeehaus am Markt" in nameless.content().text
