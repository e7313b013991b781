"""The two one-row policies (message policy, reorder policy) open the same way: the list goes
straight to the row, and opening it writes nothing, not even where the row is gone (the form
then shows the defaults, and saving it writes the row back)."""

import pytest
from django.urls import reverse

from notifications.models import MessagePolicy
from purchasing.models import ReorderPolicy
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("policy", [MessagePolicy, ReorderPolicy])
def test_opening_a_policy_whose_row_is_gone_writes_nothing_and_saving_writes_it_back(client, policy):
    # Given a policy whose row is gone
    policy.objects.all().delete()
    client.force_login(UserFactory(is_superuser=True))
    opts = policy._meta

    # When its list is opened
    page = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"), follow=True)

    # Then the form shows the defaults and nothing was written
    assert page.status_code == 200 and page.context["original"].pk == 1
    assert not policy.objects.exists()

    # And saving the form writes the row
    form = page.context["adminform"].form
    data = {
        name: "" if value is None else ("on" if value is True else value)
        for name, value in form.initial.items()
        if value is not False
    }
    saved = client.post(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[1]), data)
    assert saved.status_code == 302 and policy.objects.filter(pk=1).exists()
