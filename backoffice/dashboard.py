"""The managers' dashboard: an admin page assembling each app's figures (selectors), with
server-rendered SVG bars where people would rather look than read. The figures are kept in a
snapshot a job refreshes every SUMMARY_REFRESH_MINUTES (the page says "as of"; a manager can
refresh it at once)."""

import json

from django.conf import settings
from django.contrib import admin
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from backoffice.models import DashboardSnapshot
from kernel import clock
from notifications.selectors import message_figures
from orders.selectors import backorder_figures
from purchasing.dates import ON_TIME_WINDOW_DAYS
from purchasing.selectors import supplier_figures


def bars(rows, value, label, width=420):
    """Rows for a horizontal SVG bar chart: each with its label, value and bar width."""
    largest = max((row[value] or 0 for row in rows), default=0)
    return [
        {
            "label": row[label] if isinstance(label, str) else label(row),
            "value": row[value] or 0,
            "width": round(width * (row[value] or 0) / largest) if largest else 0,
            "y": index * 26,
        }
        for index, row in enumerate(rows)
    ]


def refresh_dashboard():
    """Compute every figure now and keep them (as JSON: money as exact decimal strings)."""
    now = clock.now()
    figures = {
        **backorder_figures(now),
        "suppliers": supplier_figures(now),
        "messages_30": message_figures(now, 30),
    }
    figures = json.loads(json.dumps(figures, cls=DjangoJSONEncoder))
    DashboardSnapshot.objects.update_or_create(pk=1, defaults={"figures": figures, "as_of": now})


def current_figures():
    """The kept figures; computed now if there are none or they are older than SUMMARY_REFRESH_MINUTES."""
    snapshot = DashboardSnapshot.objects.filter(pk=1).first()
    if clock.stale(snapshot and snapshot.as_of, settings.SUMMARY_REFRESH_MINUTES):
        refresh_dashboard()
        snapshot = DashboardSnapshot.objects.get(pk=1)
    return snapshot


def dashboard_view(request):
    """The managers' page; who may open it is said where its URL is (backoffice/urls.py)."""
    if request.method == "POST" and "refresh" in request.POST:
        refresh_dashboard()
        return HttpResponseRedirect(request.path)
    snapshot = current_figures()
    figures = snapshot.figures
    age_label = lambda row: (
        (_("%(low)s–%(high)s days") % row) if row["high"] else (_("over %(low)s days") % {"low": row["low"] - 1})
    )
    context = {
        **admin.site.each_context(request),
        "title": _("Dashboard"),
        "as_of": snapshot.as_of,
        **figures,
        "age_bars": bars(figures["ages"], "units", age_label),
        "sku_bars": bars(figures["top_skus"], "units", "product__sku"),
        "fill_rows": [(days, figures["fill"][str(days)]) for days in (30, 90)],
        "on_time_days": ON_TIME_WINDOW_DAYS,
    }
    return TemplateResponse(request, "admin/dashboard.html", context)
