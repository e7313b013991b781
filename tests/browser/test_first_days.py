"""A buyer's first day in a fresh demo and the warehouse shipping what the goods made ready,
in Chromium at 1366×768, in English and German: nothing scrolls sideways, the German pages
carry none of these pages' English words, and the pick list and packing slip print on A4 and
Letter (print media: screenshots and PDFs under the test's tmp path, nothing wider than the
paper's printable width)."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db.models import Sum

from kernel import clock
from orders.models import Order
from purchasing import batching, lifecycle
from purchasing.models import PurchaseOrder, PurchaseOrderLine
from tests.factories import CustomerFactory, ProductFactory, SupplierItemFactory, place, receive

LAPTOP = {"width": 1366, "height": 768}
BOTH = pytest.mark.parametrize("language", ["en", "de"])
# The printable width at 96 px per inch: the paper less @page's 12 mm margins either side.
PAPERS = {"A4": round((210 - 24) / 25.4 * 96), "Letter": round((215.9 - 24) / 25.4 * 96)}


def no_english(page, *words):
    text = page.locator("body").inner_text()
    found = [word for word in words if word in text]
    assert found == [], (page.url, found)


def prints_on_paper(page, tmp_path, name):
    """The page as printed on A4 and on Letter: nothing wider than the printable width, a
    screenshot and a PDF of each under tmp_path."""
    page.emulate_media(media="print")
    for paper, width in PAPERS.items():
        page.set_viewport_size({"width": width, "height": 1000})
        widest = page.evaluate(
            "Math.max(document.documentElement.scrollWidth,"
            " ...Array.from(document.querySelectorAll('body *')).map(e => e.getBoundingClientRect().right))"
        )
        assert widest <= width, (name, paper, widest, width)
        assert page.locator(".screen-only").is_hidden()  # the Print and Back buttons stay off paper
        page.screenshot(path=str(tmp_path / f"{name}-{paper}.png"), full_page=True)
        page.pdf(path=str(tmp_path / f"{name}-{paper}.pdf"), format=paper)
        assert (tmp_path / f"{name}-{paper}.pdf").read_bytes().startswith(b"%PDF")
    page.emulate_media(media="screen")
    page.set_viewport_size(LAPTOP)


def stock_on_drafts():
    """Units for stock on the drafts, per SKU."""
    rows = PurchaseOrderLine.objects.filter(purchase_order__status="draft", stock_units__gt=0)
    return dict(rows.values("product__sku").annotate(units=Sum("stock_units")).values_list("product__sku", "units"))


@BOTH
def test_a_buyers_first_day_in_a_fresh_demo(page, login, live_server, language, tmp_path):
    call_command("seed_demo", stdout=io.StringIO())
    page.set_viewport_size(LAPTOP)
    login("Purchasing")

    # The review from the index: full on the first day, nothing ticked for the buyer
    page.click("a[href$='/purchaseorder/reorder/']")
    add = page.locator(".submit-row input[type=submit]")
    page.fits_the_screen(add)
    page.shot("reorder-review")
    page.screenshot(path=str(tmp_path / "reorder-review.png"), full_page=True)
    assert page.locator("#history-as-of").is_visible()
    suggested = page.locator("#reorder tbody tr:has(td.suggested strong)")
    assert suggested.count() >= 2, "the review is empty on the first day"
    assert page.locator("#reorder input[name=sku]:checked").count() == 0
    demands = page.locator("#reorder td.demand").all_inner_texts()
    assert any(text not in ("0", "0.0", "0,0") and any(c.isdigit() for c in text) for text in demands)
    assert "0.950" not in page.content() and "0,950" not in page.content()
    if language == "de":
        no_english(
            page,
            "Demand history as of",
            "Refresh now",
            "units to order",
            "no orders in 90 days",
            "> 1 year",
            "Service level",
            "no demand",
            "falling to 0",
            "none in 28 days",
        )

    # Two suggestions ticked, the first with more units than suggested
    first, second = suggested.nth(0), suggested.nth(1)
    first_sku = first.locator("input[name=sku]").get_attribute("value")
    second_sku = second.locator("input[name=sku]").get_attribute("value")
    units = int(first.locator("td.suggested").inner_text()) + 5
    first.locator("input[name=sku]").check()
    second.locator("input[name=sku]").check()
    first.locator("input.units").fill(str(units))
    before = stock_on_drafts()
    add.click()
    page.locator("ul.messagelist").wait_for()
    assert page.url.endswith("/drafts/")
    line = PurchaseOrderLine.objects.select_related("purchase_order").get(
        product__sku=first_sku, purchase_order__status="draft"
    )
    after = stock_on_drafts()
    assert after[first_sku] == before.get(first_sku, 0) + units  # the quantity the buyer typed
    assert after[second_sku] > before.get(second_sku, 0)  # the suggestion
    assert {sku: n for sku, n in after.items() if sku not in (first_sku, second_sku)} == {
        sku: n for sku, n in before.items() if sku not in (first_sku, second_sku)
    }  # nothing else: only the ticked products were added
    page.shot("drafts-after-adding")

    # The draft edited: its line for the first product gets 3 more units and a later date asked
    draft = page.locator(f"#draft-{line.purchase_order.pk}")
    quantity = draft.locator(f"input[name='quantity:{first_sku}']")
    quantity.fill(str(line.quantity + 3))
    later = clock.today() + datetime.timedelta(days=30)
    draft.locator(f"input[name='expected_date:{first_sku}']").fill(later.isoformat())
    save = draft.locator("button[name=save_lines]")
    page.fits_the_screen(save)
    save.click()
    page.locator("ul.messagelist").wait_for()
    edited = PurchaseOrderLine.objects.get(pk=line.pk)
    assert (edited.quantity, edited.expected_date) == (line.quantity + 3, later)
    page.shot("draft-edited")
    page.screenshot(path=str(tmp_path / "draft-edited.png"), full_page=True)
    if language == "de":
        no_english(page, "Save the lines", "date asked", "lines saved", "remove")

    # ...and sent, after the confirmation
    page.locator(f"#draft-{line.purchase_order.pk} button[value=send]").click()
    confirm = page.locator("input[type=submit].default")
    page.fits_the_screen(confirm)
    confirm.click()
    page.locator("ul.messagelist").wait_for()
    assert PurchaseOrder.objects.get(pk=line.purchase_order.pk).status == "sent"

    # The purchase order's own page: its record, no Save button under it
    page.goto(f"{live_server.url}/admin/purchasing/purchaseorder/{line.purchase_order.pk}/change/")
    page.fits_the_screen()
    assert page.locator("input[name=_save]").count() == 0


ADDRESS = {"name": "", "address1": "Hauptstraße 5", "postcode": "10115", "city": "Berlin", "country": "DE"}


@BOTH
def test_the_warehouse_ships_three_orders_with_three_tracking_numbers_and_prints_the_paper(
    page, login, live_server, language, tmp_path
):
    lamp = SupplierItemFactory(product=ProductFactory(sku="LAMP-9", name="Desk lamp")).product
    vase = ProductFactory(sku="VASE-9", name="Blue vase")
    orders = [
        place((lamp, units), (vase, 1), customer=CustomerFactory.build(name=name, language=language))
        for name, units in [("Ada", 1), ("Ben", 2), ("Cleo", 1)]
    ]
    for order in orders:
        Order.objects.filter(pk=order.pk).update(shipping_address={**ADDRESS, "name": order.customer.name})
    receive(vase, 3)
    batching.batch_backorders()
    po = PurchaseOrder.objects.get()
    lifecycle.send_purchase_order(po.number)
    page.set_viewport_size(LAPTOP)
    login("Warehouse")

    # Goods in: the list from the daily job, with the expected date; the units typed and scanned
    page.click("#daily-jobs a[href*='status__in=']")
    receive_button = page.locator(f"a.button[href$='/{po.pk}/receive/']")
    page.fits_the_screen(receive_button)
    assert page.locator("td.field-expected").count() == 1
    receive_button.click()
    quantity = page.locator("input[name='form-0-quantity']")
    assert quantity.input_value() == ""  # not pre-filled
    for _unit in range(3):
        page.fill("#scan", "lamp-9")
        page.press("#scan", "Enter")
    quantity.fill(str(int(quantity.input_value()) + 1))  # the fourth typed
    book = page.locator("input[type=submit].default")
    page.fits_the_screen(book)
    page.shot("receive-scanned")
    if language == "de":
        no_english(page, "Scan or type a SKU", "to come")
    book.click()

    # The next step offered: the three orders, with the pick list to print first
    ship_these = page.locator("form.next-step button")
    ship_these.wait_for()
    page.fits_the_screen(ship_these)
    page.shot("ship-these-three")
    with page.context.expect_page() as opened:
        page.locator("form.next-step a").click()  # in a tab of its own, the offer stays
    pick_list = opened.value
    pick_list.set_viewport_size(LAPTOP)
    pick_list.locator("#picks").wait_for()
    picks = pick_list.locator("#picks").inner_text()
    assert "LAMP-9" in picks and "VASE-9" in picks and all(order.number in picks for order in orders)
    assert pick_list.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
    if language == "de":
        no_english(pick_list, "Pick list", "orders ready to ship", "Print", "product")
    prints_on_paper(pick_list, tmp_path, "pick-list")
    pick_list.close()

    # Three orders, three tracking numbers
    page.locator("form.next-step button").click()
    tracking = page.locator("input[name$='-tracking_number']")
    assert tracking.count() == 3
    for index in range(3):
        tracking.nth(index).fill(f"1Z-{language}-{index}")
    ship = page.locator("input[type=submit].default")
    page.fits_the_screen(ship)
    page.shot("three-tracking-numbers")
    ship.click()
    page.locator("ul.messagelist").wait_for()
    numbers = sorted(order.number for order in orders)
    shipped = {o.number: o.shipments.get().tracking_number for o in Order.objects.filter(pk__in=[o.pk for o in orders])}
    assert shipped == {number: f"1Z-{language}-{index}" for index, number in enumerate(numbers)}
    page.fits_the_screen()
    page.shot("shipped-three")

    # A packing slip from the message, printed
    page.locator("a.packing-slip").first.click()
    page.locator("#parcel").wait_for()
    assert "Hauptstraße 5" in page.locator("#address").inner_text()
    page.fits_the_screen()
    if language == "de":
        no_english(page, "Packing slip", "In this parcel", "Nothing else follows", "Print")
    prints_on_paper(page, tmp_path, "packing-slip")
