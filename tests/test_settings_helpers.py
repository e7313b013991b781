"""Settings read the environment through helpers that refuse values they cannot parse."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from backoffice.environment import envbool, envint, envlist


def test_helpers_parse_what_they_should(monkeypatch):
    monkeypatch.setenv("FLAG", "yes")
    monkeypatch.setenv("DAYS", "14")
    monkeypatch.setenv("HOSTS", "a.example, b.example ,")
    assert envbool("FLAG", False) is True
    assert envint("DAYS", 0, minimum=0) == 14
    assert envlist("HOSTS", []) == ["a.example", "b.example"]
    assert envint("UNSET_VARIABLE", 7) == 7


@pytest.mark.parametrize("helper, value", [(envbool, "maybe"), (envint, "two weeks"), (envint, "-1")])
def test_helpers_fail_loudly_on_bad_values(monkeypatch, helper, value):
    monkeypatch.setenv("SETTING", value)
    with pytest.raises(ImproperlyConfigured, match="SETTING"):
        helper("SETTING", 0) if helper is envbool else helper("SETTING", 0, minimum=0)
