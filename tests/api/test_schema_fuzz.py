"""Schemathesis reads the published OpenAPI schema and throws generated requests, valid
and invalid, at every operation through the real WSGI app: none may get a 5xx, and every
documented response must match its schema."""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

from backoffice.wsgi import application
from tests.factories import ProductFactory, UserFactory, place, receive

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)


@pytest.fixture
def keep_test_connection():
    """Like django.test.Client: the WSGI handler must not close the connection that holds
    the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def manager_token(db, keep_test_connection):
    user = UserFactory(roles=["Manager"])
    lamp = ProductFactory(sku="LAMP-1")
    receive(lamp, 3)
    place((lamp, 5), number="O-1")
    return Token.objects.create(user=user).key


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")), deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_server_error(case, manager_token):
    case.call_and_validate(
        headers={"Authorization": f"Token {manager_token}"},
        checks=[schemathesis.checks.not_a_server_error, schemathesis.checks.response_schema_conformance, schemathesis.checks.status_code_conformance],
    )
