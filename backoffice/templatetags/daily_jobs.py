"""The daily jobs on the admin index: where each job's list is, and how much it has waiting (a
count per link the user may follow, each one indexed query; the worklist's as its page
counts it: the summary's orders that still wait or are to be called)."""

from django import template
from django.urls import reverse

from notifications.models import WorklistRefresh
from notifications.worklist import at_risk_orders
from orders.admin import ready_to_ship_url
from orders.models import Order
from purchasing.models import PurchaseOrder
from purchasing.pages.goods_in import receive_list_url
from purchasing.pages.supplier_answers import waiting_for_supplier_url
from purchasing.selectors import answers_to_review, without_supplier
from purchasing.supplier_links import waiting_for_supplier

register = template.Library()


@register.simple_tag(takes_context=True)
def daily_job_counts(context):
    user = context["request"].user
    counts = {}
    if user.has_perm("purchasing.receive_purchaseorder"):
        counts["receive"] = PurchaseOrder.objects.filter(
            status__in=PurchaseOrder.RECEIVABLE, dropship_order__isnull=True
        ).count()  # goods in: what comes to the warehouse
    if user.has_perm("orders.add_shipment"):
        counts["ship"] = Order.objects.filter(status=Order.Status.READY_TO_SHIP).count()
    if user.has_perm("purchasing.change_purchaseorder"):
        counts["drafts"] = PurchaseOrder.objects.filter(status=PurchaseOrder.Status.DRAFT).count()
        counts["waiting_for_supplier"] = waiting_for_supplier().count()
        counts["answers_to_review"] = answers_to_review().count()
    if user.has_perm("purchasing.view_reorderpolicy"):
        counts["without_supplier"] = len(without_supplier())
    if user.has_perm("notifications.send_customermessage"):
        built = WorklistRefresh.objects.filter(pk=1).exists()
        counts["worklist"] = at_risk_orders().count() if built else None
    return counts


@register.simple_tag
def daily_job_urls():
    return {
        "receive": receive_list_url(),
        "ship": ready_to_ship_url(),
        "waiting_for_supplier": waiting_for_supplier_url(),
        "answers_to_review": reverse("admin:purchasing_supplieranswer_changelist") + "?review=due",
    }
