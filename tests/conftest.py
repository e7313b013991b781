import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory

# The roles as the migrations made them, read once the test database exists (tests that
# flush the database, like the browser tests, put them back from here).
ROLE_GRANTS = {}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.contrib.auth.models import Group

    with django_db_blocker.unblock():
        for group in Group.objects.prefetch_related("permissions__content_type"):
            ROLE_GRANTS[group.name] = [(p.content_type.app_label, p.codename) for p in group.permissions.all()]


@pytest.fixture(autouse=True)
def no_counts_from_earlier_tests():
    """Rate limits and failed sign-ins are counted in the cache, which outlives a test (and
    the browser tests' server thread shares it): each test starts with none."""
    from kernel.ratelimit import optional_cache

    optional_cache.clear()


def pytest_collection_modifyitems(config, items):
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (the CI run does)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def api_as(db):
    """An API client that authenticates like the shop does: `Authorization: Token KEY`."""

    def client_for(*roles, superuser=False):
        user = UserFactory(roles=list(roles), is_superuser=superuser)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        client.user = user
        return client

    return client_for


@pytest.fixture
def shop(api_as):
    return api_as("Shop")


@pytest.fixture
def manager(api_as):
    return api_as("Manager")


@pytest.fixture
def migrated_roles(transactional_db):
    """A test on a transactional database (live server, other processes) flushes it after
    itself: the permissions come back (post_migrate), the roles the migrations made do not.
    Put them back as they were."""
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    for name, grants in ROLE_GRANTS.items():
        group, created = Group.objects.get_or_create(name=name)
        if created:
            wanted = Q(pk__in=[])
            for app_label, codename in grants:
                wanted |= Q(content_type__app_label=app_label, codename=codename)
            group.permissions.set(Permission.objects.filter(wanted))


@pytest.fixture(autouse=True)
def forget_shop_connections():
    """Shops keep the active connections' ids for a few seconds per process; a test's
    connections are gone after it (rolled back or flushed)."""
    yield
    from shops.pushes import forget_connections

    forget_connections()
