"""The managers' dashboard: an admin page assembling each app's figures (selectors), with
server-rendered SVG bars where people would rather look than read. The figures are kept in a
snapshot a job refreshes every SUMMARY_REFRESH_MINUTES (the page says "as of"; a manager can
refresh it at once). Each figure says what it counts and links to the admin list behind it
(`drilldown`: the list with the filters that select what the figure counts)."""

import datetime
import json
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.models import DashboardSnapshot
from kernel import clock
from notifications.models import CustomerMessage
from notifications.selectors import message_figures
from orders.models import WAITING
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


def _list(model, **filters):
    return reverse(f"admin:{model}_changelist") + ("?" + urlencode(filters) if filters else "")


def drilldown(as_of):
    """Each figure's list: the admin changelist with the filters that select what it counts
    (windows from the day of the snapshot, as the figures were counted)."""
    day = timezone.localdate(as_of)

    def since(days):  # the start of that day in the site's zone, with its offset
        start = datetime.datetime.combine(day - datetime.timedelta(days=days), datetime.time())
        return timezone.make_aware(start).isoformat()

    Status = CustomerMessage.Status
    return {
        "waiting": _list("orders_backorder", status__in=",".join(WAITING)),
        "waiting_orders": _list("orders_order", waiting="0"),
        "backordered_90": _list("orders_backorder", created_at__gte=since(90)),
        "lost": _list("orders_backorder", cancelled__gt="0", created_at__gte=since(90)),
        "filled": {days: _list("orders_backorder", filled_at__gte=since(days)) for days in (30, 90)},
        "late_purchase_orders": _list("purchasing_purchaseorder", late="yes"),
        "messages_sent": _list(
            "notifications_customermessage",
            status__in=",".join(CustomerMessage.WENT_OUT),
            created_at__gte=since(30),
        ),
        "messages_delays": _list(
            "notifications_customermessage",
            kind__in=",".join([CustomerMessage.Kind.DELAY_NOTICE, CustomerMessage.Kind.APOLOGY]),
            created_at__gte=since(30),
        ),
        "messages_bounced": _list(
            "notifications_customermessage",
            status__in=",".join([Status.BOUNCED, Status.COMPLAINED]),
            created_at__gte=since(30),
        ),
        "messages_failed": _list(
            "notifications_customermessage", status__exact=Status.FAILED, created_at__gte=since(30)
        ),
        "suppliers": _list("purchasing_supplier"),
    }


def top_skus(rows):
    """The SKUs most waited for, each with its product's page and the backorders waiting for it."""
    largest = max((row["units"] for row in rows), default=0)
    return [
        {
            **row,
            # A snapshot kept before the figures carried the product's id has no links, until refreshed.
            "product_url": row.get("product_id")
            and reverse("admin:inventory_product_change", args=[row["product_id"]]),
            "waiting_url": row.get("product_id")
            and _list("orders_backorder", product__id__exact=row["product_id"], status__in=",".join(WAITING)),
            "width": round(200 * row["units"] / largest) if largest else 0,
        }
        for row in rows
    ]


def dashboard_view(request):
    """The managers' page; who may open it is said where its URL is (backoffice/urls.py)."""
    if request.method == "POST" and "refresh" in request.POST:
        refresh_dashboard()
        return HttpResponseRedirect(request.path)
    snapshot = current_figures()
    figures = snapshot.figures

    def age_label(row):
        return (_("%(low)s–%(high)s days") % row) if row["high"] else (_("over %(low)s days") % {"low": row["low"] - 1})

    context = {
        **admin.site.each_context(request),
        "title": _("Dashboard"),
        "as_of": snapshot.as_of,
        **figures,
        "age_bars": bars(figures["ages"], "units", age_label),
        "top_skus": top_skus(figures["top_skus"]),
        "links": drilldown(snapshot.as_of),
        "fill_rows": [(days, figures["fill"][str(days)]) for days in (30, 90)],
        "on_time_days": ON_TIME_WINDOW_DAYS,
    }
    return TemplateResponse(request, "admin/dashboard.html", context)
