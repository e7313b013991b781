"""The worklist's columns, as the page shows them and as CSV."""

import csv

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from kernel import clock

from .worklist import risks

COLUMNS = [
    ("number", _("order")),
    ("customer", _("customer")),
    ("email", _("email")),
    ("status", _("status")),
    ("risk", _("why at risk")),
    ("waiting_units", _("units waiting")),
    ("latest_eta", _("ETA")),
    ("promised", _("promised date")),
    ("waiting_since", _("waiting since")),
    ("po_late", _("purchase order late")),
    ("message_count", _("messages")),
    ("last_message_at", _("last message")),
    ("needs_personal_word", _("needs a personal word")),
    ("call_reason", _("call the customer")),
]


def row(entry):
    order = entry.order
    return {
        "number": order.number,
        "customer": order.customer.name,
        "email": order.customer.email,
        "status": order.get_status_display(),
        "risk": ", ".join(str(words) for words in risks(entry)),
        "waiting_units": entry.units_now or 0,
        "latest_eta": entry.latest_eta,
        "promised": entry.promised,
        "waiting_since": entry.waiting_since,
        "po_late": entry.po_late,
        "message_count": entry.message_count,
        "last_message_at": entry.last_message_at,
        "needs_personal_word": entry.needs_personal_word,
        "call_reason": order.customer.call_reason,
    }


def csv_response(entries):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="worklist-{clock.today().isoformat()}.csv"'
    writer = csv.writer(response)
    writer.writerow([str(label) for _, label in COLUMNS])
    for entry in entries.iterator(chunk_size=2000):
        values = row(entry)
        writer.writerow(["" if values[key] is None else values[key] for key, _ in COLUMNS])
    return response
