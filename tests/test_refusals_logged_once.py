"""A refused page is one warning line in the log, with its request id and no traceback: the
request was wrong, not the code."""

import io
import logging

import pytest
from django.urls import reverse

from backoffice.observability import RefusalFilter
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_refused_page_is_logged_once_without_a_traceback(client):
    # Given the log as operators read it (the configured console handler)
    [handler] = [
        h for h in logging.getLogger("django").handlers if any(isinstance(f, RefusalFilter) for f in h.filters)
    ]
    stream, handler.stream = handler.stream, io.StringIO()
    try:
        # When the warehouse opens the managers' dashboard
        client.force_login(UserFactory(roles=["Warehouse"]))
        assert client.get(reverse("dashboard")).status_code == 403
        written = handler.stream.getvalue()
    finally:
        handler.stream = stream

    # Then one line says so, and no traceback follows it
    assert written.count("Forbidden (Permission denied): /admin/dashboard/") == 1
    assert "Traceback" not in written
