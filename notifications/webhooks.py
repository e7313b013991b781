"""The ESP's tracking webhook (delivered, bounced, complained), as anymail parses it.

Rules: only the ESP the messages go through (EMAIL_BACKEND) has a webhook; it is closed (403)
until ANYMAIL_WEBHOOK_SECRET is set, so no one can forge a bounce and put a customer on the
call list; a caller without the secret (or the ESP's signature) is a 401; after
LOGIN_FAILURES_PER_ADDRESS wrong credentials from one client address it answers that address
429 for LOGIN_FAILURE_WINDOW_MINUTES from the first, without checking (no guessing the secret);
a JSON body is read first as the API reads one (kernel.parsers.parse_json: nested too deep, a
key twice, not JSON: 400), and an authorised body anymail cannot read is a 400, never a 500.
Every refusal is JSON in the API's error shape."""

import logging

from anymail import urls as anymail_urls
from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.webhooks.base import AnymailBasicAuthMixin
from django.conf import settings
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from kernel.api import error_body
from kernel.errors import InvalidInput
from kernel.parsers import is_json, parse_json
from kernel.ratelimit import FailureLimit, client_address

log = logging.getLogger(__name__)

SUFFIX = "_tracking_webhook"
TRACKING_VIEWS = {
    pattern.name.removesuffix(SUFFIX): pattern.callback
    for pattern in anymail_urls.urlpatterns
    if (pattern.name or "").endswith(SUFFIX)
}
WRONG_CREDENTIALS = FailureLimit(
    "tracking-webhook",
    lambda: settings.LOGIN_FAILURES_PER_ADDRESS,
    lambda: settings.LOGIN_FAILURE_WINDOW_MINUTES,
)


def configured_esp():
    """The ESP named by EMAIL_BACKEND ("anymail.backends.postmark.EmailBackend" → "postmark")."""
    parts = settings.EMAIL_BACKEND.split(".")
    return parts[2] if parts[:2] == ["anymail", "backends"] and len(parts) > 3 else None


def webhook_secret():
    return (getattr(settings, "ANYMAIL", None) or {}).get("WEBHOOK_SECRET")


@csrf_exempt
def tracking_webhook(request, esp):
    view = TRACKING_VIEWS.get(esp)
    if view is None or esp != configured_esp():
        raise Http404
    if not webhook_secret():
        return JsonResponse(
            error_body("Tracking webhooks are closed until ANYMAIL_WEBHOOK_SECRET is set.", "webhook_closed"),
            status=403,
        )
    address = client_address(request)
    refused = WRONG_CREDENTIALS.refusal(address)
    if refused:
        log.warning("Tracking webhook refused: address %s, %d wrong credentials", address, refused.failures)
        return JsonResponse(
            error_body(
                f"Too many wrong credentials from this address; try again in {refused.minutes} minutes.",
                "too_many_failures",
            ),
            status=429,
            headers={"Retry-After": str(refused.seconds)},
        )
    try:
        # The secret first (anymail's own check, which its view repeats), then the body as the
        # API reads one: anymail's json.loads recursed on a deep body until it failed (a 500).
        AnymailBasicAuthMixin.validate_request(view.view_class(**view.view_initkwargs), request)
        if is_json(request.content_type):
            parse_json(request.body)
        return view(request)
    except InvalidInput as error:
        log.warning("Unreadable %s tracking event (%s)", esp, error)
        return JsonResponse(error.as_body(), status=400)
    except AnymailWebhookValidationFailure:  # no secret, or the ESP's signature; anymail answers an HTML 400
        WRONG_CREDENTIALS.failed(address)
        response = JsonResponse(error_body(f"This {esp} webhook needs its credentials.", "unauthorised"), status=401)
        response["WWW-Authenticate"] = 'Basic realm="tracking webhook"'
        return response
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as error:  # the ESP's body, not ours
        log.warning("Unreadable %s tracking event (%s: %s)", esp, type(error).__name__, error)
        return JsonResponse(error_body(f"This {esp} event could not be read.", "malformed_event"), status=400)
