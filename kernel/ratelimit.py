"""A fixed-window request limit per client address, kept in Django's cache (per process with
the default local-memory cache; shared when CACHE_URL names Redis)."""

import functools

from django.conf import settings
from django.core.cache import cache

from kernel import clock


def client_address(request):
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "")


def rate_limited(scope, per_minute, refused):
    """Decorate a view: past `per_minute` requests of one client in a minute, answer with
    `refused(request)` instead (a 429 page)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            minute = int(clock.now().timestamp() // 60)
            key = f"ratelimit:{scope}:{client_address(request)}:{minute}"
            cache.add(key, 0, timeout=120)
            if cache.incr(key) > per_minute():
                return refused(request)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
