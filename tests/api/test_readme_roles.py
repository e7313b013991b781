"""The README's table of roles and the endpoints each may call is what the code allows: every
API endpoint's permissions (`required_perms`) against each role the migrations set up."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.urls import get_resolver
from django.urls.resolvers import URLPattern, URLResolver

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"
ROLES = ["Shop", "Warehouse", "Purchasing", "Customer service", "Manager"]


def endpoints(patterns=None, prefix=""):
    """(method, path as the README writes it, permissions) of every API endpoint."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from endpoints(pattern.url_patterns, route)
            continue
        view = getattr(pattern.callback, "cls", None)
        required = getattr(view, "required_perms", None)
        if not isinstance(pattern, URLPattern) or not required or "format" in route:
            continue
        path = "/" + re.sub(r"\(\?P<(\w+)>[^)]*\)|<str:(\w+)>", lambda m: "{" + (m[1] or m[2]) + "}", route)
        path = path.replace("^", "").replace("$", "")
        actions = getattr(pattern.callback, "actions", None)
        # DRF adds "head" to a viewset's actions at its first GET: HEAD is GET without a body.
        calls = (
            {method.upper(): required.get(action) for method, action in actions.items() if method != "head"}
            if actions
            else required
        )
        for method, permissions in calls.items():
            if permissions is not None:
                yield method, path, permissions


def readme_table():
    rows = {}
    for line in README.read_text().splitlines():
        match = re.fullmatch(r"\| `(GET|POST) (/api/v1/\S*)` \|(.*)\|", line)
        if match and len(cells := match[3].split("|")) == len(ROLES):
            rows[(match[1], match[2])] = {role for role, cell in zip(ROLES, cells, strict=True) if cell.strip()}
    return rows


def test_the_readmes_table_of_roles_is_what_the_code_allows():
    granted = {
        group.name: {
            f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
        }
        for group in Group.objects.filter(name__in=ROLES)
    }
    allowed = {
        (method, path): {role for role in ROLES if set(permissions) <= granted[role]}
        for method, path, permissions in endpoints()
    }

    assert len(allowed) > 20
    assert readme_table() == allowed


def test_a_changed_re_post_of_an_order_is_a_409_as_the_readme_says(shop):
    from tests.factories import ProductFactory

    ProductFactory(sku="TEA-1")
    ProductFactory(sku="TEA-2")
    body = {
        "number": "R-1",
        "customer": {"email": "r@example.org", "name": "R"},
        "fulfilment_policy": "ship_partial",
        "lines": [{"sku": "TEA-1", "quantity": 1}],
    }

    first = shop.post("/api/v1/orders/", body, format="json")
    again = shop.post("/api/v1/orders/", body, format="json")
    changed = shop.post("/api/v1/orders/", {**body, "lines": [{"sku": "TEA-2", "quantity": 1}]}, format="json")

    assert [first.status_code, again.status_code, changed.status_code] == [201, 200, 409]
    assert "409" in README.read_text()
