"""Each role's day in Chromium on a 1366×768 laptop screen, in English and in German: every
page fits without scrolling sideways and each primary button lies inside the viewport.
Screenshots of each page go to the artefacts folder, one set per language."""

import pytest

from notifications.models import CustomerMessage
from orders.models import Backorder, Order
from orders.status_links import status_token
from purchasing import batching, lifecycle
from purchasing.models import PurchaseOrder
from tests.factories import CustomerFactory, ProductFactory, SupplierItemFactory, place

LAPTOP = {"width": 1366, "height": 768}
BOTH = pytest.mark.parametrize("language", ["en", "de"])


def waiting_on_a_sent_purchase_order(language):
    lamp = SupplierItemFactory(product=ProductFactory(sku="LAMP-8", name="Desk lamp")).product
    first = place((lamp, 2), customer=CustomerFactory.build(name="Ada", language=language))
    second = place((lamp, 1), customer=CustomerFactory.build(name="Bo", language=language))
    batching.batch_backorders()
    po = PurchaseOrder.objects.get()
    lifecycle.send_purchase_order(po.number)
    return po, first, second


@BOTH
def test_the_warehouse_receives_goods_is_offered_the_orders_they_made_ready_and_ships_one_with_tracking(
    page, login, live_server, language
):
    po, first, second = waiting_on_a_sent_purchase_order(language)
    page.set_viewport_size(LAPTOP)
    login("Warehouse")
    page.shot("index")

    # Goods in: from the daily job to the purchase order's receive form, each line named
    page.click("#daily-jobs a[href*='status__in=']")
    receive = page.locator(f"a.button[href$='/{po.pk}/receive/']")
    page.fits_the_screen(receive)
    page.shot("goods-in-list")
    receive.click()
    page.get_by_text("LAMP-8 Desk lamp").wait_for()
    page.fill("input[name='form-0-quantity']", "3")  # what arrived, typed: nothing is pre-filled
    book = page.locator("input[type=submit].default")
    page.fits_the_screen(book)
    page.shot("receive-form")
    book.click()

    # Back on the goods-in list, the next step: ship the two orders the goods made ready
    ship_these = page.locator("form.next-step button")
    ship_these.wait_for()
    assert "status__in=" in page.url
    assert (
        first.number in page.locator("ul.messagelist").inner_text()
        and second.number in page.locator("ul.messagelist").inner_text()
    )
    page.fits_the_screen(ship_these)
    page.shot("received-ship-these")

    # One order shipped from its own page, with the carrier's tracking number
    page.goto(f"{live_server.url}/admin/orders/order/{first.pk}/change/")
    ship = page.locator("#ship-order input[type=submit]")
    page.fits_the_screen(ship)
    page.shot("order-page")
    page.fill("#id_tracking_number", "1Z999AA10123456784")
    ship.click()
    page.locator("ul.messagelist").wait_for()
    page.shot("order-shipped")
    assert Order.objects.get(pk=first.pk).status == "shipped"

    # The customer sees the tracking number on the status page and in the shipped email
    page.goto(f"{live_server.url}/status/{status_token(first)}/")
    page.get_by_text("1Z999AA10123456784").wait_for()
    page.shot("status-page")
    shipped = CustomerMessage.objects.get(order=first, kind="shipped").content()
    assert "1Z999AA10123456784" in shipped.text and "1Z999AA10123456784" in shipped.html

    # The other order is waiting on the ready-to-ship list, which fits the screen too
    page.goto(f"{live_server.url}/admin/orders/order/?status__exact=ready_to_ship")
    page.get_by_text(second.number).wait_for()
    page.fits_the_screen()
    page.shot("ready-to-ship")


@BOTH
def test_purchasing_runs_the_batch_from_admin_and_reviews_the_draft_it_made(page, login, live_server, language):
    tray = SupplierItemFactory(product=ProductFactory(sku="TRAY-2", name="Oak tray")).product
    place((tray, 3))
    page.set_viewport_size(LAPTOP)
    login("Purchasing")

    page.click("#daily-jobs a[href$='/drafts/']")
    run = page.locator("input[name=run_batch]")
    page.fits_the_screen(run)
    page.shot("no-drafts-yet")
    run.click()

    page.locator("ul.messagelist").wait_for()  # the batch has run (the click returns before the page)
    draft = PurchaseOrder.objects.get(status="draft")
    page.get_by_text(draft.number).first.wait_for()
    assert "TRAY-2" in page.content() and "Oak tray" in page.content()
    send = page.locator("button[value=send]")
    page.fits_the_screen(send)
    page.shot("draft-to-review")

    # Sending it asks first, then comes back to the review
    send.click()
    confirm = page.locator("input[type=submit].default")
    page.fits_the_screen(confirm)
    page.shot("send-confirmation")
    confirm.click()
    page.locator("ul.messagelist").wait_for()
    assert page.url.endswith("/drafts/")
    assert PurchaseOrder.objects.get(pk=draft.pk).status == "sent"
    page.shot("draft-sent")

    for name, path in [
        ("batch-runs", "purchasing/batchrun/"),
        ("backorders", "orders/backorder/"),
        ("suppliers", "purchasing/supplier/"),
        ("purchase-orders", "purchasing/purchaseorder/"),
    ]:
        page.goto(f"{live_server.url}/admin/{path}")
        page.fits_the_screen()
        page.shot(name)


@BOTH
def test_customer_service_previews_an_update_to_every_recipient_and_sends_it(page, login, live_server, language):
    import datetime

    cups = SupplierItemFactory(product=ProductFactory(sku="CUP-3", name="Blue mug")).product
    orders = [
        place((cups, 1), customer=CustomerFactory.build(name=name, language=lang))
        for name, lang in [("Ada", "en"), ("Ben", "de")]
    ]
    Backorder.objects.filter(order__in=orders).update(eta=datetime.date.today() + datetime.timedelta(days=60))
    page.set_viewport_size(LAPTOP)
    login("Customer service")

    page.click("#daily-jobs a[href$='/worklist/']")
    page.wait_for_url("**/worklist/")
    page.fits_the_screen()
    page.shot("worklist")
    for order in orders:
        page.get_by_label(order.number).check()
    page.locator(".submit-row input[type=submit].default").click()
    page.select_option("select[name=template]", "status")
    preview = page.locator("input[name=preview]")
    page.fits_the_screen(preview)
    preview.click()

    recipients = page.locator("#recipients").inner_text()
    assert all(order.number in recipients and order.customer.email in recipients for order in orders)
    send = page.locator("input[name=send]")
    page.fits_the_screen(send)
    page.shot("preview-with-every-recipient")
    send.click()
    page.locator("ul.messagelist").wait_for()
    page.fits_the_screen()  # the list of customer messages it lands on
    page.shot("queued")
    assert CustomerMessage.objects.filter(kind="personal").count() == 2
