"""Every kind of email exists in German and English: same facts, the customer's words and dates."""

import datetime

import pytest

from notifications.models import Voucher
from notifications.rendering import render
from notifications.selectors import order_states
from tests.factories import CustomerFactory, ProductFactory, place

pytestmark = pytest.mark.django_db

SUBJECTS = {
    "backorder_notice": (
        "Your order {n}: some items will arrive later",
        "Ihre Bestellung {n}: einige Artikel kommen später",
    ),
    "delay_notice": (
        "Your order {n} is delayed: new date 16 Mar 2026",
        "Ihre Bestellung {n} verzögert sich: neuer Termin 16. März 2026",
    ),
    "apology": (
        "We apologise: your order {n} is delayed, a voucher for you",
        "Wir entschuldigen uns: Ihre Bestellung {n} verzögert sich, ein Gutschein für Sie",
    ),
    "shipped": ("Your order {n} has shipped", "Ihre Bestellung {n} ist unterwegs"),
    "cancellation": ("Your order {n}: cancellation confirmed", "Ihre Bestellung {n}: Stornierung bestätigt"),
    "personal": ("About your order {n}", "Zu Ihrer Bestellung {n}"),
}


@pytest.mark.parametrize("kind", SUBJECTS)
@pytest.mark.parametrize("language", ["en", "de"])
def test_each_kind_speaks_the_customers_language(clock, kind, language):
    order = place((ProductFactory(name="Teapot"), 2), customer=CustomerFactory.build(language=language, name="Kim"))
    state = order_states([order.pk], delay_days=2)[order.pk]
    voucher = Voucher(order=order, code="SORRY-AAAA", kind="fixed", value=5, valid_until=datetime.date(2026, 6, 1))
    extra = {
        "apology": {"voucher": voucher},
        "shipped": {"shipped_lines": [{"units": 1, "sku": "T-1", "name": "Teapot"}]},
        "cancellation": {"cancelled_lines": [{"units": 1, "sku": "T-1", "name": "Teapot"}], "refund": 10},
        "personal": {"text": "Hi from us", "author": "Sam"},
    }.get(kind, {})

    rendered = render(kind, state, **extra)

    english, german = SUBJECTS[kind]
    assert rendered.subject == (english if language == "en" else german).format(n=order.number)
    greeting, waiting, regards = {
        "en": ("Hello Kim,", "expected on 16 Mar 2026", "Kind regards"),
        "de": ("Hallo Kim,", "voraussichtlich am 16. März 2026", "Freundliche Grüße"),
    }[language]
    assert rendered.text.startswith(greeting)
    assert waiting in rendered.text and waiting in rendered.html
    assert regards in rendered.text
    if kind == "apology":
        assert "SORRY-AAAA" in rendered.text and (
            "€5.00" in rendered.text or "5,00\N{NO-BREAK SPACE}€" in rendered.text
        )
