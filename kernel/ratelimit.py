"""Limits kept in Django's cache (per process with the default local-memory cache; shared
when CACHE_URL names Redis): requests per client address and minute (`rate_limited`), and
failures (wrong passwords, wrong webhook credentials) per account or address (`FailureLimit`).

The cache is optional. While it does not answer, every limit lets requests through (fails
open) instead of turning the page into an error: one warning when it stops answering, one
when it answers again, nothing per request in between. After a failure it is asked again only
once CACHE_RETRY has passed, so a frozen cache costs one request its socket timeout
(settings: CACHES), not every request."""

import dataclasses
import datetime
import functools
import hashlib
import logging
import math
import threading

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError

from kernel import clock

log = logging.getLogger(__name__)

CACHE_RETRY = datetime.timedelta(seconds=10)


def client_address(request):
    """The client's address: REMOTE_ADDR, or behind a proxy (TRUST_X_FORWARDED_FOR) the address
    that proxy saw, the last in X-Forwarded-For. The entries before it are whatever the client
    sent, so trusting the first would let anyone pick their own address."""
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


class OptionalCache:
    """Django's cache for the limits, asked through `ask`: while it does not answer, `ask`
    gives the fallback (the limit lets the request through)."""

    def __init__(self):
        self.down_until = None  # while the cache does not answer: when to ask it again
        self._lock = threading.Lock()

    def ask(self, operation, fallback):
        now = clock.now()
        if self.down_until is not None and now < self.down_until:
            return fallback
        try:
            result = operation()
        except RedisError as error:
            with self._lock:
                if self.down_until is None:
                    log.warning(
                        "The cache does not answer (%s): rate limits and sign-in throttling are off until it does",
                        error,
                    )
                self.down_until = now + CACHE_RETRY
            return fallback
        if self.down_until is not None:
            with self._lock:
                if self.down_until is not None:
                    log.warning("The cache answers again: rate limits and sign-in throttling are back on")
                    self.down_until = None
        return result

    def clear(self):
        """Forget every count and that the cache was down (each test starts from nothing)."""
        self.down_until = None
        self.ask(cache.clear, None)


optional_cache = OptionalCache()


def _key(scope, who):
    # Names and addresses come from the client: hashed, any text makes a valid key.
    return f"limits:{scope}:{hashlib.sha256(who.encode()).hexdigest()[:32]}"


def rate_limited(scope, per_minute, refused):
    """Decorate a view: past `per_minute` requests of one client in a minute, answer with
    `refused(request)` instead (a 429 page)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            minute = int(clock.now().timestamp() // 60)
            key = _key(scope, f"{client_address(request)}:{minute}")

            def count():
                cache.add(key, 0, timeout=120)
                return cache.incr(key)

            if optional_cache.ask(count, 0) > per_minute():
                return refused(request)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


@dataclasses.dataclass(frozen=True)
class Refusal:
    failures: int
    seconds: int  # until the window ends

    @property
    def minutes(self):
        return math.ceil(self.seconds / 60)


class FailureLimit:
    """At most `limit()` failures of one account or address within `minutes()` of its first
    failure; then `refusal` says no until that window has passed (the right password does not
    shorten it). `limit` and `minutes` read settings when asked."""

    def __init__(self, scope, limit, minutes):
        self.scope, self.limit, self.minutes = scope, limit, minutes

    def _keys(self, who):
        key = _key(self.scope, who)
        return key, f"{key}:since"

    def refusal(self, who):
        """A `Refusal` while `who` has used up its failures, else None."""
        count_key, since_key = self._keys(who)
        found = optional_cache.ask(lambda: cache.get_many([count_key, since_key]), {})
        failures, since = found.get(count_key, 0), found.get(since_key)
        if since is None or failures < self.limit():
            return None
        left = since + self.minutes() * 60 - clock.now().timestamp()
        return Refusal(failures, math.ceil(left)) if left > 0 else None

    def failed(self, who):
        """Count one failure of `who`; the first starts its window."""
        count_key, since_key = self._keys(who)
        seconds = self.minutes() * 60

        def count():
            if not cache.add(count_key, 1, timeout=seconds):
                try:
                    return cache.incr(count_key)
                except ValueError:  # the window ended between the two calls: this failure starts the next
                    cache.set(count_key, 1, timeout=seconds)
            cache.set(since_key, clock.now().timestamp(), timeout=seconds)
            return 1

        optional_cache.ask(count, None)

    def clear(self, who):
        optional_cache.ask(lambda: cache.delete_many(self._keys(who)), None)
