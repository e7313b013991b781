"""The cache (Redis, when CACHE_URL is set) only holds the limits' counts, so it is optional: while
it is down or frozen, pages answer without limits (one warning, not one per request), and the
limits hold again once it is back. A real redis-server, started and stopped by the test."""

import datetime
import os
import runpy
import shutil
import signal
import threading
import time

import pytest
import time_machine

from kernel.ratelimit import CACHE_RETRY
from orders.status_links import status_url
from tests.factories import ProductFactory, UserFactory, place
from tests.processes import ROOT, Redis

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server (the CI run has it)"),
]

START = datetime.datetime(2026, 3, 2, 9, 0, 5, tzinfo=datetime.UTC)


@pytest.fixture
def redis(tmp_path, settings, monkeypatch):
    """A redis-server of the test's own as the cache, configured as production configures it
    from CACHE_URL."""
    server = Redis(tmp_path)
    server.start()
    monkeypatch.setenv("CACHE_URL", server.url)
    settings.CACHES = runpy.run_path(str(ROOT / "backoffice" / "settings.py"))["CACHES"]
    try:
        yield server
    finally:
        if server.process.poll() is None:
            os.kill(server.process.pid, signal.SIGCONT)
            server.stop()


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def page(settings):
    settings.STATUS_PAGE_REQUESTS_PER_MINUTE = 3
    return "/" + status_url(place((ProductFactory(), 1))).split("/", 3)[3]


def cache_warnings(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "kernel.ratelimit"]


def test_the_status_page_answers_while_redis_is_down_and_limits_again_when_it_is_back(
    client, redis, clock, page, caplog
):
    # Given Redis answering: the fourth request in a minute is refused
    assert [client.get(page).status_code for _ in range(4)] == [200, 200, 200, 429]

    # When Redis stops
    redis.stop()

    # Then the page answers every request, without a limit, and the log says so once
    assert [client.get(page).status_code for _ in range(6)] == [200] * 6
    assert len(cache_warnings(caplog)) == 1 and "does not answer" in cache_warnings(caplog)[0]

    # When Redis is back (empty) and the time to ask it again has come
    redis.start()
    clock.shift(CACHE_RETRY)

    # Then the limit holds again, and the log says that once too
    assert [client.get(page).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert len(cache_warnings(caplog)) == 2 and "answers again" in cache_warnings(caplog)[1]


def test_a_frozen_redis_costs_one_request_under_a_second_not_a_hung_page(client, redis, page):
    # Given Redis answering once, then frozen (it accepts connections and never answers)
    assert client.get(page).status_code == 200
    os.kill(redis.process.pid, signal.SIGSTOP)

    # When customers open the page (Redis thaws after 5 s whatever happens, so nothing hangs for good)
    thaw = threading.Timer(5, os.kill, (redis.process.pid, signal.SIGCONT))
    thaw.start()
    started = time.monotonic()
    codes = [client.get(page).status_code for _ in range(5)]
    waited = time.monotonic() - started
    thaw.cancel()
    os.kill(redis.process.pid, signal.SIGCONT)

    # Then all five answer, waiting for the cache's timeout once (half a second), not each
    assert waited < 1.5, f"five requests took {waited:.1f} s on a frozen Redis"
    assert codes == [200] * 5


def test_sign_ins_are_not_throttled_while_redis_is_down(client, redis, settings, caplog):
    # Given Redis stopped, and an account that allows two wrong passwords
    settings.LOGIN_FAILURES_PER_ACCOUNT = 2
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    clerk = UserFactory(username="clerk")
    clerk.set_password("the-right-one-7")
    clerk.save()
    redis.stop()

    # When the clerk mistypes four times, then types it right
    typos = [client.post("/admin/login/", {"username": "clerk", "password": f"typo-{n}"}).status_code for n in range(4)]
    signed_in = client.post("/admin/login/", {"username": "clerk", "password": "the-right-one-7"})

    # Then nothing is throttled (no error either), and the log says why, once
    assert typos == [200] * 4 and signed_in.status_code == 302
    assert len(cache_warnings(caplog)) == 1
