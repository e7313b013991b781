"""The managers' dashboard: an admin page assembling each app's figures (selectors), with
server-rendered SVG bars where people would rather look than read."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from backoffice import clock
from notifications.selectors import message_figures
from orders.selectors import backorder_figures
from purchasing.selectors import supplier_figures


def bars(rows, value, label, width=420):
    """Rows for a horizontal SVG bar chart: each with its label, value and bar width."""
    largest = max((row[value] or 0 for row in rows), default=0)
    return [
        {"label": row[label] if isinstance(label, str) else label(row), "value": row[value] or 0,
         "width": round(width * (row[value] or 0) / largest) if largest else 0, "y": index * 26}
        for index, row in enumerate(rows)
    ]


def dashboard_view(request):
    if not request.user.has_perm("orders.view_dashboard"):
        raise PermissionDenied
    now = clock.now()
    figures = backorder_figures(now)
    age_label = lambda row: (_("%(low)s–%(high)s days") % row) if row["high"] else (_("over %(low)s days") % {"low": row["low"] - 1})
    context = {
        **admin.site.each_context(request),
        "title": _("Dashboard"),
        **figures,
        "suppliers": supplier_figures(now),
        "messages_30": message_figures(now, 30),
        "age_bars": bars(figures["ages"], "units", age_label),
        "sku_bars": bars(figures["top_skus"], "units", "product__sku"),
        "fill_rows": [(days, figures["fill"][days]) for days in (30, 90)],
    }
    return TemplateResponse(request, "admin/dashboard.html", context)
