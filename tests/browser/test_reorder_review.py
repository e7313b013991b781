"""Purchasing opens the reorder review, adds the suggestions to the drafts and finds them on
the draft review page, in a real browser."""

import datetime

from kernel import clock
from purchasing.models import DemandDay, DemandRefresh, PurchaseOrderLine
from tests.factories import ProductFactory, SupplierItemFactory, receive


def test_purchasing_adds_the_reorder_suggestions_to_the_drafts(page, login, live_server):
    # Given a teapot selling 4 a day for eight weeks, 30 on hand, a supplier taking 10 days
    item = SupplierItemFactory(product=ProductFactory(sku="TEAPOT-9", name="Teapot"))
    receive(item.product, 30)
    today = clock.today()
    DemandDay.objects.bulk_create(
        [
            DemandDay(
                product=item.product,
                day=today - datetime.timedelta(days=n),
                units_ordered=4,
                lines=2,
                lines_backordered=1,
                units_cancelled=0,
            )
            for n in range(1, 57)
        ]
    )
    DemandRefresh.objects.create(pk=1, as_of=clock.now())  # as the night job leaves it: rebuilt today
    login("Purchasing")

    # When purchasing opens the review from the index
    page.get_by_role("link", name="Reorder review").click()
    page.shot("reorder-review")
    row = page.get_by_role("row", name="TEAPOT-9")

    # Then the teapot is below its reorder point (40) with 66 suggested, and flagged as backordered too often
    assert row.locator("td.reorder-point").inner_text() == "40"
    assert row.locator("td.suggested").inner_text() == "66"
    assert "too often: stock it" in row.inner_text()
    assert page.locator("svg polyline").count() == 1  # the demand sparkline

    # When they tick it (nothing is ticked for them) and add the suggestion
    row.get_by_label("TEAPOT-9", exact=True).check()
    page.get_by_role("button", name="Add the chosen suggestions to the draft purchase orders").click()

    # Then the draft review page shows the supplier's draft with the 66 units for stock
    page.get_by_text("added for stock 66 × TEAPOT-9").wait_for()
    page.shot("drafts-with-stock")
    assert "Draft purchase orders to review" in page.content()
    line = PurchaseOrderLine.objects.get(product=item.product)
    assert (line.quantity, line.stock_units, line.purchase_order.status) == (66, 66, "draft")
