"""/health/ready answers within its deadline whatever hangs: a check that has not answered
by then is reported as such (the load balancer gets its 503), not waited for."""

import threading

import pytest

from backoffice import health


@pytest.mark.django_db(transaction=True)  # the checks read on connections of their own
def test_a_check_that_hangs_is_reported_at_the_deadline_not_waited_for(client, monkeypatch):
    # Given a broker check that hangs (as a frozen host does below any socket timeout)
    release = threading.Event()
    monkeypatch.setattr(health, "_broker", lambda: release.wait(60) and "ok")
    monkeypatch.setattr(health, "CHECK_SECONDS", 0.2)
    try:
        # When the load balancer asks
        ready = client.get("/health/ready")
    finally:
        release.set()

    # Then it hears at the deadline that the broker did not answer, and the other checks' states
    assert ready.status_code == 503
    assert ready.json()["checks"]["broker"] == "no answer within 0.2 s"
    assert ready.json()["checks"]["database"] == "ok"
