"""Lists come in pages; a client cannot ask for a page the database refuses to count to."""

import pytest

from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_a_limit_beyond_any_database_integer_is_cut_to_the_largest_page(shop):
    ProductFactory.create_batch(3)

    response = shop.get("/api/v1/products/", {"limit": "89643866801907436559007744"})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


@pytest.mark.parametrize(
    "query",
    ["offset=-5", "offset=null", "offset=1&offset=2", "limit=0", "limit=2.5", "offset=89643866801907436559007744"],
)
def test_a_limit_or_offset_that_is_not_one_whole_number_in_range_is_a_400_naming_it(shop, query):
    response = shop.get(f"/api/v1/products/?{query}")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == query.split("=")[0]


def test_pages_are_at_most_a_thousand_rows(shop):
    ProductFactory.create_batch(1001)

    response = shop.get("/api/v1/products/", {"limit": "5000"})

    assert (response.json()["count"], len(response.json()["results"])) == (1001, 1000)
