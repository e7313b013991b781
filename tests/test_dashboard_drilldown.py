"""Each dashboard figure links to the admin list behind it, and that list shows what the figure
counts; the SKUs most waited for are named and lead to their product and their backorders."""

import re
from html import unescape

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.test_dashboard import history  # noqa: F401 (the known history, as a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    client.force_login(UserFactory(roles=["Manager"]))
    return client


def link(html, element_id):
    return unescape(re.search(rf'id="{element_id}" href="([^"]+)"', html)[1])


def listed(client, url):
    """The number of rows the admin list at `url` shows (it must take the filters as they are)."""
    page = client.get(url)
    assert page.status_code == 200 and "e=1" not in page.get("Location", ""), url
    return page.context["cl"].result_count


def test_each_figure_leads_to_the_list_of_what_it_counts(manager, history):  # noqa: F811
    html = manager.get(reverse("dashboard")).content.decode()

    counted = {
        "open-lines": 3,  # D (1), D (1 of 2) and C (4) wait
        "backorder-rate": 5,  # the five backorders of the last 90 days
        "lost": 1,
        "messages-sent": 3,
        "messages-bounced": 1,
        "messages-failed": 0,
    }
    assert {element: listed(manager, link(html, element)) for element in counted} == counted
    assert listed(manager, unescape(re.search(r'<a href="([^"]+)">1 purchase order to a supplier', html)[1])) == 1
    assert listed(manager, link(html, "waiting-orders")) == 3  # the orders behind the waiting lines


def test_the_skus_most_waited_for_are_named_and_lead_to_their_backorders(manager, history):  # noqa: F811
    html = manager.get(reverse("dashboard")).content.decode()
    table = html[html.index('id="top-skus"') :]

    rows = re.findall(
        r'<td><a href="([^"]+)">(\w+)</a></td>\s*<td>([^<]*)</td>\s*<td><a href="([^"]+)">(\d+)</a>', table
    )
    assert [(sku, units) for _, sku, _name, _, units in rows] == [("C", "4"), ("D", "2")]
    for product_url, sku, name, waiting_url, _units in rows:
        assert name and manager.get(unescape(product_url)).status_code == 200
        assert listed(manager, unescape(waiting_url)) == {"C": 1, "D": 2}[sku]


def test_german_says_purchase_orders_to_suppliers_not_orders(manager, history):  # noqa: F811
    html = manager.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "1 Lieferantenbestellung ist verspätet" in html
    assert "Bestellungen verspätet" not in html
