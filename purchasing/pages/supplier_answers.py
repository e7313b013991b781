"""The supplier's link and answers on the purchase order pages: the link to copy, resend or
revoke (each with a confirmation page), the answers given through it (who, when, what
changed), announced shipments on the lists (goods in sees "announced: 40 arriving 12 Jan"),
and the list "waiting for the supplier" (reminded, still unconfirmed)."""

from django.contrib import admin, messages
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from kernel.admin_tools import admin_page, confirm_action
from kernel.errors import DomainError

from ..models import AnnouncedShipment, PurchaseOrder, PurchaseOrderLine
from ..supplier_links import link_url, resend, revoke


class WaitingForSupplierFilter(admin.SimpleListFilter):
    title = _("supplier")
    parameter_name = "supplier_answer"

    def lookups(self, request, model_admin):
        return [("waiting", _("waiting for the supplier"))]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(status=PurchaseOrder.Status.SENT, reminder__sent_at__isnull=False)
        return queryset


def waiting_for_supplier_url():
    return reverse("admin:purchasing_purchaseorder_changelist") + "?supplier_answer=waiting"


class SupplierAnswers:
    """Mixed into the purchase order admin."""

    supplier_fields = ["supplier_link", "supplier_answers"]

    def get_queryset(self, request):
        # The announced shipments of the page's orders: one query per page, not one per row.
        announced = AnnouncedShipment.objects.order_by("arrival_date", "id")
        lines = PurchaseOrderLine.objects.prefetch_related(Prefetch("announcements", queryset=announced))
        return super().get_queryset(request).prefetch_related(Prefetch("lines", queryset=lines))

    @admin.display(description=_("announced"))
    def announced(self, po):
        shipments = [shipment for line in po.lines.all() for shipment in line.announcements.all()]
        if po.status not in PurchaseOrder.RECEIVABLE or not shipments:
            return ""
        return format_html_join(
            mark_safe("<br>"),
            "{}",
            (
                (
                    _("announced: %(units)s arriving %(date)s")
                    % {"units": shipment.quantity, "date": formats.date_format(shipment.arrival_date, "j M")},
                )
                for shipment in shipments
            ),
        )

    @admin.display(description=_("supplier link"))
    def supplier_link(self, po):
        link = po.supplier_links.filter(revoked_at__isnull=True).first()
        if po.status not in PurchaseOrder.RECEIVABLE:
            return _("none: only a sent order that waits for goods has one")
        resend_url = reverse("admin:purchasing_purchaseorder_supplier_link_resend", args=[po.pk])
        revoke_url = reverse("admin:purchasing_purchaseorder_supplier_link_revoke", args=[po.pk])
        if link is None:
            return format_html('{} <a class="button" href="{}">{}</a>', _("revoked"), resend_url, _("Send a new link"))
        url = link_url(link)
        return format_html(
            '<input type="text" readonly value="{}" id="supplier-link" size="60"> '
            '<button type="button" class="button" onclick="navigator.clipboard.writeText('
            "document.getElementById('supplier-link').value)\">{}</button> "
            '<a class="button" href="{}">{}</a> <a class="button" href="{}">{}</a>',
            url,
            _("Copy"),
            resend_url,
            _("Resend"),
            revoke_url,
            _("Revoke"),
        )

    @admin.display(description=_("supplier's answers"))
    def supplier_answers(self, po):
        answers = list(po.supplier_answers.order_by("answered_at", "id"))
        if not answers:
            return "-"
        return format_html(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>",
            _("when"),
            _("answer"),
            _("what changed"),
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        formats.date_format(answer.answered_at, "DATETIME_FORMAT"),
                        format_html("{} ({})", answer.get_kind_display(), _("supplier, through its link")),
                        "; ".join(
                            f"{change['sku']} {change['field']}: {change['was'] or '-'} → {change['now']}"
                            for change in answer.changes
                        )
                        or "-",
                    )
                    for answer in answers
                ),
            ),
        )

    def get_urls(self):
        return [
            path(
                f"<int:pk>/supplier-link/{verb}/",
                admin_page(self.admin_site, self.supplier_link_view, "purchasing.change_purchaseorder"),
                {"verb": verb},
                name=f"purchasing_purchaseorder_supplier_link_{verb}",
            )
            for verb in ("resend", "revoke")
        ] + super().get_urls()

    def back_url(self, request):
        if request.resolver_match.url_name.startswith("purchasing_purchaseorder_supplier_link_"):
            return reverse("admin:purchasing_purchaseorder_change", args=[request.resolver_match.kwargs["pk"]])
        return super().back_url(request)

    def supplier_link_view(self, request, pk, verb):
        """Resend or revoke the supplier's link of one order, after a confirmation page."""
        po = PurchaseOrder.objects.select_related("supplier").filter(pk=pk).first()
        if po is None or verb not in ("resend", "revoke"):
            return HttpResponseRedirect(reverse("admin:purchasing_purchaseorder_changelist"))
        back = reverse("admin:purchasing_purchaseorder_change", args=[po.pk])
        if request.method != "POST" or "apply" not in request.POST:
            title = {
                "resend": _("Email purchase order %(number)s with its link to %(email)s again?"),
                "revoke": _(
                    "Stop the link of purchase order %(number)s? The supplier can no longer answer through it."
                ),
            }[verb] % {"number": po.number, "email": po.supplier.email}
            button = {"resend": _("Resend"), "revoke": _("Revoke")}[verb]
            return confirm_action(
                self, request, PurchaseOrder.objects.filter(pk=pk), title=title, items=None, button=button
            )
        if verb == "revoke":
            revoke(po, by=request.user.get_username())
            self.message_user(request, _("The link of %(number)s is revoked.") % {"number": po.number})
        else:
            try:
                resend(po)
            except DomainError as error:
                self.message_user(request, str(error), messages.WARNING)
            else:
                self.message_user(
                    request, _("%(number)s sent to %(email)s.") % {"number": po.number, "email": po.supplier.email}
                )
        return HttpResponseRedirect(back)
