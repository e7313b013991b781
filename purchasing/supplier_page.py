"""The supplier's page, reached by the personal link in the purchase order email: no login, the
link is the key (supplier_links), rate-limited per address, in the supplier's language (or the
one it switches to), made for a phone. A thin caller of `answers`: each form carries the
version it was rendered from; an answer redirects to the page (a reload sends nothing again),
a refusal shows the page with what was wrong (400) or, when the order changed meanwhile, the
order as it is now (409)."""

import datetime

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kernel.errors import Conflict, DomainError, InvalidInput, NotFound
from kernel.parsers import parse_count
from kernel.ratelimit import rate_limited

from . import answers
from .supplier_links import link_for_token

MAX_CSV_BYTES = 1_000_000


def _refused(request):
    return render(request, "status/limited.html", {"shop_name": settings.SHOP_NAME}, status=429)


def _supplier_page(view):
    """Rate limit, token, language: the front of every request to the page."""

    @rate_limited("supplier", lambda: settings.SUPPLIER_PAGE_REQUESTS_PER_MINUTE, _refused)
    def wrapper(request, token, *args, **kwargs):
        languages = dict(settings.LANGUAGES)
        asked = request.GET.get("lang") or request.POST.get("lang")
        try:
            link = link_for_token(token)
        except NotFound:
            language = asked if asked in languages else settings.LANGUAGE_CODE
            with translation.override(language):
                context = {"language": language, "shop_name": settings.SHOP_NAME}
                return render(request, "status/invalid.html", context, status=404)
        language = asked if asked in languages else link.purchase_order.supplier.language
        with translation.override(language):
            return view(request, token, language, *args, **kwargs)

    return wrapper


def _show(request, token, language, status=200, **context):
    return render(
        request,
        "purchasing/supplier/order.html",
        {
            **answers.page(token),
            "token": token,
            "language": language,
            "other_language": "en" if language == "de" else "de",
            "shop_name": settings.SHOP_NAME,
            "done": request.GET.get("done", ""),
            **context,
        },
        status=status,
    )


def _date(text, what):
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput.one(_("%(what)s: give a date.") % {"what": what}, code="invalid_date") from None


def _line_id(text):
    return parse_count(text or "", "line", 1)


def _answer(request, token):
    """Apply the answer the form names; returns what the page then says (or the dry run's rows)."""
    post, version, kind = request.POST, request.POST.get("version", ""), request.POST.get("answer")
    if kind == "confirm":
        answers.confirm(token, version)
    elif kind == "redate":
        every = post.get("all_date", "").strip()
        if every:
            line_ids = [key.removeprefix("date-") for key in post if key.startswith("date-")]
            chosen = {_line_id(line_id): _date(every, _("one date for all")) for line_id in line_ids}
        else:
            chosen = {
                _line_id(key.removeprefix("date-")): _date(value, _("date"))
                for key, value in post.items()
                if key.startswith("date-") and value.strip() and value.strip() != post.get(f"was-{key[5:]}")
            }
        answers.redate(token, version, chosen)
    elif kind == "short":
        rest = post.get("rest") == "later"
        answers.short_delivery(
            token,
            version,
            _line_id(post.get("line")),
            parse_count(post.get("quantity", "").strip(), "quantity"),
            _date(post.get("rest_date", ""), _("date for the rest")) if rest else None,
        )
    elif kind == "ship":
        quantities = {
            _line_id(key.removeprefix("ship-")): parse_count(value.strip(), "quantity")
            for key, value in post.items()
            if key.startswith("ship-") and value.strip()
        }
        answers.announce_shipment(
            token,
            version,
            quantities,
            _date(post.get("arrival", ""), _("arrival")),
            carrier=post.get("carrier", "").strip(),
            tracking_number=post.get("tracking", "").strip(),
        )
    elif kind == "csv":
        upload = request.FILES.get("file")
        if upload is not None:
            if upload.size > MAX_CSV_BYTES:
                raise InvalidInput.one(_("The file is larger than 1 MB."), field="file")
            text = upload.read().decode("utf-8-sig", errors="replace")
        else:
            text = post.get("csv_text", "")
        dry_run = post.get("apply") != "yes"
        changes = answers.upload_csv(token, version, text, dry_run=dry_run)
        if dry_run:
            return {"preview": changes, "csv_text": text}
    else:
        raise InvalidInput.one(_("Choose an answer."), field="answer")
    return None


@require_http_methods(["GET", "POST"])
@_supplier_page
def supplier_page_view(request, token, language):
    if request.method == "GET":
        return _show(request, token, language)
    try:
        preview = _answer(request, token)
    except Conflict as error:
        changed = any(problem.code == "changed_meanwhile" for problem in error.problems)
        message = _("This order changed meanwhile; nothing was changed. Here it is as it is now.")
        return _show(request, token, language, status=409, error=message if changed else str(error))
    except DomainError as error:
        by_row = error.problems if request.POST.get("answer") == "csv" else None
        return _show(request, token, language, status=error.status, error=str(error), problems=by_row)
    if preview is not None:
        return _show(request, token, language, **preview)
    kind = request.POST.get("answer")
    return HttpResponseRedirect(f"/supplier/{token}/?lang={language}&done={kind}")


@require_GET
@_supplier_page
def supplier_csv_view(request, token, language):
    response = HttpResponse(answers.lines_csv(token), content_type="text/csv; charset=utf-8")
    number = link_for_token(token).purchase_order.number
    response["Content-Disposition"] = f'attachment; filename="{number}.csv"'
    return response
