"""The supplier's page from the purchase order email, clicked in Chromium on a phone
(375×667) and on a laptop (1366×768), in German and in English: confirm, give a date for
all lines, announce a shipment; nothing scrolls sideways."""

import datetime
import re

import pytest
from django.core import mail

from orders.models import Backorder
from purchasing.models import SupplierAnswer
from tests.purchasing.supplier_answers import sent_order

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

WORDS = {
    "en": {
        "confirm": "Confirm the whole order as asked",
        "thanks": "Thank you: your answer is recorded",
        "all": "One date for all lines",
        "send dates": "Send these dates",
        "arriving": "Arriving on",
        "tracking": "Tracking number",
        "announce": "Announce",
        "announced": "announced: 2 arriving",
    },
    "de": {
        "confirm": "Ganze Bestellung wie angefragt bestätigen",
        "thanks": "Danke: Ihre Antwort ist erfasst",
        "all": "Ein Datum für alle Positionen",
        "send dates": "Diese Termine senden",
        "arriving": "Ankunft am",
        "tracking": "Sendungsnummer",
        "announce": "Ankündigen",
        "announced": "angekündigt: 2, Ankunft",
    },
}


@pytest.mark.parametrize("size", [(375, 667), (1366, 768)], ids=["phone", "laptop"])
@pytest.mark.parametrize("language", ["de", "en"])
def test_a_supplier_answers_from_its_phone_or_desk(page, live_server, settings, language, size):
    settings.SITE_URL = live_server.url
    page.set_viewport_size({"width": size[0], "height": size[1]})
    po, items, orders = sent_order(2, 3, items=2, language=language)
    link = re.search(r"http://\S+/supplier/\S+/", mail.outbox[-1].body).group(0)
    words = WORDS[language]

    page.goto(link)
    confirm = page.get_by_role("button", name=words["confirm"])
    page.fits_the_screen(confirm)
    page.shot("order")
    assert items[0].supplier_sku in page.locator("#lines").inner_text()

    confirm.click()
    page.get_by_text(words["thanks"]).wait_for()
    page.fits_the_screen()

    later = (po.lines.first().expected_date + datetime.timedelta(days=9)).isoformat()
    page.get_by_label(words["all"]).fill(later)
    page.get_by_role("button", name=words["send dates"]).click()
    page.get_by_text(words["thanks"]).wait_for()
    assert {line.expected_date.isoformat() for line in po.lines.all()} == {later}

    first = po.lines.order_by("product__sku").first()
    page.locator(f"input[name=ship-{first.pk}]").fill("2")
    page.get_by_label(words["arriving"]).fill(later)
    page.get_by_label(words["tracking"]).fill("00340434161094042557")
    announce = page.get_by_role("button", name=words["announce"], exact=True)
    page.fits_the_screen(announce)
    announce.click()
    page.get_by_text(words["thanks"]).wait_for()
    assert words["announced"] in page.locator("#lines").inner_text()
    page.fits_the_screen()
    page.shot("answered")

    assert list(SupplierAnswer.objects.order_by("id").values_list("kind", flat=True)) == [
        "confirmed",
        "redated",
        "shipment",
    ]
    assert Backorder.objects.filter(eta__lte=later).count() == 0  # every customer's date follows
