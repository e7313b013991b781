"""Every admin list answers a filter it cannot apply as Django answers an unknown lookup (the
list without filters, "?e=1"), never with a 500: a NUL for a choice (status, kind, language,
reason), which PostgreSQL refuses with an error, was a 500 on every list that filters by one."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import ProductFactory, UserFactory, place

pytestmark = pytest.mark.django_db

ODD = [
    "status__exact=%00",
    "status__exact=lost",
    "kind__exact=%00",
    "language__exact=%00",
    "reason__exact=%00",
    "status__isnull=%00",
    "q=%00",
    "p=²",
    "o=%00",
    "waiting=²",
    "supplier__id__exact=²",
    "created_at__year=²",
    "placed_at__year=%00",
]


def test_no_admin_list_answers_an_odd_filter_with_a_server_error(client):
    client.force_login(UserFactory(is_superuser=True))
    client.raise_request_exception = False
    place((ProductFactory(), 1))

    failed = []
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        failed += [(url, query) for query in ODD if client.get(f"{url}?{query}").status_code >= 500]

    assert failed == []


def test_a_choice_filter_with_a_value_that_is_no_choice_is_an_invalid_filter(client):
    client.force_login(UserFactory(is_superuser=True))

    url = reverse("admin:notifications_customermessage_changelist")

    response = client.get(url, {"kind__exact": "\x00"})

    assert (response.status_code, response["Location"]) == (302, f"{url}?e=1")
