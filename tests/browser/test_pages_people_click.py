"""The pages people click, clicked in Chromium: a customer acting on a delay email, the
warehouse receiving and shipping, customer service writing from the worklist, and a role
refused what is not its job."""

import datetime
import re

import pytest

from notifications.models import CustomerMessage, MessagePolicy
from orders.models import Backorder, Order
from purchasing import batching, lifecycle
from purchasing.models import PurchaseOrder
from tests.factories import (
    CustomerFactory,
    ProductFactory,
    SupplierItemFactory,
    place,
    receive,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def delayed_order(settings, live_server):
    """Ann ordered a teapot (in stock) and four cups (waiting on a purchase order), all to
    ship together; the supplier then slipped ten days and she got a delay email."""
    settings.SITE_URL = live_server.url
    policy = MessagePolicy.current()
    policy.quiet_window_minutes = 0
    policy.save()
    teapot = ProductFactory(name="Teapot", price="30.00")
    receive(teapot, 1)
    cups = SupplierItemFactory(product=ProductFactory(name="Cup", price="8.50"))
    order = place(
        (teapot, 1),
        (cups.product, 4),
        policy="ship_complete",
        customer=CustomerFactory.build(name="Ann", language="en", email="ann@example.org"),
    )
    batching.batch_backorders()
    po = PurchaseOrder.objects.get(supplier=cups.supplier)
    PurchaseOrder.objects.filter(pk=po.pk).update(status="sent")
    line = po.lines.get()
    lifecycle.confirm_purchase_order(po.number, {cups.product.sku: line.expected_date + datetime.timedelta(days=10)})
    return order


def test_a_customer_acts_on_the_delay_email(page, delayed_order):
    [delay] = CustomerMessage.objects.filter(order=delayed_order, kind__in=["delay_notice", "apology"])
    link = re.search(r"http://\S+/status/\S+/", delay.content().text).group(0)

    page.goto(link)
    page.shot("status-page")
    lines = page.locator("#lines")
    assert "1 ready, sent together with the rest" in lines.inner_text()
    assert "4 waiting: expected on" in lines.inner_text()

    page.get_by_label("Ship what is available now, the rest when it arrives").check()
    page.get_by_role("button", name="Save my choice").click()
    page.get_by_text("Done: we ship as you chose.").wait_for()
    assert "1 ready to ship" in page.locator("#lines").inner_text()
    page.shot("policy-switched")

    page.get_by_role("link", name="Cancel items not yet shipped").click()
    page.get_by_label("Cup").fill("1")
    page.shot("cancel-choose")
    page.get_by_role("button", name="Continue").click()
    assert page.locator("#refund").inner_text() == "You will not be charged €8.50 for them."
    page.shot("cancel-confirm")
    page.get_by_role("button", name="Yes, cancel these items").click()
    page.get_by_text("Done: the items are cancelled").wait_for()
    page.shot("after-cancel")

    lines = page.locator("#lines").inner_text()
    assert "3 waiting: expected on" in lines and "1 cancelled" in lines
    assert "items cancelled, €8.50 not charged (by you)" in page.locator("#history").inner_text()
    order = Order.objects.get(pk=delayed_order.pk)
    assert (order.fulfilment_policy, order.status) == ("ship_partial", "ready_to_ship")
    kinds = list(CustomerMessage.objects.filter(order=order).order_by("id").values_list("kind", flat=True))
    assert kinds[-1] == "cancellation" and kinds.count("cancellation") == 1
    assert "€8.50" in CustomerMessage.objects.get(order=order, kind="cancellation").content().text


def test_a_tampered_link_gets_the_friendly_404_page(page, delayed_order):
    [delay] = CustomerMessage.objects.filter(order=delayed_order, kind__in=["delay_notice", "apology"])
    link = re.search(r"http://\S+/status/\S+/", delay.content().text).group(0)
    tampered = link[:-3] + ("x" if link[-3] != "x" else "y") + link[-2:]

    response = page.goto(tampered)

    assert response.status == 404
    assert page.get_by_role("heading").inner_text() == "This link does not work (any more)"
    page.shot("tampered-link")


def test_the_warehouse_receives_a_purchase_order_and_ships_what_it_made_ready(page, login, live_server):
    item = SupplierItemFactory(product=ProductFactory(sku="KETTLE-1", name="Kettle"))
    first = place((item.product, 1), customer=CustomerFactory.build(email="one@example.org"))
    second = place((item.product, 2), customer=CustomerFactory.build(email="two@example.org"))
    batching.batch_backorders()
    po = PurchaseOrder.objects.get(supplier=item.supplier)
    PurchaseOrder.objects.filter(pk=po.pk).update(status="sent")
    login("Warehouse")

    page.shot("index")
    page.get_by_role("link", name="Receive goods against a purchase order").click()
    page.shot("receivable-purchase-orders")
    page.get_by_role("row", name=re.compile(po.number)).get_by_role("link", name="Receive").click()
    page.shot("receive-page")
    page.locator("input[name='form-0-quantity']").fill("3")
    page.locator("input[type=submit].default").click()
    page.get_by_text(f"Received against {po.number}").wait_for()

    page.goto(f"{live_server.url}/admin/")
    page.get_by_role("link", name="Orders ready to ship").click()
    page.shot("ready-to-ship")
    page.locator("#action-toggle").check()
    page.select_option("select[name=action]", "ship_ready_orders")
    page.get_by_role("button", name="Go").click()
    page.shot("ship-confirm")
    page.locator("input[type=submit].default").click()
    page.get_by_text("Shipped 2 orders").wait_for()
    page.shot("shipped")

    assert set(Order.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)) == {"shipped"}
    assert CustomerMessage.objects.filter(kind="shipped").count() == 2


def test_customer_service_sends_an_update_from_the_worklist(page, login, live_server):
    tray = SupplierItemFactory(product=ProductFactory(name="Tray")).product
    late = place((tray, 1), customer=CustomerFactory.build(name="Ben", language="de"))
    Backorder.objects.filter(order=late).update(eta=datetime.date.today() + datetime.timedelta(days=60))
    login("Customer service")

    page.get_by_role("link", name="Worklist: orders at risk").click()
    page.select_option("select[name=eta_slipped]", "true")
    page.get_by_role("button", name="Filter").click()
    page.shot("worklist")
    page.get_by_label(late.number).check()
    page.get_by_role("button", name="Send an update to the selected customers").click()
    page.select_option("select[name=template]", "supplier_delay")
    page.get_by_role("button", name="Preview").click()
    page.shot("update-preview")
    page.frame_locator("iframe").get_by_text("Unser Lieferant hat uns eine Verzögerung gemeldet").wait_for()
    page.get_by_role("button", name="Send", exact=True).click()  # one customer: not "Send to all"
    page.get_by_text("1 message queued.").wait_for()
    page.shot("update-queued")

    [update] = CustomerMessage.objects.filter(order=late, kind="personal")
    assert update.language == "de" and update.content().subject == f"Zu Ihrer Bestellung {late.number}"


def test_the_warehouse_is_refused_the_dashboard_and_purchasing_pages(page, login, live_server):
    login("Warehouse")

    for path in ["/admin/dashboard/", "/admin/purchasing/purchaseorder/drafts/", "/admin/purchasing/supplier/"]:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 403, path
        page.shot("refused-" + path.strip("/").replace("/", "-"))
