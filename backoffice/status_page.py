"""The customer's order status page, reached by the signed link in every email: the order's
lines (ready, shipped, waiting with ETA and promised date, cancelled), shipments, the emails
sent, vouchers and history; the customer switches the fulfilment policy or cancels waiting
units here. Shows orders and customer messages, so it lives in the top layer."""

from decimal import Decimal

from django.conf import settings
from django.db.models import Max, Min
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kernel.errors import DomainError, InvalidInput, NotFound
from kernel.parsers import parse_count
from kernel.ratelimit import rate_limited
from notifications.models import CustomerMessage
from orders.cancellation import CancelRequest, cancel_units
from orders.fulfilment import change_preferences
from orders.models import WAITING, Backorder, Order
from orders.status_links import order_for_status_token


def status_page(order):
    """Everything the customer's status page shows, in a fixed number of queries: lines
    with what is ready, shipped, waiting (ETA, promised date) and cancelled; shipments;
    the emails sent; vouchers; the order's history."""
    waiting = {
        row["line_id"]: row
        for row in Backorder.objects.filter(order=order, status__in=WAITING)
        .values("line_id")
        .annotate(eta=Max("eta"), promised=Min("promised_date"))
    }
    lines = []
    for line in order.lines.select_related("product").order_by("position"):
        dates = waiting.get(line.pk, {})
        lines.append(
            {
                "line": line,
                "sku": line.product.sku,
                "name": line.product.name,
                "eta": dates.get("eta"),
                "promised": dates.get("promised"),
                "cancellable": line.unshipped,
            }
        )
    shipments = list(order.shipments.prefetch_related("lines__line__product").order_by("shipped_at", "id"))
    return {
        "order": order,
        "lines": lines,
        "shipments": shipments,
        "emails": list(order.messages.filter(status__in=CustomerMessage.WENT_OUT).order_by("sent_at", "id")),
        "vouchers": list(order.vouchers.all()),
        "events": list(order.events.all()),
        "waiting": any(line["line"].backordered for line in lines),
        "cancellable": any(line["cancellable"] for line in lines),
    }


def _refused(request):
    return render(request, "status/limited.html", {"shop_name": settings.SHOP_NAME}, status=429)


def _status_page(view):
    """The shared front of every status page request: rate limit, token, language."""

    @rate_limited("status", lambda: settings.STATUS_PAGE_REQUESTS_PER_MINUTE, _refused)
    def wrapper(request, token, *args, **kwargs):
        languages = dict(settings.LANGUAGES)
        try:
            order = order_for_status_token(token)
        except NotFound:
            # No order to take the language from: the one asked for, else the browser's
            # (LocaleMiddleware read it from Accept-Language).
            asked = request.GET.get("lang")
            language = asked if asked in languages else translation.get_language_from_request(request)
            with translation.override(language):
                return render(
                    request, "status/invalid.html", {"language": language, "shop_name": settings.SHOP_NAME}, status=404
                )
        asked = request.GET.get("lang") or request.POST.get("lang")
        language = asked if asked in languages else order.customer.language
        with translation.override(language):
            return view(request, order, token, language, *args, **kwargs)

    return wrapper


def _page(request, template, order, token, language, page=None, status=200, **context):
    return render(
        request,
        template,
        {
            **(page or status_page(order)),
            "token": token,
            "language": language,
            "shop_name": settings.SHOP_NAME,
            "other_language": "en" if language == "de" else "de",
            **context,
        },
        status=status,
    )


@require_GET
@_status_page
def status_page_view(request, order, token, language):
    return _page(request, "status/order.html", order, token, language, done=request.GET.get("done", ""))


@require_POST
@_status_page
def change_policy(request, order, token, language):
    policy = request.POST.get("fulfilment_policy")
    if policy not in Order.Policy.values:
        return _page(
            request,
            "status/order.html",
            order,
            token,
            language,
            status=400,
            error=_("Please choose how we should ship."),
        )
    change_preferences(order.number, fulfilment_policy=policy, by_customer=True)
    return HttpResponseRedirect(f"/status/{token}/?lang={language}&done=policy")


@require_http_methods(["GET", "POST"])
@_status_page
def cancel(request, order, token, language):
    """Step one: how many of each line; step two: the refund, confirmed; then cancelled. A
    choice the page cannot take (not a number from 0 to what is left) is shown on the page,
    answered 400."""
    page = status_page(order)
    wanted, problems, status = {}, [], 400
    if request.method == "POST":
        for line in page["lines"]:
            name = f"line-{line['line'].pk}"
            try:
                units = parse_count(request.POST.get(name, "0").strip() or "0", name, 0, line["cancellable"])
            except InvalidInput:
                problems.append(
                    _("%(name)s: choose between 0 and %(most)s.") % {"name": line["name"], "most": line["cancellable"]}
                )
            else:
                if units:
                    wanted[line["sku"]] = (line, units)
        if not wanted and not problems:
            problems.append(_("Choose at least one item to cancel."))
    refund = sum((line["line"].unit_price * units for line, units in wanted.values()), Decimal("0"))
    step = request.POST.get("step") if request.method == "POST" and not problems else "choose"
    if step == "confirm":
        try:
            cancel_units(
                order.number,
                [CancelRequest(sku, units) for sku, (_line, units) in wanted.items()],
                by_customer=True,
            )
        except DomainError as error:
            problems.append(str(error))
            status = error.status
        else:
            return HttpResponseRedirect(f"/status/{token}/?lang={language}&done=cancelled")
    return _page(
        request,
        "status/cancel.html",
        order,
        token,
        language,
        page=page,
        problems=problems,
        refund=refund,
        chosen={line["line"].pk: units for line, units in wanted.values()},
        review=step == "review" and not problems,
        status=status if problems else 200,
    )
