"""Each role's daily jobs are two clicks from the admin index and usable by that role only:
receiving a purchase order, the ready-to-ship list, reviewing drafts, the worklist."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from purchasing import batching
from purchasing.models import PurchaseOrder
from tests.factories import SupplierItemFactory, UserFactory, place, receive

pytestmark = pytest.mark.django_db

JOBS = {
    "Warehouse": ["Receive goods against a purchase order", "Orders ready to ship"],
    "Purchasing": [
        "Review draft purchase orders",
        "Waiting for the supplier",
        "Supplier answers to review",
        "Reorder review",
    ],
    "Customer service": ["Worklist: orders at risk"],
    "Manager": [
        "Receive goods against a purchase order",
        "Orders ready to ship",
        "Review draft purchase orders",
        "Waiting for the supplier",
        "Supplier answers to review",
        "Reorder review",
        "Worklist: orders at risk",
        "Dashboard",
    ],
}
ALL_JOBS = {job for jobs in JOBS.values() for job in jobs}


@pytest.mark.parametrize("role", JOBS)
def test_the_index_links_each_role_to_its_jobs_and_no_others(client, role):
    client.force_login(UserFactory(roles=[role]))

    html = client.get(reverse("admin:index")).content.decode()

    for job in ALL_JOBS:
        assert (job in html) == (job in JOBS[role]), job


@pytest.fixture
def sent_po(db):
    item = SupplierItemFactory()
    order = place((item.product, 2))
    batching.batch_backorders()
    po = PurchaseOrder.objects.get(supplier=item.supplier)
    PurchaseOrder.objects.filter(pk=po.pk).update(status="sent")
    return item, order, po


def test_the_warehouse_receives_one_purchase_order_from_its_own_page(client, sent_po):
    item, order, po = sent_po
    client.force_login(UserFactory(roles=["Warehouse"]))
    listing = client.get(
        reverse("admin:purchasing_purchaseorder_changelist") + "?status__in=sent,confirmed,partially_received"
    )
    receive_url = reverse("admin:purchasing_purchaseorder_receive", args=[po.pk])
    assert receive_url in listing.content.decode()

    page = client.get(receive_url)
    formset = page.context["formset"]
    data = {
        "apply": "1",
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-line": formset.forms[0].initial["line"].pk,
        "form-0-quantity": "2",
    }
    done = client.post(receive_url, data)

    assert done.status_code == 302
    po.refresh_from_db()
    order.refresh_from_db()
    assert (po.status, order.status) == ("received", "ready_to_ship")


def test_the_receive_form_names_each_product_and_back_leads_to_the_goods_in_list(client, sent_po):
    item, _, po = sent_po
    client.force_login(UserFactory(roles=["Warehouse"]))

    page = client.get(reverse("admin:purchasing_purchaseorder_receive", args=[po.pk])).content.decode()

    assert f"{po.number}: 2 × {item.product.sku} {item.product.name} (0 received, 2 to come)" in page
    assert "disabled" not in page.split('id="content-main"')[-1].split("form-0-quantity")[0]  # words, not a greyed box
    assert (
        'href="/admin/purchasing/purchaseorder/?status__in=sent,confirmed,partially_received&amp;dropship=no" class="button cancel-link"'
        in page
    )


def test_after_goods_in_the_warehouse_is_offered_to_ship_the_orders_they_made_ready(client, sent_po):
    # Given two customers waiting for the goods on a sent purchase order
    item, first, po = sent_po
    second = place((item.product, 1))
    PurchaseOrder.objects.filter(pk=po.pk).update(status="sent")
    client.force_login(UserFactory(roles=["Warehouse"]))
    receive_list = (
        reverse("admin:purchasing_purchaseorder_changelist") + "?status__in=sent,confirmed,partially_received"
    )

    # When the warehouse receives the purchase order from the goods-in list, enough for both
    form = client.post(receive_list, {"action": "receive", ACTION_CHECKBOX_NAME: [po.pk]})
    line = form.context["formset"].forms[0].initial["line"]
    done = client.post(
        receive_list,
        {
            "action": "receive",
            ACTION_CHECKBOX_NAME: [po.pk],
            "apply": "1",
            "allow_over": "on",
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-line": line.pk,
            "form-0-quantity": "3",
        },
        follow=True,
    )

    # Then it lands back on the goods-in list, told which orders are ready, with a button for them
    assert done.redirect_chain[-1][0] == receive_list
    html = done.content.decode()
    numbers = ", ".join(sorted([first.number, second.number]))
    assert f"2 orders are ready to ship now: {numbers}." in html
    assert "Ship these 2 orders" in html and 'value="ship_ready_orders"' in html
    # and the button opens the ship confirmation for exactly those orders
    ship = client.post(
        reverse("admin:orders_order_changelist") + "?status__exact=ready_to_ship",
        {"action": "ship_ready_orders", ACTION_CHECKBOX_NAME: [first.pk, second.pk]},
    )
    assert ship.context["title"] == "Ship these orders?"
    assert f"{first.number}: 2 × {item.product.sku}" in ship.content.decode()


def test_batch_runs_say_in_words_who_started_them_and_what_they_did(client):
    item = SupplierItemFactory()
    place((item.product, 3))
    batching.batch_backorders(trigger="command")
    client.force_login(UserFactory(roles=["Purchasing"]))

    english = client.get(reverse("admin:purchasing_batchrun_changelist")).content.decode()
    german = client.get(reverse("admin:purchasing_batchrun_changelist"), HTTP_ACCEPT_LANGUAGE="de").content.decode()

    number = PurchaseOrder.objects.get().number
    assert f"1 purchase order created ({number}); 0 topped up; 3 units put on order." in english
    assert "command line" in english and "{" not in english.split('id="result_list"')[1].split("</table>")[0]
    assert "Befehlszeile" in german and f"1 Bestellung angelegt ({number})" in german


def test_a_late_line_says_late_in_words_not_with_a_green_tick(client, sent_po):
    _, _, po = sent_po
    po.lines.update(late=True)
    client.force_login(UserFactory(roles=["Purchasing"]))

    page = client.get(reverse("admin:purchasing_purchaseorder_change", args=[po.pk])).content.decode()

    assert '<strong class="late">late</strong>' in page and "icon-yes.svg" not in page.split("purchase order lines")[-1]


def test_each_daily_job_says_how_many_items_wait(client):
    # Given one order ready to ship, one purchase order sent and receivable, one draft
    ready, sent, drafted = SupplierItemFactory(), SupplierItemFactory(), SupplierItemFactory()
    receive(ready.product, 1)
    place((ready.product, 1))
    place((sent.product, 2))
    batching.batch_backorders()
    PurchaseOrder.objects.filter(supplier=sent.supplier).update(status="sent")
    place((drafted.product, 1))
    batching.batch_backorders()
    client.force_login(UserFactory(roles=["Manager"]))

    html = client.get(reverse("admin:index")).content.decode()

    assert "Orders ready to ship</a> (1)" in html
    assert "Receive goods against a purchase order</a> (1)" in html
    assert "Review draft purchase orders</a> (1)" in html


def test_purchasing_runs_the_batch_from_the_draft_review(client):
    item = SupplierItemFactory()
    place((item.product, 3))
    client.force_login(UserFactory(roles=["Purchasing"]))

    ran = client.post(reverse("admin:purchasing_purchaseorder_drafts"), {"run_batch": "1"}, follow=True)

    [draft] = ran.context["drafts"]
    assert draft.supplier == item.supplier and draft.lines.get().quantity == 3
    assert (
        f"Batch run: 1 purchase order created ({draft.number}); 0 topped up; 3 units put on order."
        in ran.content.decode()
    )
    warehouse = UserFactory(roles=["Warehouse"])
    client.force_login(warehouse)
    assert client.post(reverse("admin:purchasing_purchaseorder_drafts"), {"run_batch": "1"}).status_code == 403


def test_purchasing_reviews_drafts_with_value_and_customers(client, db):
    item = SupplierItemFactory()
    place((item.product, 3))
    batching.batch_backorders()
    client.force_login(UserFactory(roles=["Purchasing"]))

    page = client.get(reverse("admin:purchasing_purchaseorder_drafts"))

    [draft] = page.context["drafts"]
    [line] = draft.lines.all()
    assert (line.quantity, line.pegged_units, line.for_stock) == (3, 3, 0)
    assert "Send to supplier" in page.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "admin:purchasing_purchaseorder_drafts",
        "admin:purchasing_supplier_changelist",
        "admin:purchasing_supplieritem_changelist",
        "dashboard",
    ],
)
def test_the_warehouse_is_refused_purchasing_pages_and_the_dashboard(client, db, url):
    client.force_login(UserFactory(roles=["Warehouse"]))

    assert client.get(reverse(url)).status_code == 403


def test_customer_service_cannot_receive_goods(client, sent_po):
    item, order, po = sent_po
    client.force_login(UserFactory(roles=["Customer service"]))

    assert client.get(reverse("admin:purchasing_purchaseorder_receive", args=[po.pk])).status_code == 403
