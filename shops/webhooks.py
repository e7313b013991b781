"""`POST /shops/CODE/webhook/`: the shop's signed events, stored and answered at once.

Rules:
- The signature is checked on the raw bytes before anything is parsed: base64 HMAC-SHA256 of
  the body with the connection's webhook secret (Shopify `X-Shopify-Hmac-Sha256`, WooCommerce
  `X-WC-Webhook-Signature`), compared in constant time. Wrong, missing or made for other bytes
  (a body re-serialised on its way): 401, nothing stored. An unknown code: 404.
- WooCommerce's ping when a webhook is created (form body `webhook_id=N`, unsigned): 200.
- Shopware's events are not taken here (its platform signs nothing for this door): they come
  to the app's own door, `/shops/shopware/webhook/` (shopware_views.py), which checks their time too.
- A signed event is stored in the inbox, once per (connection, delivery key), and answered
  200; a worker applies it (asked once the row is stored; beat's sweep finds one that was not
  asked). Answering is one write (inbox.store) and one publish, parsing nothing but the
  delivery's key: it must stay fast (the shop gives up after seconds and WooCommerce disables
  a webhook after 5 failures). The connection is read once per process and kept; the write
  checks it is still active with the same secrets, and a webhook it refuses or that fails
  its signature is answered with the connection read again (a change in admin counts at once)."""

import logging

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kernel.errors import NotFound
from kernel.queue import enqueue_after_commit

from . import inbox, platforms, secrets
from .models import ShopConnection
from .tasks import process_event

log = logging.getLogger(__name__)


def _refused(status, message):
    return JsonResponse(
        {"errors": [{"message": message, "code": "refused" if status == 401 else "not_found"}]}, status=status
    )


# Each connection as this process last read it, by code: a webhook for it is answered without
# reading it again (inbox.store writes the row only while it is unchanged).
_known = {}


def _connection(code):
    """Read the active connection `code`, with only what answering needs (the ORM's query
    building would cost more than the query), and remember it."""
    connection = next(
        iter(
            ShopConnection.objects.raw(
                f"SELECT id, platform, secrets FROM {ShopConnection._meta.db_table} WHERE code = %s AND active", [code]
            )
        ),
        None,
    )
    if connection is None:
        _known.pop(code, None)
    else:
        _known[code] = connection
    return connection


@csrf_exempt
@require_POST
def webhook(request, code):
    """With the connection remembered from an earlier webhook first; when that one may be out
    of date (its signature fails, or it changed: inbox.store writes nothing), with the one
    read now."""
    body = request.body
    remembered = _known.get(code)
    if remembered is not None and (answer := _answer(request, code, body, remembered, remembered=True)):
        return answer
    connection = _connection(code)
    if connection is None:
        return JsonResponse(NotFound.one(f"No shop {code}.", field="code", code="not_found").as_body(), status=404)
    return _answer(request, code, body, connection, remembered=False)


def _answer(request, code, body, connection, *, remembered):
    """The answer with this connection; None when a remembered one may be out of date."""
    platform = platforms.of(connection)
    if platform.is_ping(request.headers, body):
        return HttpResponse(status=200)
    if not platform.signed(secrets.secret(connection, "webhook_secret"), request.headers, body):
        if remembered:
            return None  # the secret may have changed since: read it again
        log.warning("Shop %s: a webhook with a wrong or missing signature was refused.", code)
        return _refused(401, "The signature does not match this body.")
    key, topic, shop_order_id = platform.delivery(request.headers, body)
    event_id = inbox.store(
        connection, key, topic, shop_order_id, body.decode("utf-8", errors="replace"), if_unchanged=remembered
    )
    if event_id is None:  # the same delivery again (stored the first time), or the remembered connection changed
        return None if remembered else HttpResponse(status=200)
    enqueue_after_commit(process_event, event_id)
    return HttpResponse(status=200)
