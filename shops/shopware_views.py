"""The Shopware app's three doors (the rules are shopware_app.py's): the registration, its
confirmation, and the webhook. A webhook is stored in the inbox (once per Shopware event id)
and answered at once; a worker applies it."""

import logging

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from kernel.queue import enqueue_after_commit

from . import inbox, shopware_app
from .platforms import shopware
from .tasks import process_event

log = logging.getLogger(__name__)


def _refused(refused):
    log.warning("Shopware: %s", refused)
    code = {400: "invalid", 401: "refused", 404: "not_found"}.get(refused.status, "unavailable")
    return JsonResponse({"errors": [{"message": str(refused), "code": code}]}, status=refused.status)


@require_GET
def register(request):
    try:
        return JsonResponse(shopware_app.register(request.META.get("QUERY_STRING", ""), request.headers))
    except shopware_app.Refused as refused:
        return _refused(refused)


@csrf_exempt
@require_POST
def confirm(request):
    try:
        connection = shopware_app.confirm(request.body, request.headers)
    except shopware_app.Refused as refused:
        return _refused(refused)
    log.info("Shopware shop %s (%s) is connected.", connection.code, connection.url)
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def webhook(request):
    body = request.body
    try:
        connection = shopware_app.webhook_connection(body, request.headers)
    except shopware_app.Refused as refused:
        return _refused(refused)
    rows = shopware.deliveries(body)
    if rows[0][1] == "app.deleted":
        shopware_app.deactivate(connection)
        return HttpResponse(status=200)
    for key, topic, shop_order_id, stored in rows:
        event_id = inbox.store(connection, key, topic, shop_order_id, stored)
        if event_id is not None:  # None: the same event again (Shopware retries), stored the first time
            enqueue_after_commit(process_event, event_id)
    return HttpResponse(status=200)
