"""What a request gets when no page answers it (404: the error shape for the API), or when
something under it fails. A database that is briefly away (a restart, a failover, a killed
connection), or that held the request past its bounds (a row lock waited for longer than
REQUEST_LOCK_TIMEOUT_SECONDS, a statement run longer than REQUEST_STATEMENT_TIMEOUT_SECONDS),
and a shared cache that does not answer, are a 503 with Retry-After in the API's error shape
(the next request reconnects: Django drops an unusable connection when a request ends);
anything else is a 500: the error shape for the API, the plain page for people."""

import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from kernel.api import error_body

RETRY_AFTER_SECONDS = 1
BRIEFLY_AWAY = "The database is briefly unavailable; nothing was changed. Please try again."
# PostgreSQL's error codes for a statement cut short by this request's bounds.
CUT_SHORT = {
    "55P03": "Someone else is changing the same records right now; nothing was changed. Please try again.",  # lock_not_available
    "57014": "The database took too long to answer; nothing was changed. Please try again.",  # query_canceled
}


def bound_database_waits(sender, connection, **kwargs):
    """A web process's database connections give up on a statement after
    REQUEST_STATEMENT_TIMEOUT_SECONDS and on a row lock after REQUEST_LOCK_TIMEOUT_SECONDS
    (0: never). Connected in wsgi.py, so web processes only: a worker's or beat's job may
    rightly run longer. Set per connection, once, when it opens."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('statement_timeout', %s, false), set_config('lock_timeout', %s, false)",
            [f"{settings.REQUEST_STATEMENT_TIMEOUT_SECONDS}s", f"{settings.REQUEST_LOCK_TIMEOUT_SECONDS}s"],
        )


def server_error(request):
    # Django calls this handler while it handles the exception, so it is still at hand.
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError | RedisConnectionError | RedisTimeoutError):
        message = CUT_SHORT.get(getattr(error.__cause__, "sqlstate", None), BRIEFLY_AWAY)
        response = JsonResponse(error_body(message, "unavailable"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body("Something went wrong on our side; it has been logged.", "server_error"), status=500
        )
    return defaults.server_error(request)


def not_found(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("No such resource.", "not_found"), status=404)
    return defaults.page_not_found(request, exception)


@csrf_exempt  # it changes nothing; a POST to it is a 404 like any other, not CSRF's HTML 403
def api_not_found(request, *args, **kwargs):
    """The last URL pattern under /api/: a path no endpoint has is the API's JSON 404 whatever
    the mode (with DEBUG on, Django answers an unresolved path with its HTML page and never
    calls handler404). A path that only lacks its final slash is redirected as before."""
    if not request.path.endswith("/") and request.method in ("GET", "HEAD"):
        match = resolve_or_none(request.path + "/")
        if match is not None and match.func is not api_not_found:
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
    return not_found(request, None)


def resolve_or_none(path):
    try:
        return resolve(path)
    except Resolver404:
        return None
