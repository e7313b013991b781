"""Customer service and the manager on a 1366×768 laptop, in English and German: the worklist
after a shipment (the shipped order gone at once, each row saying why it is listed), and the
manager drilling from a dashboard figure to the orders behind it. Nothing scrolls sideways,
and a German page says nothing in English."""

import re

import pytest

from notifications.worklist import refresh_worklist
from orders.fulfilment import ship_order
from purchasing import batching, lifecycle
from purchasing.models import PurchaseOrder
from purchasing.receiving import receive_purchase_order
from tests.factories import CustomerFactory, ProductFactory, SupplierItemFactory, place

LAPTOP = {"width": 1366, "height": 768}
BOTH = pytest.mark.parametrize("language", ["en", "de"])
# Words an English page is made of and a German one never shows (names and numbers aside).
ENGLISH = re.compile(
    r"\b(the|and|of|to|for|with|orders?|customers?|waiting|send|late|refresh|units|messages?|"
    r"promised|worklist|figures|backorders?|suppliers?|days|why|risk|last)\b",
    re.IGNORECASE,
)


def no_english(page):
    text = page.locator("#content").inner_text()
    assert ENGLISH.findall(text) == [], (page.url, ENGLISH.findall(text))


def two_orders_waiting_on_a_sent_purchase_order(language):
    """Ada's and Bo's orders wait for a Teekanne on a purchase order sent to its supplier."""
    kettle = SupplierItemFactory(product=ProductFactory(sku="KAN-1", name="Teekanne")).product
    ada = place((kettle, 1), customer=CustomerFactory.build(name="Ada", email="ada@beispiel.de", language=language))
    bo = place((kettle, 1), customer=CustomerFactory.build(name="Bo", email="bo@beispiel.de", language=language))
    batching.batch_backorders()
    po = PurchaseOrder.objects.get()
    lifecycle.send_purchase_order(po.number)
    return kettle, po, ada, bo


@BOTH
def test_customer_service_sees_a_shipped_order_leave_the_worklist_at_once(page, login, live_server, language):
    kettle, po, ada, bo = two_orders_waiting_on_a_sent_purchase_order(language)
    refresh_worklist()  # the summary lists both; it is not refreshed again below
    page.set_viewport_size(LAPTOP)
    login("Customer service")

    page.click("#daily-jobs a[href$='/worklist/']")
    page.wait_for_url("**/worklist/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2 and ada.number in rows.nth(0).inner_text() and bo.number in rows.nth(1).inner_text()
    assert ("waiting" if language == "en" else "wartend") in rows.nth(0).locator("td.worklist-risk").inner_text()
    page.fits_the_screen()
    if language == "de":
        no_english(page)
    page.shot("worklist-before")

    # The warehouse receives one kettle (Ada's, the older order) and ships her order
    receive_purchase_order(po.number, {kettle.sku: 1})
    ship_order(ada.number)

    page.reload()
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1 and bo.number in rows.nth(0).inner_text()
    assert ada.number not in page.locator("#result_list").inner_text()
    page.fits_the_screen()
    if language == "de":
        no_english(page)
    page.shot("worklist-after-shipment")


@BOTH
def test_the_manager_drills_from_a_dashboard_figure_to_its_orders(page, login, live_server, language):
    kettle, po, ada, bo = two_orders_waiting_on_a_sent_purchase_order(language)
    page.set_viewport_size(LAPTOP)
    login("Manager")

    page.click("#daily-jobs a[href$='/dashboard/']")
    figure = page.locator("#open-lines")
    page.fits_the_screen(figure)
    assert figure.locator("strong").inner_text() == "2"
    assert page.locator("#top-skus").get_by_role("link", name="KAN-1").count() == 1
    assert "Teekanne" in page.locator("#top-skus").inner_text()
    if language == "de":
        no_english(page)
        assert "Lieferantenbestellung" in page.locator("#content").inner_text()
    page.shot("dashboard")

    # The figure's list: the two backorder lines it counts
    figure.click()
    page.wait_for_url("**/orders/backorder/**")
    assert page.locator("#result_list tbody tr").count() == 2
    page.fits_the_screen()
    page.shot("backorders-behind-the-figure")

    # And the orders waiting for them
    page.go_back()
    page.click("#waiting-orders")
    page.wait_for_url("**/orders/order/**")
    listed = page.locator("#result_list").inner_text()
    assert ada.number in listed and bo.number in listed
    page.fits_the_screen()
    page.shot("orders-behind-the-figure")


@BOTH
def test_customer_service_reads_a_message_in_staff_words_with_its_preview_full_width(
    page, login, live_server, language
):
    import uuid

    from notifications.models import CustomerMessage
    from notifications.updates import send_update

    kettle, po, ada, bo = two_orders_waiting_on_a_sent_purchase_order(language)
    send_update([ada.pk], template="status", request_key=uuid.uuid4())
    message = CustomerMessage.objects.get(order=ada, kind="personal")
    page.set_viewport_size(LAPTOP)
    login("Customer service")

    page.goto(f"{live_server.url}/admin/notifications/customermessage/{message.pk}/change/")
    preview = page.locator("iframe.email-preview")
    page.fits_the_screen(preview)
    assert preview.bounding_box()["width"] > 900  # it was cut at about 300 px
    text = page.locator("#content").inner_text().lower()
    for jargon in ["dedupe", "esp", "claimed at", "possible duplicate", "möglicherweise doppelt"]:
        assert jargon not in text, jargon
    page.shot("message")
