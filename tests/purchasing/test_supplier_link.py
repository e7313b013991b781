"""The supplier's personal link: in the purchase order email, valid while the order waits for
goods, dead once it is received, cancelled or revoked; the page needs no login, speaks the
supplier's language and tells nobody which links exist."""

import pytest
from django.core import mail

from purchasing import lifecycle, receiving, supplier_links
from purchasing.models import SupplierLink
from tests.purchasing.supplier_answers import sent_order, token_in, travel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with travel() as traveller:
        yield traveller


def test_the_purchase_order_email_carries_a_link_whose_token_is_not_stored(client):
    po, [item], _orders = sent_order(3)

    [message] = mail.outbox
    token = token_in(message)

    link = SupplierLink.objects.get(purchase_order=po)
    assert token not in (link.token_hash, link.nonce)  # only its hash is kept
    page = client.get(f"/supplier/{token}/")
    assert page.status_code == 200
    assert item.supplier_sku in page.content.decode()
    assert f"Bestellung {po.number}" in page.content.decode()  # the supplier's language
    assert f"Purchase order {po.number}" in client.get(f"/supplier/{token}/?lang=en").content.decode()


def test_the_link_expires_when_the_order_is_received(client):
    po, [item], _orders = sent_order(3)
    token = token_in(mail.outbox[0])

    receiving.receive_purchase_order(po.number, {item.product.sku: 3})

    page = client.get(f"/supplier/{token}/")
    assert page.status_code == 404
    assert "does not work" in page.content.decode()


def test_the_link_expires_when_the_order_is_cancelled(client):
    po, _items, _orders = sent_order(3)
    token = token_in(mail.outbox[0])

    lifecycle.cancel_purchase_order(po.number)

    assert client.get(f"/supplier/{token}/").status_code == 404


def test_a_revoked_link_stops_at_once_and_a_resend_brings_a_new_one(client):
    po, _items, _orders = sent_order(3)
    old = token_in(mail.outbox[0])

    supplier_links.revoke(po, by="einkauf")
    assert client.get(f"/supplier/{old}/").status_code == 404

    mail.outbox.clear()
    supplier_links.resend(po)
    new = token_in(mail.outbox[0])
    assert new != old
    assert client.get(f"/supplier/{new}/").status_code == 200
    assert client.get(f"/supplier/{old}/").status_code == 404


def test_a_made_up_or_tampered_token_looks_like_any_dead_link(client):
    _po, _items, _orders = sent_order(3)
    token = token_in(mail.outbox[0])
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    for guess in (tampered, "x" * 43, "short", "%00" * 3):
        page = client.get(f"/supplier/{guess}/")
        assert page.status_code == 404, guess


def test_the_page_is_rate_limited_per_address(client, settings):
    settings.SUPPLIER_PAGE_REQUESTS_PER_MINUTE = 3
    _po, _items, _orders = sent_order(3)
    token = token_in(mail.outbox[0])

    answers = [client.get(f"/supplier/{token}/").status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]


@pytest.mark.parametrize("items", [1, 12])
def test_the_page_reads_the_same_number_of_queries_for_any_number_of_lines(
    client, items, django_assert_max_num_queries
):
    _po, _items, _orders = sent_order(2, items=items)
    token = token_in(mail.outbox[0])

    with django_assert_max_num_queries(8):
        assert client.get(f"/supplier/{token}/").status_code == 200
