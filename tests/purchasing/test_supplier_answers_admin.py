"""Purchasing sees the supplier's link and answers on the purchase order page, copies,
resends or revokes the link after a confirmation page, reviews answers that moved dates far,
and finds reminded orders on "waiting for the supplier"; goods in sees announced shipments."""

import datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.urls import reverse

from purchasing import answers
from purchasing.models import SupplierAnswer
from purchasing.pages.goods_in import receive_list_url
from purchasing.tasks import send_supplier_reminders
from tests.factories import UserFactory
from tests.purchasing.supplier_answers import MONDAY, sent_order, token_in, travel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with travel() as traveller:
        yield traveller


def login(client, role="Purchasing"):
    client.force_login(UserFactory(roles=[role]))
    return client


def test_the_purchase_order_page_offers_the_link_and_shows_each_answer(client):
    po, [item], _orders = sent_order(2, language="en")
    token = token_in(mail.outbox[-1])
    answers.redate(token, answers.page(token)["version"], {po.lines.get().pk: datetime.date(2026, 4, 20)})

    page = login(client).get(reverse("admin:purchasing_purchaseorder_change", args=[po.pk])).content.decode()

    assert f"/supplier/{token}/" in page
    assert "Copy" in page and "Resend" in page and "Revoke" in page
    assert f"{item.product.sku} expected_date: 2026-03-" in page and "→ 2026-04-20" in page
    assert "supplier, through its link" in page


def test_revoking_asks_first_then_stops_the_link(client):
    po, _items, _orders = sent_order(2)
    token = token_in(mail.outbox[-1])
    url = reverse("admin:purchasing_purchaseorder_supplier_link_revoke", args=[po.pk])
    login(client)

    asked = client.get(url)
    assert asked.status_code == 200 and "can no longer answer" in asked.content.decode()
    assert client.get(f"/supplier/{token}/").status_code == 200

    done = client.post(url, {"apply": "1"})
    assert done.status_code == 302
    assert client.get(f"/supplier/{token}/").status_code == 404


def test_resending_emails_the_order_with_its_link_again(client):
    po, _items, _orders = sent_order(2)
    token = token_in(mail.outbox[-1])
    mail.outbox.clear()

    login(client).post(reverse("admin:purchasing_purchaseorder_supplier_link_resend", args=[po.pk]), {"apply": "1"})

    [again] = mail.outbox
    assert token_in(again) == token


def test_the_warehouse_may_not_revoke(client):
    po, _items, _orders = sent_order(2)
    response = login(client, "Warehouse").post(
        reverse("admin:purchasing_purchaseorder_supplier_link_revoke", args=[po.pk]), {"apply": "1"}
    )
    assert response.status_code == 403


def test_an_answer_moving_a_date_beyond_the_threshold_waits_for_review(client):
    po, [item], _orders = sent_order(2)
    token = token_in(mail.outbox[-1])
    line = po.lines.get()
    answers.redate(token, answers.page(token)["version"], {line.pk: line.expected_date + datetime.timedelta(days=3)})
    answers.redate(token, answers.page(token)["version"], {line.pk: line.expected_date + datetime.timedelta(days=20)})
    far = SupplierAnswer.objects.get(days_moved=17)
    login(client)

    listing = client.get(reverse("admin:purchasing_supplieranswer_changelist") + "?review=due")
    assert list(listing.context["cl"].result_list) == [far]
    index = client.get(reverse("admin:index")).content.decode()
    assert "Supplier answers to review</a> (1)" in index

    client.post(
        reverse("admin:purchasing_supplieranswer_changelist"),
        {"action": "mark_reviewed", ACTION_CHECKBOX_NAME: [far.pk], "apply": "1"},
    )
    assert "Supplier answers to review</a> (0)" in client.get(reverse("admin:index")).content.decode()


def test_goods_in_sees_announced_shipments_on_the_receive_list(client):
    po, [item], _orders = sent_order(2, 2, language="en")
    token = token_in(mail.outbox[-1])
    line = po.lines.get()
    answers.announce_shipment(
        token, answers.page(token)["version"], {line.pk: 3}, datetime.date(2026, 3, 12), "DHL", "123"
    )

    page = login(client, "Warehouse").get(receive_list_url()).content.decode()

    assert "announced: 3 arriving 12 Mar" in page


def test_a_reminded_order_is_waiting_for_the_supplier(client, clock):
    po, _items, _orders = sent_order(2)
    clock.move_to(MONDAY + datetime.timedelta(days=3))
    send_supplier_reminders()
    login(client)

    index = client.get(reverse("admin:index")).content.decode()
    assert "Waiting for the supplier</a> (1)" in index
    listing = client.get(reverse("admin:purchasing_purchaseorder_changelist") + "?supplier_answer=waiting")
    assert [row.number for row in listing.context["cl"].result_list] == [po.number]
