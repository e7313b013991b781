"""Calls to a shop's API. A shop that is down, slow, or asks us to wait is `ShopUnavailable`
(retried later, with the wait it asked for); one that refuses the call is `ShopRefused`.
A connection told to wait (429 Retry-After, Shopify THROTTLED) is paused: no call before then."""

import base64
import datetime
import hashlib
import hmac

import requests
from django.conf import settings

from kernel import clock

_session = requests.Session()


class ShopUnavailable(Exception):
    def __init__(self, message, retry_after=None):
        super().__init__(message)
        self.retry_after = retry_after


class ShopRefused(Exception):
    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status  # the HTTP status: a 401 may be an access token that expired


def signature(secret, body):
    """What both platforms send: base64 of HMAC-SHA256 over the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def signed(secret, body, given):
    # As bytes: compare_digest refuses text with non-ASCII characters, and a header is whatever
    # the sender wrote (a 401, never a 500).
    return bool(secret and given and body) and hmac.compare_digest(
        signature(secret, body).encode(), given.strip().encode("utf-8", "replace")
    )


def pause(connection, seconds):
    from .models import ShopConnection

    until = clock.now() + datetime.timedelta(seconds=seconds)
    connection.paused_until = until
    ShopConnection.objects.filter(pk=connection.pk).update(paused_until=until)


def call(connection, method, url, **kwargs):
    """One request; the response of a 2xx, else ShopUnavailable or ShopRefused naming why."""
    if connection.paused_until and connection.paused_until > clock.now():
        wait = (connection.paused_until - clock.now()).total_seconds()
        raise ShopUnavailable(f"the shop asked us to wait until {connection.paused_until:%H:%M:%S}", retry_after=wait)
    try:
        response = _session.request(method, url, timeout=settings.SHOP_TIMEOUT_SECONDS, allow_redirects=False, **kwargs)
    except requests.RequestException as error:
        raise ShopUnavailable(f"{method} {_path(url)}: {type(error).__name__}") from None
    if response.status_code == 429:
        wait = retry_after(response.headers.get("Retry-After"))
        pause(connection, wait)
        raise ShopUnavailable(f"{method} {_path(url)}: 429 too many requests, retry after {wait:g} s", retry_after=wait)
    if response.status_code >= 500:
        raise ShopUnavailable(f"{method} {_path(url)}: {response.status_code} {response.reason}")
    if response.status_code >= 300:
        raise ShopRefused(f"{method} {_path(url)}: {response.status_code} {response.text[:300]}", response.status_code)
    return response


def retry_after(value, default=2.0):
    """Seconds from a Retry-After header (seconds; an HTTP date is rare from shops: the default)."""
    try:
        return max(float(value), 0.0)
    except (TypeError, ValueError):
        return default


def _path(url):
    return requests.utils.urlparse(url).path
