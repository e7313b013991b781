"""What a request gets when no page answers it (404: the error shape for the API), or when
something under it fails. A database that is briefly away (a
restart, a failover, a killed connection) answers 503 with Retry-After in the API's error
shape, and the next request reconnects (Django drops an unusable connection when a request
ends); anything else is a 500: the error shape for the API, the plain page for people."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.views import defaults

from kernel.api import error_body

RETRY_AFTER_SECONDS = 1


def server_error(request):
    # Django calls this handler while it handles the exception, so it is still at hand.
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        response = JsonResponse(
            error_body("The database is briefly unavailable; nothing was changed. Please try again.", "unavailable"),
            status=503,
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("Something went wrong on our side; it has been logged.", "server_error"), status=500)
    return defaults.server_error(request)


def not_found(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("No such resource.", "not_found"), status=404)
    return defaults.page_not_found(request, exception)
