"""The one place that tells the time. Services, jobs and rules ask here; tests move it
with time-machine, and seed_demo backdates history with `frozen`."""

import contextlib
import contextvars
import datetime

from django.utils import timezone

_override = contextvars.ContextVar("clock_override", default=None)


def now() -> datetime.datetime:
    return _override.get() or timezone.now()


def today() -> datetime.date:
    return timezone.localdate(now())


def stale(moment, minutes) -> bool:
    """Never set, or set more than `minutes` ago."""
    return moment is None or moment < now() - datetime.timedelta(minutes=minutes)


@contextlib.contextmanager
def frozen(moment: datetime.datetime):
    token = _override.set(moment)
    try:
        yield
    finally:
        _override.reset(token)
