"""One render function for every customer email: sending, the admin preview and tests all
use it. Templates live in templates/notifications/emails/<kind>-{subject.txt,body.txt,body.html}
and are rendered in the customer's language, dates in that locale.

Rules: the event that causes a message writes what it must say as data (`snapshot`: each
waiting line's units, dates and whether it slipped, the voucher, the shipped or cancelled
lines) with the outbox row, in the event's transaction; the text is rendered from that data
just before sending (`render_data`), outside any event's transaction. What was sent is kept."""

import datetime
import json
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kernel.formats import day
from orders.status_links import status_url

# Ready texts for "send update"; rendered in each customer's language.
UPDATE_TEMPLATES = {
    "status": _("Here is where your order stands today. We will write again as soon as anything changes."),
    "supplier_delay": _(
        "Our supplier has told us of a delay. We are doing what we can to get your items sooner and will "
        "keep you informed. If you would rather not wait, you can cancel the waiting items at any time."
    ),
    "partial_offer": _(
        "Part of your order is ready. If you like, we send it now and the rest as soon as it arrives: "
        "one click on the page below."
    ),
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Line:
    waiting: int
    name: str
    sku: str
    delayed: bool
    eta: datetime.date
    told: datetime.date


def snapshot(state, *, voucher=None, **extra):
    """What a message about an order in the state `state` (selectors.OrderState) says, as
    JSON-ready data. `extra` adds what one kind needs: shipped_lines, cancelled_lines and
    refund, text/title/author."""
    return json.loads(
        json.dumps(
            {
                "waiting_lines": [
                    {
                        "waiting": line.waiting,
                        "name": line.name,
                        "sku": line.sku,
                        "delayed": line.delayed,
                        "eta": line.eta,
                        "told": line.told,
                    }
                    for line in state.waiting_lines
                ],
                "can_ship_rest": state.can_ship_rest,
                "voucher": voucher
                and {
                    "code": voucher.code,
                    "kind": voucher.kind,
                    "value": voucher.value,
                    "valid_until": voucher.valid_until,
                },
                **extra,
            },
            cls=DjangoJSONEncoder,
        )
    )


def render(kind, state, *, language=None, **extra):
    """The email of `kind` about an order in the state `state`, as it would be sent now (previews, tests)."""
    return render_data(kind, state.order, snapshot(state, **extra), language=language)


def render_data(kind, order, data, *, language=None):
    """The email of `kind` about `order` saying what `data` (a snapshot) holds."""
    language = language or order.customer.language
    data = dict(data)
    waiting = [
        Line(**{**line, "eta": _date(line["eta"]), "told": _date(line["told"])}) for line in data.pop("waiting_lines")
    ]
    voucher = data.pop("voucher")
    if voucher:
        voucher = {**voucher, "value": Decimal(voucher["value"]), "valid_until": _date(voucher["valid_until"])}
    delayed = [line for line in waiting if line.delayed] or waiting
    context = {
        **data,
        "order": order,
        "language": language,
        "latest_eta": max((line.eta for line in delayed), default=None),
        "status_url": status_url(order),
        "shop_name": settings.SHOP_NAME,
        "voucher": voucher,
    }
    with translation.override(language):
        if data.get("ready_text"):
            context["text"] = str(UPDATE_TEMPLATES[data["ready_text"]])
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


def _date(value):
    return datetime.date.fromisoformat(value) if value else None


def _when(line):
    new = day(line.eta)
    if line.delayed:
        return gettext("now expected on %(new)s (we had told you %(old)s)") % {"new": new, "old": day(line.told)}
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
