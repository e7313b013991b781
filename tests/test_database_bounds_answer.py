"""A statement PostgreSQL cut short because the request ran past its bound is answered 503
with Retry-After, saying why, like a database that is briefly away (the row lock's bound is
shown over HTTP in tests/faults/test_row_lock_held.py)."""

import pytest
from django.db import OperationalError, connection, transaction
from django.test import RequestFactory

from backoffice.failures import server_error

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_a_statement_past_the_request_bound_is_answered_503_saying_the_database_took_too_long():
    request = RequestFactory().post("/api/v1/orders/")
    with pytest.raises(OperationalError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = '50ms'")
        try:
            cursor.execute("SELECT pg_sleep(1)")
        except OperationalError:
            response = server_error(request)  # as Django calls it, while it handles the error
            raise

    assert response.status_code == 503 and response["Retry-After"] == "1"
    assert b"took too long" in response.content
