import uuid

from django.contrib import admin, messages
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import escape, format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kernel.admin_tools import (
    CappedPaginator,
    ReadOnlyAdmin,
    ReadOnlyInline,
    SingleRowAdmin,
    admin_link,
    admin_page,
    role_permission,
)
from kernel.errors import DomainError
from orders.models import Order
from orders.selectors import looks_like_email, numbered_order_ids

from .models import CustomerMessage, Digest, MessageEvent, MessagePolicy, Voucher
from .update_form import SendUpdateForm
from .updates import preview_update, send_update
from .worklist import at_risk_orders, refresh_worklist, worklist_as_of
from .worklist_csv import COLUMNS, csv_response, row
from .worklist_filters import WorklistFilter

SEND_PERMISSION = "notifications.send_customermessage"
# The worklist's columns the page shows in its "why at risk" column instead.
PAGE_LEAVES_OUT = {"po_late", "needs_personal_word", "call_reason"}


@admin.register(MessagePolicy)
class MessagePolicyAdmin(SingleRowAdmin):
    fieldsets = [
        (_("Backorder and delay notices"), {"fields": ["backorder_notice_after_days", "delay_notice_min_days"]}),
        (
            _("Apology and voucher"),
            {
                "fields": [
                    "apology_days_past_promise",
                    "apology_on_delay_number",
                    "voucher_kind",
                    "voucher_value",
                    "voucher_valid_days",
                ]
            },
        ),
        (
            _("Pacing"),
            {
                "fields": [
                    "quiet_window_minutes",
                    "min_hours_between_emails",
                    "proactive_emails_per_order",
                    "max_attempts",
                ]
            },
        ),
    ]


class MessageEventInline(ReadOnlyInline):
    model = MessageEvent
    fields = ["occurred_at", "event_type", "description"]
    readonly_fields = fields
    show_change_link = False


@admin.register(CustomerMessage)
class CustomerMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "order", "to_email", "status", "attempts", "sent_at", "possible_duplicate"]
    list_filter = ["status", "kind", "language", "possible_duplicate", "created_at"]
    # Exact matches, each an index: a year of messages is too many to search for parts of words.
    search_fields = ["to_email"]  # shows the box; get_search_results says what it finds
    search_help_text = _("Order number, email address or the email service's reference (exact)")
    list_select_related = ["order"]
    date_hierarchy = "created_at"
    # Staff words on the page; the machinery's fields (the worker's claim, the email service's
    # reference, the announcement's key) folded away under "For support".
    fieldsets = [
        (None, {"fields": ["kind", "order_link", "to_email", "language", "status", "subject_line"]}),
        (_("What was sent (or will be)"), {"fields": ["html_preview", "text_body"]}),
        (
            _("Delivery"),
            {
                "fields": [
                    "created_at",
                    "created_by",
                    "send_after",
                    "budget_gave_way",
                    "sent_at",
                    "status_changed_at",
                    "attempts",
                    "last_error",
                ]
            },
        ),
        (
            _("For support"),
            {"classes": ["collapse"], "fields": ["worker_took_it_at", "email_service_reference", "announcement"]},
        ),
    ]
    readonly_fields = [
        "kind",
        "order_link",
        "to_email",
        "language",
        "status",
        "subject_line",
        "html_preview",
        "text_body",
        "created_at",
        "created_by",
        "send_after",
        "budget_gave_way",
        "sent_at",
        "status_changed_at",
        "attempts",
        "last_error",
        "possible_duplicate",
        "worker_took_it_at",
        "email_service_reference",
        "announcement",
    ]
    inlines = [MessageEventInline]

    def get_fieldsets(self, request, obj=None):
        """The duplicate warning only on a message that may really have gone out twice."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not obj.possible_duplicate:
            return fieldsets
        (name, options), *rest = fieldsets
        return [(name, {**options, "fields": [*options["fields"], "possible_duplicate"]}), *rest]

    @admin.display(description=_("a worker took it at"))
    def worker_took_it_at(self, message):
        return message.claimed_at

    @admin.display(description=_("the email service's reference"))
    def email_service_reference(self, message):
        return message.esp_message_id

    @admin.display(description=_("what it announces (never queued twice)"))
    def announcement(self, message):
        return message.dedupe_key

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if looks_like_email(term):
            return queryset.filter(to_email__iexact=term), False
        return queryset.filter(
            Q(order_id__in=numbered_order_ids(term)) | Q(esp_message_id=term) | Q(dedupe_key=term)
        ), False

    @admin.display(description=_("order"))
    def order_link(self, message):
        return admin_link(message.order)

    @admin.display(description=_("subject"))
    def subject_line(self, message):
        return message.content().subject

    @admin.display(description=_("text"))
    def text_body(self, message):
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", message.content().text)

    @admin.display(description=_("HTML"))
    def html_preview(self, message):
        # escape(), not format_html's own: the rendered email is marked safe, which left its
        # quotes unescaped and ended the srcdoc attribute early (a blank, default-sized frame).
        return format_html(
            '<iframe sandbox srcdoc="{}" class="email-preview" style="width: 100%; height: 640px; '
            'border: 1px solid #ccc; background: #fff"></iframe>',
            escape(message.content().html),
        )

    def get_urls(self):
        site = self.admin_site
        return [
            path(
                "worklist/",
                admin_page(site, self.worklist_view, "notifications.view_customermessage"),
                name="notifications_customermessage_worklist",
            ),
            path(
                "send-update/",
                admin_page(site, self.send_update_view, SEND_PERMISSION),
                name="notifications_customermessage_send_update",
            ),
            *super().get_urls(),
        ]

    def worklist_view(self, request):
        if request.method == "POST" and "refresh" in request.POST:
            refresh_worklist()
            return HttpResponseRedirect(request.get_full_path())
        as_of = worklist_as_of()
        query = request.GET.copy()
        query.pop("page", None)
        filters = WorklistFilter(query or None, queryset=at_risk_orders())
        entries = filters.qs if filters.is_bound and filters.is_valid() else at_risk_orders()
        if request.GET.get("format") == "csv" and (not filters.is_bound or filters.is_valid()):
            return csv_response(entries)
        page = CappedPaginator(entries, 50).get_page(request.GET.get("page"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Worklist: orders at risk"),
            "opts": self.model._meta,
            "filters": filters,
            "as_of": as_of,
            # The page says why in one column (the flags' own columns did not fit a laptop
            # screen in German); the CSV keeps each flag's column too.
            "columns": [label for key, label in COLUMNS if key not in PAGE_LEAVES_OUT],
            "rows": [(entry.order_id, row(entry)) for entry in page],
            "page": page,
            "query": query.urlencode(),
            "can_send": request.user.has_perm(SEND_PERMISSION),
        }
        return TemplateResponse(request, "admin/notifications/worklist.html", context)

    def send_update_view(self, request, order_ids=None):
        """Write to the customers of the chosen orders: form, preview, send. Reached from the
        worklist and from the "send update" actions on orders, backorders, purchase orders
        (each needs SEND_PERMISSION: the page's URL and the actions say so)."""
        if order_ids is None and request.method != "POST":
            order_ids = request.GET.getlist("order")  # a link from one order's page
        elif order_ids is None and "order" in request.POST:
            order_ids = request.POST.getlist("order")  # the worklist's checkboxes
        if order_ids is not None:  # a fresh form for these orders
            form = SendUpdateForm(
                initial={"orders": ",".join(str(pk) for pk in order_ids), "request_key": uuid.uuid4()}
            )
            return self._send_update_page(request, form, len(order_ids))
        form = SendUpdateForm(request.POST)
        if not form.is_valid():
            return self._send_update_page(request, form, None)
        data = form.cleaned_data
        text = {"text": data["text"], "template": data["template"], "title": data["title"], "user": request.user}
        if "edit" in request.POST:
            return self._send_update_page(request, form, len(data["orders"]))
        if "send" in request.POST:
            try:
                queued = send_update(data["orders"], request_key=data["request_key"], **text)
            except DomainError as error:
                form.add_error(None, str(error))
                return self._send_update_page(request, form, len(data["orders"]))
            self.message_user(
                request,
                ngettext("%(count)s message queued.", "%(count)s messages queued.", queued) % {"count": queued},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(
                reverse("admin:notifications_customermessage_changelist") + "?kind__exact=personal"
            )
        # The preview shows the first order's email and lists every recipient it will go to.
        recipients = list(Order.objects.filter(pk__in=data["orders"]).select_related("customer").order_by("pk"))
        preview = preview_update(recipients[0].pk, **text)
        return self._send_update_page(request, form, len(recipients), preview=preview, recipients=recipients)

    def _send_update_page(self, request, form, count, preview=None, recipients=()):
        context = {
            **self.admin_site.each_context(request),
            "title": _("Send an update to customers"),
            "opts": self.model._meta,
            "form": form,
            "count": count,
            "preview": preview,
            "first": recipients[0] if recipients else None,
            "recipients": recipients,
        }
        return TemplateResponse(request, "admin/notifications/send_update.html", context)


def send_update_action(description, orders_of):
    """An admin action that opens "send update" for the orders behind the selected rows."""

    @admin.action(description=description, permissions=["send_message"])
    def action(modeladmin, request, queryset):
        ids = sorted(set(orders_of(queryset)))
        return modeladmin.admin_site.get_model_admin(CustomerMessage).send_update_view(request, order_ids=ids)

    action.__name__ = "send_update"
    return action


class SendMessagePermission:
    """Mixin for admins that carry the send-update actions."""

    has_send_message_permission = role_permission(SEND_PERMISSION)


@admin.register(Voucher)
class VoucherAdmin(ReadOnlyAdmin):
    list_display = ["code", "order", "kind", "worth", "valid_until", "issued_at"]
    list_filter = ["kind", "issued_at"]
    search_fields = ["code", "order__number", "order__customer__email"]
    list_select_related = ["order"]
    show_full_result_count = False
    readonly_fields = ["code", "order", "kind", "worth", "valid_until", "issued_at"]


@admin.register(Digest)
class DigestAdmin(ReadOnlyAdmin):
    list_display = ["day", "sent_at", "recipients"]
