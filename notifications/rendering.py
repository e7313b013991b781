"""One render function for every customer email: sending, the admin preview and tests all
use it. Templates live in templates/notifications/emails/<kind>-{subject.txt,body.txt,body.html}
and are rendered in the customer's language, dates in that locale."""

from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext

from orders.status_links import status_url


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(kind, state, *, language=None, voucher=None, **extra):
    """The email of `kind` about an order in the state `state` (selectors.OrderState).
    `extra` adds what one kind needs: shipped_lines, cancelled_lines and refund, text/title/author."""
    order = state.order
    language = language or order.customer.language
    waiting = state.waiting_lines
    delayed = [line for line in waiting if line.delayed] or waiting
    context = {
        "order": order,
        "language": language,
        "latest_eta": max((line.eta for line in delayed), default=None),
        "can_ship_rest": state.can_ship_rest,
        "status_url": status_url(order),
        "shop_name": settings.SHOP_NAME,
        "voucher": voucher,
        **extra,
    }
    with translation.override(language):
        # Each line's date, phrased once here for both the text and the HTML body.
        context["waiting_lines"] = [
            {"waiting": line.waiting, "name": line.name, "sku": line.sku, "delayed": line.delayed, "when": _when(line)}
            for line in waiting
        ]
        subject = " ".join(render_to_string(f"notifications/emails/{kind}-subject.txt", context).split())
        context["subject"] = subject
        text = render_to_string(f"notifications/emails/{kind}-body.txt", context)
        html = render_to_string(f"notifications/emails/{kind}-body.html", context)
    return Rendered(subject[:300], _tidy(text), html)


def _when(line):
    new = formats.date_format(line.eta, "DATE_FORMAT")
    if line.delayed:
        return gettext("now expected on %(new)s (we had told you %(old)s)") % {
            "new": new, "old": formats.date_format(line.told, "DATE_FORMAT"),
        }
    return gettext("expected on %(new)s") % {"new": new}


def _tidy(text):
    """Template tags leave runs of blank lines in plain text; keep at most one."""
    lines, blank = [], False
    for line in text.strip().splitlines():
        line = line.rstrip()
        if line or not blank:
            lines.append(line)
        blank = not line
    return "\n".join(lines) + "\n"
