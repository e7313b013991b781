"""Reading the environment the settings come from, and refusing a bad value in one line.

Rules: a value the settings cannot use raises BadEnvironment naming the variable, the value
and what it accepts; every entry point (manage.py, the WSGI app and gunicorn's config, the
Celery app) turns that into one line on stderr and exit status 1, not a traceback whose
last line has to be found."""

import os
import sys
from contextlib import contextmanager

from django.core.exceptions import ImproperlyConfigured


class BadEnvironment(ImproperlyConfigured):
    """An environment variable's value the settings cannot use."""


def envstr(name, default):
    return os.environ.get(name) or default


def envbool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off", ""):
        return False
    raise BadEnvironment(f"{name}={value!r}: expected true or false")


def envint(name, default, minimum=None):
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadEnvironment(f"{name}={value!r}: expected a whole number") from None
    if minimum is not None and number < minimum:
        raise BadEnvironment(f"{name}={number}: expected a whole number of at least {minimum}")
    return number


def envlist(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


@contextmanager
def exit_on_bad_environment():
    """Around an entry point: a bad value is one line on stderr and exit status 1."""
    try:
        yield
    except BadEnvironment as error:
        sys.exit(f"Cannot start: {error}")
