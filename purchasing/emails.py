import csv
import io

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation


def purchase_order_email(po):
    """The purchase order for the supplier, in the supplier's language, lines as CSV, with the
    supplier's personal link to answer it (made now where the order has none)."""
    from .supplier_links import active_link, link_url

    lines = list(po.lines.select_related("product").order_by("product__sku"))
    context = {"po": po, "supplier": po.supplier, "lines": lines, "link": link_url(active_link(po))}
    with translation.override(po.supplier.language):
        subject = render_to_string("purchasing/emails/purchase-order-subject.txt", context).strip()
        body = render_to_string("purchasing/emails/purchase-order-body.txt", context)
    attachment = io.StringIO()
    writer = csv.writer(attachment)
    writer.writerow(["supplier_sku", "sku", "name", "quantity", "unit_cost", "expected_date"])
    for line in lines:
        writer.writerow(
            [
                line.supplier_sku,
                line.product.sku,
                line.product.name,
                line.quantity,
                line.unit_cost,
                line.expected_date.isoformat(),
            ]
        )
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [po.supplier.email])
    message.attach(f"{po.number}.csv", attachment.getvalue(), "text/csv")
    return message


def dropship_cancellation_email(po, cancelled):
    """The customer cancelled units of a dropship order already sent: the supplier, in their
    language, hears the purchase order, the lines and units cancelled and what still stands.
    `cancelled`: (line, units cancelled, units left) per line."""
    context = {"po": po, "supplier": po.supplier, "cancelled": cancelled}
    with translation.override(po.supplier.language):
        subject = render_to_string("purchasing/emails/dropship-cancellation-subject.txt", context).strip()
        body = render_to_string("purchasing/emails/dropship-cancellation-body.txt", context)
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [po.supplier.email])


def reminder_email(po):
    """The one reminder to confirm a purchase order, with the supplier's link, in its language."""
    from .supplier_links import active_link, link_url

    context = {"po": po, "supplier": po.supplier, "link": link_url(active_link(po))}
    with translation.override(po.supplier.language):
        subject = render_to_string("purchasing/emails/reminder-subject.txt", context).strip()
        body = render_to_string("purchasing/emails/reminder-body.txt", context)
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [po.supplier.email])
