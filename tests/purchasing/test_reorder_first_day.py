"""The reorder review works on the first day: the demand history is built at once when it is
missing (no night job needed), nothing is chosen for the buyer, the buyer's own quantities go
to the drafts, and the figures read as a buyer reads them."""

import datetime

import pytest
import time_machine

from purchasing.models import DemandDay, DemandRefresh, PurchaseOrderLine
from tests.factories import ProductFactory, SupplierItemFactory, UserFactory, place, receive

TODAY = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
REVIEW = "/admin/purchasing/purchaseorder/reorder/"


def sixty_days_of_orders(item, units=3):
    """An order of `units` each day of the last 60 days, placed on its day; no history built."""
    for days_ago in range(60, 0, -1):
        with time_machine.travel(TODAY - datetime.timedelta(days=days_ago), tick=False):
            place((item.product, units))


@pytest.fixture
def buyer(client, db):
    client.force_login(UserFactory(roles=["Purchasing"]))
    return client


def test_the_api_gives_the_demand_of_60_days_of_orders_before_the_night_job(api_as):
    # Given 60 days of orders of 3 units a day and no demand history yet (the night job never ran)
    item = SupplierItemFactory(product=ProductFactory(sku="KETTLE-1"))
    sixty_days_of_orders(item)
    assert not DemandDay.objects.exists()

    with time_machine.travel(TODAY, tick=False):
        # When purchasing asks the API for the kettle's reorder figures
        answer = api_as("Purchasing").get("/api/v1/products/kettle-1/reorder/")

    # Then the history was built at once: 3 units a day, not 0.0
    assert answer.status_code == 200, answer.content
    assert answer.json()["daily_demand"] == 3.0
    assert DemandRefresh.objects.get().as_of == TODAY


def test_a_history_rebuilt_yesterday_is_brought_up_to_today_once(db):
    from purchasing.reorder import review

    item = SupplierItemFactory(product=ProductFactory(sku="KETTLE-2"))
    sixty_days_of_orders(item, units=2)
    with time_machine.travel(TODAY - datetime.timedelta(days=1), tick=False):
        review()  # built yesterday morning, before yesterday's order counted fully
    with time_machine.travel(TODAY, tick=False):
        [figures] = review()
        [again] = review()
    # Yesterday's order is in the history read today, and it was rebuilt once today
    assert figures.history[-1] == 2 and figures.daily_demand == 2.0
    assert again.daily_demand == 2.0 and DemandRefresh.objects.get().as_of == TODAY


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_page_chooses_nothing_reads_as_a_buyer_reads_and_says_as_of_when(buyer, language):
    # Given a kettle that sells 3 a day with 10 on hand, a vase nobody ordered with 400 on hand,
    # and a lamp with plenty for years
    kettle = SupplierItemFactory(product=ProductFactory(sku="KETTLE-3"))
    sixty_days_of_orders(kettle)
    vase = SupplierItemFactory(product=ProductFactory(sku="VASE-3"))
    lamp = SupplierItemFactory(product=ProductFactory(sku="LAMP-3"))
    ProductFactory(sku="CUP-3")  # nobody supplies it: not reviewed, and the page says so
    with time_machine.travel(TODAY - datetime.timedelta(days=3), tick=False):
        place((lamp.product, 1))
    with time_machine.travel(TODAY, tick=False):
        receive(kettle.product, 10)
        receive(vase.product, 400)
        receive(lamp.product, 900)

        # When the buyer opens the review on the first day
        page = buyer.get(REVIEW, headers={"accept-language": language}).content.decode()

    # Then nothing is ticked, each row has its units to order (the kettle's suggestion filled in)
    assert "checked" not in page.split('id="reorder"')[1]
    assert (
        'name="units:KETTLE-3"' in page and 'name="units:VASE-3" min="1" step="1" inputmode="numeric" value=""' in page
    )
    words = {
        "en": [
            "Service level 95 %",
            "Demand history as of",
            "> 1 year",
            "no orders in 90 days",
            "Refresh now",
            "1 stocked product has no preferred supplier",
        ],
        "de": [
            "Servicegrad 95 %",
            "Bedarfsverlauf vom",
            "> 1 Jahr",
            "keine Bestellungen in 90 Tagen",
            "Jetzt aktualisieren",
            "1 Lagerprodukt hat keinen bevorzugten Lieferanten",
        ],
    }[language]
    for text in words:
        assert text in page, text
    assert "0.950" not in page and "0,950" not in page


def test_the_buyer_changes_a_quantity_and_only_the_ticked_products_go_to_the_drafts(buyer):
    kettle = SupplierItemFactory(product=ProductFactory(sku="KETTLE-4"))
    teapot = SupplierItemFactory(product=ProductFactory(sku="TEAPOT-4"), supplier=kettle.supplier)
    sixty_days_of_orders(kettle)
    sixty_days_of_orders(teapot)
    with time_machine.travel(TODAY, tick=False):
        # When the buyer ticks the kettle only, with 25 units instead of the suggestion
        answer = buyer.post(REVIEW, {"sku": ["KETTLE-4"], "units:KETTLE-4": "25", "units:TEAPOT-4": "99"})

    # Then the draft has 25 kettles for stock and no teapot
    assert answer.status_code == 302
    [line] = PurchaseOrderLine.objects.all()
    assert (line.product.sku, line.stock_units, line.quantity) == ("KETTLE-4", 25, 25)


def test_units_that_are_no_whole_number_name_the_sku_and_add_nothing(buyer):
    kettle = SupplierItemFactory(product=ProductFactory(sku="KETTLE-5"))
    SupplierItemFactory(product=ProductFactory(sku="TEAPOT-5"), supplier=kettle.supplier)
    sixty_days_of_orders(kettle)
    with time_machine.travel(TODAY, tick=False):
        answer = buyer.post(
            REVIEW,
            {"sku": ["KETTLE-5", "TEAPOT-5"], "units:KETTLE-5": "12", "units:TEAPOT-5": "1e3"},
            follow=True,
        )
    assert "give the units of TEAPOT-5 as a whole number from 1 to 1,000,000" in answer.content.decode()
    assert not PurchaseOrderLine.objects.exists()


def test_refresh_now_rebuilds_the_history(buyer):
    kettle = SupplierItemFactory(product=ProductFactory(sku="KETTLE-6"))
    with time_machine.travel(TODAY, tick=False):
        buyer.get(REVIEW)
        place((kettle.product, 7))  # an order after the page was built
        answer = buyer.post(REVIEW, {"refresh": "1"}, follow=True)
    assert "The demand history is up to date." in answer.content.decode()
    assert DemandDay.objects.get(product=kettle.product).units_ordered == 7


def test_the_page_reads_in_the_same_queries_for_2_or_8_products(buyer, django_assert_max_num_queries):
    supplier = SupplierItemFactory().supplier
    for n in range(2):
        SupplierItemFactory(supplier=supplier, product=ProductFactory(sku=f"FEW-{n}"))
    with time_machine.travel(TODAY, tick=False):
        buyer.get(REVIEW)  # the history built once
        with django_assert_max_num_queries(40) as few:
            buyer.get(REVIEW)
        for n in range(6):
            SupplierItemFactory(supplier=supplier, product=ProductFactory(sku=f"MORE-{n}"))
        with django_assert_max_num_queries(len(few.captured_queries)):
            buyer.get(REVIEW)


def test_a_migrate_on_an_installation_with_orders_builds_the_missing_history(db):
    from django.core.management import call_command

    item = SupplierItemFactory(product=ProductFactory(sku="KETTLE-7"))
    with time_machine.travel(TODAY - datetime.timedelta(days=2), tick=False):
        place((item.product, 5))
    with time_machine.travel(TODAY, tick=False):
        call_command("migrate", "purchasing", verbosity=0)  # nothing to apply: post_migrate still runs
    assert DemandDay.objects.get(product=item.product).units_ordered == 5
    assert DemandRefresh.objects.get().as_of == TODAY
