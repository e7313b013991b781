"""`POST /shops/CODE/webhook/`: the shop's signed events, stored and answered at once.

Rules:
- The signature is checked on the raw bytes before anything is parsed: base64 HMAC-SHA256 of
  the body with the connection's webhook secret (Shopify `X-Shopify-Hmac-Sha256`, WooCommerce
  `X-WC-Webhook-Signature`), compared in constant time. Wrong, missing or made for other bytes
  (a body re-serialised on its way): 401, nothing stored. An unknown code: 404.
- WooCommerce's ping when a webhook is created (form body `webhook_id=N`, unsigned): 200.
- A signed event is stored in the inbox, once per (connection, delivery key), and answered
  200; a worker applies it (asked after commit; beat's sweep finds one that was not asked).
  Answering parses nothing but the delivery's key: it must stay fast (the shop gives up after
  seconds and WooCommerce disables a webhook after 5 failures)."""

import logging

from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kernel import clock
from kernel.errors import NotFound
from kernel.queue import enqueue_after_commit

from . import platforms, secrets
from .models import InboxEvent, ShopConnection

log = logging.getLogger(__name__)


def _refused(status, message):
    return JsonResponse(
        {"errors": [{"message": message, "code": "refused" if status == 401 else "not_found"}]}, status=status
    )


@csrf_exempt
@require_POST
def webhook(request, code):
    connection = ShopConnection.objects.filter(code=code, active=True).first()
    if connection is None:
        return JsonResponse(NotFound.one(f"No shop {code}.", field="code", code="not_found").as_body(), status=404)
    platform = platforms.of(connection)
    body = request.body
    if platform.is_ping(request.headers, body):
        return HttpResponse(status=200)
    if not platform.signed(secrets.secret(connection, "webhook_secret"), request.headers, body):
        log.warning("Shop %s: a webhook with a wrong or missing signature was refused.", code)
        return _refused(401, "The signature does not match this body.")
    key, topic, shop_order_id = platform.delivery(request.headers, body)
    try:
        with transaction.atomic():
            event = InboxEvent.objects.create(
                connection=connection,
                delivery_key=key,
                topic=topic,
                shop_order_id=shop_order_id,
                body=body.decode("utf-8", errors="replace"),
                received_at=clock.now(),
            )
            from .tasks import process_event

            enqueue_after_commit(process_event, event.pk)
    except IntegrityError:
        pass  # the same delivery again: stored the first time
    return HttpResponse(status=200)
